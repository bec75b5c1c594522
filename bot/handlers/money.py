"""Paying, refunds and the history of a player's money."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import parsing, replies
from bot.handlers.base import AnyHandler, Context, HandlerGroup, arguments, reply, user_id
from bot.handlers.tickets import buy_buttons

REFUND_PREFIX = "refund:"


class MoneyHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        private = filters.ChatType.PRIVATE
        return [
            CommandHandler("pay", self.pay, filters=private),
            CommandHandler("history", self.history, filters=private),
            CommandHandler("refund", self.refund, filters=private),
            CallbackQueryHandler(self.refund_chosen, pattern=rf"^{REFUND_PREFIX}\d{{1,18}}$"),
        ]

    async def pay(self, update: Update, context: Context) -> None:
        quantity = parsing.quantity(arguments(context), command="pay")
        receipt = await self.lottery.wallet.pay(user_id(update), quantity)
        await reply(update, replies.paid(receipt), buy_buttons(receipt.affordable))

    async def history(self, update: Update, context: Context) -> None:
        history = await self.lottery.wallet.history(user_id(update))
        await reply(update, replies.history(history, timezone=self.settings.timezone))

    async def refund(self, update: Update, context: Context) -> None:
        payments = await self.lottery.wallet.refundable(user_id(update))
        keyboard = None
        if payments:
            keyboard = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            replies.refund_button(p), callback_data=f"{REFUND_PREFIX}{p.payment_id}"
                        )
                    ]
                    for p in payments[:10]
                ]
            )
        await reply(update, replies.refundable(payments), keyboard)

    async def refund_chosen(self, update: Update, context: Context) -> None:
        """The payment id comes from the button, but core refunds only the presser's own payment."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        payment_id = int(query.data.removeprefix(REFUND_PREFIX))
        receipt = await self.lottery.wallet.refund(user_id(update), payment_id)
        await reply(update, replies.refunded(receipt))
