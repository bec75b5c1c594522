"""The last handlers of the chain: whatever nobody else understood gets a pointer to /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import replies
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, reply


class Fallbacks:
    def handlers(self) -> list[AnyHandler]:
        private = PRIVATE_MESSAGE
        return [
            MessageHandler(private & filters.COMMAND, self.unknown_command),
            MessageHandler(private, self.not_a_command),
            CallbackQueryHandler(self.stale_button),
        ]

    async def unknown_command(self, update: Update, context: Context) -> None:
        await reply(update, replies.unknown_command())

    async def not_a_command(self, update: Update, context: Context) -> None:
        await reply(update, replies.plain_text())

    async def stale_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(replies.stale_button(), show_alert=True)
