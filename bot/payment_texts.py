"""What players and admins read about refunds, reconciliation and the payment terms.

Every text goes through gettext (`bot.i18n`) and is rendered when needed, never at import time.
Amounts are written by `bot.formatting.money`, times on the lottery's wall clock.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.formatting import moment, money
from bot.i18n import _, active, ngettext
from core.errors import (
    ChargeUnknown,
    PaymentOrphaned,
    PaymentSpent,
    ProviderRefused,
    ProviderUnavailable,
)
from core.results import (
    ChargeSummary,
    Mismatch,
    MismatchKind,
    OrderPayment,
    ReconciliationReport,
    RefundablePayment,
    RefundReceipt,
)


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


def provider_refused(error: ProviderRefused) -> str:
    """Telegram's own words are logged, not shown: they name the bot's fault, not the player's."""
    if error.action == "refund":
        return _(
            "Telegram refused this refund, so nothing was refunded and the credit is unchanged. "
            "This needs the lottery's admins; please tell them with /paysupport."
        )
    return _(
        "Telegram refused to make the invoice, so nothing was charged. This needs the lottery's "
        "admins; please tell them with /paysupport."
    )


def charge_unknown(error: ChargeUnknown) -> str:
    return _("No payment with the charge id {charge} is on record.").format(charge=error.charge_id)


def reconciliation_report(report: ReconciliationReport) -> str:
    """A short account for admins: what changed, then what could not be explained."""
    lines = [
        _("Reconciliation: {count} read from Telegram.").format(count=_transactions(report.transactions))
    ]
    if report.booked:
        lines.append(_("Missed payments booked: {charges}").format(charges=", ".join(report.booked)))
    if report.orphans:
        lines.append(
            _("Payments from non-players, kept as orphans: {charges}").format(
                charges=", ".join(report.orphans)
            )
        )
    if report.confirmed:
        lines.append(_("Pending refunds confirmed: {ids}").format(ids=_ids(report.confirmed)))
    if report.restored:
        lines.append(
            _("Pending refunds Telegram never made, credit given back: {ids}").format(
                ids=_ids(report.restored)
            )
        )
    if report.refunds_booked:
        lines.append(_("Refunds made outside the bot, booked: {ids}").format(ids=_ids(report.refunds_booked)))
    if report.still_pending:
        lines.append(
            _("Refunds too recent to judge, left for the next run: {count}").format(
                count=report.still_pending
            )
        )
    for mismatch in report.mismatches:
        lines.append(_mismatch(mismatch))
    if not report.changed and not report.mismatches:
        lines.append(_("Nothing to change, nothing unexplained."))
    return "\n".join(lines)


def _transactions(n: int) -> str:
    return ngettext("{count} transaction", "{count} transactions", n).format(count=n)


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(f"#{payment_id}" for payment_id in ids)


def _mismatch(mismatch: Mismatch) -> str:
    charge = mismatch.charge_id
    match mismatch.kind:
        case MismatchKind.REFUND_NOT_OURS:
            return _("Unexplained: Telegram refunded {charge}, which is not on the books.").format(
                charge=charge
            )
        case MismatchKind.REFUND_OF_SPENT_CREDIT:
            return _(
                "Unexplained: Telegram refunded {charge}, but its {amount} of credit was spent already."
            ).format(charge=charge, amount=mismatch.ours)
        case MismatchKind.AMOUNT_DIFFERS:
            return _("Unexplained: {charge} is {ours} on the books and {theirs} at Telegram.").format(
                charge=charge, ours=mismatch.ours, theirs=mismatch.theirs
            )
        case MismatchKind.NOT_IN_TELEGRAM:
            return _("Unexplained: {charge} is on the books but not in Telegram's list.").format(
                charge=charge
            )
        case MismatchKind.NO_PAYER:
            return _("Unexplained: {charge} was paid, but could not be booked to anyone.").format(
                charge=charge
            )


def orphan_payment(error: PaymentOrphaned) -> str:
    """To the payer: the money is not lost, and admins know."""
    return _(
        "Telegram reports your payment of {amount}, but you are not registered, so it could not be "
        "credited. It is kept on record and the admins are told; send /paysupport for help."
    ).format(amount=money(error.amount, error.currency, active()))


def orphan_alert(error: PaymentOrphaned, telegram_id: int) -> str:
    return _(
        "Payment {charge} of {amount} from user {user} could not be credited and is kept as an orphan."
    ).format(charge=error.charge_id, amount=money(error.amount, error.currency, active()), user=telegram_id)


