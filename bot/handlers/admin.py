"""Admins' commands: close early, manage lotteries, look at players and totals.

Every handler here is registered behind the admin filter; anyone else reaches `refuse` instead.
"""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import parsing, replies
from bot.handlers.base import (
    PRIVATE_MESSAGE,
    AnyHandler,
    Context,
    HandlerGroup,
    arguments,
    button_day,
    drop_keyboard,
    reply,
    user_id,
)
from bot.i18n import _
from core.errors import CloseQuestionOutdated
from core.results import EventInfo

ADMIN_COMMANDS = ("close", "newevent", "editevent", "deleteevent", "cancelevent", "users", "stats", "outbox")
REQUEUE = "outbox:requeue"
CLOSE_PREFIX = "close:"
CLOSE_NO = "no"


class AdminHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        admins = PRIVATE_MESSAGE & filters.User(user_id=self.settings.admin_ids, allow_empty=False)
        commands = {
            "close": self.close,
            "newevent": self.new_event,
            "editevent": self.edit_event,
            "deleteevent": self.delete_event,
            "cancelevent": self.cancel_event,
            "users": self.users,
            "stats": self.stats,
            "outbox": self.outbox,
        }
        allowed: list[AnyHandler] = [
            CommandHandler(name, callback, filters=admins) for name, callback in commands.items()
        ]
        requeue: AnyHandler = CallbackQueryHandler(self.requeue, pattern=f"^{REQUEUE}$")
        close: AnyHandler = CallbackQueryHandler(
            self.close_pressed, pattern=rf"^{CLOSE_PREFIX}(\d{{4}}-\d{{2}}-\d{{2}}(:\d+)?|{CLOSE_NO})$"
        )
        return [*allowed, requeue, close, CommandHandler(list(ADMIN_COMMANDS), self.refuse)]

    async def refuse(self, update: Update, context: Context) -> None:
        await reply(update, replies.not_admin())

    async def outbox(self, update: Update, context: Context) -> None:
        overview = await self.lottery.notifications.overview()
        failed = overview.counts.failed
        button = InlineKeyboardButton(replies.requeue_button(failed), callback_data=REQUEUE)
        markup = InlineKeyboardMarkup([[button]]) if failed else None
        await reply(update, replies.outbox_overview(overview, timezone=self.settings.timezone), markup)

    async def requeue(self, update: Update, context: Context) -> None:
        """A button carries no filter: the presser is checked here, since an old message may be forwarded."""
        query = update.callback_query
        assert query is not None
        if user_id(update) not in self.settings.admin_ids:
            await query.answer(replies.not_admin(), show_alert=True)
            return
        await query.answer()
        await query.edit_message_reply_markup(None)
        await reply(update, replies.requeued(await self.lottery.notifications.requeue_failed()))

    async def close(self, update: Update, context: Context) -> None:
        """Ask first: a draw cannot be undone, and the menu sends /close with one tap."""
        today = self.lottery.context.today()
        due = await self.lottery.events.due_to_close()
        if not due:
            await reply(update, replies.draws([]))
            return
        yes, no = replies.close_buttons()
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        yes, callback_data=f"{CLOSE_PREFIX}{today.isoformat()}:{_ballots_in(due)}"
                    ),
                    InlineKeyboardButton(no, callback_data=f"{CLOSE_PREFIX}{CLOSE_NO}"),
                ]
            ]
        )
        await reply(update, replies.close_question(due), keyboard)

    async def close_pressed(self, update: Update, context: Context) -> None:
        """Yes closes only what the question showed: the button carries the day it was asked on and
        the ballots it counted, so yesterday's question, or one overtaken by new ballots, closes
        nothing; and a question already answered (its keyboard gone, as Telegram reports the message
        with the press) is not answered twice, say from a second device or by a second admin."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        if user_id(update) not in self.settings.admin_ids:
            await query.answer(replies.not_admin(), show_alert=True)
            return
        if query.message is None or not _keyboard_of(query.message):
            await query.answer(replies.question_answered(), show_alert=True)
            return
        choice = query.data.removeprefix(CLOSE_PREFIX)
        if choice == CLOSE_NO:
            await query.answer()
            await query.edit_message_text(replies.close_cancelled())
            return
        day_text, _, counted = choice.partition(":")
        asked_on = button_day(day_text)
        try:
            await self.lottery.closing.check_close_question(
                asked_on=asked_on, ballots=int(counted) if counted else None
            )
        except CloseQuestionOutdated:
            if asked_on == self.lottery.context.today():
                refusal = replies.close_overtaken()
            else:
                refusal = replies.expired_button(asked_on) if asked_on else replies.stale_button()
            await query.answer(refusal, show_alert=True)
            await drop_keyboard(query)
            return
        await query.answer()
        await drop_keyboard(query)
        await reply(update, replies.draws(await self.lottery.closing.close_open_events()))

    async def new_event(self, update: Update, context: Context) -> None:
        args = arguments(context)
        if not args:
            raise parsing.BadInput(_("Usage: /newevent YYYY-MM-DD [PRICE] [TITLE]"))
        day = parsing.date(args[0])
        rest = args[1:]
        price = parsing.price(rest.pop(0)) if rest and rest[0].isdigit() else None
        title = " ".join(rest) or None
        event = await self.lottery.events.create(day, price=price, title=title)
        await reply(update, replies.event_created(event))

    async def edit_event(self, update: Update, context: Context) -> None:
        args = arguments(context)
        usage = _("Usage: /editevent YYYY-MM-DD price N, or /editevent YYYY-MM-DD title|prize|rules NEW TEXT")
        field = args[1].lower() if len(args) >= 3 else ""
        if field not in ("price", "title", "prize", "rules"):
            raise parsing.BadInput(usage)
        day = parsing.date(args[0])
        text = " ".join(args[2:])
        events = self.lottery.events
        if field == "price":
            if len(args) != 3:
                raise parsing.BadInput(usage)
            event = await events.edit(day, price=parsing.price(args[2]))
        elif field == "title":
            event = await events.edit(day, title=text)
        elif field == "prize":
            event = await events.edit_prize(day, prize=text)
        else:
            event = await events.edit_prize(day, rules=text)
        await reply(update, replies.event_updated(event))

    async def delete_event(self, update: Update, context: Context) -> None:
        day = self._one_date(context, "deleteevent")
        await self.lottery.events.delete(day)
        await reply(update, replies.event_deleted(day))

    async def cancel_event(self, update: Update, context: Context) -> None:
        day = self._one_date(context, "cancelevent")
        result = await self.lottery.events.cancel(day)
        await reply(update, replies.cancelled(result, self.settings.currency))

    async def users(self, update: Update, context: Context) -> None:
        page_number = parsing.quantity(arguments(context), command="users")
        page_size = 20
        players, total = await self.lottery.players.page(
            offset=(page_number - 1) * page_size, limit=page_size
        )
        await reply(update, replies.users(players, total, page_number, self.settings.currency))

    async def stats(self, update: Update, context: Context) -> None:
        await reply(update, replies.stats(await self.lottery.events.stats()))

    @staticmethod
    def _one_date(context: Context, command: str) -> dt.date:
        day = parsing.optional_date(arguments(context), command=command)
        if day is None:
            raise parsing.BadInput(_("Usage: /{command} YYYY-MM-DD").format(command=command))
        return day


def _ballots_in(due: list[EventInfo]) -> int:
    return sum(event.ballot_count for event in due)


def _keyboard_of(message: MaybeInaccessibleMessage) -> bool:
    """Whether the message still shows buttons: a press arrives with the message as it is now."""
    markup = getattr(message, "reply_markup", None)
    return markup is not None and bool(markup.inline_keyboard)
