"""Notifications survive outages: SMTP down then up, Telegram 429s, users who blocked the bot."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from core.clock import FixedClock
from core.notifications import LEASE
from storage.models import Event, OutboxMessage
from tests.bot.conftest import NOON
from tests.bot.harness import BotHarness
from tests.conftest import START
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


async def test_smtp_down_then_up_delivers_the_winner_email_once(harness: BotHarness) -> None:
    smtp = harness.smtp
    assert smtp is not None
    await harness.player_with_ballots(1, 1)
    await harness.say(1, "/email ann@example.com")
    smtp.stop()
    await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert harness.bot is not None
    for _ in range(3):  # a few failed rounds while the server is down
        harness.advance(dt.timedelta(minutes=1))
        await harness.bot.delivery.deliver_due()
    smtp.start()
    harness.advance(dt.timedelta(minutes=5))
    [mail] = await smtp.wait_for_messages(1)
    assert mail.envelope_to == ["ann@example.com"]
    # Let the delivery loop record the send before the clock jumps an hour (past the claim's lease).
    async with asyncio.timeout(10):
        while await harness.lottery.notifications.pending():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.02)
    harness.advance(dt.timedelta(hours=1))
    await harness.bot.delivery.deliver_due()
    assert len(smtp.messages) == 1


async def test_a_429_from_telegram_is_retried(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 1)
    harness.api.fail_next("sendMessage", 429, retry_after=1)
    await harness.close_now()
    # The outbox, not the HTTP client, sits out the wait: the notice is due again a second later.
    async with asyncio.timeout(15):
        while not any("You won" in m["text"] for m in harness.api.sent_messages(1)):
            harness.advance(dt.timedelta(seconds=1))
            await asyncio.sleep(0.1)
    won = await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert "#1" in won["text"]
    texts = [m["text"] for m in harness.api.sent_messages(1)]
    assert sum("You won" in t for t in texts) == 1


async def test_a_winner_who_blocked_the_bot_still_gets_the_email(harness: BotHarness) -> None:
    smtp = harness.smtp
    assert smtp is not None
    await harness.player_with_ballots(1, 1)
    await harness.say(1, "/email ann@example.com")
    harness.api.block_user(1)
    await harness.close_now()
    [mail] = await smtp.wait_for_messages(1)
    assert "You won" in mail.subject
    assert not any("You won" in m["text"] for m in harness.api.sent_messages(1))


async def test_a_winner_without_email_still_gets_the_telegram_message(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 1)
    await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert harness.smtp is not None
    assert harness.smtp.messages == []


async def test_a_recipient_refused_with_451_is_retried_until_accepted_once(harness: BotHarness) -> None:
    smtp = harness.smtp
    assert smtp is not None
    await harness.player_with_ballots(1, 1)
    await harness.say(1, "/email ann@example.com")
    smtp.reject_recipient_next(4)  # greylisting: "451 4.3.0 try later" at RCPT TO, four times
    await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert harness.bot is not None
    for _ in range(6):
        harness.advance(dt.timedelta(minutes=2))
        await harness.bot.delivery.deliver_due()
    [mail] = await smtp.wait_for_messages(1)
    assert mail.envelope_to == ["ann@example.com"]
    assert mail.message["Date"]
    assert mail.message["Message-ID"]
    async with asyncio.timeout(10):
        while await harness.lottery.notifications.pending():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.02)
    harness.advance(dt.timedelta(hours=1))
    await harness.bot.delivery.deliver_due()
    assert len(smtp.messages) == 1


async def test_a_recipient_refused_with_550_is_given_up_at_once(harness: BotHarness) -> None:
    smtp = harness.smtp
    assert smtp is not None
    await harness.player_with_ballots(1, 1)
    await harness.say(1, "/email ann@example.com")
    smtp.reject_recipient_next(1, "550 5.1.1 No such user")
    await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "You won" in t)
    async with asyncio.timeout(10):
        while await harness.lottery.notifications.pending():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.02)
    assert smtp.messages == []


async def test_smtp_down_for_three_hours_then_up_delivers_the_winner_email_once(harness: BotHarness) -> None:
    smtp = harness.smtp
    assert smtp is not None
    await harness.player_with_ballots(1, 1)
    await harness.say(1, "/email ann@example.com")
    smtp.stop()
    await harness.close_now()
    await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert harness.bot is not None
    for _ in range(18):  # three hours of failed rounds, one every ten minutes
        harness.advance(dt.timedelta(minutes=10))
        await harness.bot.delivery.deliver_due()
    smtp.start()
    harness.advance(dt.timedelta(minutes=31))
    await harness.bot.delivery.deliver_due()
    [mail] = await smtp.wait_for_messages(1)
    assert mail.envelope_to == ["ann@example.com"]
    async with asyncio.timeout(10):
        while await harness.lottery.notifications.pending():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.02)
    harness.advance(dt.timedelta(hours=1))
    await harness.bot.delivery.deliver_due()
    assert len(smtp.messages) == 1


async def test_a_429_longer_than_the_lease_never_holds_a_notice_past_its_lease(harness: BotHarness) -> None:
    """The send hands a 429 straight back; the outbox, not the HTTP call, waits out `retry_after`."""
    assert harness.bot is not None
    await harness.player_with_ballots(1, 1)
    harness.bot.delivery.send_timeout = dt.timedelta(seconds=1)
    retry_after = int(LEASE.total_seconds()) + 80
    harness.api.fail_next("sendMessage", 429, retry_after=retry_after)
    await harness.lottery.closing.close_open_events()  # no reply to race the notice for the 429
    async with asyncio.timeout(10):  # real seconds: far less than the 200 s a sleeping limiter would take
        while not await outbox_errors(harness, "rate limited"):  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.05)
    await harness.api.assert_no_message(1, wait=1.5)  # not due again before retry_after
    harness.advance(dt.timedelta(seconds=retry_after + 1))
    await harness.api.wait_for_message(1, lambda t: "You won" in t, timeout=10)
    texts = await harness.settle(1)
    assert sum("You won" in t for t in texts) == 1


async def test_a_poisoned_outbox_row_is_set_aside_and_the_rest_delivered(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 1)
    await harness.player_with_ballots(2, 1)
    async with harness.lottery.context.db.engine.connect() as connection:
        event_id = (await connection.execute(select(Event.id))).scalar_one()
    async with harness.lottery.context.db.transaction() as uow:  # before the draw's rows: claimed first
        await uow.outbox.add(
            kind="carrier-pigeon",
            channel="telegram",
            recipient="1",
            event_id=event_id,
            player_id=None,
            now=START,
        )
    await harness.close_now()
    for player in (1, 2):
        await harness.api.wait_for_message(player, lambda t: "You won" in t or "Not yours" in t)
    async with asyncio.timeout(10):
        while await harness.lottery.notifications.pending():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.02)
    counts = await harness.lottery.notifications.counts()
    assert (counts.sent, counts.quarantined) == (2, 1)
    assert await outbox_errors(harness, "carrier-pigeon")


async def outbox_errors(harness: BotHarness, fragment: str) -> list[str]:
    async with harness.lottery.context.db.engine.connect() as connection:
        statement = select(OutboxMessage.last_error).where(OutboxMessage.last_error.contains(fragment))
        return [str(error) for error in (await connection.execute(statement)).scalars()]


async def test_after_a_429_the_next_batch_waits_out_the_pause(api: BotApiEmulator, database_url: str) -> None:
    """Flood control covers the whole bot: the batch after a 429 waits, rather than collect more 429s."""
    slow = BotHarness(api, None, database_url, FixedClock(NOON), messages_per_second=1)  # batches of one
    await slow.start()
    try:
        for player in (1, 2, 3):
            await slow.player_with_ballots(player, 1)
        sent_before = len(api.calls_of("sendMessage"))
        api.fail_next("sendMessage", 429, retry_after=3)
        await slow.lottery.closing.close_open_events()
        assert slow.bot is not None
        slow.bot.delivery.wake()
        async with asyncio.timeout(10):
            while not await outbox_errors(slow, "rate limited"):  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.02)
        loop = asyncio.get_running_loop()
        flooded_at = loop.time()
        async with asyncio.timeout(10):
            while len(api.calls_of("sendMessage")) <= sent_before + 1:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        # Paced at one a second, the next notice would go out within about a second without the pause.
        assert loop.time() - flooded_at >= 2.0
    finally:
        await slow.stop()
