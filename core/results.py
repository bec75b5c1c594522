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


class PublicName(StrEnum):
    """How public results (/winner, also in groups) name a player; each player chooses under /me."""

    FIRST_NAME = "first_name"
    FIRST_NAME_AND_USERNAME = "first_name_and_username"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Prize:
    """What the winner of an event wins, its short rules line and how to claim it.

    An empty field means no one set it: the front end says its translated default instead.
    """

    text: str = ""
    rules: str = ""
    claim: str = ""


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
    public_name: PublicName = PublicName.FIRST_NAME
    # Today's lottery was cancelled: the ballots the player held in it (refunded), none listed above.
    today_refunded: int = 0
    # What today's lottery can win, read with the profile: /start names it.
    today_prize: Prize = Prize()


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
    prize: Prize = Prize()


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
    # How many ballots the balance buys now, within one purchase's limit (0 when not known, or when
    # today's lottery is closed already: the credit waits for the next one).
    affordable: int = 0
    todays_lottery_closed: bool = False


@dataclass(frozen=True)
class PurchaseReceipt:
    day: dt.date
    numbers: range
    spent: int
    balance: int
    currency: str
    # How many more ballots the balance buys now, within one purchase's limit.
    affordable: int = 0
    # What the ballots can win, read by the purchase itself: the receipt names it.
    prize: Prize = Prize()


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
    # Set when the event is frozen and its draw waits for this beacon round (0: the local reveal).
    waiting_for_round: int | None = None


@dataclass(frozen=True)
class WinnerInfo:
    day: dt.date
    title: str
    status: EventStatus
    ballot_count: int
    winning_number: int | None
    winner_name: str | None
    # Set while the event is frozen and its draw waits for this beacon round (0: the local reveal).
    waiting_for_round: int | None = None
    prize: Prize = Prize()

    @property
    def drawn(self) -> bool:
        return self.winning_number is not None


@dataclass(frozen=True)
class WinnerWalk:
    """A day's draw as /winner shows it (None: no lottery that day) and the drawn days around it."""

    day: dt.date
    info: WinnerInfo | None
    earlier: dt.date | None
    later: dt.date | None


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
    # What was paid is not what the order asked (or it names no order of the payer): booked as paid,
    # and worth an admin's look.
    differs_from_order: bool = False


class MismatchKind(StrEnum):
    """What reconciliation found that it cannot settle by itself; admins look at each one."""

    REFUND_NOT_OURS = "refund_not_ours"  # Telegram refunded a charge the books do not know
    REFUND_OF_SPENT_CREDIT = "refund_of_spent_credit"  # Telegram refunded credit already spent
    AMOUNT_DIFFERS = "amount_differs"  # the books and Telegram disagree on what was paid
    NOT_IN_TELEGRAM = "not_in_telegram"  # a Stars payment on the books that Telegram does not list
    NO_PAYER = "no_payer"  # a payment in Telegram's list without a user to credit


@dataclass(frozen=True)
class Mismatch:
    kind: MismatchKind
    charge_id: str
    ours: int | None = None
    theirs: int | None = None


@dataclass(frozen=True)
class ReconciliationReport:
    """What one reading of the provider's books changed, and what it could not explain."""

    transactions: int
    booked: tuple[str, ...] = ()  # paid charges the books had missed, now credited
    orphans: tuple[str, ...] = ()  # paid charges nobody could be credited for, kept as orphans
    confirmed: tuple[int, ...] = ()  # pending refunds Telegram made: settled as refunded
    restored: tuple[int, ...] = ()  # pending refunds Telegram never made: credit given back
    refunds_booked: tuple[int, ...] = ()  # refunds Telegram made that the books had missed
    still_pending: int = 0  # refunds too young to judge (their call may still be in flight)
    mismatches: tuple[Mismatch, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.booked or self.orphans or self.confirmed or self.restored or self.refunds_booked)


@dataclass(frozen=True)
class OrphanReceipt:
    """A payment kept on record although no player could be credited (unknown or deleted payer)."""

    charge_id: str
    amount: int
    currency: str
    newly_kept: bool


@dataclass(frozen=True)
class ChargeSummary:
    """One payment as an admin sees it before refunding it; an orphan payment has `orphan` set."""

    payment_id: int
    charge_id: str
    amount: int
    currency: str
    status: str
    telegram_id: int | None
    paid_at: dt.datetime
    orphan: bool = False


class RefundReport(StrEnum):
    """What a refund Telegram reports (a `refunded_payment` message) did to the books."""

    KNOWN = "known"  # booked already: nothing to do
    CONFIRMED = "confirmed"  # a refund of unknown outcome, now known to be done
    BOOKED = "booked"  # made outside the bot: the credit is taken back now
    SPENT = "spent"  # made outside the bot, but the credit is spent: for the admins
    UNKNOWN = "unknown"  # a charge not on the books as a payment (an orphan, or none)
