"""Registration, profile, email and account deletion."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.handlers.base import (
    PRIVATE_MESSAGE,
    AnyHandler,
    Context,
    HandlerGroup,
    arguments,
    private_chat_link,
    reply,
    text_after_command,
    user_id,
)
from bot.handlers.tickets import buy_picker
from bot.i18n import primary_language
from core.results import PublicName

DELETE_YES = "deleteme:yes"
DELETE_NO = "deleteme:no"
START_PREFIX = "start:"
START_HOW, START_TODAY, START_BUY = "how", "today", "buy"
NAME_PREFIX = "publicname:"
NAME_ASK = "ask"


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
            CallbackQueryHandler(
                self.public_name_pressed,
                pattern=f"^{NAME_PREFIX}({NAME_ASK}|{'|'.join(choice.value for choice in PublicName)})$",
            ),
            CallbackQueryHandler(
                self.start_pressed, pattern=f"^{START_PREFIX}({START_HOW}|{START_TODAY}|{START_BUY})$"
            ),
        ]

    async def start(self, update: Update, context: Context) -> None:
        """Register the player (or greet them back) in three lines, with buttons to go on.

        A deep link from a group (`t.me/<bot>?start=buy`) arrives as `/start buy`: after the greeting,
        the player gets straight to what they asked for."""
        user = update.effective_user
        assert user is not None
        language = primary_language(user.language_code)[:8] if user.language_code else None
        profile, new = await self.lottery.players.register(
            user.id, username=user.username, first_name=user.first_name, language=language
        )
        how, today, buy = replies.start_buttons()
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(how, callback_data=f"{START_PREFIX}{START_HOW}"),
                    InlineKeyboardButton(today, callback_data=f"{START_PREFIX}{START_TODAY}"),
                    InlineKeyboardButton(buy, callback_data=f"{START_PREFIX}{START_BUY}"),
                ]
            ]
        )
        await reply(update, replies.welcome(profile, new=new, terms=self.terms()), keyboard)
        if arguments(context) == [START_BUY]:
            await reply(update, replies.buy_picker(), buy_picker(self.lottery.context.today()))

    async def start_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        choice = query.data.removeprefix(START_PREFIX)
        if choice == START_HOW:
            await reply(update, replies.help_text(terms=self.terms(), admin=False))
        elif choice == START_TODAY:
            today = await self.lottery.events.today()
            terms = self.terms()
            await reply(update, replies.events([today], today=today.day, draw=terms.draw, now=terms.now))
        else:
            await reply(update, replies.buy_picker(), buy_picker(self.lottery.context.today()))

    def terms(self) -> replies.Terms:
        rules = self.lottery.rules
        now = self.lottery.context.clock.now()
        return replies.Terms(
            price=rules.ballot_price,
            currency=rules.currency,
            max_ballots=rules.max_ballots_per_purchase,
            timezone=rules.timezone,
            draw=rules.end_of(rules.day_of(now)),
            now=now,
        )

    async def help(self, update: Update, context: Context) -> None:
        chat = update.effective_chat
        if chat is not None and chat.type != ChatType.PRIVATE:
            await reply(
                update, replies.group_help(self.settings.timezone), private_chat_link(context.bot.username)
            )
            return
        await reply(update, replies.help_text(terms=self.terms(), admin=self.is_admin(update)))

    async def email(self, update: Update, context: Context) -> None:
        address = text_after_command(update)
        if not address:
            await reply(update, replies.email_usage())
            return
        profile = await self.lottery.players.set_email(user_id(update), address)
        await reply(update, replies.email_saved(profile))

    async def me(self, update: Update, context: Context) -> None:
        profile = await self.lottery.players.profile(user_id(update))
        ask = InlineKeyboardButton(replies.public_name_button(), callback_data=f"{NAME_PREFIX}{NAME_ASK}")
        await reply(update, replies.profile(profile), InlineKeyboardMarkup([[ask]]))

    async def public_name_pressed(self, update: Update, context: Context) -> None:
        """The choice is the presser's own: a forwarded /me changes only the name of whoever taps it."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        choice = query.data.removeprefix(NAME_PREFIX)
        if choice == NAME_ASK:
            await query.answer()
            keyboard = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=f"{NAME_PREFIX}{value.value}")]
                    for value, label in replies.public_name_choices()
                ]
            )
            await reply(update, replies.public_name_question(), keyboard)
            return
        profile = await self.lottery.players.choose_public_name(user_id(update), PublicName(choice))
        await query.answer()
        await query.edit_message_text(replies.public_name_chosen(profile))

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
