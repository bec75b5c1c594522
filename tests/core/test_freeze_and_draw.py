"""The two-step close with drand: freeze (record stored and announced), then draw once round R exists.

The beacon is the real HTTP adapter talking to fake drand mirrors on loopback; time is a test clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from core import verify
from core.beacon import QUICKNET_CHAIN_HASH, DrandBeacon, DrawPolicy, first_round_at_or_after, round_time
from core.clock import FixedClock
from core.draws import draw_seed, verifiable_winner
from core.results import EventStatus
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from tests.core.players import joined_player
from tests.support.beacon import FakeDrand, fake_round
from tests.support.processes import ROOT, clean_env

MAY_1 = dt.date(2024, 5, 1)
CHANNEL = -1001234
DELAY = dt.timedelta(seconds=30)


@pytest.fixture
async def mirrors(clock: FixedClock) -> AsyncIterator[tuple[FakeDrand, FakeDrand]]:
    async with (
        FakeDrand(lambda: clock.now().timestamp()) as one,
        FakeDrand(lambda: clock.now().timestamp()) as two,
    ):
        yield one, two


def drand_service(
    db: Database, rules: LotteryRules, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand]
) -> LotteryService:
    beacon = DrandBeacon([m.url for m in mirrors], verify_signatures=False, timeout=1)
    return LotteryService(
        db, rules=rules, clock=clock, draws=DrawPolicy(beacon=beacon, delay=DELAY, results_chat_id=CHANNEL)
    )


@pytest.fixture
def drand(
    db: Database, rules: LotteryRules, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand]
) -> LotteryService:
    return drand_service(db, rules, clock, mirrors)


async def sold(service: LotteryService, *holders: tuple[int, int]) -> None:
    for telegram_id, ballots in holders:
        await joined_player(service, telegram_id, paid_ballots=ballots)
        await service.tickets.buy(telegram_id, ballots)


async def kinds(db: Database, event_id: int) -> list[tuple[str, str]]:
    async with db.snapshot() as uow:
        return sorted((m.kind, m.recipient) for m in await uow.outbox.for_event(event_id))


async def test_the_close_freezes_and_announces_before_round_r_then_draws_once_r_exists(
    drand: LotteryService, db: Database, clock: FixedClock
) -> None:
    await sold(drand, (1, 3), (2, 2))
    [frozen] = await drand.closing.close_open_events()

    expected_round = first_round_at_or_after(int(clock.now().timestamp()) + 30)
    assert frozen.winning_number is None
    assert frozen.waiting_for_round == expected_round
    assert round_time(expected_round) > clock.now().timestamp()
    record = await drand.closing.record_on(MAY_1)
    assert record is not None
    assert not record.drawn
    assert (record.ballot_count, record.round, record.delay) == (5, expected_round, 30)
    assert record.record_hash == verify.record_hash(record.as_json())
    # A holder's /proof leads to the root in the record.
    proof = await drand.receipts.proof(1, 2, MAY_1)
    assert proof.root == record.root
    assert proof.ballot_count == record.ballot_count
    # Announced in the freeze's own transaction: to both participants and the results channel.
    assert await kinds(db, frozen.event_id) == [("frozen", str(CHANNEL)), ("frozen", "1"), ("frozen", "2")]
    info = await drand.closing.winner_on(MAY_1)
    assert info.status is EventStatus.CLOSED
    assert info.waiting_for_round == expected_round
    # No more ballots once frozen.
    assert await drand.closing.draw_due() == []

    clock.advance(dt.timedelta(seconds=29))
    assert await drand.closing.draw_due() == []  # round R's time has not come: nothing is asked
    clock.advance(dt.timedelta(seconds=2))
    [drawn] = await drand.closing.draw_due()

    randomness = fake_round(expected_round).randomness
    seed = draw_seed(
        event_id=frozen.event_id,
        ballot_count=5,
        root=bytes.fromhex(record.root),
        round_number=expected_round,
        randomness=randomness,
    )
    assert drawn.winning_number == verifiable_winner(seed, 5)
    final = await drand.closing.record_on(MAY_1)
    assert final is not None
    assert final.winning_number == drawn.winning_number
    assert final.record_hash == record.record_hash  # the frozen part did not move
    assert verify.problems(final.as_json(), None) == []
    assert (await drand.closing.winner_on(MAY_1)).winning_number == drawn.winning_number
    winner = "1" if drawn.winning_number is not None and drawn.winning_number <= 3 else "2"
    loser = "2" if winner == "1" else "1"
    assert [k for k in await kinds(db, frozen.event_id) if k[0] != "frozen"] == sorted(
        [("drawn", str(CHANNEL)), ("winner", winner), ("result", loser)]
    )
    assert await drand.closing.draw_due() == []


async def test_a_restart_between_freeze_and_draw_draws_once_with_the_same_result(
    db: Database,
    rules: LotteryRules,
    clock: FixedClock,
    mirrors: tuple[FakeDrand, FakeDrand],
    database_url: str,
) -> None:
    first = drand_service(Database.from_url(database_url), rules, clock, mirrors)
    await sold(first, (1, 4))
    [frozen] = await first.closing.close_open_events()
    await first.close()  # the process stops between freeze and draw

    clock.advance(dt.timedelta(minutes=10))  # the process was down past round R
    again = Database.from_url(database_url)
    try:
        restarted = drand_service(again, rules, clock, mirrors)
        results = await restarted.closing.close_due_events()
        assert [r.event_id for r in results if r.winning_number is not None] == [frozen.event_id]
        assert await restarted.closing.draw_due() == []
        record = await restarted.closing.record_on(MAY_1)
        assert record is not None
        assert verify.problems(record.as_json(), None) == []
        assert len([k for k in await kinds(again, frozen.event_id) if k[0] == "winner"]) == 1
    finally:
        await again.dispose()


async def test_racing_drawers_store_and_announce_one_result(
    drand: LotteryService, db: Database, clock: FixedClock
) -> None:
    await sold(drand, (1, 2), (2, 2))
    [frozen] = await drand.closing.close_open_events()
    clock.advance(dt.timedelta(minutes=1))
    results = await asyncio.gather(*(drand.closing.draw(frozen.event_id, clock.now()) for _ in range(6)))
    assert len([r for r in results if r is not None]) == 1
    assert len([k for k in await kinds(db, frozen.event_id) if k[0] in ("winner", "result")]) == 2


async def test_an_unreachable_beacon_holds_the_draw_and_the_round_comes_when_it_is_back(
    drand: LotteryService, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand]
) -> None:
    await sold(drand, (1, 1))
    [frozen] = await drand.closing.close_open_events()
    for mirror in mirrors:
        await mirror.down()
    clock.advance(dt.timedelta(minutes=5))
    assert await drand.closing.draw_due() == []
    assert await drand.closing.close_due_events() == []
    [waiting] = await drand.closing.waiting()
    assert waiting.round == frozen.waiting_for_round
    assert waiting.attempts == 2
    # Never a local fallback: the record stays a drand record, frozen, with no randomness.
    assert (waiting.beacon, waiting.randomness) == ("drand", None)
    # The next day's lottery runs meanwhile.
    clock.advance(dt.timedelta(days=1))
    await sold(drand, (2, 1))

    for mirror in mirrors:
        await mirror.up()
    [drawn] = await drand.closing.draw_due()
    assert drawn.winning_number == 1
    assert await drand.closing.waiting() == []


async def test_mirrors_that_disagree_hold_the_draw(
    drand: LotteryService, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand]
) -> None:
    await sold(drand, (1, 1))
    await drand.closing.close_open_events()
    mirrors[1].lying = True
    clock.advance(dt.timedelta(minutes=1))
    assert await drand.closing.draw_due() == []
    [_waiting] = await drand.closing.waiting()
    mirrors[1].lying = False
    assert len(await drand.closing.draw_due()) == 1


async def test_catching_up_after_downtime_freezes_every_missed_day_and_draws_them_in_a_chain(
    drand: LotteryService, clock: FixedClock
) -> None:
    for _ in range(3):
        await sold(drand, (1, 2), (2, 3))
        clock.advance(dt.timedelta(days=1))
    clock.advance(dt.timedelta(days=2))  # down at three midnights

    frozen = await drand.closing.close_due_events()

    # Frozen now, each naming a round 30 s ahead of this freeze: fixed before its randomness exists.
    days = [MAY_1 + dt.timedelta(days=n) for n in range(3)]
    assert [r.day for r in frozen] == days
    assert all(r.winning_number is None and r.waiting_for_round for r in frozen)
    clock.advance(dt.timedelta(minutes=1))
    drawn = await drand.closing.close_due_events()
    assert [r.day for r in drawn] == days
    assert all(r.winning_number is not None for r in drawn)
    records = [await drand.closing.record_on(day) for day in days]
    documents = [r.as_json() for r in records if r is not None]
    assert len(documents) == 3
    assert documents[0]["previous_record_hash"] is None
    for previous, record in itertools.pairwise(documents):
        assert record["previous_record_hash"] == previous["record_hash"]
        assert verify.problems(record, previous) == []


async def test_the_local_commit_reveal_commits_when_the_event_opens_and_reveals_at_the_draw(
    db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    local = LotteryService(db, rules=rules, clock=clock, draws=DrawPolicy(delay=DELAY))
    await local.events.create(MAY_1)
    published = await local.closing.commitment_on(MAY_1)
    assert published is not None  # before any ballot
    await sold(local, (1, 5))
    assert await local.closing.commitment_on(MAY_1) == published
    [frozen] = await local.closing.close_open_events()
    assert await local.closing.commitment_on(MAY_1) is None  # frozen: the record carries it now
    record = await local.closing.record_on(MAY_1)
    assert record is not None
    assert record.beacon == "local"
    assert (record.commitment, record.committed_at) == (published, "open")
    assert (record.signature, record.randomness, record.winning_number) == (None, None, None)
    assert frozen.waiting_for_round == 0
    clock.advance(DELAY)
    [drawn] = await local.closing.draw_due()
    revealed = await local.closing.record_on(MAY_1)
    assert revealed is not None
    assert revealed.winning_number == drawn.winning_number
    assert verify.problems(revealed.as_json(), None) == []


async def test_a_day_without_ballots_closes_with_no_record_and_the_chain_skips_it(
    drand: LotteryService, clock: FixedClock
) -> None:
    await sold(drand, (1, 1))
    clock.advance(dt.timedelta(days=1))
    await drand.tickets.join(1)  # May 2: joined, no ballots
    clock.advance(dt.timedelta(days=1))
    await sold(drand, (1, 1))
    clock.advance(dt.timedelta(days=1))
    await drand.closing.close_due_events()
    clock.advance(dt.timedelta(minutes=1))
    await drand.closing.close_due_events()

    first = await drand.closing.record_on(MAY_1)
    assert await drand.closing.record_on(MAY_1 + dt.timedelta(days=1)) is None
    third = await drand.closing.record_on(MAY_1 + dt.timedelta(days=2))
    assert first is not None
    assert third is not None
    assert third.previous_record_hash == first.record_hash
    assert verify.problems(third.as_json(), first.as_json()) == []


async def test_two_closers_catching_up_at_once_keep_one_unbroken_chain(
    rules: LotteryRules,
    clock: FixedClock,
    mirrors: tuple[FakeDrand, FakeDrand],
    database_url: str,
) -> None:
    services = [drand_service(Database.from_url(database_url), rules, clock, mirrors) for _ in range(2)]
    try:
        days = [MAY_1 + dt.timedelta(days=n) for n in range(6)]
        for _ in days:
            await sold(services[0], (1, 1))
            clock.advance(dt.timedelta(days=1))
        await asyncio.gather(*(s.closing.close_due_events() for s in services))
        records = [await services[0].closing.record_on(day) for day in days]
        documents = [r.as_json() for r in records if r is not None]
        assert len(documents) == len(days)
        assert documents[0]["previous_record_hash"] is None
        for previous, record in itertools.pairwise(documents):
            assert record["previous_record_hash"] == previous["record_hash"]
    finally:
        for service in services:
            await service.close()


async def test_a_drand_record_never_falls_back_to_local_randomness(
    drand: LotteryService, db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    await sold(drand, (1, 2))
    await drand.closing.close_open_events()
    clock.advance(dt.timedelta(minutes=1))
    # The operator restarts with DRAW_BEACON=local: the frozen drand record still waits for drand.
    local = LotteryService(db, rules=rules, clock=clock, draws=DrawPolicy())
    assert await local.closing.close_due_events() == []
    [waiting] = await local.closing.waiting()
    assert (waiting.beacon, waiting.randomness, waiting.attempts) == ("drand", None, 1)
    [drawn] = await drand.closing.draw_due()
    assert drawn.winning_number in (1, 2)


async def run_verifier(*args: str) -> tuple[int, str]:
    """`python -m core.verify` as a separate process, while this loop keeps the fake mirrors serving."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "core.verify",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=clean_env(),
        cwd=ROOT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def drawn_record(drand: LotteryService, clock: FixedClock) -> dict[str, Any]:
    await sold(drand, (1, 3), (2, 3))
    await drand.closing.close_open_events()
    clock.advance(dt.timedelta(minutes=1))
    await drand.closing.draw_due()
    record = await drand.closing.record_on(MAY_1)
    assert record is not None
    return record.as_json()


