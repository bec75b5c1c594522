"""The tables of the lottery, as typed SQLAlchemy models.

The schema carries the rules the database can enforce by itself: one event per day, dense unique ballot
numbers per event, a balance that can never go negative, a payment charge id recorded only once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an "INTEGER PRIMARY KEY"; PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored in UTC and read back as aware datetimes on every backend.

    SQLite keeps no time zone, so a naive value read back is UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Player(Base):
    """A Telegram user who plays; after deletion only the anonymous id and the books remain."""

    __tablename__ = "players"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        # /users pages live players in id order, and /stats counts them and sums their credit, from this
        # index alone, not from the table.
        Index("ix_players_live", "deleted_at", "id", "balance"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(254))
    # The language chosen with /language, and the one Telegram last reported (ISO 639 codes): notices
    # and emails are written outside any update, so the player's language must be kept.
    language: Mapped[str | None] = mapped_column(String(8))
    telegram_language: Mapped[str | None] = mapped_column(String(8))
    # How results name this player in public (/winner, the results channel): "first_name",
    # "first_name_and_username" or "anonymous"; never the @username unless they chose it under /me.
    public_name: Mapped[str] = mapped_column(String(32), server_default="first_name")
    balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Event(Base):
    """One lottery day. `ballot_count` is the last number issued, so numbering is a guarded increment."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("ballot_count >= 0", name="ballot_count_not_negative"),
        CheckConstraint("status IN ('open', 'closed', 'cancelled')", name="status_known"),
        # /stats counts open events and sums every event's ballot_count from this index alone.
        Index("ix_events_status_day_ballot_count", "status", "day", "ballot_count"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    ballot_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How many players joined, raised in the transaction that adds a registration, so /join and
    # /events need not count 100,000 registrations on every call.
    participant_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The draw's stored inputs: anyone holding the seed and the ballot count can recompute the winner.
    draw_seed: Mapped[str | None] = mapped_column(String(128))
    winning_number: Mapped[int | None] = mapped_column(Integer)
    winner_player_id: Mapped[int | None] = mapped_column(ForeignKey("players.id"))
    # DRAW_BEACON=local: a secret made with the event, and SHA-256(SHA-256(secret)) published while it
    # is open (/verify DATE); the draw reveals the secret. Unused with drand.
    draw_secret: Mapped[str | None] = mapped_column(String(64))
    draw_commitment: Mapped[str | None] = mapped_column(String(64))
    # What the winner wins and the short rules line, set by an admin (/editevent DATE prize TEXT);
    # NULL means the configured default (PRIZE_TEXT, PRIZE_RULES), else the translated one.
    prize: Mapped[str | None] = mapped_column(String(300))
    prize_rules: Mapped[str | None] = mapped_column(String(300))


class Registration(Base):
    """A player who joined an event; joining twice is the same row."""

    __tablename__ = "registrations"
    # A player's days, newest first, each with its ballot count, from the index alone (/history).
    __table_args__ = (Index("ix_registrations_player_event_ballots", "player_id", "event_id", "ballots"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"), primary_key=True)
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # How many ballots of the event the player holds, raised by the purchase that issues them, so
    # /me and /history read a count instead of counting 10,000 ballots.
    ballots: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Ballot(Base):
    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("event_id", "number", name="uq_ballots_event_number"),
        # With the number in the index, a player's ballots of an event are counted and listed (the
        # first page of them) from the index alone, in number order.
        Index("ix_ballots_player_event_number", "player_id", "event_id", "number"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    number: Mapped[int] = mapped_column(Integer)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The holder's private nonce (hex); its hash with (event, number) is the ballot's public leaf.
    # Ballots sold before receipts existed have none.
    receipt: Mapped[str | None] = mapped_column(String(64))


class Payment(Base):
    """Money received through a gateway; `charge_id` is the provider's, so a retry cannot credit twice."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IN ('credited', 'refunding', 'refunded')", name="status_known"),
        Index("ix_payments_player", "player_id"),
        Index("ix_payments_status_amount", "status", "amount"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    provider: Mapped[str] = mapped_column(String(32))
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="credited", server_default="credited")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the credit was set aside for a refund: reconciliation leaves a young claim alone, since
    # its refund call may still be in flight.
    refund_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    """One movement of a player's credit; a player's entries always sum to their balance."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_player", "player_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int | None] = mapped_column(Integer)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A notification owed to someone, written in the same transaction as the fact it reports.

    The front end claims rows with a lease (`claimed_until`), sends, and marks them sent, so a message
    survives restarts and several senders never take the same row at once.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("kind", "channel", "event_id", "player_id", name="uq_outbox_message"),
        # The claim takes the oldest due rows: walking pending rows in id order stops after `limit`.
        # An index on (status, next_attempt_at), which this replaces, made SQLite sort the whole due
        # backlog first (66 ms at 100,000 pending).
        Index("ix_outbox_pending_id", "status", "id", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    player_id: Mapped[int | None] = mapped_column(ForeignKey("players.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The fencing token of the claim that holds the row: an outcome is recorded only with it, so a
    # sender whose lease ran out (and whose rows another claim took) cannot record over the new owner.
    claim_token: Mapped[str | None] = mapped_column(String(32))


class StarOrder(Base):
    """An invoice the bot sent: what it asks for, and of which day, so Telegram's answers can be checked.

    The invoice payload is only `payload`, a random name; the amount, currency, day and buyer are
    read from here, so a forged payload can name an order but never change what it costs.
    """

    __tablename__ = "star_orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("total > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    payload: Mapped[str] = mapped_column(String(64), unique=True)
    player_id: Mapped[int] = mapped_column(ForeignKey("players.id"))
    # An unsold day an admin deletes takes its orders along; a payment for one is still booked.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))


class DrawRecord(Base):
    """An event's public draw record: frozen at close, completed once its randomness exists.

    The frozen part (ballot count, Merkle root, round, previous record's hash) is written and
    announced before the randomness exists; the draw fills in the rest in one guarded UPDATE
    (`state` frozen → drawn), so a record is drawn once and never again.
    """

    __tablename__ = "draw_records"
    __table_args__ = (
        CheckConstraint("state IN ('frozen', 'drawn')", name="state_known"),
        CheckConstraint("beacon IN ('drand', 'local')", name="beacon_known"),
        Index("ix_draw_records_state_draw_after", "state", "draw_after"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    version: Mapped[str] = mapped_column(String(32))
    beacon: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="frozen", server_default="frozen")
    ballot_count: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    # Whole Unix seconds: round R is computed from this very value, so anyone can recompute R.
    frozen_at: Mapped[int] = mapped_column(BigInteger)
    delay_seconds: Mapped[int] = mapped_column(Integer)
    beacon_round: Mapped[int] = mapped_column(BigInteger)
    # When round R's randomness can exist; nothing is fetched before.
    draw_after: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # 1, 2, 3… in freeze order; unique, so two freezes can never name the same previous record.
    chain_position: Mapped[int] = mapped_column(Integer, unique=True)
    previous_record_hash: Mapped[str | None] = mapped_column(String(64))
    # Local commit–reveal only: SHA-256 of the randomness, published at freeze; the secret is kept
    # here unpublished until the draw reveals it as the record's "signature".
    commitment: Mapped[str | None] = mapped_column(String(64))
    # Local only: "open" when the commitment was published with the event, "freeze" for an event
    # made before events carried one (weaker: published only at freeze; the verifier warns).
    committed_at: Mapped[str | None] = mapped_column(String(16))
    secret: Mapped[str | None] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    randomness: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(64))
    winning_number: Mapped[int | None] = mapped_column(Integer)
    # drand only: whether the bot checked round R's BLS signature before drawing (None: local, or not drawn).
    bls_checked: Mapped[bool | None] = mapped_column(Boolean)
    drawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class OrphanPayment(Base):
    """Money Telegram says was paid that no player could be credited for (unknown or deleted payer).

    Kept, never dropped: admins see it in the reconciliation report and can refund it by charge id.
    """

    __tablename__ = "orphan_payments"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    payload: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
