"""The first thing done with every update: choose the language its replies are written in; and /language.

A player's choice (/language) wins over Telegram's `language_code`. Reading the choice from the
database on every update would add a round trip to every reply, so each process remembers it per
user (`LanguageMemory`), read once when the user is first seen and written on /language.
Several replicas: the one that handled /language knows at once; the others read the database again
when their memory of that user is older than `LanguageMemory.ttl` (a minute), so a choice reaches
every replica within a minute, and the notices and emails (read from the database) follow it at once.
Telegram's own `language_code` is stored when it changes, because notices are written outside any
update, where Telegram does not say it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, TypeHandler

from bot import replies
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, reply, user_id
from bot.i18n import Catalogues, Translator, activate, primary_language
from core.service import LotteryService

# Before the guards (-2), so that even "slow down" is said in the player's language.
GROUP = -3
CHOOSE_PREFIX = "language:"


@dataclass
class Remembered:
    chosen: str | None
    reported: str | None
    registered: bool
    read_at: float


class LanguageMemory:
    """What each user chose and what Telegram last reported, as this process last read or wrote it."""

    def __init__(
        self, *, ttl: float = 60.0, limit: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._limit = limit
        self._clock = clock
        self._users: dict[int, Remembered] = {}

    def get(self, user: int) -> Remembered | None:
        entry = self._users.get(user)
        if entry is None or self._clock() - entry.read_at > self.ttl:
            return None
        return entry

    def put(self, user: int, *, chosen: str | None, reported: str | None, registered: bool) -> Remembered:
        if len(self._users) >= self._limit:
            self._users.clear()  # a forgotten user costs one read, nothing more
        entry = Remembered(chosen, reported, registered, self._clock())
        self._users[user] = entry
        return entry


class LanguageHandlers:
    def __init__(self, catalogues: Catalogues, lottery: LotteryService, memory: LanguageMemory) -> None:
        self._catalogues = catalogues
        self._lottery = lottery
        self._memory = memory

    def handlers(self) -> list[AnyHandler]:
        return [TypeHandler(Update, self.speak_their_language)]

    def choice_handlers(self) -> list[AnyHandler]:
        return [
            CommandHandler("language", self.offer, filters=PRIVATE_MESSAGE),
            CallbackQueryHandler(self.choose, pattern=rf"^{CHOOSE_PREFIX}[a-z]{{2,8}}$"),
        ]

    async def speak_their_language(self, update: Update, context: Context) -> None:
        """The player's choice, else Telegram's `language_code`; an unknown language reads English."""
        user = update.effective_user
        if user is None:
            activate(self._catalogues.translator(None))
            return
        reported = primary_language(user.language_code) if user.language_code else None
        entry = self._memory.get(user.id) or await self._recall(user.id)
        if entry.registered and reported is not None and reported != entry.reported:
            await self._lottery.players.report_language(user.id, reported[:8])
            entry.reported = reported
        activate(self._catalogues.translator(reported, override=entry.chosen))

    async def _recall(self, user: int) -> Remembered:
        stored = await self._lottery.players.languages(user)
        if stored is None:
            return self._memory.put(user, chosen=None, reported=None, registered=False)
        chosen, reported = stored
        return self._memory.put(user, chosen=chosen, reported=reported, registered=True)

    async def offer(self, update: Update, context: Context) -> None:
        await reply(update, replies.choose_language(), self._keyboard())

    async def choose(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        language = query.data.removeprefix(CHOOSE_PREFIX)
        if language not in self._catalogues.languages:
            await query.answer(replies.stale_button(), show_alert=True)
            return
        await query.answer()
        player = user_id(update)
        await self._lottery.players.choose_language(player, language)
        previous = self._memory.get(player)
        self._memory.put(
            player, chosen=language, reported=previous.reported if previous else None, registered=True
        )
        activate(self._catalogues.translator(language))
        await query.edit_message_text(
            replies.language_chosen(native_name(self._catalogues.translator(language)))
        )

    def _keyboard(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(native_name(t), callback_data=f"{CHOOSE_PREFIX}{t.language}")
                    for t in self._catalogues
                ]
            ]
        )


def native_name(translator: Translator) -> str:
    """A language's name in itself ("English", "Русский"): found by those who cannot read the others."""
    name = Locale.parse(translator.language).get_display_name(translator.language) or translator.language
    return name[:1].upper() + name[1:]
