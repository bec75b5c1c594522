"""The public draw record: what a stranger needs to recompute a winner, and how records are chained.

A record has two parts. The frozen part is fixed at close, before the randomness exists: the ballot
count, the Merkle root, the beacon round R (from the freeze time and the delay alone), and the hash
of the record frozen before it (freeze order, which is day order unless a day's freeze failed and
was made later). Its hash, `record_hash`, is announced at freeze and named by the next record frozen.
The drawn part (signature, randomness, seed, winning number) follows from the
frozen part and the beacon, so chaining the frozen parts commits to every draw.

The hash is `core.verify.record_hash`: the bot hashes a record with the very function a stranger's
verifier uses, and the verifier (standard library only) imports nothing of the bot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.draws import DRAW_VERSION
from storage.models import DrawRecord


@dataclass(frozen=True)
class PublicRecord:
    """One event's record as published; the drawn fields are None while it waits for its round."""

    event_id: int
    day: dt.date
    beacon: str
    ballot_count: int
    root: str
    frozen_at: int
    delay: int
    round: int
    draw_after: dt.datetime
    commitment: str | None
    previous_record_hash: str | None
    record_hash: str
    signature: str | None = None
    randomness: str | None = None
    seed: str | None = None
    winning_number: int | None = None
    # Whether the bot checked round R's BLS signature before drawing: drand only, known once drawn.
    bls_checked: bool | None = None
    attempts: int = 0
    version: str = DRAW_VERSION.decode()
    # Local only: "open" (commitment published with the event) or "freeze" (an older event's, later).
    committed_at: str | None = None

    @property
    def drawn(self) -> bool:
        return self.winning_number is not None

    @classmethod
    def of(cls, row: DrawRecord) -> PublicRecord:
        return cls(
            event_id=row.event_id,
            day=row.day,
            beacon=row.beacon,
            ballot_count=row.ballot_count,
            root=row.root,
            frozen_at=row.frozen_at,
            delay=row.delay_seconds,
            round=row.beacon_round,
            draw_after=row.draw_after,
            commitment=row.commitment,
            previous_record_hash=row.previous_record_hash,
            record_hash=row.record_hash,
            signature=row.signature,
            randomness=row.randomness,
            seed=row.seed,
            winning_number=row.winning_number,
            bls_checked=row.bls_checked,
            attempts=row.attempts,
            version=row.version,
            committed_at=row.committed_at,
        )

    def frozen_part(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "event_id": self.event_id,
            "day": self.day.isoformat(),
            "beacon": self.beacon,
            "ballot_count": self.ballot_count,
            "root": self.root,
            "frozen_at": self.frozen_at,
            "delay": self.delay,
            "round": self.round,
            "commitment": self.commitment,
            "committed_at": self.committed_at,
            "previous_record_hash": self.previous_record_hash,
        }

    def as_json(self) -> dict[str, Any]:
        """The document `python -m core.verify` reads (complete only once drawn)."""
        return {
            **self.frozen_part(),
            "record_hash": self.record_hash,
            "signature": self.signature,
            "randomness": self.randomness,
            "seed": self.seed,
            "winning_number": self.winning_number,
            "bls_checked": self.bls_checked,
        }
