"""Separate OS processes for the multi-process tests: they close events, or buy ballots, together.

Usage: python -m tests.core.workers close DATABASE_URL START_AT
       python -m tests.core.workers buy DATABASE_URL START_AT TELEGRAM_ID COUNT
Both wait until START_AT (epoch seconds) so their work really overlaps, and print JSON: the steps
(freeze, draw) of the events this process closed, or the ballot numbers it bought.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time

from core.clock import FixedClock
from core.errors import NotEnoughCredit
from core.results import PurchaseReceipt
from core.rules import LotteryRules
from core.service import LotteryService


async def close(service: LotteryService) -> list[list[object]]:
    """Each step this process won: [event id, "drawn"] or [event id, "frozen"] (a freeze whose draw
    the other process won, or an event without ballots)."""
    return [
        [result.event_id, "frozen" if result.winning_number is None else "drawn"]
        for result in await service.closing.close_due_events()
    ]


async def buy(service: LotteryService, telegram_id: int, count: int) -> list[int]:
    outcomes = await asyncio.gather(
        *(service.tickets.buy(telegram_id, 1) for _ in range(count)), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, NotEnoughCredit):
            raise outcome
    return [n for o in outcomes if isinstance(o, PurchaseReceipt) for n in o.numbers]


async def main(command: str, url: str, start_at: float, *args: str) -> None:
    now = (
        dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
        if command == "close"
        else dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    )
    service = LotteryService.connect(url, rules=LotteryRules(ballot_price=10), clock=FixedClock(now))
    await asyncio.sleep(max(0.0, start_at - time.time()))
    try:
        done = await close(service) if command == "close" else await buy(service, int(args[0]), int(args[1]))
    finally:
        await service.close()
    print(json.dumps(done))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), *sys.argv[4:]))
