"""The outbox: every notice claimed by one sender at a time, retried with backoff, never lost."""

from __future__ import annotations

import asyncio
import datetime as dt

from core.clock import FixedClock
from core.notifications import RELEVANCE, Channel, NoticeKind, retry_delay
from core.service import LotteryService
from tests.core.players import joined_player


async def drawn_event(service: LotteryService, players: int) -> None:
    for telegram_id in range(1, players + 1):
        buyer = await joined_player(service, telegram_id, paid_ballots=1)
        await service.tickets.buy(buyer, 1)
    await service.closing.close_open_events()


async def test_concurrent_senders_never_claim_the_same_notice(service: LotteryService) -> None:
    await drawn_event(service, 30)
    batches = await asyncio.gather(*(service.notifications.claim_due(limit=7) for _ in range(6)))
    claimed = [notice.id for batch in batches for notice in batch]
    assert len(claimed) == len(set(claimed)) == 30
    assert await service.notifications.claim_due() == []
    kinds = sorted(notice.kind for batch in batches for notice in batch)
    assert kinds.count(NoticeKind.WINNER) == 1
    assert all(n.channel is Channel.TELEGRAM and n.day == dt.date(2024, 5, 1) for b in batches for n in b)


async def test_a_failed_notice_comes_back_after_its_backoff(
    service: LotteryService, clock: FixedClock
) -> None:
    await drawn_event(service, 1)
    [notice] = await service.notifications.claim_due()
    await service.notifications.failed(notice, "telegram said 502")
    assert await service.notifications.claim_due() == []
    clock.advance(dt.timedelta(seconds=5))  # the longest the first retry waits
    [again] = await service.notifications.claim_due()
    assert again.id == notice.id
    assert again.attempts == 2
    await service.notifications.delivered(again)
    assert await service.notifications.pending() == 0


async def test_an_expired_lease_frees_a_notice_whose_sender_died(
    service: LotteryService, clock: FixedClock
) -> None:
    await drawn_event(service, 1)
    [notice] = await service.notifications.claim_due(lease=dt.timedelta(minutes=2))
    clock.advance(dt.timedelta(minutes=3))
    [again] = await service.notifications.claim_due()
    assert again.id == notice.id


async def test_released_notices_are_due_at_once(service: LotteryService) -> None:
    await drawn_event(service, 2)
    claimed = await service.notifications.claim_due()
    await service.notifications.release(claimed)
    assert {n.id for n in await service.notifications.claim_due()} == {n.id for n in claimed}


async def test_a_notice_is_retried_until_it_is_no_longer_relevant(
    service: LotteryService, clock: FixedClock
) -> None:
    """Passing failures never end a notice early: an hourly failure is retried for the whole week."""
    await drawn_event(service, 1)
    hours = int(RELEVANCE / dt.timedelta(hours=1))
    for _ in range(hours + 1):
        [notice] = await service.notifications.claim_due()
        await service.notifications.failed(notice, "still down")
        clock.advance(dt.timedelta(hours=1))
    assert notice.attempts == hours + 1
    assert await service.notifications.claim_due() == []
    assert await service.notifications.pending() == 0


def test_backoff_doubles_and_is_capped() -> None:
    for attempts, ceiling in ((1, 5), (2, 10), (3, 20), (100, 30 * 60)):
        delays = {retry_delay(attempts).total_seconds() for _ in range(50)}
        assert all(0.8 * ceiling <= delay <= ceiling for delay in delays)
        assert len(delays) > 1  # jittered, so a crowd of failures spreads out


async def test_one_claim_takes_exactly_one_batch(service: LotteryService) -> None:
    """On PostgreSQL an `id IN (… LIMIT n)` claim once took every pending row; a batch bounds a crash."""
    await drawn_event(service, 40)
    assert len(await service.notifications.claim_due(limit=7)) == 7
    assert len(await service.notifications.claim_due(limit=25)) == 25
    assert len(await service.notifications.claim_due(limit=25)) == 8
