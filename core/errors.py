"""Domain errors: each names what went wrong and carries what a front end needs to explain it.

The bot maps these to friendly replies in one place; nothing here knows how they are phrased.
"""

from __future__ import annotations

import datetime as dt


class LotteryError(Exception):
    """Base of every rule the lottery refuses to break."""


class NotRegistered(LotteryError):
    def __init__(self, telegram_id: int) -> None:
        super().__init__(f"player {telegram_id} is not registered")
        self.telegram_id = telegram_id


class InvalidQuantity(LotteryError):
    def __init__(self, quantity: int, maximum: int) -> None:
        super().__init__(f"quantity {quantity} is not between 1 and {maximum}")
        self.quantity = quantity
        self.maximum = maximum


class InvalidEmail(LotteryError):
    """Not exactly one valid address; `reason` says what is wrong with it, when known."""

    def __init__(self, address: str, *, reason: str = "") -> None:
        super().__init__("not a valid email address")
        self.address = address
        self.reason = reason


class EventClosed(LotteryError):
    """Today's event no longer sells ballots; the next one opens at `reopens_at`."""

    def __init__(self, day: dt.date, reopens_at: dt.datetime) -> None:
        super().__init__(f"the event of {day.isoformat()} is closed")
        self.day = day
        self.reopens_at = reopens_at


class NotJoined(LotteryError):
    def __init__(self, day: dt.date) -> None:
        super().__init__(f"not joined to the event of {day.isoformat()}")
        self.day = day


class NotEnoughCredit(LotteryError):
    def __init__(self, needed: int, available: int, currency: str) -> None:
        super().__init__(f"needs {needed} {currency}, has {available}")
        self.needed = needed
        self.available = available
        self.currency = currency


class NoEventOnDate(LotteryError):
    def __init__(self, day: dt.date) -> None:
        super().__init__(f"no event on {day.isoformat()}")
        self.day = day


class EventAlreadyExists(LotteryError):
    def __init__(self, day: dt.date) -> None:
        super().__init__(f"an event on {day.isoformat()} exists already")
        self.day = day


class EventNotEditable(LotteryError):
    """The event has ballots or is no longer open, so its terms are frozen."""

    def __init__(self, day: dt.date, reason: str) -> None:
        super().__init__(f"the event of {day.isoformat()} cannot be changed: {reason}")
        self.day = day
        self.reason = reason


class InvalidEventDate(LotteryError):
    def __init__(self, day: dt.date, earliest: dt.date) -> None:
        super().__init__(f"{day.isoformat()} is before {earliest.isoformat()}")
        self.day = day
        self.earliest = earliest


class InvalidPrice(LotteryError):
    def __init__(self, price: int) -> None:
        super().__init__(f"price {price} must be a positive whole number")
        self.price = price


class InvalidTitle(LotteryError):
    def __init__(self, maximum: int) -> None:
        super().__init__(f"a title has 1 to {maximum} characters")
        self.maximum = maximum


class InvalidPrizeText(LotteryError):
    def __init__(self, maximum: int) -> None:
        super().__init__(f"a prize or rules line has 1 to {maximum} characters")
        self.maximum = maximum


class PaymentNotRefundable(LotteryError):
    def __init__(self, payment_id: int, reason: str) -> None:
        super().__init__(f"payment {payment_id} cannot be refunded: {reason}")
        self.payment_id = payment_id
        self.reason = reason


class PaymentFailed(LotteryError):
    """The payment provider refused or failed; nothing was credited."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefundPending(LotteryError):
    """The provider did not say whether it refunded; the credit stays set aside until it is known."""

    def __init__(self, payment_id: int) -> None:
        super().__init__(f"the refund of payment {payment_id} is pending")
        self.payment_id = payment_id


class NoSuchBallot(LotteryError):
    def __init__(self, day: dt.date, number: int) -> None:
        super().__init__(f"no ballot #{number} in the event of {day.isoformat()}")
        self.day = day
        self.number = number


class NotYourBallot(LotteryError):
    """Receipts and proofs are private to a ballot's holder: a receipt shown to another could be claimed."""

    def __init__(self, day: dt.date, number: int) -> None:
        super().__init__(f"ballot #{number} of {day.isoformat()} belongs to someone else")
        self.day = day
        self.number = number


class BallotWithoutReceipt(LotteryError):
    """The ballot was sold before receipts existed, so there is no private receipt to prove it with."""

    def __init__(self, day: dt.date, number: int) -> None:
        super().__init__(f"ballot #{number} of {day.isoformat()} has no receipt")
        self.day = day
        self.number = number


class OrderUnknown(LotteryError):
    """An invoice payload names no order of this player: forged, replayed elsewhere, or not ours."""

    def __init__(self) -> None:
        super().__init__("no such order for this player")


class OrderChanged(LotteryError):
    """What Telegram asks the player to pay is not what the order says, or the price has moved."""

    def __init__(self) -> None:
        super().__init__("the order no longer matches the price")


class OrderDayDrawn(LotteryError):
    """The order was made for a lottery day that is over; a new /pay makes one for the next."""

    def __init__(self, day: dt.date) -> None:
        super().__init__(f"the lottery of {day.isoformat()} is already drawn")
        self.day = day


class UnexpectedCurrency(LotteryError):
    """A payment arrived in a currency the lottery does not keep credit in; nothing is credited."""

    def __init__(self, currency: str) -> None:
        super().__init__(f"a payment in {currency} cannot be credited")
        self.currency = currency


class RefundsUnavailable(PaymentFailed):
    """The provider's refunds are not wired in yet; the payment stays credited."""


class PaymentSpent(LotteryError):
    """A refund gives a whole payment back, and the credit it bought has been spent (in part)."""

    def __init__(self, payment_id: int, amount: int, balance: int, currency: str) -> None:
        super().__init__(f"payment {payment_id} of {amount} {currency} is spent; the balance is {balance}")
        self.payment_id = payment_id
        self.amount = amount
        self.balance = balance
        self.currency = currency


class ProviderUnavailable(LotteryError):
    """Telegram kept failing (5xx, 429, network) on `action`; nothing changed, so the player may retry."""

    def __init__(self, action: str) -> None:
        super().__init__(f"the payment provider is unavailable for {action}")
        self.action = action


class ProviderRefused(PaymentFailed):
    """The provider refused the bot's request to `action` (a 400): retrying the same cannot help, and
    nothing moved. `reason` is the provider's own words, for the logs, not for players."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(reason)
        self.action = action


class ChargeUnknown(LotteryError):
    """An admin named a charge id that is neither a payment nor an orphan payment on record."""

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"no payment with charge id {charge_id!r}")
        self.charge_id = charge_id


class PaymentOrphaned(LotteryError):
    """Telegram took a payment from someone who is no player (never registered, or deleted): it is
    kept on record for the admins instead of being credited or lost."""

    def __init__(self, charge_id: str, amount: int, currency: str, *, newly_kept: bool) -> None:
        super().__init__(f"payment {charge_id} of {amount} {currency} has no player to credit")
        self.charge_id = charge_id
        self.amount = amount
        self.currency = currency
        self.newly_kept = newly_kept


class CloseQuestionOutdated(LotteryError):
    """An admin confirmed a /close question that no longer shows what would close: asked on another
    day (`asked_on`, None when unreadable), or ballots were bought since it was asked."""

    def __init__(self, asked_on: dt.date | None) -> None:
        super().__init__(f"the /close question of {asked_on} is out of date")
        self.asked_on = asked_on
