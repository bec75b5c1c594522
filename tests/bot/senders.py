"""A sender process for the multi-process delivery test: drains one shared outbox through the emulator.

Usage: python -m tests.bot.senders DATABASE_URL API_BASE_URL START_AT LEASE_SECONDS
It builds the production `LotteryBot` (its rate limiter and `Delivery`) on the real clock, waits until
START_AT (epoch seconds) so both processes really overlap, sends until nothing is pending, and prints
JSON: how many notices this process handled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from types import SimpleNamespace
from typing import Any

from bot.app import LotteryBot
from core.clock import SystemClock
from core.service import LotteryService
from tests.bot.harness import harness_settings


async def main(url: str, api_base_url: str, start_at: float, lease_seconds: float) -> None:
    emulator: Any = SimpleNamespace(base_url=api_base_url)
    settings = harness_settings(emulator, None, url)
    lottery = LotteryService.connect(url, rules=settings.lottery_rules(), clock=SystemClock())
    bot = LotteryBot(settings, lottery)
    bot.delivery.lease = dt.timedelta(seconds=lease_seconds)
    bot.delivery.send_timeout = bot.delivery.lease / 4
    await bot.application.initialize()
    handled = 0
    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        async with asyncio.timeout(60):
            while (await lottery.notifications.counts()).pending:
                handled += await bot.delivery.deliver_due()
                await asyncio.sleep(0.05)
    finally:
        await bot.application.shutdown()
        await lottery.close()
    print(handled)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
