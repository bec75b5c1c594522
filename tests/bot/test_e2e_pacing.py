"""Replies go out at once; only what the bot sends on its own is paced at the broadcast rate."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from telegram.ext import ExtBot

from bot.pacing import GROUP_TIME_PERIOD, PROACTIVE, ReplyFirstLimiter
from core.clock import FixedClock
from storage.models import Event, OutboxMessage
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


async def test_several_notices_to_one_chat_go_out_a_second_apart(harness: BotHarness) -> None:
    """Telegram's one message a second per chat, for notices; other chats are not held up by it."""
    api = harness.api
    await harness.player_with_ballots(1, 1)
    await harness.player_with_ballots(2, 1)
    before = {chat: len(api.sent_times(chat)) for chat in (1, 2)}
    # The draw's two notices fail once (Telegram down), so they come due again with the two extra
    # notices for chat 1 below, as if three events had been drawn at once: all four in one batch.
    api.start_outage("sendMessage", 502)
    await harness.lottery.closing.close_open_events()
    assert harness.bot is not None
    harness.bot.delivery.wake()
    await outbox_quiet(harness, attempted=2)
    await two_more_results_for_chat_one(harness)
    api.end_outage("sendMessage")
    harness.advance(dt.timedelta(seconds=10))  # past the backoff: all four are due together
    harness.bot.delivery.wake()
    async with asyncio.timeout(15):
        while len(api.sent_times(1)) < before[1] + 3:  # noqa: ASYNC110 - polling the emulator
            await asyncio.sleep(0.02)
    times = api.sent_times(1)[before[1] :]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.95, gaps
    [other] = api.sent_times(2)[before[2] :]
    assert other - times[0] < 0.5  # chat 2's notice did not wait behind chat 1's


async def outbox_quiet(harness: BotHarness, *, attempted: int) -> None:
    """Until `attempted` notices were tried and no claim is open."""
    async with asyncio.timeout(10):
        while True:
            async with harness.lottery.context.db.engine.connect() as connection:
                rows = (
                    await connection.execute(select(OutboxMessage.attempts, OutboxMessage.claim_token))
                ).all()
            if sum(1 for a, _ in rows if a) >= attempted and all(t is None for _, t in rows):
                return
            await asyncio.sleep(0.02)


async def test_proactive_sends_to_one_group_keep_to_the_group_limit(api: BotApiEmulator) -> None:
    """The group limit is passed to python-telegram-bot's limiter; here 3 per 3 s, not 20 per 60 s."""
    assert (ReplyFirstLimiter(broadcast_per_second=25).group_max_rate, GROUP_TIME_PERIOD) == (
        20,
        dt.timedelta(minutes=1),
    )
    limiter = ReplyFirstLimiter(
        broadcast_per_second=1000,
        chat_interval=dt.timedelta(0),
        group_max_rate=3,
        group_time_period=dt.timedelta(seconds=3),
    )
    bot: ExtBot[int] = ExtBot(api.token, base_url=api.base_url, rate_limiter=limiter)
    group = -1001234
    async with bot:
        await asyncio.gather(
            *(bot.send_message(group, f"announcement {n}", rate_limit_args=PROACTIVE) for n in range(5))
        )
        await bot.send_message(group, "a reply", reply_to_message_id=None)  # replies are not held
    times = api.sent_times(group)
    assert len(times) == 6
    # Three at once (the bucket), then one a second: the fifth at least ~2 s after the first.
    assert times[4] - times[0] >= 1.8, times
    assert times[5] - times[4] < 0.5


async def test_a_stop_abandons_sends_still_waiting_their_turn_and_lets_the_one_on_the_wire_finish(
    harness: BotHarness,
) -> None:
    """Handing back a send Telegram already has would send it twice after the restart; one that has
    not left the rate limits can be handed back at once."""
    api = harness.api
    await harness.player_with_ballots(1, 1)
    api.start_outage("sendMessage", 502)
    await harness.lottery.closing.close_open_events()
    assert harness.bot is not None
    harness.bot.delivery.wake()
    await outbox_quiet(harness, attempted=1)
    await two_more_results_for_chat_one(harness)
    api.end_outage("sendMessage")
    api.set_delay("sendMessage", 1.5)  # Telegram takes its time to answer the first
    calls, sent = len(api.calls_of("sendMessage")), len(api.sent_messages(1))
    harness.advance(dt.timedelta(seconds=10))  # all three due in one batch: two wait for chat 1's turn
    harness.bot.delivery.wake()
    async with asyncio.timeout(10):
        while len(api.calls_of("sendMessage")) == calls:  # noqa: ASYNC110 - polling the emulator
            await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    task = harness.bot._delivery_task
    assert task is not None
    harness.bot.delivery.stop()
    await asyncio.wait_for(task, timeout=10)
    assert loop.time() - stopped_at < 2.5  # the answer came, no wait for the full grace
    assert len(api.calls_of("sendMessage")) == calls + 1
    assert len(api.sent_messages(1)) == sent + 1
    counts = await harness.lottery.notifications.counts()
    assert (counts.sent, counts.pending) == (1, 2)  # the one Telegram has is on record as sent
    await outbox_quiet(harness, attempted=3)  # the two handed back hold no claim


async def two_more_results_for_chat_one(harness: BotHarness) -> None:
    """Two more notices to chat 1, as if three events had been drawn at once."""
    async with harness.lottery.context.db.transaction() as uow:
        event_id = (await uow.session.execute(select(Event.id))).scalar_one()
        for _ in range(2):
            await uow.outbox.add(
                kind="result",
                channel="telegram",
                recipient="1",
                event_id=event_id,
                player_id=None,
                now=NOON + dt.timedelta(seconds=10),
            )
