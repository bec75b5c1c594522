"""Paying, refunds and the history of a player's money."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import parsing, payment_texts, replies
from bot.errors import apology, explain
from bot.handlers.base import PRIVATE_MESSAGE, AnyHandler, Context, HandlerGroup, arguments, reply, user_id
from bot.handlers.prompts import RepliesTo, answer, number_prompt
from bot.handlers.tickets import buy_buttons
from bot.reconciling import alert_admins
from bot.telegram_stars import never_sent
from core.currencies import STARS
from core.errors import (
    LotteryError,
    PaymentOrphaned,
    ProviderRefused,
    ProviderUnavailable,
    RefundsUnavailable,
)
from core.history import HistoryPage
from core.results import RefundReport

log = logging.getLogger(__name__)

HISTORY_PREFIX = "history:"
REFUND_PREFIX = "refund:"
ADMIN_REFUND_PREFIX = "adminrefund:"
ORPHAN_MARK = "o"  # in an admin's refund button: the id is an orphan payment's
PAY_PREFIX = "pay:"
PAY_OTHER = "other"
PAY_CHOICES = (1, 5, 10)
# Telegram's limit on an inline keyboard's rows.
MAX_REFUND_BUTTONS = 100


async def _drop_keyboard(query: CallbackQuery) -> None:
    """Take a used keyboard away before acting, so a second tap has nothing to press; the message's
    text stays. An old or unreachable message is left be."""
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError as failed:
        log.info("could not edit a used keyboard: %s", failed)


def history_buttons(page: HistoryPage) -> InlineKeyboardMarkup | None:
    """◀ and ▶ to the newer and older pages; the page travels in the button's data."""
    row = []
    if page.has_previous:
        row.append(InlineKeyboardButton("◀", callback_data=f"{HISTORY_PREFIX}{page.page - 1}"))
    if page.has_next:
        row.append(InlineKeyboardButton("▶", callback_data=f"{HISTORY_PREFIX}{page.page + 1}"))
    return InlineKeyboardMarkup([row]) if row else None