def forged(document: dict[str, Any]) -> dict[str, Any]:
    """Made-up randomness an operator liked better: chosen signature bytes, their SHA-256, a new winner."""
    for attempt in itertools.count():
        signature = hashlib.sha256(b"made up %d" % attempt).digest() + b"\x00" * 16
        randomness = hashlib.sha256(signature).digest()
        seed = draw_seed(
            event_id=document["event_id"],
            ballot_count=document["ballot_count"],
            root=bytes.fromhex(document["root"]),
            round_number=document["round"],
            randomness=randomness,
        )
        winner = verifiable_winner(seed, document["ballot_count"])
        if winner != document["winning_number"]:
            return document | {
                "signature": signature.hex(),
                "randomness": randomness.hex(),
                "seed": seed.hex(),
                "winning_number": winner,
            }
    raise AssertionError("unreachable")


async def test_made_up_randomness_is_named_offline_and_caught_online(
    drand: LotteryService, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand], tmp_path: Path
) -> None:
    document = forged(await drawn_record(drand, clock))
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document))

    # Offline nothing can tell: it passes, but says where to compare and what drand must give.
    status, out = await run_verifier(str(path))
    assert status == 0, out
    url = f"https://api.drand.sh/{QUICKNET_CHAIN_HASH}/public/{document['round']}"
    assert f"compare with drand: {url} must give randomness {document['randomness']}" in out

    # Online, against the (fake) drand that served the real round: the forgery fails.
    status, out = await run_verifier("--online", "--drand-url", mirrors[0].url, str(path))
    assert status == 1, out
    assert f"FAIL signature is not round {document['round']}'s signature" in out
    assert f"FAIL randomness is not round {document['round']}'s randomness" in out


