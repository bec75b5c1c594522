"""Registration, profile, email and account deletion."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.handlers.base import (
    PRIVATE_MESSAGE,
    AnyHandler,
    Context,
    HandlerGroup,
    reply,
    text_after_command,
    user_id,
)
from bot.i18n import primary_language

DELETE_YES = "deleteme:yes"
DELETE_NO = "deleteme:no"


class PlayerHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        private = PRIVATE_MESSAGE
        return [
            CommandHandler("start", self.start, filters=private),
            CommandHandler("help", self.help),
            CommandHandler("email", self.email, filters=private),
            CommandHandler("me", self.me, filters=private),
            CommandHandler("deleteme", self.delete_me, filters=private),
            CallbackQueryHandler(self.confirm_delete, pattern=f"^({DELETE_YES}|{DELETE_NO})$"),
        ]

    async def start(self, update: Update, context: Context) -> None:
        """Register the player (or greet them back) and show what to do."""
        user = update.effective_user
        assert user is not None
        language = primary_language(user.language_code)[:8] if user.language_code else None
        profile, new = await self.lottery.players.register(
            user.id, username=user.username, first_name=user.first_name, language=language
        )
        await reply(update, replies.welcome(profile, new=new, timezone=self.settings.timezone))

    async def help(self, update: Update, context: Context) -> None:
        await reply(update, replies.help_text(timezone=self.settings.timezone, admin=self.is_admin(update)))

    async def email(self, update: Update, context: Context) -> None:
        address = text_after_command(update)
        if not address:
            await reply(update, replies.email_usage())
            return
        profile = await self.lottery.players.set_email(user_id(update), address)
        await reply(update, replies.email_saved(profile))

    async def me(self, update: Update, context: Context) -> None:
        await reply(update, replies.profile(await self.lottery.players.profile(user_id(update))))

    async def delete_me(self, update: Update, context: Context) -> None:
        await self.lottery.players.profile(user_id(update))  # unknown players learn to /start instead
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(replies.delete_yes(), callback_data=DELETE_YES),
                    InlineKeyboardButton(replies.cancel_button(), callback_data=DELETE_NO),
                ]
            ]
        )
        await reply(update, replies.delete_question(), keyboard)

    async def confirm_delete(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        if query.data == DELETE_NO:
            await query.edit_message_text(replies.delete_cancelled())
            return
        await self.lottery.players.delete(user_id(update))
        await query.edit_message_text(replies.deleted())