def pay_picker() -> InlineKeyboardMarkup:
    """The choices a bare /pay offers: a tap in the command menu must never move money by itself."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(str(n), callback_data=f"{PAY_PREFIX}{n}") for n in PAY_CHOICES]
            + [InlineKeyboardButton(replies.other_button(), callback_data=f"{PAY_PREFIX}{PAY_OTHER}")]
        ]
    )


def _surely_not_taken(error: TelegramError) -> bool:
    if isinstance(error, BadRequest | RetryAfter):
        return True
    return isinstance(error, NetworkError) and never_sent(error)


class MoneyHandlers(HandlerGroup):
    def handlers(self) -> list[AnyHandler]:
        private = PRIVATE_MESSAGE
        admins = PRIVATE_MESSAGE & filters.User(user_id=self.settings.admin_ids, allow_empty=False)
        return [
            CommandHandler("pay", self.pay, filters=private),
            CommandHandler("history", self.history, filters=private),
            MessageHandler(
                private & filters.TEXT & ~filters.COMMAND & RepliesTo(replies.pay_other), self.pay_answered
            ),
            CommandHandler("refund", self.refund, filters=private),
            CallbackQueryHandler(self.pay_pressed, pattern=rf"^{PAY_PREFIX}(\d{{1,3}}|{PAY_OTHER})$"),
            CallbackQueryHandler(self.history_pressed, pattern=rf"^{HISTORY_PREFIX}\d{{1,5}}$"),
            CallbackQueryHandler(self.refund_chosen, pattern=rf"^{REFUND_PREFIX}\d{{1,18}}$"),
            CallbackQueryHandler(
                self.admin_refund_confirmed, pattern=rf"^{ADMIN_REFUND_PREFIX}{ORPHAN_MARK}?\d{{1,18}}$"
            ),
            CommandHandler("reconcile", self.reconcile, filters=admins),
            CommandHandler("reconcile", self.refuse_non_admin),
            PreCheckoutQueryHandler(self.pre_checkout),
            MessageHandler(filters.SUCCESSFUL_PAYMENT, self.payment_received),
            MessageHandler(filters.StatusUpdate.REFUNDED_PAYMENT, self.refund_reported),
        ]

    async def pay(self, update: Update, context: Context) -> None:
        args = arguments(context)
        if not args:
            await reply(update, replies.pay_picker(), pay_picker())
            return
        await self._pay(update, parsing.quantity(args, command="pay"))

    async def pay_answered(self, update: Update, context: Context) -> None:
        """A reply to "how many ballots?" is /pay with that number: the same checks, the same invoice."""
        await self._pay(update, parsing.quantity(answer(update.message), command="pay"))

    async def pay_pressed(self, update: Update, context: Context) -> None:
        """A picker pays once: its buttons go first, and a second tap finds nothing to take away."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        choice = query.data.removeprefix(PAY_PREFIX)
        if choice == PAY_OTHER:  # moves no money, so the picker stays usable
            await reply(update, replies.pay_other(), number_prompt())
            return
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest as used:
            if "not modified" in used.message.lower():
                await reply(update, payment_texts.picker_used())
                return
            log.info("could not take a picker's buttons away: %s", used)
        await self._pay(update, int(choice))

    async def _pay(self, update: Update, quantity: int) -> None:
        if self.lottery.context.gateway.by_invoice:
            await self._send_invoice(update, quantity)
            return
        receipt = await self.lottery.wallet.pay(user_id(update), quantity)
        # The buttons carry today: tomorrow they answer "expired" instead of buying into another day.
        await reply(
            update, replies.paid(receipt), buy_buttons(receipt.affordable, self.lottery.context.today())
        )

    async def _send_invoice(self, update: Update, quantity: int) -> None:
        """The invoice is the confirmation step: nothing moves until the player pays it in Telegram."""
        invoice = await self.lottery.orders.open(user_id(update), quantity)
        chat = update.effective_chat
        assert chat is not None
        # Fiat needs the provider's token; Stars none at all: None is left out of the request, while
        # PTB 22.8 would send "" as "[]", which Telegram refuses (FIELD_NOTES).
        token = self.settings.payment_provider_token.get_secret_value()
        try:
            await chat.send_invoice(
                title=replies.invoice_title(invoice),
                description=replies.invoice_description(invoice),
                payload=invoice.payload,
                currency=invoice.currency,
                prices=[LabeledPrice(replies.invoice_title(invoice), invoice.total)],
                provider_token=token if invoice.currency != STARS else None,
            )
        except BadRequest as refused:  # the request itself is wrong (a token, a limit): retrying won't help
            log.error("Telegram refused the invoice: %s", refused.message)
            raise ProviderRefused("invoice", refused.message) from refused
        except NetworkError as failed:  # 5xx, timeouts: the stored order alone moves no money
            raise ProviderUnavailable("invoice") from failed

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
        try:
            await query.answer(ok=True)
        except TelegramError as failed:
            # The player is told in the chat, since the payment form only says the bot did not answer.
            # Only a refusal (400), a 429 or a request that never left means Telegram did not take the
            # yes; after a timeout or a 5xx it may have, and the payment may still arrive.
            log.warning("pre-checkout answer failed: %s", failed)
            if _surely_not_taken(failed):
                text = payment_texts.checkout_not_answered()
            else:
                text = payment_texts.checkout_answer_unknown()
            await context.bot.send_message(query.from_user.id, text)

    async def payment_received(self, update: Update, context: Context) -> None:
        """The only place Stars become credit; a redelivered payment is booked once by its charge id."""
        message = update.effective_message
        assert message is not None
        payment = message.successful_payment
        assert payment is not None
        payer = user_id(update)
        try:
            result = await self.lottery.orders.settle(
                payer,
                payload=payment.invoice_payload,
                charge_id=payment.telegram_payment_charge_id,
                amount=payment.total_amount,
                currency=payment.currency,
            )
        except PaymentOrphaned as orphan:
            if orphan.newly_kept:
                await alert_admins(
                    context.bot, self.settings.admin_ids, payment_texts.orphan_alert(orphan, payer)
                )
            await reply(update, payment_texts.orphan_payment(orphan))
            return
        today = self.lottery.context.today()
        await reply(update, replies.stars_paid(result), buy_buttons(result.receipt.affordable, today))
        if result.differs_from_order:
            alert = payment_texts.differs_alert(result, payer, payment.invoice_payload)
            await alert_admins(context.bot, self.settings.admin_ids, alert)

    async def refund_reported(self, update: Update, context: Context) -> None:
        """Telegram's note that a payment was refunded (by the bot or by Telegram's support): the
        books follow it once; the player hears only of a refund the bot had not booked itself."""
        message = update.effective_message
        assert message is not None
        refund = message.refunded_payment
        assert refund is not None
        outcome = await self.lottery.wallet.refund_reported(refund.telegram_payment_charge_id)
        charge = refund.telegram_payment_charge_id
        amount = refund.total_amount
        if outcome is RefundReport.BOOKED:
            await reply(update, payment_texts.refund_booked(amount, refund.currency))
        elif outcome in (RefundReport.SPENT, RefundReport.UNKNOWN):
            alert = payment_texts.refund_unexplained(charge, amount, refund.currency, user_id(update))
            await alert_admins(context.bot, self.settings.admin_ids, alert)

    async def history(self, update: Update, context: Context) -> None:
        page = await self.lottery.history.page(user_id(update))
        await reply(update, replies.history(page, timezone=self.settings.timezone), history_buttons(page))

    async def history_pressed(self, update: Update, context: Context) -> None:
        """Turn the page in place: the same message shows the newer or older lines."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        page = await self.lottery.history.page(user_id(update), int(query.data.removeprefix(HISTORY_PREFIX)))
        await query.edit_message_text(
            replies.history(page, timezone=self.settings.timezone), reply_markup=history_buttons(page)
        )

    async def refund(self, update: Update, context: Context) -> None:
        """Every whole unused payment, newest first, one button each (Telegram allows 100 rows)."""
        args = arguments(context)
        if args and self.is_admin(update):
            await self._confirm_admin_refund(update, args)
            return
        payments = await self.lottery.wallet.refundable(user_id(update))
        keyboard = None
        if payments:
            zone = self.settings.timezone
            keyboard = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            payment_texts.refund_button(p, zone),
                            callback_data=f"{REFUND_PREFIX}{p.payment_id}",
                        )
                    ]
                    for p in payments[:MAX_REFUND_BUTTONS]
                ]
            )
        await reply(update, payment_texts.refund_choices(payments), keyboard)

    async def refund_chosen(self, update: Update, context: Context) -> None:
        """The payment id comes from the button, but core refunds only the presser's own payment.

        The buttons are taken away first, so the message no longer offers what may be gone; /refund
        shows what is left.
        """
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        await query.answer()
        payment_id = int(query.data.removeprefix(REFUND_PREFIX))
        await _drop_keyboard(query)
        receipt = await self.lottery.wallet.refund(user_id(update), payment_id)
        await reply(update, payment_texts.refunded(receipt))

    async def _confirm_admin_refund(self, update: Update, args: list[str]) -> None:
        """An admin names any charge; nothing moves until the confirmation button is pressed."""
        if len(args) != 1:
            raise parsing.BadInput(payment_texts.admin_refund_usage())
        charge = await self.lottery.wallet.charge(args[0])
        if charge.orphan and charge.status == "refunded":
            await reply(update, payment_texts.orphan_refunded_already(charge))
            return
        button = InlineKeyboardButton(
            payment_texts.admin_refund_button(charge),
            callback_data=f"{ADMIN_REFUND_PREFIX}{ORPHAN_MARK if charge.orphan else ''}{charge.payment_id}",
        )
        text = payment_texts.admin_refund_question(charge, self.settings.timezone)
        await reply(update, text, InlineKeyboardMarkup([[button]]))

    async def admin_refund_confirmed(self, update: Update, context: Context) -> None:
        """A button carries no filter, and a message can be forwarded: the presser is checked here."""
        query = update.callback_query
        assert query is not None
        assert query.data is not None
        if not self.is_admin(update):
            await query.answer(replies.not_admin(), show_alert=True)
            return
        await query.answer()
        target = query.data.removeprefix(ADMIN_REFUND_PREFIX)
        await _drop_keyboard(query)
        if target.startswith(ORPHAN_MARK):
            receipt = await self.lottery.wallet.refund_orphan(int(target.removeprefix(ORPHAN_MARK)))
        else:
            receipt = await self.lottery.wallet.refund_any(int(target))
        await reply(update, payment_texts.admin_refunded(receipt))

    async def reconcile(self, update: Update, context: Context) -> None:
        try:
            report = await self.lottery.reconciliation.run()
        except RefundsUnavailable:
            await reply(update, payment_texts.nothing_to_reconcile())
            return
        await reply(update, payment_texts.reconciliation_report(report))

    async def refuse_non_admin(self, update: Update, context: Context) -> None:
        await reply(update, replies.not_admin())
