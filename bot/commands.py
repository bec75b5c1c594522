"""The command menus Telegram shows: players see theirs, admins see theirs and the players'."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

log = logging.getLogger(__name__)

PLAYER_COMMANDS = [
    BotCommand("start", "Register and see how it works"),
    BotCommand("join", "Enter today's lottery"),
    BotCommand("pay", "Pay for N ballots"),
    BotCommand("buy", "Turn credit into N ballots"),
    BotCommand("mytickets", "Your ballots today"),
    BotCommand("proof", "Proof that ballot N is in the draw"),
    BotCommand("me", "Your profile and credit"),
    BotCommand("email", "Set the email for winner notices"),
    BotCommand("history", "Payments, purchases, refunds, ballots"),
    BotCommand("refund", "Refund an unused payment"),
    BotCommand("events", "Lotteries around today"),
    BotCommand("winner", "Winning ballot of a day"),
    BotCommand("verify", "The public draw record of a day, to check"),
    BotCommand("help", "What the bot can do"),
    BotCommand("deleteme", "Delete your data"),
]

# Listed in the menu only when payments are real (Telegram's terms for bots that take payments).
PAYMENT_TERMS_COMMANDS = [
    BotCommand("paysupport", "Help with a payment"),
    BotCommand("terms", "Terms of the lottery"),
    BotCommand("privacy", "What data the bot keeps"),
]

ADMIN_COMMANDS = [
    BotCommand("close", "Close open lotteries now and draw"),
    BotCommand("newevent", "Create a lottery ahead"),
    BotCommand("editevent", "Change an unsold lottery"),
    BotCommand("deleteevent", "Delete an unsold lottery"),
    BotCommand("cancelevent", "Cancel a lottery, refunding ballots"),
    BotCommand("users", "Registered players"),
    BotCommand("stats", "Totals"),
    BotCommand("outbox", "Notices waiting, sent and failed"),
    BotCommand("exportrecord", "A day's draw record as a JSON file"),
    BotCommand("reconcile", "Check payments against Telegram"),
]


async def register_commands(bot: Bot, admin_ids: Iterable[int], *, payments_are_real: bool = False) -> None:
    players = PLAYER_COMMANDS + (PAYMENT_TERMS_COMMANDS if payments_are_real else [])
    await bot.set_my_commands(players, scope=BotCommandScopeDefault())
    for admin_id in admin_ids:
        try:
            await bot.set_my_commands(players + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin_id))
        except TelegramError as refused:
            # Telegram refuses a chat scope until the admin has opened a chat with the bot.
            log.warning("could not set the admin commands for %s: %s", admin_id, refused)