async def test_the_true_record_passes_online_and_an_unreachable_drand_fails_it(
    drand: LotteryService, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand], tmp_path: Path
) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(await drawn_record(drand, clock)))
    status, out = await run_verifier("--online", "--drand-url", mirrors[1].url, str(path))
    assert status == 0, out
    assert "fetched from drand matches the record" in out
    await mirrors[1].down()
    status, out = await run_verifier("--online", "--drand-url", mirrors[1].url, str(path))
    assert status == 1, out
    assert "FAIL could not fetch round" in out


async def test_the_record_says_whether_the_bot_checked_bls_and_the_verifier_repeats_it(
    drand: LotteryService, clock: FixedClock, tmp_path: Path
) -> None:
    document = await drawn_record(drand, clock)
    assert document["bls_checked"] is False  # this test's beacon runs with verify_signatures=False
    path = tmp_path / "record.json"
    path.write_text(json.dumps(document))
    status, out = await run_verifier(str(path))
    assert status == 0, out
    assert f"WARNING: the bot did NOT check round {document['round']}'s BLS signature" in out
    path.write_text(json.dumps(document | {"bls_checked": True}))
    status, out = await run_verifier(str(path))
    assert status == 0, out
    assert "WARNING" not in out
    assert f"the bot checked round {document['round']}'s BLS signature" in out


