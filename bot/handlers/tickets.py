"""Joining today's lottery, buying ballots, and looking at lotteries and winners."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import parsing, replies
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, HandlerGroup, arguments, reply, user_id

BUY_PREFIX = "buy:"


def buy_buttons(affordable: int) -> InlineKeyboardMarkup | None:
    """Buttons for the purchases the player can afford right now, so they need not type."""
    choices = [n for n in (1, 5, 10) if n <= affordable]
    if affordable > 0 and affordable not in choices:
        choices.append(affordable)
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(replies.buy_button(n), callback_data=f"{BUY_PREFIX}{n}") for n in choices]]
    )


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
            CallbackQueryHandler(self.buy_pressed, pattern=rf"^{BUY_PREFIX}\d{{1,3}}$"),
        ]

    async def join(self, update: Update, context: Context) -> None:
        await reply(update, replies.joined(await self.lottery.tickets.join(user_id(update))))

    async def buy(self, update: Update, context: Context) -> None:
        quantity = parsing.quantity(arguments(context), command="buy")
        await self._buy(update, quantity)

    async def buy_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        await self._buy(update, int(query.data.removeprefix(BUY_PREFIX)))

    async def _buy(self, update: Update, quantity: int) -> None:
        receipt = await self.lottery.tickets.buy(user_id(update), quantity)
        await reply(update, replies.bought(receipt), buy_buttons(receipt.affordable))

    async def my_tickets(self, update: Update, context: Context) -> None:
        await reply(update, replies.my_receipts(await self.lottery.receipts.today(user_id(update))))

    async def proof(self, update: Update, context: Context) -> None:
        day, number = parsing.ballot_reference(arguments(context), command="proof")
        proof = await self.lottery.receipts.proof(user_id(update), number, day)
        await reply(update, replies.ballot_proof(proof))

    async def events(self, update: Update, context: Context) -> None:
        await reply(update, replies.events(await self.lottery.events.overview()))

    async def winner(self, update: Update, context: Context) -> None:
        day = parsing.optional_date(arguments(context), command="winner")
        info = (
            await self.lottery.closing.latest_winner()
            if day is None
            else await self.lottery.closing.winner_on(day)
        )
        await reply(update, replies.winner(info))
