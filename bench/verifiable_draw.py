"""The verifiable draw at scale: freezing 1,000,000 stored ballots, one proof, one draw.

Targets (issue 8): the freeze of an event of 1,000,000 ballots (the Merkle root over the leaves stored
in the database, the record written) under 2 s; a proof of about 20 hashes; the draw itself under 1 ms.

Each figure runs interleaved with a baseline in the same run (`bench/_common.py`'s runner):
- freeze: `service.closing.freeze(event_id, now)` on a migrated SQLite file holding 1,000,000 ballots
  with receipts; between rounds the event is put back to open and its record removed (inside the
  timed action: two short statements). Baseline: the same (number, receipt) rows read raw with sqlite3,
  the floor any root over stored leaves pays.
- draw: `verifiable_winner(draw_seed(...), N)`, 1,000 calls a round. Baseline: 1,000 SHA-256 of 32 bytes.
- proof: the length of an inclusion proof in the middle of the tree, and that it verifies.

Run from the project root: `python -m bench.verifiable_draw [--ballots N] [--rounds R]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import secrets
import sqlite3
import time
from pathlib import Path

from bench._common import (
    Outcome,
    interleaved,
    median,
    print_table,
    spread,
    sqlite_datetime,
    sqlite_url,
    temp_database,
)
from core import merkle
from core.beacon import DrawPolicy
from core.clock import FixedClock
from core.draws import draw_seed, verifiable_winner
from core.receipts import hashed_leaves
from core.rules import LotteryRules
from core.service import LotteryService

EVENT_ID = 1
DAY = dt.date(2024, 4, 30)
NOW = dt.datetime(2024, 5, 1, 0, 5, tzinfo=dt.UTC)
DRAWS_PER_ROUND = 1_000
FREEZE_GOAL_SECONDS = 2.0
DRAW_GOAL_SECONDS = 0.001


def microseconds(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def populate(path: Path, ballots: int) -> float:
    """One player, one open event of yesterday and `ballots` ballots with random receipts; seconds taken."""
    created = sqlite_datetime(NOW - dt.timedelta(days=1))
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.execute(
                "INSERT INTO players (id, telegram_id, username, balance, created_at) "
                "VALUES (1, 1000001, 'bench', 0, ?)",
                (created,),
            )
            connection.execute(
                "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at) "
                "VALUES (?, ?, 'Bench freeze', 1, 'XTR', 'open', ?, ?)",
                (EVENT_ID, DAY.isoformat(), ballots, created),
            )
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO ballots (event_id, number, player_id, created_at, receipt) "
                "SELECT ?, i, 1, ?, lower(hex(randomblob(16))) FROM n",
                (ballots, EVENT_ID, created),
            )
    finally:
        connection.close()
    return time.perf_counter() - start


def reopen(path: Path) -> None:
    """Undo a freeze, so every round freezes the same open event."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute("DELETE FROM draw_records WHERE event_id = ?", (EVENT_ID,))
            connection.execute(
                "UPDATE events SET status = 'open', closed_at = NULL WHERE id = ?", (EVENT_ID,)
            )
    finally:
        connection.close()


def raw_rows(path: Path, ballots: int) -> None:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT number, receipt FROM ballots WHERE event_id = ? ORDER BY number", (EVENT_ID,)
        ).fetchall()
    finally:
        connection.close()
    if len(rows) != ballots:
        raise RuntimeError(f"read {len(rows):,} rows, expected {ballots:,}")


async def run(ballots: int, rounds: int) -> list[Outcome]:
    async with temp_database("verifiable-draw") as path:
        seconds = populate(path, ballots)
        print(f"populated {ballots:,} ballots in {seconds:.1f} s")
        # A drand-like delay, so the freeze stores and announces the record and does not draw.
        policy = DrawPolicy(delay=dt.timedelta(seconds=30))
        service = LotteryService.connect(
            sqlite_url(path), rules=LotteryRules(), clock=FixedClock(NOW), draws=policy
        )
        try:

            async def freeze() -> None:
                reopen(path)
                result = await service.closing.freeze(EVENT_ID, NOW)
                if result is None or result.ballot_count != ballots:
                    raise RuntimeError(f"the freeze did not take all {ballots:,} ballots: {result}")

            async def baseline() -> None:
                raw_rows(path, ballots)

            frozen = await interleaved({"freeze": (1, freeze), "raw read": (1, baseline)}, rounds)
            record = await service.closing.record_on(DAY)
            assert record is not None
            async with service.context.db.snapshot() as uow:
                rows = list(await uow.ballots.all_receipts(event_id=EVENT_ID))
        finally:
            await service.close()

    leaves = hashed_leaves(EVENT_ID, rows)
    root = merkle.root(leaves)
    if root.hex() != record.root:
        raise RuntimeError("the stored root is not the root over the stored leaves")
    middle = ballots // 2
    proof = merkle.inclusion_proof(leaves, middle)
    if not merkle.verify_inclusion(leaves[middle], middle, ballots, proof, root):
        raise RuntimeError("the proof does not verify")

    randomness = secrets.token_bytes(32)

    async def draws() -> None:
        for round_number in range(DRAWS_PER_ROUND):
            seed = draw_seed(
                event_id=EVENT_ID,
                ballot_count=ballots,
                root=root,
                round_number=round_number,
                randomness=randomness,
            )
            verifiable_winner(seed, ballots)

    async def hashes() -> None:
        for _ in range(DRAWS_PER_ROUND):
            hashlib.sha256(randomness).digest()

    drawn = await interleaved({"draw": (DRAWS_PER_ROUND, draws), "sha256": (DRAWS_PER_ROUND, hashes)}, rounds)

    freeze_s = [s.wall_seconds for s in frozen["freeze"]]
    raw_s = [s.wall_seconds for s in frozen["raw read"]]
    draw_s = [s.wall_seconds / s.operations for s in drawn["draw"]]
    hash_s = [s.wall_seconds / s.operations for s in drawn["sha256"]]
    return [
        Outcome(
            figure=f"freeze of {ballots:,} ballots (median of {rounds})",
            measured=spread(freeze_s, lambda v: f"{v:.2f} s"),
            baseline=f"raw read of the rows {spread(raw_s, lambda v: f'{v:.2f} s')}",
            ratio=median(freeze_s) / median(raw_s),
            goal="< 2 s",
            passed=median(freeze_s) < FREEZE_GOAL_SECONDS,
        ),
        Outcome(
            figure="inclusion proof",
            measured=f"{len(proof)} hashes",
            baseline=f"ceil(log2 N) = {(ballots - 1).bit_length()}",
            ratio=None,
            goal="about 20",
            passed=abs(len(proof) - 20) <= 1 if ballots == 1_000_000 else None,
        ),
        Outcome(
            figure=f"draw: seed + winner (median of {rounds} × {DRAWS_PER_ROUND})",
            measured=spread(draw_s, microseconds),
            baseline=f"one SHA-256 {spread(hash_s, microseconds)}",
            ratio=median(draw_s) / median(hash_s),
            goal="< 1 ms",
            passed=median(draw_s) < DRAW_GOAL_SECONDS,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    outcomes = asyncio.run(run(arguments.ballots, arguments.rounds))
    print_table("Verifiable draw (issue 8)", outcomes)
    if any(outcome.passed is False for outcome in outcomes):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
