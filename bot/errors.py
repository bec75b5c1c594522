"""The one place where the lottery's refusals become friendly replies."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.parsing import BadInput
from core.errors import (
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
    NotEnoughCredit,
    NotJoined,
    NotRegistered,
    PaymentFailed,
    PaymentNotRefundable,
    RefundPending,
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
            return (
                "Your refund is being processed by the payment provider. The amount is set aside "
                "and not spendable until it is confirmed."
            )
        case PaymentFailed():
            return f"The payment did not go through: {error.reason}. Nothing was charged."
    return "That did not work. See /help."
