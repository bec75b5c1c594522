"""The one place where the lottery's refusals become friendly replies, in the player's language."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot import formatting, payment_texts
from bot.i18n import DEFAULT_LANGUAGE, _, active, ngettext
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
    InvalidPrizeText,
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


def apology() -> str:
    """For a failure of ours: the player did nothing wrong, and nothing changed."""
    return _("Sorry, something went wrong on our side. Nothing was changed; please try again in a minute.")


def _frozen(reason: str) -> str:
    """Core says why an event's terms are frozen in a few fixed English phrases; say them in the player's."""
    known = {
        "ballots have been sold": _("ballots have been sold"),
        "it is not open": _("it is not open any more"),
        "it is closed": _("it is already drawn"),
        "it is cancelled": _("it is cancelled"),
    }
    return known.get(reason, reason)


def explain(error: LotteryError | BadInput, timezone: ZoneInfo) -> str:
    """A short reply saying what went wrong and what to do instead."""
    t = active()

    def day(value: dt.date) -> str:
        return formatting.day(value, t)

    def money(amount: int, currency: str) -> str:
        return formatting.money(amount, currency, t)

    match error:
        case BadInput():
            return error.hint
        case NotRegistered():
            return _("You are not registered yet. Send /start first.")
        case InvalidQuantity():
            return ngettext(
                "Choose between 1 and {maximum} ballot.",
                "Choose between 1 and {maximum} ballots.",
                error.maximum,
            ).format(maximum=error.maximum)
        case InvalidEmail() if error.reason and t.language == DEFAULT_LANGUAGE:
            # email-validator explains in English only: other languages get the plain refusal.
            return _(
                "That does not look like an email address ({reason}). "
                "Send exactly one: /email name@example.com"
            ).format(reason=error.reason.rstrip("."))
        case InvalidEmail():
            return _("That does not look like an email address. Send exactly one: /email name@example.com")
        case EventClosed():
            return _("Today's lottery ({day}) is closed. The next one opens {when} ({timezone}).").format(
                day=day(error.day),
                when=formatting.moment(error.reopens_at, timezone, t),
                timezone=timezone.key,
            )
        case NotJoined():
            return _("Join today's lottery first with /join.")
        case NotEnoughCredit():
            return _(
                "Not enough credit: that costs {needed} and you have {available}. Top up with /pay."
            ).format(
                needed=money(error.needed, error.currency), available=money(error.available, error.currency)
            )
        case NoEventOnDate():
            return _("There was no lottery on {day}.").format(day=day(error.day))
        case EventAlreadyExists():
            return _("There is already a lottery on {day}.").format(day=day(error.day))
        case EventNotEditable():
            return _("The lottery of {day} cannot be changed: {reason}.").format(
                day=day(error.day), reason=_frozen(error.reason)
            )
        case InvalidEventDate():
            return _("Pick a date from {day} on.").format(day=day(error.earliest))
        case InvalidPrice():
            return _("A price is a whole number from 1 up.")
        case InvalidTitle():
            return _("A title has 1 to {maximum} characters.").format(maximum=error.maximum)
        case InvalidPrizeText():
            return _("A prize or rules line has 1 to {maximum} characters.").format(maximum=error.maximum)
        case PaymentNotRefundable():
            return _("That payment cannot be refunded (it was refunded already, or is not yours).")
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
            return _("The payment did not go through: {reason}. Nothing was charged.").format(
                reason=error.reason
            )
        case NoSuchBallot():
            return _("There is no ballot #{number} on {day}. See /mytickets.").format(
                number=error.number, day=day(error.day)
            )
        case NotYourBallot():
            return _("Ballot #{number} is not yours: only its holder gets its proof.").format(
                number=error.number
            )
        case BallotWithoutReceipt():
            return _("Ballot #{number} was bought before receipts existed, so it has no proof.").format(
                number=error.number
            )
        case OrderUnknown():
            return _("This invoice is not one of your orders. Send /pay N for a new one.")
        case OrderChanged():
            return _("The price has changed since this invoice was made. Send /pay N for a new one.")
        case OrderDayDrawn():
            return _("The lottery of {day} is already drawn. Send /pay again for the next lottery.").format(
                day=day(error.day)
            )
        case UnexpectedCurrency():
            return _(
                "A payment in {currency} cannot be credited here. Nothing was credited; "
                "please contact the lottery's admins."
            ).format(currency=error.currency)
    return _("That did not work. See /help.")
