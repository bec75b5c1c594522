"""The command menus Telegram shows, in each shipped language and for each kind of chat.

Telegram picks a menu by scope (an admin's own chat, then all private chats, then all groups, then
the default) and by the user's language (`language_code`, else the menu set without one). So each
menu is set once without a language, in English, and once per other shipped language: a Russian
player's menu reads Russian without the bot knowing anything about them yet.
Groups get only the commands that work in a group.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.i18n import DEFAULT_LANGUAGE, Catalogues, _, speaking

log = logging.getLogger(__name__)

PLAYER_COMMAND_NAMES = (
    "start",
    "join",
    "pay",
    "buy",
    "mytickets",
    "proof",
    "me",
    "email",
    "history",
    "refund",
    "events",
    "winner",
    "verify",
    "language",
    "help",
    "deleteme",
)
# Listed only when payments are real: Telegram's terms for bots that take payments ask for them.
PAYMENT_TERMS_COMMAND_NAMES = ("paysupport", "terms", "privacy")
GROUP_COMMAND_NAMES = ("winner", "events", "help")
ADMIN_COMMAND_NAMES = (
    "close",
    "newevent",
    "editevent",
    "deleteevent",
    "cancelevent",
    "users",
    "stats",
    "outbox",
    "exportrecord",
    "reconcile",
)


def _descriptions() -> dict[str, str]:
    """What each command does, in the active language (rendered when the menus are set, never at import)."""
    return {
        "start": _("Register and see how it works"),
        "join": _("Enter today's lottery"),
        "pay": _("Pay for ballots"),
        "buy": _("Turn credit into ballots"),
        "mytickets": _("Your ballots today"),
        "proof": _("Proof that ballot N is in the draw"),
        "me": _("Your profile and credit"),
        "email": _("Set the email for winner notices"),
        "history": _("Payments, purchases, refunds, ballots"),
        "refund": _("Refund an unused payment"),
        "events": _("Lotteries around today"),
        "winner": _("Winning ballot of a day"),
        "verify": _("The public draw record of a day, to check"),
        "paysupport": _("Help with a payment"),
        "terms": _("Terms of the lottery"),
        "privacy": _("What data the bot keeps"),
        "language": _("Choose the bot's language"),
        "help": _("What the bot can do"),
        "deleteme": _("Delete your data"),
        "close": _("Close open lotteries now and draw"),
        "newevent": _("Create a lottery ahead"),
        "editevent": _("Change an unsold lottery"),
        "deleteevent": _("Delete an unsold lottery"),
        "cancelevent": _("Cancel a lottery, refunding ballots"),
        "users": _("Registered players"),
        "stats": _("Totals"),
        "outbox": _("Notices waiting, sent and failed"),
        "exportrecord": _("A day's draw record as a JSON file"),
        "reconcile": _("Check payments against Telegram"),
    }


def menu(names: Iterable[str]) -> list[BotCommand]:
    """The commands `names` with their descriptions in the active language."""
    described = _descriptions()
    return [BotCommand(name, described[name]) for name in names]


def player_command_names(*, payments_are_real: bool) -> tuple[str, ...]:
    return PLAYER_COMMAND_NAMES + (PAYMENT_TERMS_COMMAND_NAMES if payments_are_real else ())


async def register_commands(
    bot: Bot, admin_ids: Iterable[int], catalogues: Catalogues, *, payments_are_real: bool = False
) -> None:
    admins = list(admin_ids)
    for translator in catalogues:
        language = "" if translator.language == DEFAULT_LANGUAGE else translator.language
        with speaking(translator):
            players = menu(player_command_names(payments_are_real=payments_are_real))
            scopes: list[tuple[BotCommandScope, list[BotCommand]]] = [
                (BotCommandScopeDefault(), players),
                (BotCommandScopeAllPrivateChats(), players),
                (BotCommandScopeAllGroupChats(), menu(GROUP_COMMAND_NAMES)),
            ]
            for scope, commands in scopes:
                await bot.set_my_commands(commands, scope=scope, language_code=language or None)
            for admin_id in admins:
                await register_admin_commands(bot, admin_id, language, payments_are_real=payments_are_real)


async def register_admin_commands(
    bot: Bot, admin_id: int, language: str, *, payments_are_real: bool = False
) -> None:
    """An admin's own chat shows the players' commands and theirs, in the active language."""
    try:
        await bot.set_my_commands(
            menu((*player_command_names(payments_are_real=payments_are_real), *ADMIN_COMMAND_NAMES)),
            scope=BotCommandScopeChat(admin_id),
            language_code=language or None,
        )
    except TelegramError as refused:
        # Telegram refuses a chat scope until the admin has opened a chat with the bot.
        log.warning("could not set the admin commands for %s: %s", admin_id, refused)


async def describe_bot(bot: Bot, catalogues: Catalogues, *, description: str, short_description: str) -> None:
    """What Telegram shows before the first message and on the bot's profile.

    Configured texts are set for everyone; otherwise the bot's own, in each shipped language."""
    try:
        if description or short_description:
            await bot.set_my_description(description or None)
            await bot.set_my_short_description(short_description or None)
            return
        for translator in catalogues:
            language = None if translator.language == DEFAULT_LANGUAGE else translator.language
            with speaking(translator):
                await bot.set_my_description(default_description(), language_code=language)
                await bot.set_my_short_description(default_short_description(), language_code=language)
    except TelegramError as refused:
        # A description is a courtesy: the bot serves players without one.
        log.warning("could not set the bot's description: %s", refused)


def default_description() -> str:
    return _(
        "A daily lottery in Telegram. Buy ballots with a tap; at midnight one ballot is drawn at random, "
        "and you can check for yourself that yours was in the draw. Press Start to play."
    )


def default_short_description() -> str:
    return _("A daily lottery: buy ballots with a tap, one wins at midnight.")


class AdminMenus:
    """Sets an admin's own command menu the first time they write in this process.

    At start-up Telegram refuses a chat scope for an admin who has never opened a chat with the bot;
    without this, such an admin (or one added to ADMIN_IDS later) would see no admin commands until a
    restart. Once per admin per process: two calls per shipped language, then nothing.
    """

    def __init__(
        self, admin_ids: Iterable[int], catalogues: Catalogues, *, payments_are_real: bool = False
    ) -> None:
        self._admins = frozenset(admin_ids)
        self._catalogues = catalogues
        self._payments_are_real = payments_are_real
        self._done: set[int] = set()

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        if user.id not in self._admins or user.id in self._done:
            return
        self._done.add(user.id)
        for translator in self._catalogues:
            language = "" if translator.language == DEFAULT_LANGUAGE else translator.language
            with speaking(translator):
                await register_admin_commands(
                    context.bot, user.id, language, payments_are_real=self._payments_are_real
                )
