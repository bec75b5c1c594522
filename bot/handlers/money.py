"""Paying, refunds and the history of a player's money."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import parsing, replies
from bot.errors import apology, explain
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, HandlerGroup, arguments, reply, user_id
from bot.handlers.tickets import buy_buttons
from core.errors import LotteryError

REFUND_PREFIX = "refund:"
PAY_PREFIX = "pay:"
PAY_OTHER = "other"
PAY_CHOICES = (1, 5, 10)


def pay_picker() -> InlineKeyboardMarkup:
    """The choices a bare /pay offers: a tap in the command menu must never move money by itself."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(str(n), callback_data=f"{PAY_PREFIX}{n}") for n in PAY_CHOICES]
            + [InlineKeyboardButton(replies.other_button(), callback_data=f"{PAY_PREFIX}{PAY_OTHER}")]
        ]
    )


class MoneyHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        private = PRIVATE_MESSAGE
        return [
            CommandHandler("pay", self.pay, filters=private),
            CommandHandler("history", self.history, filters=private),
            CommandHandler("refund", self.refund, filters=private),
            CallbackQueryHandler(self.pay_pressed, pattern=rf"^{PAY_PREFIX}(\d{{1,3}}|{PAY_OTHER})$"),
            CallbackQueryHandler(self.refund_chosen, pattern=rf"^{REFUND_PREFIX}\d{{1,18}}$"),
            PreCheckoutQueryHandler(self.pre_checkout),
            MessageHandler(filters.SUCCESSFUL_PAYMENT, self.payment_received),
        ]

    async def pay(self, update: Update, context: Context) -> None:
        args = arguments(context)
        if not args:
            await reply(update, replies.pay_picker(), pay_picker())
            return
        await self._pay(update, parsing.quantity(args, command="pay"))

    async def pay_pressed(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        choice = query.data.removeprefix(PAY_PREFIX)
        if choice == PAY_OTHER:
            await reply(update, replies.pay_other())
            return
        await self._pay(update, int(choice))

    async def _pay(self, update: Update, quantity: int) -> None:
        if self.lottery.context.gateway.by_invoice:
            await self._send_invoice(update, quantity)
            return
        receipt = await self.lottery.wallet.pay(user_id(update), quantity)
        await reply(update, replies.paid(receipt), buy_buttons(receipt.affordable))

    async def _send_invoice(self, update: Update, quantity: int) -> None:
        """The invoice is the confirmation step: nothing moves until the player pays it in Telegram."""
        invoice = await self.lottery.orders.open(user_id(update), quantity)
        chat = update.effective_chat
        assert chat is not None
        # No provider_token at all: PTB 22.8 sends "" as "[]", which Telegram refuses (FIELD_NOTES).
        await chat.send_invoice(
            title=replies.invoice_title(invoice),
            description=replies.invoice_description(invoice),
            payload=invoice.payload,
            currency=invoice.currency,
            prices=[LabeledPrice(replies.invoice_title(invoice), invoice.total)],
        )

    async def pre_checkout(self, update: Update, context: Context) -> None:
        """Telegram waits at most ten seconds for this answer; a refusal says why in the payment form."""
        query = update.pre_checkout_query
        assert query is not None
        try:
            await self.lottery.orders.check(
                query.from_user.id,
                payload=query.invoice_payload,
                amount=query.total_amount,
                currency=query.currency,
            )
        except LotteryError as refused:
            await query.answer(ok=False, error_message=explain(refused, self.settings.timezone))
            return
        except Exception:
            await query.answer(ok=False, error_message=apology())
            raise
        await query.answer(ok=True)

    async def payment_received(self, update: Update, context: Context) -> None:
        """The only place Stars become credit; a redelivered payment is booked once by its charge id."""
        message = update.effective_message
        assert message is not None
        payment = message.successful_payment
        assert payment is not None
        result = await self.lottery.orders.settle(
            user_id(update),
            payload=payment.invoice_payload,
            charge_id=payment.telegram_payment_charge_id,
            amount=payment.total_amount,
            currency=payment.currency,
        )
        await reply(update, replies.stars_paid(result), buy_buttons(result.receipt.affordable))

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
                            replies.refund_button(p, self.settings.timezone),
                            callback_data=f"{REFUND_PREFIX}{p.payment_id}",
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
