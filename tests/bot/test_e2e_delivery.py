"""Notifications survive outages: SMTP down then up, Telegram 429s, users who blocked the bot."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from bot.pacing import ReplyFirstLimiter
from core.clock import FixedClock
from core.notifications import LEASE
from storage.models import Event, OutboxMessage
from tests.bot.conftest import NOON
from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_pay_picker import buttons
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
    # The background sender runs too: an attempt of its may still be in flight when the test moves the
    # clock past its lease, and its outcome is then (rightly) not recorded. So the clock moves on until
    # the mail is accepted, not a fixed number of times.
    async with asyncio.timeout(20):
        while not smtp.messages:
            harness.advance(dt.timedelta(minutes=2))
            await harness.bot.delivery.deliver_due()
            await asyncio.sleep(0.05)
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


async def test_each_outcome_is_recorded_as_soon_as_it_is_known(harness: BotHarness) -> None:
    """A send that finished is on record while another of its batch still waits on Telegram: a kill
    then repeats only the send in flight, not the whole batch."""
    await harness.player_with_ballots(1, 1)
    await harness.player_with_ballots(2, 1)
    replies = len(harness.api.sent_messages())
    harness.api.stall_next("sendMessage", 5)  # the first notice of the batch hangs, then fails
    await harness.lottery.closing.close_open_events()
    assert harness.bot is not None
    harness.bot.delivery.wake()
    async with asyncio.timeout(4):  # well before the hanging send is answered
        while (await harness.lottery.notifications.counts()).sent < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    counts = await harness.lottery.notifications.counts()
    assert (counts.sent, counts.pending) == (1, 1)
    assert len(harness.api.sent_messages()) == replies + 1  # the other send is still in flight


@pytest.mark.parametrize("outage", ["502 Bad Gateway", "no answer", "connection refused"])
async def test_telegram_down_for_three_hours_at_draw_time_then_each_notice_is_sent_once(
    harness: BotHarness, outage: str
) -> None:
    """Winner and result messages keep retrying through hours of 502s or timeouts (on the test's clock)."""
    assert harness.bot is not None
    delivery = harness.bot.delivery
    await harness.player_with_ballots(1, 1)
    await harness.player_with_ballots(2, 1)
    delivery.send_timeout = dt.timedelta(seconds=0.5)  # "no answer": our own bound ends each wait
    # Hours pass in a few real seconds here: Telegram's real second between two messages to one chat
    # would eat the whole bound of each send.
    limiter = harness.bot.application.bot.rate_limiter
    assert isinstance(limiter, ReplyFirstLimiter)
    limiter.chat_interval = dt.timedelta(0)
    if outage == "no answer":
        harness.api.start_outage("sendMessage", 504, "Gateway Timeout", stall=3)
    elif outage == "connection refused":
        await harness.api.go_offline()
    else:
        harness.api.start_outage("sendMessage", 502)
    replies = {chat: len(harness.api.sent_messages(chat)) for chat in (1, 2)}
    calls = len(harness.api.calls_of("sendMessage"))
    await harness.lottery.closing.close_open_events()  # no reply to race the notices for the outage
    for _ in range(18):  # three hours, a round every ten minutes
        harness.advance(dt.timedelta(minutes=10))
        await no_claim_open(harness)  # the background loop's round, if it took one, is recorded
        await delivery.deliver_due()
    async with harness.lottery.context.db.engine.connect() as connection:
        attempts = (await connection.execute(select(OutboxMessage.attempts))).scalars().all()
    assert min(attempts) >= 6, attempts  # it kept trying all along
    if outage == "connection refused":
        assert await outbox_errors(harness, "NetworkError")
    else:
        assert len(harness.api.calls_of("sendMessage")) - calls >= 2 * 6
    counts = await harness.lottery.notifications.counts()
    assert (counts.pending, counts.sent, counts.failed) == (2, 0, 0)
    harness.api.end_outage("sendMessage")
    if outage == "connection refused":
        await harness.api.come_back()
    harness.advance(dt.timedelta(minutes=31))  # past the longest backoff
    await delivery.deliver_due()
    async with asyncio.timeout(10):
        while await harness.lottery.notifications.pending():  # noqa: ASYNC110 - polling the database
            await asyncio.sleep(0.02)
    harness.advance(dt.timedelta(hours=1))
    await delivery.deliver_due()
    for chat in (1, 2):
        notices = harness.api.sent_messages(chat)[replies[chat] :]
        assert len(notices) == 1, notices
    assert sum("You won" in harness.api.sent_messages(chat)[-1]["text"] for chat in (1, 2)) == 1


@pytest.mark.parametrize(
    "description",
    ["Bad Request: chat not found", "Bad Request: PEER_ID_INVALID", "Bad Request: user is deactivated"],
)
async def test_a_400_about_the_recipient_ends_the_notice_at_once(
    harness: BotHarness, description: str
) -> None:
    assert harness.bot is not None
    await harness.player_with_ballots(1, 1)
    harness.api.fail_next("sendMessage", 400, description=description)
    calls = len(harness.api.calls_of("sendMessage"))
    await harness.lottery.closing.close_open_events()
    harness.bot.delivery.wake()
    async with asyncio.timeout(10):
        while (await harness.lottery.notifications.counts()).failed < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    harness.advance(dt.timedelta(hours=2))
    await harness.bot.delivery.deliver_due()
    assert len(harness.api.calls_of("sendMessage")) == calls + 1  # never tried again
    [error] = [e.lower() for e in await outbox_errors(harness, "")]
    assert description.removeprefix("Bad Request: ").lower() in error
    assert "fix the text" not in error


async def test_a_400_about_our_own_text_is_shown_to_admins_and_sent_once_after_a_requeue(
    harness: BotHarness,
) -> None:
    """Not retried for seven days (the same text would be refused each time), not dropped unseen."""
    assert harness.bot is not None
    await harness.player_with_ballots(1, 1)
    harness.api.fail_next("sendMessage", 400, description="Bad Request: can't parse entities: bad tag")
    await harness.lottery.closing.close_open_events()
    harness.bot.delivery.wake()
    async with asyncio.timeout(10):
        while (await harness.lottery.notifications.counts()).failed < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    calls = len(harness.api.calls_of("sendMessage"))
    harness.advance(dt.timedelta(hours=2))
    await harness.bot.delivery.deliver_due()
    assert len(harness.api.calls_of("sendMessage")) == calls  # not retried on its own
    overview = await harness.say(ADMIN, "/outbox")
    assert "1 failed" in overview
    assert "Telegram refused our message" in overview
    assert "can't parse entities" in overview.lower()
    [(_label, data)] = buttons(harness.api.sent_messages(ADMIN)[-1])
    await harness.press(ADMIN, data, message_id=harness.api.sent_messages(ADMIN)[-1]["message_id"])
    await harness.api.wait_for_message(1, lambda t: "You won" in t)
    texts = await harness.settle(1)
    assert sum("You won" in t for t in texts) == 1


async def no_claim_open(harness: BotHarness) -> None:
    async with asyncio.timeout(10):
        while True:
            async with harness.lottery.context.db.engine.connect() as connection:
                open_claims = select(OutboxMessage.id).where(OutboxMessage.claim_token.is_not(None))
                if not (await connection.execute(open_claims)).all():
                    return
            await asyncio.sleep(0.02)
