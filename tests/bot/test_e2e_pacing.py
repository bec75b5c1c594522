"""Replies go out at once; only what the bot sends on its own is paced at the broadcast rate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from core.clock import FixedClock
from tests.bot.conftest import NOON
from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e

PLAYERS = list(range(1, 9))


@pytest.fixture
async def slow_broadcast(api: BotApiEmulator, database_url: str) -> AsyncIterator[BotHarness]:
    """A bot allowed five proactive messages a second."""
    running = BotHarness(api, None, database_url, FixedClock(NOON), messages_per_second=5)
    await running.start()
    yield running
    await running.stop()


async def test_replies_are_not_held_to_the_broadcast_rate(api: BotApiEmulator, database_url: str) -> None:
    harness = BotHarness(api, None, database_url, FixedClock(NOON), messages_per_second=1)
    await harness.start()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for player in PLAYERS:
            api.send_command(player, "/start")
        for player in PLAYERS:
            await api.wait_for_message(player)
        # Paced at one message a second, eight replies would take at least seven seconds.
        assert loop.time() - started < 3.5
    finally:
        await harness.stop()


async def test_results_are_paced_at_the_broadcast_rate(slow_broadcast: BotHarness) -> None:
    api = slow_broadcast.api
    for player in PLAYERS:
        await slow_broadcast.player_with_ballots(player, 1)
    await slow_broadcast.close_now()
    loop = asyncio.get_running_loop()
    replies_before = {player: len(api.sent_messages(player)) for player in PLAYERS}
    first_seen: dict[int, float] = {}
    async with asyncio.timeout(15):
        while len(first_seen) < len(PLAYERS):
            for player in PLAYERS:
                if player not in first_seen and len(api.sent_messages(player)) > replies_before[player]:
                    first_seen[player] = loop.time()
            await asyncio.sleep(0.01)
    # Eight notices at five a second are spread over at least 7 × 0.2 s (less a little for polling).
    assert max(first_seen.values()) - min(first_seen.values()) >= 1.2


async def test_a_reply_sits_out_a_short_429_and_the_bot_keeps_serving_after_a_long_one(
    harness: BotHarness,
) -> None:
    harness.api.fail_next("sendMessage", 429, retry_after=1)
    assert "Welcome" in await harness.say(1, "/start", timeout=5)

    harness.api.fail_next("sendMessage", 429, retry_after=60)
    harness.api.send_command(2, "/start")
    await harness.api.assert_no_message(2, wait=0.5)
    # The next player is answered at once: nobody waits out the minute.
    assert await harness.say(3, "/start", timeout=2)
