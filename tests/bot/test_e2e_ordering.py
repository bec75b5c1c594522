"""Several updates at once through the real bot: a slow reply holds up only its own player, whose
next command waits its turn."""

from __future__ import annotations

import asyncio

import pytest

from core.clock import FixedClock
from tests.bot.conftest import NOON
from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e

SLOW, OTHER = 1, 2
RETRY_AFTER = 2  # seconds: Telegram's 429 on the slow player's reply, waited out by the bot


async def _registered(harness: BotHarness, *players: int) -> None:
    for player in players:
        await harness.say(player, "/start", first_name=f"P{player}")
        await harness.say(player, "/join")


async def _send_meeting_429(api: BotApiEmulator, player: int, text: str) -> None:
    """`text` from `player`, whose reply Telegram answers with a 429: returns once the bot has met it."""
    api.fail_next("sendMessage", 429, retry_after=RETRY_AFTER)
    sent_before = len(api.calls_of("sendMessage"))
    api.send_command(player, text)
    await api.wait_for_call_count("sendMessage", sent_before + 1)


async def test_a_reply_waiting_out_a_429_holds_up_no_other_player(harness: BotHarness) -> None:
    api = harness.api
    await _registered(harness, SLOW, OTHER)
    await _send_meeting_429(api, SLOW, "/me")  # the slow player's reply waits out the 429
    loop = asyncio.get_running_loop()
    asked = loop.time()
    api.send_command(OTHER, "/me")
    other = await api.wait_for_message(OTHER, timeout=RETRY_AFTER - 0.5)
    answered_in = loop.time() - asked
    slow = await api.wait_for_message(SLOW, timeout=RETRY_AFTER + 5)
    assert "Credit" in other["text"]
    assert "Credit" in slow["text"]
    assert answered_in < 1.0  # one at a time, it would have waited out the other player's 429


async def test_one_players_commands_keep_their_order_while_a_reply_waits(harness: BotHarness) -> None:
    """A player's replies come in the order of their commands: /pay, sent while /buy's reply waits out a
    429, is answered after it. Run unordered, /pay's reply went out first."""
    api = harness.api
    await _registered(harness, SLOW)
    await _send_meeting_429(api, SLOW, "/buy 1")
    api.send_command(SLOW, "/pay 1")
    first = await api.wait_for_message(SLOW, timeout=RETRY_AFTER + 5)
    second = await api.wait_for_message(SLOW, timeout=5)
    assert first["text"].startswith("Not enough credit")
    assert second["text"].startswith("Payment received")


async def test_one_at_a_time_when_configured(api: BotApiEmulator, database_url: str) -> None:
    """CONCURRENT_UPDATES=1 is python-telegram-bot's own one-at-a-time processing: the other player
    waits for the 429 too. (Shows the first test above can fail.)"""
    harness = BotHarness(api, None, database_url, FixedClock(NOON), concurrent_updates=1)
    await harness.start()
    try:
        await _registered(harness, SLOW, OTHER)
        await _send_meeting_429(api, SLOW, "/me")
        loop = asyncio.get_running_loop()
        asked = loop.time()
        api.send_command(OTHER, "/me")
        await api.wait_for_message(OTHER, timeout=RETRY_AFTER + 5)
        assert loop.time() - asked > RETRY_AFTER - 0.5
    finally:
        await harness.stop()