async def test_the_public_channel_is_queued_before_every_participant(
    drand: LotteryService, db: Database
) -> None:
    for telegram_id in range(1, 6):
        await sold(drand, (telegram_id, 1))
    [frozen] = await drand.closing.close_open_events()
    async with db.snapshot() as uow:
        queue = [m.recipient for m in await uow.outbox.for_event(frozen.event_id) if m.kind == "frozen"]
    assert queue[0] == str(CHANNEL)  # the outbox sends in queue order
    assert sorted(queue[1:]) == ["1", "2", "3", "4", "5"]


async def test_round_r_leaves_time_to_send_every_announcement_and_the_verifier_recomputes_it(
    db: Database, rules: LotteryRules, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand]
) -> None:
    beacon = DrandBeacon([m.url for m in mirrors], verify_signatures=False, timeout=1)
    slow = DrawPolicy(beacon=beacon, delay=DELAY, results_chat_id=CHANNEL, messages_per_second=0.5)
    service = LotteryService(db, rules=rules, clock=clock, draws=slow)
    for telegram_id in range(1, 21):
        await sold(service, (telegram_id, 1))
    [frozen] = await service.closing.close_open_events()
    record = await service.closing.record_on(MAY_1)
    assert record is not None
    # 20 participants and the channel at 0.5 message/s take 42 s, plus a 10 s margin: more than 30 s.
    assert record.delay == 52
    assert round_time(record.round) >= record.frozen_at + 52
    async with db.snapshot() as uow:
        announcements = [m for m in await uow.outbox.for_event(frozen.event_id) if m.kind == "frozen"]
    assert len(announcements) == 21
    assert len(announcements) / 0.5 <= round_time(record.round) - record.frozen_at

    clock.advance(dt.timedelta(seconds=60))
    await service.closing.draw_due()
    drawn = await service.closing.record_on(MAY_1)
    assert drawn is not None
    assert verify.problems(drawn.as_json(), None) == []  # R follows from the stored delay
    shortened = drawn.as_json() | {"delay": 30}
    shortened["record_hash"] = verify.record_hash(shortened)
    assert "round is not the first quicknet round at or after frozen_at + delay" in verify.problems(
        shortened, None
    )


