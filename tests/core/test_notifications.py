"""The outbox: every notice claimed by one sender at a time, retried with backoff, never lost."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from core.clock import FixedClock
from core.notifications import RELEVANCE, Channel, NoticeKind, Outcome, Result, retry_delay
from core.service import LotteryService
from storage.models import Event, OutboxMessage
from tests.conftest import START
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


async def outbox_row(service: LotteryService, notice_id: int) -> tuple[str, str | None]:
    async with service.context.db.engine.connect() as connection:
        statement = select(OutboxMessage.status, OutboxMessage.last_error).where(
            OutboxMessage.id == notice_id
        )
        status, last_error = (await connection.execute(statement)).one()
        return status, last_error


async def test_a_stale_sender_records_nothing_over_the_new_owner(
    service: LotteryService, clock: FixedClock
) -> None:
    """A sender whose lease ran out and whose rows were claimed again is fenced off by the token."""
    await drawn_event(service, 2)
    stale = await service.notifications.claim_due(lease=dt.timedelta(minutes=2))
    clock.advance(dt.timedelta(minutes=3))
    owner = await service.notifications.claim_due()
    assert [n.id for n in owner] == [n.id for n in stale]
    assert {n.claim_token for n in owner}.isdisjoint({n.claim_token for n in stale})
    first, second = owner
    assert await service.notifications.settle([Outcome(first, Result.DELIVERED)]) == 0
    # The stale sender now reports: one notice undeliverable, one to retry, and hands the rest back.
    stale_first, stale_second = stale
    assert await service.notifications.undeliverable(stale_first, "403 from a stale sender") == 1
    assert await service.notifications.failed(stale_second, "502 seen by a stale sender") == 1
    assert await service.notifications.release(stale) == 2
    assert await outbox_row(service, first.id) == ("sent", None)
    # The second notice is still the owner's alone: nobody can claim it until its lease runs out.
    clock.advance(dt.timedelta(minutes=1))
    assert await service.notifications.claim_due() == []
    assert await service.notifications.settle([Outcome(second, Result.DELIVERED)]) == 0
    assert await outbox_row(service, second.id) == ("sent", None)
    assert (await service.notifications.counts()).sent == 2


async def test_concurrent_claimers_never_hold_one_row_under_one_token(
    service: LotteryService, clock: FixedClock
) -> None:
    """Rounds of concurrent claims, each round after every lease ran out: tokens are never shared."""
    await drawn_event(service, 20)
    seen: set[tuple[int, str]] = set()
    for _ in range(3):
        batches = await asyncio.gather(*(service.notifications.claim_due(limit=4) for _ in range(6)))
        tokens = [{n.claim_token for n in batch} for batch in batches if batch]
        assert all(len(t) == 1 for t in tokens)
        assert len({token for t in tokens for token in t}) == len(tokens)
        held = [(n.id, n.claim_token) for batch in batches for n in batch]
        assert len({notice_id for notice_id, _ in held}) == len(held) == 20
        assert seen.isdisjoint(held)
        seen.update(held)
        clock.advance(dt.timedelta(minutes=3))


async def test_a_poisoned_row_is_quarantined_and_the_rows_behind_it_are_delivered(
    service: LotteryService,
) -> None:
    """Unknown kinds or channels once made every claim raise, and no notice was sent again."""
    for telegram_id in (1, 2, 3):
        buyer = await joined_player(service, telegram_id, paid_ballots=1)
        await service.tickets.buy(buyer, 1)
    async with service.context.db.engine.connect() as connection:
        event_id = (await connection.execute(select(Event.id))).scalar_one()
    async with service.context.db.transaction() as uow:  # queued before the draw's rows: claimed first
        for kind, channel in (("carrier-pigeon", "telegram"), ("winner", "fax")):
            await uow.outbox.add(
                kind=kind, channel=channel, recipient="1", event_id=event_id, player_id=None, now=START
            )
    await service.closing.close_open_events()
    notices = await service.notifications.claim_due(limit=4)
    assert len(notices) == 2  # the batch's two readable rows; its two unreadable ones are set aside
    assert {n.kind for n in notices} <= {NoticeKind.WINNER, NoticeKind.RESULT}
    notices += await service.notifications.claim_due(limit=4)
    assert len(notices) == 3
    await service.notifications.settle([Outcome(n, Result.DELIVERED) for n in notices])
    counts = await service.notifications.counts()
    assert (counts.sent, counts.quarantined, counts.pending) == (3, 2, 0)
    async with service.context.db.engine.connect() as connection:
        statement = select(OutboxMessage.last_error).where(OutboxMessage.status == "quarantined")
        errors = sorted(str(e) for e in (await connection.execute(statement)).scalars())
    assert "carrier-pigeon" in errors[0]
    assert "fax" in errors[1]
    assert await service.notifications.claim_due() == []
