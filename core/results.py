"""What the use cases return: plain, immutable values a front end can render without a database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class EventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class LedgerKind(StrEnum):
    PAYMENT = "payment"
    PURCHASE = "purchase"
    REFUND = "refund"
    REFUND_REVERSED = "refund_reversed"
    EVENT_CANCELLED = "event_cancelled"


@dataclass(frozen=True)
class Profile:
    telegram_id: int
    username: str | None
    first_name: str | None
    email: str | None
    balance: int
    currency: str
    # The first of today's ballot numbers (at most a page of them) and how many there are in all.
    today_ballots: tuple[int, ...] = ()
    today_ballot_count: int = 0


@dataclass(frozen=True)
class EventInfo:
    id: int
    day: dt.date
    title: str
    price: int
    currency: str
    status: EventStatus
    ballot_count: int
    winning_number: int | None
    participants: int = 0


@dataclass(frozen=True)
class JoinResult:
    event: EventInfo
    newly_joined: bool


@dataclass(frozen=True)
class PaymentReceipt:
    payment_id: int
    charge_id: str
    amount: int
    currency: str
    balance: int
    newly_credited: bool
    # How many ballots the balance buys now, within one purchase's limit (0 when not known).
    affordable: int = 0


@dataclass(frozen=True)
class PurchaseReceipt:
    day: dt.date
    numbers: range
    spent: int
    balance: int
    currency: str
    # How many more ballots the balance buys now, within one purchase's limit.
    affordable: int = 0


@dataclass(frozen=True)
class RefundablePayment:
    payment_id: int
    amount: int
    currency: str
    paid_at: dt.datetime


@dataclass(frozen=True)
class RefundReceipt:
    payment_id: int
    amount: int
    currency: str
    balance: int


@dataclass(frozen=True)
class DrawResult:
    event_id: int
    day: dt.date
    ballot_count: int
    winning_number: int | None
    winner_telegram_id: int | None


@dataclass(frozen=True)
class WinnerInfo:
    day: dt.date
    title: str
    status: EventStatus
    ballot_count: int
    winning_number: int | None
    winner_name: str | None

    @property
    def drawn(self) -> bool:
        return self.winning_number is not None


@dataclass(frozen=True)
class LedgerLine:
    at: dt.datetime
    kind: LedgerKind
    amount: int
    quantity: int | None
    day: dt.date | None


@dataclass(frozen=True)
class EventBallots:
    day: dt.date
    status: EventStatus
    numbers: tuple[int, ...]
    winning_number: int | None


@dataclass(frozen=True)
class History:
    currency: str
    balance: int
    ledger: tuple[LedgerLine, ...]
    ballots: tuple[EventBallots, ...]


@dataclass(frozen=True)
class PlayerSummary:
    telegram_id: int | None
    username: str | None
    first_name: str | None
    balance: int
    joined_at: dt.datetime


@dataclass(frozen=True)
class CancelResult:
    day: dt.date
    refunded_players: int
    refunded_amount: int


@dataclass(frozen=True)
class Stats:
    players: int
    events: int
    open_events: int
    ballots: int
    paid_in: int
    refunded: int
    credit_outstanding: int
    currency: str


@dataclass(frozen=True)
class Invoice:
    """An order made and ready to send: Telegram echoes `payload` back with every answer."""

    payload: str
    day: dt.date
    event_title: str
    quantity: int
    unit_price: int
    total: int
    currency: str


@dataclass(frozen=True)
class OrderPayment:
    """A Stars payment booked: the receipt, and whether its day was drawn before the money came."""

    receipt: PaymentReceipt
    day: dt.date | None
    carried_over: bool
