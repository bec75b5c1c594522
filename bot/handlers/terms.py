"""/paysupport, /terms and /privacy: what Telegram asks of every bot that takes payments.

The operator's own texts come from configuration (PAYSUPPORT_TEXT, TERMS_TEXT, PRIVACY_TEXT: the text
or a file); without them the bot answers with translated defaults that say how this bot works.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot import payment_texts
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, HandlerGroup, reply


class TermsHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        return [
            CommandHandler("paysupport", self.paysupport, filters=PRIVATE_MESSAGE),
            CommandHandler("terms", self.terms, filters=PRIVATE_MESSAGE),
            CommandHandler("privacy", self.privacy, filters=PRIVATE_MESSAGE),
        ]

    async def paysupport(self, update: Update, context: Context) -> None:
        await reply(update, self.settings.paysupport_text or payment_texts.default_paysupport())

    async def terms(self, update: Update, context: Context) -> None:
        await reply(update, self.settings.terms_text or payment_texts.default_terms())

    async def privacy(self, update: Update, context: Context) -> None:
        await reply(update, self.settings.privacy_text or payment_texts.default_privacy())
