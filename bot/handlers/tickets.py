"""Buying ballots (which joins today's lottery), and looking at lotteries and winners.

Buttons carry the day they act on (`buy:2024-05-01:5`): a button left on an old message answers
"expired" instead of buying into another day's lottery. A keyboard that has been used is removed.
"""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import parsing, replies
from bot.dates import UnreadableDay, parse_day
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
from bot.handlers.prompts import RepliesTo, answer, number_prompt
from bot.i18n import shipped
from core.results import EventStatus, WinnerWalk

BUY_PREFIX = "buy:"
BUY_OTHER = "other"
BUY_CHOICES = (1, 5, 10)
WINNER_PREFIX = "winner:"


def buy_buttons(affordable: int, day: dt.date | None = None) -> InlineKeyboardMarkup | None:
    """Buttons for the purchases the player can afford right now, so they need not type."""
    choices = [n for n in BUY_CHOICES if n <= affordable]
    if affordable > 0 and affordable not in choices:
        choices.append(affordable)
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(replies.buy_button(n), callback_data=_buy_data(day, n)) for n in choices]]
    )


def buy_picker(day: dt.date) -> InlineKeyboardMarkup:
    """What a bare /buy offers: a tap in the command menu never buys by itself."""
    numbers = [InlineKeyboardButton(str(n), callback_data=_buy_data(day, n)) for n in BUY_CHOICES]
    other = InlineKeyboardButton(replies.other_button(), callback_data=_buy_data(day, BUY_OTHER))
    return InlineKeyboardMarkup([[*numbers, other]])


def _buy_data(day: dt.date | None, choice: int | str) -> str:
    return f"{BUY_PREFIX}{day.isoformat()}:{choice}" if day else f"{BUY_PREFIX}{choice}"


class TicketHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        private = PRIVATE_MESSAGE
        return [
            CommandHandler("join", self.join, filters=private),
            CommandHandler("buy", self.buy, filters=private),
            CommandHandler("mytickets", self.my_tickets, filters=private),
            CommandHandler("proof", self.proof, filters=private),
            CommandHandler("events", self.events),
            CommandHandler("winner", self.winner),
            MessageHandler(
                private & filters.TEXT & ~filters.COMMAND & RepliesTo(replies.buy_other), self.buy_answered
            ),
            CallbackQueryHandler(
                self.buy_pressed, pattern=rf"^{BUY_PREFIX}(\d{{4}}-\d{{2}}-\d{{2}}:)?(\d{{1,3}}|{BUY_OTHER})$"
            ),
            CallbackQueryHandler(self.winner_pressed, pattern=rf"^{WINNER_PREFIX}\d{{4}}-\d{{2}}-\d{{2}}$"),
        ]

    def today(self) -> dt.date:
        return self.lottery.context.today()

    async def join(self, update: Update, context: Context) -> None:
        await reply(update, replies.joined(await self.lottery.tickets.join(user_id(update))))

    async def buy(self, update: Update, context: Context) -> None:
        args = arguments(context)
        if not args:
            await self.offer(update)
            return
        await self._buy(update, parsing.quantity(args, command="buy"))

    async def offer(self, update: Update) -> None:
        await reply(update, replies.buy_picker(), buy_picker(self.today()))

    async def buy_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        day_text, _sep, choice = query.data.removeprefix(BUY_PREFIX).rpartition(":")
        day = button_day(day_text) if day_text else self.today()
        if day != self.today():
            expired = replies.expired_button(day) if day else replies.stale_button()
            await query.answer(expired, show_alert=True)
            await drop_keyboard(query)
            return
        await query.answer()
        await drop_keyboard(query)  # a used keyboard is not pressed twice
        if choice == BUY_OTHER:
            await reply(update, replies.buy_other(), number_prompt())
            return
        await self._buy(update, int(choice))

    async def buy_answered(self, update: Update, context: Context) -> None:
        """A reply to "how many ballots?" is /buy with that number: the same checks, the same receipt."""
        await self._buy(update, parsing.quantity(answer(update.message), command="buy"))

    async def _buy(self, update: Update, quantity: int) -> None:
        receipt = await self.lottery.tickets.buy(user_id(update), quantity)
        await reply(update, replies.bought(receipt), buy_buttons(receipt.affordable, receipt.day))

    async def my_tickets(self, update: Update, context: Context) -> None:
        await reply(update, replies.my_receipts(await self.lottery.receipts.today(user_id(update))))

    async def proof(self, update: Update, context: Context) -> None:
        day, number = parsing.ballot_reference(arguments(context), command="proof")
        proof = await self.lottery.receipts.proof(user_id(update), number, day)
        await reply(update, replies.ballot_proof(proof))

    async def events(self, update: Update, context: Context) -> None:
        listing = await self.lottery.events.overview()
        now = self.lottery.context.clock.now()
        draw = self.lottery.rules.end_of(self.today())
        await reply(update, replies.events(listing, today=self.today(), draw=draw, now=now))

    async def winner(self, update: Update, context: Context) -> None:
        args = arguments(context)
        if not args:
            walk = await self.lottery.closing.latest_winner_walk()
            await reply(update, replies.winner(walk.info if walk else None), _walk(walk))
            return
        try:
            day = parse_day(" ".join(args), self.today(), shipped())
        except UnreadableDay as unread:
            raise parsing.BadInput(replies.unreadable_day(unread.text)) from None
        await self._show_winner(update, day)

    async def winner_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        day = button_day(query.data.removeprefix(WINNER_PREFIX))
        if day is None:
            await query.answer(replies.stale_button(), show_alert=True)
            return
        await query.answer()
        await self._show_winner(update, day)

    async def _show_winner(self, update: Update, day: dt.date) -> None:
        """A past day's result; for today or a later day, when it will be drawn."""
        walk = await self.lottery.closing.winner_walk(day)
        info = walk.info
        if info is None or info.status is EventStatus.OPEN:
            if day < self.today():
                await reply(update, replies.no_lottery_on(day), _walk(walk))
                return
            now = self.lottery.context.clock.now()
            later = replies.drawn_later(day, self.lottery.rules.end_of(day), now=now, info=info)
            await reply(update, later, _walk(walk))  # ◀ to the latest draw before it
            return
        await reply(update, replies.winner(info), _walk(walk))


def _walk(walk: WinnerWalk | None) -> InlineKeyboardMarkup | None:
    """◀ ▶ to the drawn lotteries either side: days with no lottery, or none drawn yet, are stepped over."""
    if walk is None:
        return None
    buttons = [
        InlineKeyboardButton(arrow, callback_data=f"{WINNER_PREFIX}{day}")
        for arrow, day in (("◀", walk.earlier), ("▶", walk.later))
        if day is not None
    ]
    return InlineKeyboardMarkup([buttons]) if buttons else None
