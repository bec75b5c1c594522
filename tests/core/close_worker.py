"""A separate OS process that closes due events, for the two-process exactly-once test.

Usage: python -m tests.core.close_worker DATABASE_URL START_AT_EPOCH
Prints the ids of the events this process closed, as JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time

from core.clock import FixedClock
from core.service import LotteryService
from storage import Database


async def main(url: str, start_at: float) -> None:
    db = Database.from_url(url)
    service = LotteryService(db, clock=FixedClock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)))
    # Both processes begin together, so their closes really overlap.
    await asyncio.sleep(max(0.0, start_at - time.time()))
    results = await service.closing.close_due_events()
    await db.dispose()
    print(json.dumps([result.event_id for result in results]))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
