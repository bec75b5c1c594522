"""What every handler group shares: the lottery, the settings, and a way to answer."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, ContextTypes

from bot.replies import fit
from bot.settings import Settings
from core.service import LotteryService

Context = ContextTypes.DEFAULT_TYPE
AnyHandler = BaseHandler[Update, Context, object]


class HandlerGroup:
    def __init__(self, lottery: LotteryService, settings: Settings) -> None:
        self.lottery = lottery
        self.settings = settings

    def handlers(self) -> list[AnyHandler]:
        raise NotImplementedError

    def is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return user is not None and user.id in self.settings.admin_ids


def user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise ValueError("an update without a user reached a user command")
    return user.id


def arguments(context: Context) -> list[str]:
    return list(context.args or [])


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer in the chat the update came from; a button press edits nothing, it gets a new message."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(fit(text), reply_markup=markup)
