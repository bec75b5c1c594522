"""What every handler group shares: the lottery, the settings, and a way to answer."""

from __future__ import annotations

import datetime as dt

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import BaseHandler, ContextTypes, filters

from bot import replies
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


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None
) -> Message | None:
    """Answer in the chat the update came from; a button press edits nothing, it gets a new message.
    In a group the answer quotes the message it answers, so everyone sees whom it is for."""
    chat = update.effective_chat
    if chat is None:
        return None
    quoted = None
    if chat.type != ChatType.PRIVATE and update.message is not None:
        quoted = ReplyParameters(update.message.message_id, allow_sending_without_reply=True)
    return await chat.send_message(fit(text), reply_markup=markup, reply_parameters=quoted)


def button_day(text: str) -> dt.date | None:
    """The day a button carries; None for one no calendar has (a forged or garbled button)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


async def drop_keyboard(query: CallbackQuery) -> None:
    """Remove the buttons of a message that has been answered; already gone (a second tap from a
    slow client) is fine."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as refused:
        if "not modified" not in refused.message:
            raise


def private_chat_link(bot_username: str, command: str | None = None) -> InlineKeyboardMarkup:
    """A button that opens a private chat with the bot; `/start <command>` takes the player on."""
    url = f"https://t.me/{bot_username}" + (f"?start={command}" if command else "")
    return InlineKeyboardMarkup([[InlineKeyboardButton(replies.private_chat_button(), url=url)]])
