"""Fixtures for the end-to-end tests: emulator, SMTP server, clock and a running bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest

from core.clock import FixedClock
from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator
from tests.support.smtp import SmtpServer

# Noon on 2024-05-01, UTC: half a day before the first midnight draw.
NOON = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
async def api() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token="123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz") as emulator:
        yield emulator


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def bot_clock() -> FixedClock:
    return FixedClock(NOON)


@pytest.fixture
async def harness(
    api: BotApiEmulator, smtp: SmtpServer, database_url: str, bot_clock: FixedClock
) -> AsyncIterator[BotHarness]:
    running = BotHarness(api, smtp, database_url, bot_clock)
    await running.start()
    yield running
    await running.stop()
