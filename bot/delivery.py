"""Delivering the outbox: winner and result messages by Telegram, winner emails by SMTP.

One loop per process claims due notices in batches (several processes share the outbox safely, see
`core.notifications`), sends them concurrently within Telegram's limits (the Application's
AIORateLimiter), and reports each outcome. A blocked bot (403) is final for Telegram only: the
winner's email is a notice of its own. Each outcome is recorded as soon as it is known. At shutdown
sends still waiting for their turn are abandoned at once, sends already on the wire get `STOP_GRACE`
to be answered, and those still unanswered then are abandoned too; everything abandoned, and anything
claimed but not sent, is handed back, due again at once.

Each send is bounded well under the claim's lease (`SEND_TIMEOUT`), so a batch is over, and its
outcomes recorded, before another process can claim its rows. Outcomes carry the claim's fencing
token: should recording still come too late, the database refuses it rather than overwrite the
new owner's.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Mapping
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ExtBot

from bot import replies
from bot.i18n import shipped, speaking
from bot.mailer import Mailer, PermanentMailError
from bot.pacing import ON_THE_WIRE, PROACTIVE
from core.notifications import LEASE, Channel, Notice, Outcome, Result
from core.service import LotteryService

log = logging.getLogger(__name__)

# Why a bound rather than renewing the lease while sends are in flight: renewal needs a second task
# and a transaction per renewal, and a renewal that comes late (a busy database, a paused process)
# fails open just the same. A bound needs neither: whatever the HTTP client or the mail server does,
# one send gives up after a quarter of the lease and is retried later, so the whole batch ends, and is
# recorded, while it still holds its rows. The price: a send that reached Telegram or the mail server
# but was not answered in time is sent again, as after any network timeout. (429s are not waited out
# inside a send at all: `bot/pacing.py` hands them straight back, and the loop below pauses.)
SEND_TIMEOUT = LEASE / 4
# At a stop (SIGTERM), sends still waiting for their turn (the rate limits) are abandoned at once:
# nothing of them has reached Telegram, so handing them back can never send them twice. Sends already
# on the wire get this long to be answered, since abandoning one that Telegram has received would send
# it again after the restart; Telegram usually answers in well under a second. One that hangs (an
# outage, a dead connection) is abandoned after it, so the whole stop stays well inside the 10 s
# promised and compose's 15 s grace period.
STOP_GRACE = dt.timedelta(seconds=3)


class Delivery:
    def __init__(
        self,
        lottery: LotteryService,
        bot: ExtBot[Any],
        mailer: Mailer | None,
        *,
        batch_size: int = 50,
        idle_seconds: float = 2.0,
        paid_broadcast: bool = False,
    ) -> None:
        self._lottery = lottery
        # Telegram's paid broadcast (PAID_BROADCAST): lifts its free limit of about 30 messages a second.
        self._paid_broadcast = paid_broadcast
        self._bot = bot
        self._mailer = mailer
        self._batch_size = batch_size
        # How long an idle loop waits before looking again; a draw in this process wakes it at once.
        self.idle_seconds = idle_seconds
        # The longest one send may take before it counts as a passing failure; well under the lease.
        self.send_timeout = SEND_TIMEOUT
        # How long a claim holds its notices; tests of several processes shorten it with send_timeout.
        self.lease = LEASE
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        # How long a stop lets the sends in flight finish before abandoning them (handed back unsent).
        self.stop_grace = STOP_GRACE
        # Per send of the batch in hand: set once its request has left the rate limits for Telegram.
        self._on_the_wire: dict[asyncio.Task[Outcome], asyncio.Event] = {}
        self._abandon_at = 0.0
        # The longest `retry_after` Telegram asked for in the batch just sent: the next batch waits it out.
        self._flood_wait = dt.timedelta(0)

    def wake(self) -> None:
        """New notices were queued (a draw happened): look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the sends in flight finish, or abandon them once `stop_grace` is over."""
        self._abandon_at = time.monotonic() + self.stop_grace.total_seconds()
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped; a failing round is logged and retried, never fatal."""
        while not self._stopping.is_set():
            try:
                sent = await self.deliver_due()
            except Exception:
                log.exception("delivery round failed; retrying shortly")
                sent = 0
            if self._flood_wait and not self._stopping.is_set():
                # Telegram's flood control covers the whole bot: sending the next batch now would only
                # collect a 429 for each notice in it. A stop still ends the pause at once.
                pause, self._flood_wait = self._flood_wait, dt.timedelta(0)
                log.info("Telegram asked for a pause: the next batch waits %s", pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=pause.total_seconds())
            elif sent == 0 and not self._stopping.is_set():
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_seconds)

    async def deliver_due(self) -> int:
        """Send one batch of due notices, recording each outcome as soon as it is known; how many were
        handled.

        Outcomes are written as sends finish, not when the whole batch is over: whatever finished while
        the last write was in progress goes into the next one (a group commit), so a SIGKILL can repeat
        only the sends in flight at that instant, plus those answered in the few milliseconds of one
        write, while SQLite still sees about one transaction per round trip of a send.
        """
        notices = await self._lottery.notifications.claim_due(limit=self._batch_size, lease=self.lease)
        if not notices:
            return 0
        self._on_the_wire = {}
        # Written outside any update: in the language each recipient chose, else the one Telegram reported.
        languages = await self._lottery.players.languages_of_notices([notice.id for notice in notices])
        catalogues = shipped()
        sending: dict[asyncio.Task[Outcome], Notice] = {}
        for notice in notices:
            # The rate limiter sets this once the request leaves its waits (`bot.pacing.ON_THE_WIRE`).
            # An email has no such wait: it counts as on the wire from the start.
            wire = asyncio.Event()
            if notice.channel is not Channel.TELEGRAM:
                wire.set()
            chosen, reported = languages.get(notice.id, (None, None))
            with speaking(catalogues.translator(reported, override=chosen)):
                # The task copies the context now, so it renders in this recipient's language.
                task = asyncio.ensure_future(self._deliver(notice, wire))
            sending[task], self._on_the_wire[task] = notice, wire
        unrecorded = set(sending)
        try:
            while unrecorded:
                await self._until_some_finish(unrecorded)
                finished = {task for task in unrecorded if task.done()}
                unrecorded -= finished
                await self._record(finished, sending)
        except BaseException:
            # Cancelled from outside, or a write failed: no send goes on whose outcome nobody would
            # record. Keep what was sent, hand back what was not (if the database lets us: if not, the
            # rows come due again when the lease runs out).
            for task in unrecorded:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._record_when_done(unrecorded, sending))
            raise
        return len(notices)

    async def _until_some_finish(self, unrecorded: set[asyncio.Task[Outcome]]) -> None:
        """Wait until a send finishes; once stopping, give the sends in flight `stop_grace`, then
        abandon them (they are handed back, and their rows due again at once)."""
        if not self._stopping.is_set():
            stopping = asyncio.ensure_future(self._stopping.wait())
            try:
                await asyncio.wait({*unrecorded, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
            if not self._stopping.is_set():
                return
        waiting = {task for task in unrecorded if not self._reached_the_wire(task)}
        if not waiting:
            remaining = self._abandon_at - time.monotonic()
            if remaining > 0:
                done, _ = await asyncio.wait(
                    unrecorded, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                if done:
                    return
            waiting = unrecorded
        for task in waiting:
            task.cancel()
        await asyncio.wait(waiting)

    def _reached_the_wire(self, task: asyncio.Task[Outcome]) -> bool:
        return self._on_the_wire[task].is_set()

    async def _record_when_done(
        self, tasks: set[asyncio.Task[Outcome]], sending: Mapping[asyncio.Task[Outcome], Notice]
    ) -> None:
        if tasks:
            await asyncio.wait(tasks)
        await self._record(tasks, sending)

    async def _record(
        self, finished: set[asyncio.Task[Outcome]], sending: Mapping[asyncio.Task[Outcome], Notice]
    ) -> None:
        """Write the outcomes of finished sends; abandoned (cancelled) sends are handed back unrecorded."""
        outcomes = [task.result() for task in finished if not task.cancelled()]
        abandoned = [sending[task] for task in finished if task.cancelled()]
        if outcomes:
            await self._lottery.notifications.settle(outcomes)
        if abandoned:
            log.info("%s send(s) in flight abandoned at shutdown and handed back", len(abandoned))
            await self._lottery.notifications.release(abandoned)

    async def _deliver(self, notice: Notice, wire: asyncio.Event) -> Outcome:
        ON_THE_WIRE.set(wire)  # in this send's own task (its own copy of the context)
        try:
            async with asyncio.timeout(self.send_timeout.total_seconds()):
                if notice.channel is Channel.TELEGRAM:
                    await self._bot.send_message(
                        chat_id=int(notice.recipient),
                        text=replies.notice_text(notice),
                        rate_limit_args=PROACTIVE,
                        allow_paid_broadcast=True if self._paid_broadcast else None,  # None: not sent
                    )
                else:
                    await self._send_email(notice)
        except TimeoutError:
            log.warning("notice %s got no answer within %s; it will be retried", notice.id, self.send_timeout)
            return Outcome(notice, Result.RETRY, f"no answer within {self.send_timeout}")
        except RetryAfter as flood:
            retry_after = flood.retry_after
            delay = (
                retry_after if isinstance(retry_after, dt.timedelta) else dt.timedelta(seconds=retry_after)
            )
            # Held at most as long as one send may take: the notice itself is due again after `delay`.
            self._flood_wait = max(self._flood_wait, min(delay, self.send_timeout))
            return Outcome(notice, Result.RETRY, f"rate limited: {flood}", delay)
        except (Forbidden, PermanentMailError) as final:
            log.warning("notice %s to %s cannot be delivered: %s", notice.id, notice.channel, final)
            return Outcome(notice, Result.UNDELIVERABLE, str(final))
        except BadRequest as refused:
            return _refused(notice, refused)
        except Exception as passing:  # network, 5xx, SMTP down: all worth another try later
            log.warning("notice %s failed (attempt %s): %r", notice.id, notice.attempts, passing)
            return Outcome(notice, Result.RETRY, repr(passing))
        return Outcome(notice, Result.DELIVERED)

    async def _send_email(self, notice: Notice) -> None:
        if self._mailer is None:
            raise PermanentMailError("email is not configured (SMTP_HOST is empty)")
        subject, body = replies.winner_email(notice)
        await self._mailer.send(to=notice.recipient, subject=subject, body=body)


# Telegram's words (lower case) in a 400 that mean the recipient cannot be reached, now or later.
# Most such answers come as 403 (blocked, deactivated, kicked); these are the ones that come as 400.
UNREACHABLE = (
    "chat not found",
    "user not found",
    "user is deactivated",
    "input_user_deactivated",
    "peer_id_invalid",
    "bot was blocked",
    "bot was kicked",
    "bot is not a member",
    "can't initiate conversation",
    "have no rights to send",
    "not enough rights to send",
    "chat_write_forbidden",
)


def _refused(notice: Notice, refused: BadRequest) -> Outcome:
    """A 400 ends the notice either way, but says whose fault it was.

    Only a 400 about the recipient (see `UNREACHABLE`) is an answer about the player: the notice
    fails like a 403. Any other 400 ("can't parse entities", "message is too long", "text must be
    non-empty") is about the message we built, a bug in our text or its rendering. Retrying it for
    seven days would send the same bytes 200 times and be refused 200 times; dropping it would lose
    the notice without anyone knowing. So it too ends as failed, but logged as an ERROR and with an
    error that says so: admins see it in `/outbox` with Telegram's words, and once the text is fixed
    (a new release) its "send the failed again" button re-queues it with a fresh seven days. Failed
    rather than quarantined on purpose: only failed notices can be re-queued from `/outbox`, and
    quarantine is kept for rows this code cannot read at all.
    """
    words = str(refused.message).lower()
    if any(phrase in words for phrase in UNREACHABLE):
        log.warning("notice %s cannot be delivered: %s", notice.id, refused)
        return Outcome(notice, Result.UNDELIVERABLE, str(refused))
    log.error(
        "Telegram refused the text of notice %s (%s): a bug in the message, not the player",
        notice.id,
        refused,
    )
    error = f"Telegram refused our message ({refused}): fix the text, then send the failed again"
    return Outcome(notice, Result.UNDELIVERABLE, error)
