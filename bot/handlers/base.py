"""What every handler group shares: the lottery, the settings, and a way to answer."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, ContextTypes, filters

from bot.replies import fit
from bot.settings import Settings
from core.service import LotteryService

Context = ContextTypes.DEFAULT_TYPE
AnyHandler = BaseHandler[Update, Context, object]

# A new private message, and only that. A handler's `filters=` replaces PTB's default (new and edited
# messages), and `ChatType.PRIVATE` alone also matches Telegram Business messages (a customer writing
# to a business account the bot is connected to), which must never run a player's command.
PRIVATE_MESSAGE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


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


def text_after_command(update: Update) -> str:
    """Everything after "/command", as typed: unlike `arguments`, line breaks and commas survive,
    so core can refuse an input that is more than one value instead of seeing only its first word."""
    message = update.effective_message
    text = message.text if message and message.text else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip(" \t") if len(parts) == 2 else ""


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer in the chat the update came from; a button press edits nothing, it gets a new message."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(fit(text), reply_markup=markup)