def nothing_to_reconcile() -> str:
    return _("This payment provider keeps no list the bot can read: there is nothing to reconcile.")


def differs_alert(payment: OrderPayment, telegram_id: int, payload: str) -> str:
    receipt = payment.receipt
    return _(
        "Payment {charge} from user {user} paid {amount}, which is not what its order asked "
        "(or it names no order of theirs). It was booked as paid."
    ).format(
        charge=receipt.charge_id, user=telegram_id, amount=money(receipt.amount, receipt.currency, active())
    )


def admin_refund_usage() -> str:
    return _("Usage: /refund CHARGE_ID (the telegram_payment_charge_id of one payment)")


def admin_refund_question(charge: ChargeSummary, timezone: ZoneInfo) -> str:
    if charge.orphan:
        return _(
            "Orphan payment {charge}: {amount} from user {user}, paid {when}, credited to no one. "
            "Refund it whole?"
        ).format(
            charge=charge.charge_id,
            amount=money(charge.amount, charge.currency, active()),
            user=charge.telegram_id,
            when=moment(charge.paid_at, timezone, active()),
        )
    return _(
        "Payment #{id} ({charge}): {amount} from user {user}, paid {when}, now {status}. Refund it whole?"
    ).format(
        id=charge.payment_id,
        charge=charge.charge_id,
        amount=money(charge.amount, charge.currency, active()),
        user=charge.telegram_id if charge.telegram_id is not None else _("(deleted)"),
        when=moment(charge.paid_at, timezone, active()),
        status=charge.status,
    )


def admin_refund_button(charge: ChargeSummary) -> str:
    return _("Refund {amount}").format(amount=money(charge.amount, charge.currency, active()))


def admin_refunded(receipt: RefundReceipt) -> str:
    return _("Refunded payment #{id}: {amount} went back to its payer.").format(
        id=receipt.payment_id, amount=money(receipt.amount, receipt.currency, active())
    )


def refund_booked(amount: int, currency: str) -> str:
    return _("Telegram refunded your payment of {amount}; it is taken off your credit.").format(
        amount=money(amount, currency, active())
    )


def refund_unexplained(charge_id: str, amount: int, currency: str, telegram_id: int) -> str:
    return _(
        "Telegram refunded {charge} ({amount}) to user {user}, and the books cannot follow: its credit "
        "is spent, or it is not a payment on record."
    ).format(charge=charge_id, amount=money(amount, currency, active()), user=telegram_id)


def picker_used() -> str:
    return _("That choice was used already. Send /pay to choose again.")


def checkout_not_answered() -> str:
    return _(
        "Telegram did not take the bot's answer to your payment, so nothing was charged and nothing "
        "changed. Please pay the invoice again in a minute."
    )


def checkout_answer_unknown() -> str:
    return _(
        "Telegram may not have received the bot's answer to your payment. If it did, the payment "
        "goes through and you get a confirmation here. If no confirmation comes within a few minutes, "
        "nothing was charged: pay the invoice again."
    )


def default_paysupport() -> str:
    return _(
        "Help with a payment: contact the people who run this lottery (see the bot's description). "
        "Payments become credit in the bot once Telegram confirms them. A whole "
        "unused payment can be refunded with /refund; spent credit cannot. Telegram's support cannot "
        "help with purchases made in this bot."
    )


def default_terms() -> str:
    return _(
        "Terms: a payment buys credit in this bot, which you turn into ballots for a day's lottery "
        "with /buy. Unspent credit is yours and carries over to the next lottery. Each day's winning "
        "ballot is drawn at midnight in the lottery's time zone, and the draw can be checked by anyone. "
        "A whole unused payment can be refunded with /refund."
    )


def default_privacy() -> str:
    return _(
        "Privacy: the bot keeps your Telegram id, name and username, the email address you give with "
        "/email, and your payments, ballots and credit. It uses them only to run the lottery. "
        "/deleteme erases your id, name and email address; your anonymous payments and ballots stay "
        "in the books so past draws can still be checked."
    )


def orphan_refunded_already(charge: ChargeSummary) -> str:
    return _("Orphan payment {charge} ({amount}) was refunded already.").format(
        charge=charge.charge_id, amount=money(charge.amount, charge.currency, active())
    )
