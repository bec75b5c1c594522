"""What players and admins read about refunds, reconciliation and the payment terms.

Every text goes through gettext (`bot.i18n`) and is rendered when needed, never at import time.
Amounts are written by `bot.formatting.money`, times on the lottery's wall clock.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.formatting import moment, money
from bot.i18n import _, active
from core.errors import ChargeUnknown, PaymentSpent, ProviderUnavailable
from core.results import RefundablePayment, RefundReceipt


def refund_choices(payments: list[RefundablePayment]) -> str:
    if not payments:
        return _(
            "You have no payment that can be refunded whole right now. A payment whose credit "
            "was spent, even in part, cannot be refunded."
        )
    return _("Which payment should go back? Each is refunded whole, newest first:")


def refund_button(payment: RefundablePayment, timezone: ZoneInfo) -> str:
    return _("#{id}: {amount}, paid {when}").format(
        id=payment.payment_id,
        amount=money(payment.amount, payment.currency, active()),
        when=moment(payment.paid_at, timezone, active()),
    )


def refund_chosen(payment_id: int) -> str:
    return _("Refund of payment #{id} requested.").format(id=payment_id)


def refunded(receipt: RefundReceipt) -> str:
    return _("Refunded payment #{id}: {amount} went back to you. Your credit is now {balance}.").format(
        id=receipt.payment_id,
        amount=money(receipt.amount, receipt.currency, active()),
        balance=money(receipt.balance, receipt.currency, active()),
    )


def payment_spent(error: PaymentSpent) -> str:
    return _(
        "Payment #{id} ({amount}) cannot be refunded: its credit was spent on ballots, and your "
        "credit is {balance}. Only a payment whose whole amount is unspent can go back."
    ).format(
        id=error.payment_id,
        amount=money(error.amount, error.currency, active()),
        balance=money(error.balance, error.currency, active()),
    )


def refund_pending() -> str:
    return _(
        "Telegram has not confirmed your refund yet. The amount is set aside and not spendable; "
        "it is either refunded or given back as credit by the next check of Telegram's records."
    )


def refunds_unavailable() -> str:
    return _(
        "Payments made with this payment provider cannot be refunded through the bot. Your credit "
        "stays yours; for help, send /paysupport."
    )


def provider_unavailable(error: ProviderUnavailable) -> str:
    return _(
        "Telegram's payment service is not answering right now. Nothing was changed; please try again later."
    )


def charge_unknown(error: ChargeUnknown) -> str:
    return _("No payment with the charge id {charge} is on record.").format(charge=error.charge_id)
