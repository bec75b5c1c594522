"""Delivering the outbox: winner and result messages by Telegram, winner emails by SMTP.

One loop per process claims due notices in batches (several processes share the outbox safely, see
`core.notifications`), sends them concurrently within Telegram's limits (the Application's
AIORateLimiter), and reports each outcome. A blocked bot (403) is final for Telegram only: the
winner's email is a notice of its own. At shutdown the batch in hand is finished, and anything
claimed but not sent is handed back, so a restart neither loses nor repeats a message.

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
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ExtBot

from bot import replies
from bot.i18n import shipped, speaking
from bot.mailer import Mailer, PermanentMailError
from bot.pacing import PROACTIVE
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


class Delivery:
    def __init__(
        self,
        lottery: LotteryService,
        bot: ExtBot[Any],
        mailer: Mailer | None,
        *,
        batch_size: int = 50,
        idle_seconds: float = 2.0,
    ) -> None:
        self._lottery = lottery
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
        # The longest `retry_after` Telegram asked for in the batch just sent: the next batch waits it out.
        self._flood_wait = dt.timedelta(0)

    def wake(self) -> None:
        """New notices were queued (a draw happened): look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
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
        """Send one batch of due notices and record how each went; how many were handled."""
        notices = await self._lottery.notifications.claim_due(limit=self._batch_size, lease=self.lease)
        if not notices:
            return 0
        # Written outside any update: in the language each recipient chose, else the one Telegram reported.
        languages = await self._lottery.players.languages_of_notices([notice.id for notice in notices])
        catalogues = shipped()
        sending = []
        for notice in notices:
            chosen, reported = languages.get(notice.id, (None, None))
            with speaking(catalogues.translator(reported, override=chosen)):
                # The task copies the context now, so it renders in this recipient's language.
                sending.append(asyncio.ensure_future(self._deliver(notice)))
        try:
            outcomes = await asyncio.gather(*sending)
        except asyncio.CancelledError:
            # Keep what was sent, hand back what was not: neither lost nor sent twice.
            done = [task.result() for task in sending if task.done() and not task.cancelled()]
            unsent = [
                n for n, task in zip(notices, sending, strict=True) if not task.done() or task.cancelled()
            ]
            await asyncio.shield(self._settle_and_release(done, unsent))
            raise
        await self._lottery.notifications.settle(list(outcomes))
        return len(notices)

    async def _settle_and_release(self, outcomes: list[Outcome], unsent: list[Notice]) -> None:
        await self._lottery.notifications.settle(outcomes)
        await self._lottery.notifications.release(unsent)

    async def _deliver(self, notice: Notice) -> Outcome:
        try:
            async with asyncio.timeout(self.send_timeout.total_seconds()):
                if notice.channel is Channel.TELEGRAM:
                    await self._bot.send_message(
                        chat_id=int(notice.recipient),
                        text=replies.notice_text(notice),
                        rate_limit_args=PROACTIVE,
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
        except (Forbidden, BadRequest, PermanentMailError) as final:
            log.warning("notice %s to %s cannot be delivered: %s", notice.id, notice.channel, final)
            return Outcome(notice, Result.UNDELIVERABLE, str(final))
        except Exception as passing:  # network, 5xx, SMTP down: all worth another try later
            log.warning("notice %s failed (attempt %s): %r", notice.id, notice.attempts, passing)
            return Outcome(notice, Result.RETRY, repr(passing))
        return Outcome(notice, Result.DELIVERED)

    async def _send_email(self, notice: Notice) -> None:
        if self._mailer is None:
            raise PermanentMailError("email is not configured (SMTP_HOST is empty)")
        subject, body = replies.winner_email(notice)
        await self._mailer.send(to=notice.recipient, subject=subject, body=body)
