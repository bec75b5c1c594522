"""The first thing done with every update: choose the language its replies are written in."""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from bot.handlers.base import AnyHandler, Context
from bot.i18n import Catalogues, activate

# Before the guards (-2), so that even "slow down" is said in the player's language.
GROUP = -3


class LanguageHandlers:
    def __init__(self, catalogues: Catalogues) -> None:
        self._catalogues = catalogues

    def handlers(self) -> list[AnyHandler]:
        return [TypeHandler(Update, self.speak_their_language)]

    async def speak_their_language(self, update: Update, context: Context) -> None:
        """Telegram's `language_code` picks the catalogue; an unknown language reads English."""
        user = update.effective_user
        activate(self._catalogues.translator(user.language_code if user else None))