async def test_a_backlog_in_the_outbox_pushes_round_r_further(
    db: Database, rules: LotteryRules, clock: FixedClock, mirrors: tuple[FakeDrand, FakeDrand]
) -> None:
    beacon = DrandBeacon([m.url for m in mirrors], verify_signatures=False, timeout=1)
    policy = DrawPolicy(beacon=beacon, delay=DELAY, messages_per_second=1)
    service = LotteryService(db, rules=rules, clock=clock, draws=policy)
    await sold(service, (1, 1))
    async with db.transaction() as uow:
        for n in range(40):
            await uow.outbox.add(
                kind="frozen",
                channel="telegram",
                recipient=str(1000 + n),
                event_id=None,
                player_id=None,
                now=clock.now(),
            )
    await service.closing.close_open_events()
    record = await service.closing.record_on(MAY_1)
    assert record is not None
    assert record.delay == 40 + 1 + 10  # the backlog, the one participant, the margin


async def test_a_day_frozen_late_after_a_failure_links_to_the_last_record_and_the_chain_never_forks(
    drand: LotteryService, db: Database, clock: FixedClock
) -> None:
    for _ in range(3):
        await sold(drand, (1, 1))
        clock.advance(dt.timedelta(days=1))
    async with db.transaction() as uow:
        may_2 = await uow.events.on_day(MAY_1 + dt.timedelta(days=1))
        assert may_2 is not None
        may_2.ballot_count += 1  # damaged: its freeze fails (counts one ballot more than it stores)
    await drand.closing.close_due_events()
    assert await drand.closing.record_on(MAY_1 + dt.timedelta(days=1)) is None  # still open
    async with db.transaction() as uow:
        may_2 = await uow.events.on_day(MAY_1 + dt.timedelta(days=1))
        assert may_2 is not None
        may_2.ballot_count -= 1  # mended: the next tick freezes it
    clock.advance(dt.timedelta(minutes=1))
    await drand.closing.close_due_events()
    clock.advance(dt.timedelta(minutes=1))
    await drand.closing.draw_due()

    first, second, third = [(await drand.closing.record_on(MAY_1 + dt.timedelta(days=n))) for n in range(3)]
    assert first is not None
    assert second is not None
    assert third is not None
    hashes = [r.previous_record_hash for r in (first, second, third)]
    assert len(set(hashes)) == 3  # no two records name the same previous one
    # Freeze order: May 1, May 3, then May 2 (frozen late) names May 3.
    assert (first.previous_record_hash, third.previous_record_hash, second.previous_record_hash) == (
        None,
        first.record_hash,
        third.record_hash,
    )
    chain = [first.as_json(), third.as_json(), second.as_json()]
    assert [verify.problems(r, p) for r, p in zip(chain, [None, *chain[:-1]], strict=True)] == [[], [], []]
    assert verify.problems(second.as_json(), first.as_json()) != []  # day order is not the chain


