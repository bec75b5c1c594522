"""Closing events in two steps, freeze then draw, and telling who won.

`close_due_events` is the clock hook: the bot calls it at midnight, at startup and on a periodic tick,
from as many processes as it likes.

1. Freeze: one transaction that starts with a guarded UPDATE (open → closed) only one caller can win,
   computes the Merkle root over the stored ballot leaves, names the beacon round R (the first round
   at or after the freeze time plus the delay) and stores the frozen record, chained to the record
   frozen last (freeze order, not day order: a day frozen late after a failure never forks the chain).
   When R lies ahead, the record is queued for announcement in the same transaction, the public
   channel first; the delay (stored in the record, so R stays recomputable) is the configured one, or
   longer when the outbox needs longer to send every announcement at its rate, so that they can all
   go out before anyone can know R's randomness.
2. Draw: once R's time has passed, its randomness is fetched outside any transaction; the seed and the
   winner follow from the record, and one guarded UPDATE (frozen → drawn) stores them with the
   notices. Only one caller can win it; a restart finds the record frozen and draws it then (R in the
   past is fine: it was fixed at freeze), or drawn and already announced, never drawn again.

A beacon that cannot be reached leaves the record frozen: the draw waits and is tried on every call.
There is no fallback to local randomness for a drand event: it would let an operator abort a draw
they dislike and draw again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import replace

from core import merkle
from core.beacon import BeaconError, BeaconRound, DrawPolicy, first_round_at_or_after, round_time
from core.context import Context, public_name
from core.draws import DRAW_VERSION, draw_seed, verifiable_winner
from core.errors import CloseQuestionOutdated, NoEventOnDate
from core.receipts import hashed_leaves
from core.records import PublicRecord
from core.results import DrawResult, EventStatus, WinnerInfo, WinnerWalk
from core.verify import record_hash
from storage import UnitOfWork, reads
from storage.models import DrawRecord, Event

log = logging.getLogger(__name__)


class Closing:
    def __init__(self, context: Context, policy: DrawPolicy | None = None) -> None:
        self._ctx = context
        self._policy = policy or DrawPolicy()

    async def close_due_events(self, now: dt.datetime | None = None) -> list[DrawResult]:
        """Freeze every open event whose day has ended, draw what is due, ensure today's event exists."""
        now = now or self._ctx.clock.now()
        today = self._ctx.today(now)
        async with self._ctx.db.snapshot() as uow:
            due = await uow.events.open_before(today)
        results = await self._close_each(due, now)
        drawn = await self.draw_due(now)
        results = [r for r in results if r.event_id not in {d.event_id for d in drawn}] + drawn
        async with self._ctx.db.transaction() as uow:
            await self._ctx.event_of(uow, today, now)
        return results

    async def check_close_question(self, *, asked_on: dt.date | None, ballots: int | None) -> None:
        """An admin's confirmed /close may close only what its question showed: a question asked on
        another day, or overtaken by ballots bought since (`ballots`, as the question counted them),
        raises `CloseQuestionOutdated`."""
        today = self._ctx.today()
        if asked_on != today:
            raise CloseQuestionOutdated(asked_on)
        if ballots is not None:
            async with self._ctx.db.snapshot() as uow:
                due = await uow.events.open_events_until(today)
            if ballots != sum(event.ballot_count for event in due):
                raise CloseQuestionOutdated(asked_on)

    async def close_open_events(self) -> list[DrawResult]:
        """Freeze every open event up to today now (the admin's early close), and draw what is due."""
        now = self._ctx.clock.now()
        async with self._ctx.db.snapshot() as uow:
            open_ids = await uow.events.open_until(self._ctx.today(now))
        frozen = await self._close_each(open_ids, now, raise_failure=True)
        drawn = await self.draw_due(now)
        results = [r for r in frozen if r.event_id not in {d.event_id for d in drawn}] + drawn
        return await self._as_they_stand(results)

    async def _as_they_stand(self, results: list[DrawResult]) -> list[DrawResult]:
        """The admin is told each event's outcome, also when the draw job (or another replica) drew it
        while this call was freezing: a frozen result whose record is drawn by now shows its winner."""
        waiting = [r for r in results if r.winning_number is None and r.ballot_count > 0]
        if not waiting:
            return results
        async with self._ctx.db.snapshot() as uow:
            records = {r.event_id: await uow.records.of_event(r.event_id) for r in waiting}
        settled = []
        for result in results:
            record = records.get(result.event_id)
            if record is not None and record.state == "drawn" and record.winning_number is not None:
                result = replace(result, winning_number=record.winning_number, waiting_for_round=None)
            settled.append(result)
        return settled

    async def _close_each(
        self, event_ids: Sequence[int], now: dt.datetime, *, raise_failure: bool = False
    ) -> list[DrawResult]:
        """Close events one transaction each, so that one that cannot be frozen holds up no other.

        A failed close rolls back to open and is tried again on the next call; it is logged with its
        traceback each time, which is what an operator needs to see until it is mended. With
        `raise_failure` (an admin waiting for the answer) the first failure is raised once every other
        event has been closed, so the admin hears of it and still gets today's draw.
        """
        results = []
        failure: Exception | None = None
        for event_id in event_ids:
            try:
                result = await self.close_event(event_id, now)
            except Exception as error:
                log.exception("could not close event %s; it stays open and the others go on", event_id)
                failure = failure or error
                continue
            if result is not None:
                results.append(result)
        if raise_failure and failure is not None:
            raise failure
        return results

    async def close_event(self, event_id: int, now: dt.datetime) -> DrawResult | None:
        """Freeze one event, and draw it at once if its randomness may exist already.

        None when another caller closed it first. A frozen event whose draw must wait comes back
        as a result with `waiting_for_round` set.
        """
        frozen = await self.freeze(event_id, now)
        if frozen is None or frozen.ballot_count == 0:
            return frozen
        try:
            drawn = await self.draw(event_id, now)
        except Exception:
            # The freeze stands (it was committed and may be announced); the draw is tried again.
            log.exception("could not draw event %s yet; it stays frozen and is tried again", event_id)
            return frozen
        return drawn if drawn is not None else frozen

    async def freeze(self, event_id: int, now: dt.datetime) -> DrawResult | None:
        """open → closed, with the frozen record stored (and queued for announcement) in one transaction."""
        async with self._ctx.db.transaction() as uow:
            await uow.records.lock_chain()
            claimed = await uow.events.claim_close(event_id, now=now)
            if claimed is None:
                return None
            day, ballot_count = claimed
            if ballot_count == 0:
                await uow.outbox.add_for_participants(kind="result", event_id=event_id, now=now)
                log.info("closed the event of %s with no ballots", day)
                return DrawResult(event_id, day, 0, None, None)
            leaves = hashed_leaves(event_id, await uow.records.leaf_inputs(event_id))
            if len(leaves) != ballot_count:
                raise RuntimeError(f"event {event_id} counts {ballot_count} ballots but stores {len(leaves)}")
            # Everything the outbox must send before R: what is pending already, this event's
            # participants and the channel; R is chosen so that, at the outbox's rate, it can.
            queued = await uow.records.telegram_backlog() + await uow.records.reachable_participants(event_id)
            delay = self._policy.delay_for(queued + (self._policy.results_chat_id is not None))
            event = await uow.events.by_id(event_id)
            assert event is not None
            record = await self._frozen_record(uow, event, ballot_count, merkle.root(leaves), now, delay)
            if record.draw_after > now:
                await self._announce(uow, "frozen", event_id, now, participants=True)
        log.info("froze the event of %s: %s ballots, round %s", day, ballot_count, record.beacon_round)
        return DrawResult(event_id, day, ballot_count, None, None, waiting_for_round=record.beacon_round)

    async def _frozen_record(
        self,
        uow: UnitOfWork,
        event: Event,
        ballot_count: int,
        root: bytes,
        now: dt.datetime,
        delay: int,
    ) -> DrawRecord:
        event_id, day = event.id, event.day
        frozen_at = int(now.timestamp())
        target = frozen_at + delay
        previous = await uow.records.last_frozen()
        values: dict[str, object] = {
            "event_id": event_id,
            "day": day,
            "version": DRAW_VERSION.decode(),
            "ballot_count": ballot_count,
            "root": root.hex(),
            "frozen_at": frozen_at,
            "delay_seconds": target - frozen_at,
            "previous_record_hash": previous.record_hash if previous is not None else None,
            "chain_position": previous.chain_position + 1 if previous is not None else 1,
        }
        if self._policy.beacon is None:
            # Commit–reveal: the randomness is SHA-256 of the event's secret, whose hash was published
            # when the event was made; revealing the secret at the draw proves it was fixed before any
            # ballot. An event made before events carried a commitment gets one now, and says so.
            if event.draw_secret is not None and event.draw_commitment is not None:
                secret, commitment, committed_at = (
                    bytes.fromhex(event.draw_secret),
                    event.draw_commitment,
                    "open",
                )
            else:
                secret = secrets.token_bytes(32)
                commitment = hashlib.sha256(hashlib.sha256(secret).digest()).hexdigest()
                committed_at = "freeze"
            values |= {
                "beacon": "local",
                "beacon_round": 0,
                "draw_after": dt.datetime.fromtimestamp(target, dt.UTC),
                "commitment": commitment,
                "committed_at": committed_at,
                "secret": secret.hex(),
            }
        else:
            round_number = first_round_at_or_after(target)
            values |= {
                "beacon": "drand",
                "beacon_round": round_number,
                "draw_after": dt.datetime.fromtimestamp(round_time(round_number), dt.UTC),
                "commitment": None,
                "committed_at": None,
            }
        public = {
            "version": values["version"],
            "event_id": event_id,
            "day": day.isoformat(),
            "beacon": values["beacon"],
            "ballot_count": ballot_count,
            "root": values["root"],
            "frozen_at": frozen_at,
            "delay": values["delay_seconds"],
            "round": values["beacon_round"],
            "commitment": values["commitment"],
            "committed_at": values["committed_at"],
            "previous_record_hash": values["previous_record_hash"],
        }
        values["record_hash"] = record_hash(public)
        if not await uow.records.add_frozen(**values):
            # Only the caller that won open → closed gets here: a record already there is a damaged
            # database, and the close rolls back rather than draw from a record it did not make.
            raise RuntimeError(f"event {event_id} already has a draw record")
        record = await uow.records.of_event(event_id)
        assert record is not None
        return record

    async def draw_due(self, now: dt.datetime | None = None) -> list[DrawResult]:
        """Draw every frozen record whose round's time has come, each on its own."""
        now = now or self._ctx.clock.now()
        async with self._ctx.db.snapshot() as uow:
            due = await uow.records.due(now=now)
        results = []
        for event_id in due:
            try:
                result = await self.draw(event_id, now)
            except Exception:
                log.exception("could not draw event %s; it stays frozen and is tried again", event_id)
                continue
            if result is not None:
                results.append(result)
        return results

    async def draw(self, event_id: int, now: dt.datetime) -> DrawResult | None:
        """frozen → drawn; None when the randomness is not to be had yet or another caller drew it."""
        async with self._ctx.db.snapshot() as uow:
            record = await uow.records.of_event(event_id)
        if record is None or record.state != "frozen" or record.draw_after > now:
            return None
        beacon_round = await self._randomness(record)
        if beacon_round is None:
            return None
        seed = draw_seed(
            event_id=event_id,
            ballot_count=record.ballot_count,
            root=bytes.fromhex(record.root),
            round_number=record.beacon_round,
            randomness=beacon_round.randomness,
        )
        number = verifiable_winner(seed, record.ballot_count)
        beacon = self._policy.beacon
        bls_checked = None if record.beacon == "local" or beacon is None else beacon.checks_signatures
        async with self._ctx.db.transaction() as uow:
            won = await uow.records.claim_draw(
                event_id,
                signature=beacon_round.signature.hex(),
                randomness=beacon_round.randomness.hex(),
                seed=seed.hex(),
                winning_number=number,
                bls_checked=bls_checked,
                now=now,
            )
            if not won:
                return None
            winner_id = await uow.ballots.owner_of(event_id=event_id, number=number)
            await uow.events.record_winner(event_id, number=number, player_id=winner_id)
            winner = await uow.players.by_id(winner_id)
            assert winner is not None
            if winner.telegram_id is not None:
                await uow.outbox.add(
                    kind="winner",
                    channel="telegram",
                    recipient=str(winner.telegram_id),
                    event_id=event_id,
                    player_id=winner_id,
                    now=now,
                )
            if winner.email:
                await uow.outbox.add(
                    kind="winner",
                    channel="email",
                    recipient=winner.email,
                    event_id=event_id,
                    player_id=winner_id,
                    now=now,
                )
            await uow.outbox.add_for_participants(
                kind="result", event_id=event_id, now=now, except_player_id=winner_id
            )
            await self._announce(uow, "drawn", event_id, now, participants=False)
        log.info("drew ballot #%s of %s for the event of %s", number, record.ballot_count, record.day)
        return DrawResult(event_id, record.day, record.ballot_count, number, winner.telegram_id)

    async def _randomness(self, record: DrawRecord) -> BeaconRound | None:
        """The round's randomness, or None (noted on the record) while the beacon cannot give it."""
        if record.beacon == "local":
            assert record.secret is not None
            secret = bytes.fromhex(record.secret)
            return BeaconRound(0, secret, hashlib.sha256(secret).digest())
        beacon = self._policy.beacon
        error = ""
        try:
            beacon_round = None if beacon is None else await beacon.fetch(record.beacon_round)
            if beacon is None:
                error = "this process has no beacon configured"
        except BeaconError as refused:
            log.error("event of %s: %s; the draw waits", record.day, refused)
            beacon_round, error = None, str(refused)
        if beacon_round is None:
            async with self._ctx.db.transaction() as uow:
                await uow.records.note_wait(
                    record.event_id, error=error or f"round {record.beacon_round} not available yet"
                )
        return beacon_round

    async def _announce(
        self, uow: UnitOfWork, kind: str, event_id: int, now: dt.datetime, *, participants: bool
    ) -> None:
        """The public channel first: the outbox sends in queue order, so the channel hears before anyone."""
        chat = self._policy.results_chat_id
        if chat is not None:
            await uow.outbox.add(
                kind=kind, channel="telegram", recipient=str(chat), event_id=event_id, player_id=None, now=now
            )
        if participants:
            await uow.outbox.add_for_participants(kind=kind, event_id=event_id, now=now)

    async def record_on(self, day: dt.date | None = None) -> PublicRecord | None:
        """The public record of `day`'s draw (the latest when no day is given); None if it has none."""
        async with self._ctx.db.snapshot() as uow:
            if day is None:
                row = await uow.records.latest_before(dt.date.max)
            else:
                if await uow.events.on_day(day) is None:
                    raise NoEventOnDate(day)
                row = await uow.records.on_day(day)
        return None if row is None else PublicRecord.of(row)

    async def commitment_on(self, day: dt.date) -> str | None:
        """With DRAW_BEACON=local, the commitment published for `day`'s event while it is not yet frozen."""
        if self._policy.beacon is not None:
            return None
        async with self._ctx.db.snapshot() as uow:
            event = await uow.events.on_day(day)
        return None if event is None or event.status != "open" else event.draw_commitment

    async def waiting(self) -> list[PublicRecord]:
        """Records frozen and waiting for their randomness, oldest first."""
        async with self._ctx.db.snapshot() as uow:
            return [PublicRecord.of(row) for row in await uow.records.waiting()]

    async def winner_on(self, day: dt.date) -> WinnerInfo:
        """The draw of `day` as /winner shows it: one indexed read in one trip (storage.reads)."""
        found = await self._ctx.db.read(lambda query: reads.winner_on(query, day))
        if found is None:
            raise NoEventOnDate(day)
        return self._winner_info(found)

    async def latest_winner(self) -> WinnerInfo | None:
        """The most recent draw, or None before the first one."""
        found = await self._ctx.db.read(reads.latest_winner)
        return None if found is None else self._winner_info(found)

    async def winner_walk(self, day: dt.date) -> WinnerWalk:
        """`day`'s draw and the drawn days either side, for /winner's ◀ ▶: one trip."""
        walk = await self._ctx.db.read(lambda query: reads.winner_walk(query, day))
        return self._walk(day, walk)

    async def latest_winner_walk(self) -> WinnerWalk | None:
        """The most recent draw and the drawn day before it, or None before the first draw."""
        walk = await self._ctx.db.read(reads.latest_winner_walk)
        return None if walk is None or walk.found is None else self._walk(walk.found.day, walk)

    def _walk(self, day: dt.date, walk: reads.WinnerWalk) -> WinnerWalk:
        info = None if walk.found is None else self._winner_info(walk.found)
        return WinnerWalk(day, info, walk.earlier, walk.later)

    def _winner_info(self, found: reads.WinnerRow) -> WinnerInfo:
        return replace(_winner_info(found), prize=self._ctx.rules.prize(found.prize, found.prize_rules))


def _winner_info(found: reads.WinnerRow) -> WinnerInfo:
    return WinnerInfo(
        day=found.day,
        title=found.title,
        status=EventStatus(found.status),
        ballot_count=found.ballot_count,
        winning_number=found.winning_number,
        winner_name=None if found.winner is None else public_name(*found.winner),
        waiting_for_round=found.beacon_round if found.record_state == "frozen" else None,
    )
