"""The one place where the lottery's refusals become friendly replies."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import payment_texts
from bot.parsing import BadInput
from core.errors import (
    BallotWithoutReceipt,
    ChargeUnknown,
    EventAlreadyExists,
    EventClosed,
    EventNotEditable,
    InvalidEmail,
    InvalidEventDate,
    InvalidPrice,
    InvalidQuantity,
    InvalidTitle,
    LotteryError,
    NoEventOnDate,
    NoSuchBallot,
    NotEnoughCredit,
    NotJoined,
    NotRegistered,
    NotYourBallot,
    OrderChanged,
    OrderDayDrawn,
    OrderUnknown,
    PaymentFailed,
    PaymentNotRefundable,
    PaymentSpent,
    ProviderRefused,
    ProviderUnavailable,
    RefundPending,
    RefundsUnavailable,
    UnexpectedCurrency,
)

APOLOGY = "Sorry, something went wrong on our side. Nothing was changed; please try again in a minute."


def explain(error: LotteryError | BadInput, timezone: ZoneInfo) -> str:
    """A short reply saying what went wrong and what to do instead."""
    match error:
        case BadInput():
            return error.hint
        case NotRegistered():
            return "You are not registered yet. Send /start first."
        case InvalidQuantity():
            return f"Choose between 1 and {error.maximum} ballots."
        case InvalidEmail():
            why = f" ({error.reason.rstrip('.')})" if error.reason else ""
            return f"That does not look like an email address{why}. Send exactly one: /email name@example.com"
        case EventClosed():
            reopens = error.reopens_at.astimezone(timezone)
            return (
                f"Today's lottery ({error.day.isoformat()}) is closed. "
                f"The next one opens at {reopens:%Y-%m-%d %H:%M} ({timezone.key})."
            )
        case NotJoined():
            return "Join today's lottery first with /join."
        case NotEnoughCredit():
            return (
                f"Not enough credit: that costs {error.needed} {error.currency} and you have "
                f"{error.available} {error.currency}. Top up with /pay."
            )
        case NoEventOnDate():
            return f"There was no lottery on {error.day.isoformat()}."
        case EventAlreadyExists():
            return f"There is already a lottery on {error.day.isoformat()}."
        case EventNotEditable():
            return f"The lottery of {error.day.isoformat()} cannot be changed: {error.reason}."
        case InvalidEventDate():
            return f"Pick a date from {error.earliest.isoformat()} on."
        case InvalidPrice():
            return "A price is a whole number from 1 up."
        case InvalidTitle():
            return f"A title has 1 to {error.maximum} characters."
        case PaymentNotRefundable():
            return "That payment cannot be refunded (it was refunded already, or is not yours)."
        case RefundPending():
            return payment_texts.refund_pending()
        case RefundsUnavailable():
            return payment_texts.refunds_unavailable()
        case PaymentSpent():
            return payment_texts.payment_spent(error)
        case ProviderRefused():
            return payment_texts.provider_refused(error)
        case ProviderUnavailable():
            return payment_texts.provider_unavailable(error)
        case ChargeUnknown():
            return payment_texts.charge_unknown(error)
        case PaymentFailed():
            return f"The payment did not go through: {error.reason}. Nothing was charged."
        case NoSuchBallot():
            return f"There is no ballot #{error.number} on {error.day.isoformat()}. See /mytickets."
        case NotYourBallot():
            return f"Ballot #{error.number} is not yours: only its holder gets its proof."
        case BallotWithoutReceipt():
            return f"Ballot #{error.number} was bought before receipts existed, so it has no proof."
        case OrderUnknown():
            return "This invoice is not one of your orders. Send /pay N for a new one."
        case OrderChanged():
            return "The price has changed since this invoice was made. Send /pay N for a new one."
        case OrderDayDrawn():
            return (
                f"The lottery of {error.day.isoformat()} is already drawn. "
                "Send /pay again for the next lottery."
            )
        case UnexpectedCurrency():
            return (
                f"A payment in {error.currency} cannot be credited here. Nothing was credited; "
                "please contact the lottery's admins."
            )
    return "That did not work. See /help."
