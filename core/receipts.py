"""Ballot receipts and inclusion proofs: a buyer can check that their ballot is in the draw.

Each ballot carries a private receipt (a random nonce made at purchase). Its public leaf is
`core.draws.ballot_leaf(event, number, receipt)`, which names no Telegram id; the event's Merkle root
commits to every leaf in number order. Only the holder learns a receipt, so only the holder can show
that a leaf is theirs. A ballot sold before receipts existed counts with an empty receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import merkle
from core.context import Context, player_of
from core.draws import DRAW_VERSION, ballot_leaf
from core.errors import BallotWithoutReceipt, NoSuchBallot, NotRegistered, NotYourBallot
from core.results import EventStatus
from storage.reads import todays_ballots


@dataclass(frozen=True)
class HeldBallot:
    number: int
    receipt: str | None


@dataclass(frozen=True)
class TodayReceipts:
    """The first page of the player's ballots today (`ballots`) and how many they hold in all;
    when today's lottery was cancelled, none, and how many were `refunded` instead."""

    day: dt.date
    ballots: tuple[HeldBallot, ...]
    held: int = 0
    refunded: int = 0


@dataclass(frozen=True)
class BallotProof:
    """What `python -m core.verify proof` checks: leaf from receipt, then leaf to root by the path."""

    day: dt.date
    event_id: int
    number: int
    receipt: str
    leaf: str
    ballot_count: int
    root: str
    path: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "version": DRAW_VERSION.decode(),
            "event_id": self.event_id,
            "number": self.number,
            "receipt": self.receipt,
            "leaf": self.leaf,
            "ballot_count": self.ballot_count,
            "root": self.root,
            "path": list(self.path),
        }


def leaf_of(event_id: int, number: int, receipt: str | None) -> bytes:
    """The public leaf of a stored ballot; a receipt-less (older) ballot hashes an empty receipt."""
    return ballot_leaf(event_id=event_id, number=number, receipt=bytes.fromhex(receipt or ""))


def hashed_leaves(event_id: int, ballots: Sequence[tuple[int, str | None]]) -> list[bytes]:
    """The Merkle tree's leaf hashes for (number, receipt) rows that must be 1..N in order.

    Each is `merkle.leaf_hash(ballot_leaf(...))`, computed from a hasher that already holds the
    version and event (`copy()` is cheaper than hashing the prefix again): the freeze hashes every
    ballot of the event, a million of them on a big day.
    """
    prefix = hashlib.sha256(DRAW_VERSION + event_id.to_bytes(8, "big"))
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    leaves: list[bytes] = []
    append = leaves.append
    for index, (number, receipt) in enumerate(ballots, start=1):
        if number != index:
            raise RuntimeError(f"ballot numbers of event {event_id} are not dense at #{index}")
        leaf = prefix.copy()
        leaf.update(number.to_bytes(8, "big") + fromhex(receipt or ""))
        append(sha256(b"\x00" + leaf.digest()).digest())
    return leaves


class Receipts:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def today(self, telegram_id: int) -> TodayReceipts:
        """The first page of the player's ballots today, each with its private receipt, and their count:
        one indexed read, however many ballots the player holds."""
        day = self._ctx.today()
        found = await self._ctx.db.read(lambda query: todays_ballots(query, telegram_id, day, receipts=True))
        if found is None:
            raise NotRegistered(telegram_id)
        if found.event is not None and found.event.status == EventStatus.CANCELLED:
            # Cancelled ballots are no longer the player's (as /me says): their price is back in the credit.
            return TodayReceipts(day=day, ballots=(), refunded=found.held)
        ballots = tuple(HeldBallot(number, receipt) for number, receipt in found.first)
        return TodayReceipts(day=day, ballots=ballots, held=found.held)

    async def proof(self, telegram_id: int, number: int, day: dt.date | None = None) -> BallotProof:
        """The inclusion proof of the player's ballot `number` against the event's current root.

        The root is computed from every ballot's receipt, read in one query in number order.
        """
        day = day or self._ctx.today()
        async with self._ctx.db.snapshot() as uow:
            player = await player_of(uow, telegram_id)
            event = await uow.events.on_day(day)
            ballot = await uow.ballots.one(event_id=event.id, number=number) if event else None
            if event is None or ballot is None:
                raise NoSuchBallot(day, number)
            holder, receipt = ballot
            if holder != player.id:
                raise NotYourBallot(day, number)
            if receipt is None:
                raise BallotWithoutReceipt(day, number)
            rows = await uow.records.leaf_inputs(event.id)
        leaves = hashed_leaves(event.id, [(n, r) for n, r in rows])
        return BallotProof(
            day=day,
            event_id=event.id,
            number=number,
            receipt=receipt,
            leaf=leaf_of(event.id, number, receipt).hex(),
            ballot_count=len(leaves),
            root=merkle.root(leaves).hex(),
            path=tuple(h.hex() for h in merkle.inclusion_proof(leaves, number - 1)),
        )