async def test_the_database_refuses_a_second_record_after_the_same_one(
    drand: LotteryService, db: Database, clock: FixedClock
) -> None:
    await sold(drand, (1, 1))
    await drand.closing.close_open_events()
    async with db.snapshot() as uow:
        record = await uow.records.on_day(MAY_1)
    assert record is not None
    assert record.chain_position == 1
    clock.advance(dt.timedelta(days=1))
    await sold(drand, (1, 1))
    async with db.snapshot() as uow:
        may_2 = await uow.events.on_day(MAY_1 + dt.timedelta(days=1))
    assert may_2 is not None
    with pytest.raises(IntegrityError):
        async with db.transaction() as uow:
            await uow.records.add_frozen(
                event_id=may_2.id, day=may_2.day, version="lottery-draw-v1", beacon="drand", ballot_count=1,
                root="00" * 32, frozen_at=0, delay_seconds=30, beacon_round=1, draw_after=clock.now(),
                previous_record_hash=record.record_hash, chain_position=1, commitment=None,
                record_hash="11" * 32,
            )  # fmt: skip


async def test_an_event_made_before_commitments_commits_at_freeze_and_its_record_says_so(
    db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    local = LotteryService(db, rules=rules, clock=clock, draws=DrawPolicy(delay=DELAY))
    await sold(local, (1, 2))
    async with db.transaction() as uow:
        event = await uow.events.on_day(MAY_1)
        assert event is not None
        event.draw_secret = event.draw_commitment = None  # as an event made before this release
    await local.closing.close_open_events()
    clock.advance(DELAY)
    await local.closing.draw_due()
    record = await local.closing.record_on(MAY_1)
    assert record is not None
    assert record.committed_at == "freeze"
    document = record.as_json()
    assert verify.problems(document, None) == []
    assert verify.notes(document)[0].startswith("WARNING: local commit-reveal committed only at freeze")


async def test_a_drand_lottery_shows_no_local_commitment(drand: LotteryService) -> None:
    await sold(drand, (1, 1))
    assert await drand.closing.commitment_on(MAY_1) is None


async def test_an_admin_close_reports_the_winner_when_another_caller_drew_it_meanwhile(
    db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    """The draw job (or a replica) may win the draw between this close's freeze and its own draw:
    the admin is still told the winner, not that the day waits for its randomness."""
    local = LotteryService(db, rules=rules, clock=clock, draws=DrawPolicy(delay=dt.timedelta(0)))
    await sold(local, (1, 2), (2, 1))
    [frozen] = await local.closing.close_open_events()  # frozen and drawn at once (no delay)
    assert frozen.winning_number is not None
    # As if this call had frozen and another had drawn: a frozen result for a drawn record.
    stale = replace(frozen, winning_number=None, waiting_for_round=0)
    [told] = await local.closing._as_they_stand([stale])
    assert (told.winning_number, told.waiting_for_round) == (frozen.winning_number, None)
