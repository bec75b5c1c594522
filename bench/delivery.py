"""Delivering a draw's results to 10,000 participants, with a restart half-way through.

The real `LotteryBot` runs against the aiohttp Bot API emulator on loopback, so every message takes the
production path: the outbox claimed in batches, python-telegram-bot's AIORateLimiter, httpx, HTTP. The
emulator is wrapped to behave like Telegram under load: more than R `sendMessage` calls accepted within
any 1-second window and the next one is answered 429 with `retry_after`. The bot is stopped when about
half the messages are out, and a new bot on the same database and emulator finishes the job; then every
participant must have exactly one message.

The figures: messages per second achieved against the configured rate R (the same-run baseline, the
rate the bot allows itself), 429s, the busiest 1-second window, and the duplicates and gaps after the
restart. Two informative ceilings are measured first, each half of the pipeline alone: the outbox
bookkeeping (`Delivery.deliver_due` with a bot that sends nothing) and the HTTP sends (PTB to the
emulator, one at a time and a batch at a time), so a rate below R says which half held it back.
The participants are written by bulk SQL into the migrated schema; the outbox is written by the real
draw (`closing.close_event`).

Run from the project root: `python -m bench.delivery` (`--rate R`, `--participants N`). The default
R = 500 is above what the pipeline reaches on a 2-core machine, so the limiter never binds there;
`--rate 100 --participants 1500` (~30 s) is a run where it does.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import math
import sqlite3
import statistics
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from telegram.ext import AIORateLimiter, ApplicationBuilder, ExtBot

from bench._common import Outcome, print_table, sqlite_datetime, sqlite_url, temp_database
from bot.app import LotteryBot
from bot.delivery import Delivery
from bot.settings import Settings, load_settings
from core.clock import SystemClock
from core.service import LotteryService
from tests.support.bot_api import ApiError, BotApiEmulator, JSONDict

TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnopqrstuvwxyz"
EVENT_ID = 1
FIRST_TELEGRAM_ID = 1_000_001
DEFAULT_PARTICIPANTS = 10_000
DEFAULT_RATE = 500.0
RETRY_AFTER_SECONDS = 1
SAMPLE_SECONDS = 0.05
QUIET_SECONDS = 1.5  # after the last expected message, how long to keep listening for duplicates
DEADLINE_SECONDS = 75.0
WINDOW_SECONDS = 1.0
DELIVERY_BATCH = 50  # Delivery's default batch: that many sends are in flight at once
PROBE_CHAT = 777  # a player, not a participant, who keeps writing while the results go out
PROBE_EVERY = 0.6  # seconds between the probe's commands: under the per-user throttle's 2 a second
PROBE_GOAL = 1.0  # seconds: a reply while the broadcast runs
CEILING_NOTICES = 1_000
CEILING_SENDS = 500
RESULT_TEXT = (
    "The lottery of 2024-04-30 is drawn: ballot #4242 of 10000 wins. "
    "Not yours this time – today's lottery is open: /join"
)


def telegram_ids(participants: int) -> list[int]:
    """The participants' chat ids, in player-id order."""
    return [FIRST_TELEGRAM_ID + offset for offset in range(participants)]


# --- the emulator, with Telegram's flood limit -------------------------------------------------------


class FloodLimitedApi(BotApiEmulator):
    """The emulator, answering `sendMessage` with 429 once `limit` were accepted in the trailing second.

    Telegram does the same to a bot that sends too fast, so a bot that overshoots its configured rate
    shows it here as 429s and retries, not as a number that merely looks high. Arrival times are kept
    for every call, accepted or refused, to find the busiest window afterwards.
    """

    def __init__(self, *, token: str, limit: float) -> None:
        super().__init__(token=token)
        self.limit = limit
        self.arrivals: list[float] = []
        self.accepted: list[float] = []
        self.refused = 0
        self._window: deque[float] = deque()
        self._methods["sendmessage"] = self._send_message_within_limit
        self._probe_waiting: asyncio.Future[None] | None = None

    def expect_probe_reply(self) -> asyncio.Future[None]:
        self._probe_waiting = asyncio.get_running_loop().create_future()
        return self._probe_waiting

    def _send_message_within_limit(self, params: JSONDict) -> JSONDict:
        """Refuse with 429 past the limit; otherwise the emulator's own sendMessage.

        A reply to the probe player, who just wrote, is not a bulk notification: Telegram does not
        hold it to the broadcast limit, so neither does this emulator, and it is not counted.
        """
        if int(params.get("chat_id") or 0) == PROBE_CHAT:
            message = self._send_message(params)
            if self._probe_waiting is not None and not self._probe_waiting.done():
                self._probe_waiting.set_result(None)
            return message
        now = time.monotonic()
        self.arrivals.append(now)
        while self._window and self._window[0] <= now - WINDOW_SECONDS:
            self._window.popleft()
        if len(self._window) + 1 > self.limit:
            self.refused += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {RETRY_AFTER_SECONDS}",
                {"retry_after": RETRY_AFTER_SECONDS},
            )
        message = self._send_message(params)
        self._window.append(now)
        self.accepted.append(now)
        return message


def busiest_window(times: Sequence[float], width: float = WINDOW_SECONDS) -> int:
    """The most timestamps inside any window of `width` seconds (two pointers over sorted times)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, instant in enumerate(ordered):
        while ordered[first] <= instant - width:
            first += 1
        best = max(best, last - first + 1)
    return best


# --- the data: participants by bulk SQL, the outbox by the real draw --------------------------------


def populate(path: Path, participants: int, day: dt.date, created: dt.datetime) -> float:
    """Players, one open event of `day`, a registration and one ballot each; seconds taken.

    Plain sqlite3 into the migrated schema: this is setup, and registering 10,000 players through the
    use cases would take longer than the delivery being measured.
    """
    stamp = sqlite_datetime(created)
    ids = telegram_ids(participants)
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.executemany(
                "INSERT INTO players (id, telegram_id, username, first_name, balance, created_at) "
                "VALUES (?, ?, ?, 'Bench', 0, ?)",
                [(pid, telegram_id, f"p{telegram_id}", stamp) for pid, telegram_id in enumerate(ids, 1)],
            )
            connection.execute(
                "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at) "
                "VALUES (?, ?, 'Bench delivery', 1, 'XTR', 'open', ?, ?)",
                (EVENT_ID, day.isoformat(), participants, stamp),
            )
            connection.executemany(
                "INSERT INTO registrations (event_id, player_id, joined_at) VALUES (?, ?, ?)",
                [(EVENT_ID, pid, stamp) for pid in range(1, participants + 1)],
            )
            connection.executemany(
                "INSERT INTO ballots (event_id, number, player_id, created_at) VALUES (?, ?, ?, ?)",
                [(EVENT_ID, pid, pid, stamp) for pid in range(1, participants + 1)],
            )
    finally:
        connection.close()
    return time.perf_counter() - start


async def draw(url: str, participants: int) -> float:
    """Close the event through the use case, which writes the outbox; seconds taken.

    Checks the outbox holds one pending Telegram notice per participant, so a short outbox cannot
    pass for a complete delivery later.
    """
    lottery = LotteryService.connect(url, clock=SystemClock())
    try:
        await lottery.migrate()
        start = time.perf_counter()
        result = await lottery.closing.close_event(EVENT_ID, SystemClock().now())
        took = time.perf_counter() - start
        pending = await lottery.notifications.pending()
    finally:
        await lottery.close()
    if result is None or result.ballot_count != participants:
        raise RuntimeError(f"the draw did not close the event of {participants:,} ballots: {result}")
    if pending != participants:
        raise RuntimeError(f"the draw queued {pending:,} notices for {participants:,} participants")
    return took


def outbox_states(path: Path) -> dict[str, int]:
    """Outbox rows by status, plus rows claimed but not finished and rows sent after a retry."""
    connection = sqlite3.connect(path)
    try:
        states = dict(connection.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
        (claimed,) = connection.execute(
            "SELECT count(*) FROM outbox WHERE status = 'pending' AND claimed_until IS NOT NULL"
        ).fetchone()
        (retried,) = connection.execute("SELECT count(*) FROM outbox WHERE attempts > 1").fetchone()
    finally:
        connection.close()
    return {**states, "claimed, unfinished": claimed, "attempts > 1": retried}


# --- same-run ceilings: each half of the delivery pipeline on its own --------------------------------


class SilentBot:
    """Stands in for the Bot and sends nothing, so only the outbox bookkeeping is timed."""

    async def send_message(self, *, chat_id: int, text: str, rate_limit_args: int | None = None) -> None:
        """Accept the message and drop it."""


async def bookkeeping_ceiling(count: int) -> float:
    """Notices per second through `Delivery.deliver_due` with a bot that sends nothing.

    Its own database, populated and drawn like the main one: claiming batches and recording each
    outcome is all that is left, so this is the most the outbox lets the bot deliver at any R.
    """
    async with temp_database("delivery-ceiling") as path:
        url = sqlite_url(path)
        now = SystemClock().now()
        populate(path, count, now.date() - dt.timedelta(days=1), now)
        await draw(url, count)
        lottery = LotteryService.connect(url, clock=SystemClock())
        delivery = Delivery(lottery, cast("ExtBot[Any]", SilentBot()), None, batch_size=DELIVERY_BATCH)
        try:
            handled, start = 0, time.perf_counter()
            while handled < count and (batch := await delivery.deliver_due()):
                handled += batch
            took = time.perf_counter() - start
        finally:
            await lottery.close()
    return handled / took


async def transport_ceiling(count: int, concurrency: int) -> float:
    """sendMessage calls per second through PTB (the bot's builder and limiter) to the emulator alone.

    The limiter's rate is off (0), so this is what HTTP allows, not R. A separate emulator with no
    flood limit, so the main run's counts stay clean. Client and emulator share one process, as in the
    main run, so serving the request is included.
    """
    async with FloodLimitedApi(token=TOKEN, limit=math.inf) as api:
        application = (
            ApplicationBuilder()
            .token(api.token)
            .base_url(api.base_url)
            .rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=2))
            .updater(None)
            .build()
        )
        await application.initialize()
        gate = asyncio.Semaphore(concurrency)

        async def send(chat_id: int) -> None:
            async with gate:
                await application.bot.send_message(chat_id=chat_id, text=RESULT_TEXT)

        try:
            start = time.perf_counter()
            await asyncio.gather(*(send(chat_id) for chat_id in telegram_ids(count)))
            took = time.perf_counter() - start
        finally:
            await application.shutdown()
    return count / took


@dataclass(frozen=True)
class Ceilings:
    """The rates each half of the pipeline reaches alone, measured before the main run."""

    bookkeeping: float
    sequential_sends: float
    batched_sends: float


async def measure_ceilings() -> Ceilings:
    """Bookkeeping alone, then sends alone one at a time and a batch at a time."""
    return Ceilings(
        bookkeeping=await bookkeeping_ceiling(CEILING_NOTICES),
        sequential_sends=await transport_ceiling(CEILING_SENDS, 1),
        batched_sends=await transport_ceiling(CEILING_SENDS, DELIVERY_BATCH),
    )


# --- the run -----------------------------------------------------------------------------------------


def bot_settings(api: BotApiEmulator, url: str, rate: float) -> Settings:
    """The bot's settings, every relevant one spelled out so no `.env` or environment changes the run."""
    return load_settings(
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        database_url=url,
        messages_per_second=rate,
        lottery_timezone="UTC",
        smtp_host="",
        admin_ids="",
    )


def new_bot(settings: Settings) -> LotteryBot:
    """A fresh bot on its own connection pool, as a restarted process would build it."""
    lottery = LotteryService.connect(
        settings.database_url, rules=settings.lottery_rules(), clock=SystemClock()
    )
    return LotteryBot(settings, lottery)


async def wait_until(condition: Callable[[], bool], deadline: float) -> bool:
    """Sample `condition` every SAMPLE_SECONDS until it holds or the monotonic `deadline` passes."""
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(SAMPLE_SECONDS)
    return True


@dataclass
class Timeline:
    """What happened when, in monotonic seconds, and what each bot sent."""

    started: float = 0.0
    stop_requested: float = 0.0
    stopped: float = 0.0
    restarted: float = 0.0
    finished: float = 0.0
    sent_by_first: int = 0
    completed: bool = False
    outbox_at_restart: dict[str, int] = field(default_factory=dict)
    probe_latencies: list[float] = field(default_factory=list)


async def probe(api: FloodLimitedApi, latencies: list[float], stop: asyncio.Event) -> None:
    """A player sending /events every PROBE_EVERY seconds and timing each reply, until `stop`."""
    while not stop.is_set():
        replied = api.expect_probe_reply()
        sent = time.monotonic()
        api.send_command(PROBE_CHAT, "/events", first_name="Probe")
        try:
            await asyncio.wait_for(replied, 10)
            latencies.append(time.monotonic() - sent)
        except TimeoutError:
            latencies.append(float("inf"))
        await asyncio.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - sent)))


async def deliver_with_restart(api: FloodLimitedApi, settings: Settings, path: Path, total: int) -> Timeline:
    """Run a bot until half is sent, stop it, start a new one, and wait until everything is out.

    While the first bot delivers, a player keeps writing to it and times every reply.
    """
    timeline = Timeline()
    deadline = time.monotonic() + DEADLINE_SECONDS
    first = new_bot(settings)
    timeline.started = time.monotonic()
    await first.start()
    stop_probe = asyncio.Event()
    probing = asyncio.create_task(probe(api, timeline.probe_latencies, stop_probe))
    try:
        await wait_until(lambda: len(api.accepted) >= total // 2, deadline)
        timeline.stop_requested = time.monotonic()
    finally:
        stop_probe.set()
        await probing
        await first.stop()
    timeline.stopped = time.monotonic()
    timeline.sent_by_first = len(api.accepted)
    timeline.outbox_at_restart = outbox_states(path)
    second = new_bot(settings)
    await second.start()
    timeline.restarted = time.monotonic()
    try:
        timeline.completed = await wait_until(lambda: len(api.accepted) >= total, deadline)
        timeline.finished = time.monotonic()
        await asyncio.sleep(QUIET_SECONDS)  # anything sent twice would arrive now
    finally:
        await second.stop()
    return timeline


@dataclass(frozen=True)
class Delivered:
    """The per-chat tally of what the emulator accepted."""

    per_chat: Counter[int]
    expected: frozenset[int]

    @property
    def duplicates(self) -> int:
        """Messages beyond the first to any chat."""
        return sum(count - 1 for count in self.per_chat.values() if count > 1)

    @property
    def missing(self) -> int:
        """Participants who got nothing."""
        return len(self.expected - self.per_chat.keys())

    @property
    def strangers(self) -> int:
        """Messages to chats that are not participants (there should be none)."""
        return sum(count for chat, count in self.per_chat.items() if chat not in self.expected)


def tally(api: BotApiEmulator, participants: int) -> Delivered:
    """Count accepted sendMessage calls per chat id."""
    per_chat = Counter(
        int(m["chat_id"])
        for m in api.sent_messages()
        if m["method"] == "sendMessage" and int(m["chat_id"]) != PROBE_CHAT
    )
    return Delivered(per_chat, frozenset(telegram_ids(participants)))


def rate_between(times: Sequence[float], start: float, end: float) -> float:
    """Messages per second among `times` inside [start, end], first to last message."""
    inside = [instant for instant in times if start <= instant <= end]
    if len(inside) < 2:
        return 0.0
    return (len(inside) - 1) / (inside[-1] - inside[0])


@dataclass(frozen=True)
class Report:
    """Everything the verdict needs, gathered after the run."""

    rate: float
    participants: int
    timeline: Timeline
    delivered: Delivered
    refused: int
    busiest_accepted: int
    busiest_arrivals: int
    accepted: list[float]
    outbox_after: dict[str, int]
    ceilings: Ceilings


def verdict(report: Report) -> list[Outcome]:
    """Rates against R (information), then the three goals: within the rate, no duplicates, none missing."""
    timeline, rate, accepted = report.timeline, report.rate, report.accepted
    delivered, n, ceilings = report.delivered, report.participants, report.ceilings
    configured = f"{rate:,.0f} /s configured R"

    def against_r(figure: str, per_second: float) -> Outcome:
        return Outcome(figure, f"{per_second:,.0f} /s", configured, per_second / rate, "info", None)

    overall = len(accepted) / (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0.0
    return [
        against_r(
            "msgs/s, first bot (until stopped)", rate_between(accepted, timeline.started, timeline.stopped)
        ),
        against_r(
            "msgs/s, second bot (after restart)",
            rate_between(accepted, timeline.restarted, timeline.finished),
        ),
        against_r("msgs/s, first to last message (restart incl.)", overall),
        Outcome(
            "429s answered / busiest 1 s of arrivals",
            f"{report.refused:,} / {report.busiest_arrivals:,}",
            configured,
            report.busiest_arrivals / rate,
            "no 429, <= R in any 1 s",
            report.refused == 0 and report.busiest_arrivals <= rate,
        ),
        Outcome(
            f"replies to a player while it runs: median / max ({len(timeline.probe_latencies)} commands)",
            f"{_ms(statistics.median(timeline.probe_latencies or [math.inf]))} / "
            f"{_ms(max(timeline.probe_latencies or [math.inf]))}",
            "-",
            None,
            f"every reply <= {PROBE_GOAL:.0f} s",
            bool(timeline.probe_latencies) and max(timeline.probe_latencies) <= PROBE_GOAL,
        ),
        Outcome(
            "extra messages (participants with > 1)",
            f"{delivered.duplicates:,}",
            f"{n:,} participants",
            delivered.duplicates / n,
            "no duplicates",
            delivered.duplicates == 0,
        ),
        Outcome(
            "participants with no message",
            f"{delivered.missing:,}",
            f"{n:,} participants",
            delivered.missing / n,
            "none missing",
            delivered.missing == 0 and timeline.completed,
        ),
        against_r(f"info: outbox bookkeeping alone ({CEILING_NOTICES:,}, silent bot)", ceilings.bookkeeping),
        against_r(f"info: sendMessage alone, 1 at a time ({CEILING_SENDS})", ceilings.sequential_sends),
        against_r(
            f"info: sendMessage alone, {DELIVERY_BATCH} at a time ({CEILING_SENDS})", ceilings.batched_sends
        ),
    ]


def _ms(seconds: float) -> str:
    return "none" if math.isinf(seconds) else f"{seconds * 1000:,.0f} ms"


def print_details(report: Report, populate_seconds: float, draw_seconds: float) -> None:
    """The timeline and the outbox, so a FAIL above can be read without re-running."""
    t = report.timeline
    print(f"populate {report.participants:,} participants (bulk SQL): {populate_seconds:.2f} s")
    print(f"close_event (the draw writes the outbox): {draw_seconds * 1000:.0f} ms")
    print(
        f"first bot: start -> stop requested {t.stop_requested - t.started:.2f} s, stop() took "
        f"{t.stopped - t.stop_requested:.2f} s, sent {t.sent_by_first:,}"
    )
    print(f"outbox when the second bot started: {t.outbox_at_restart}")
    print(
        f"second bot: start() took {t.restarted - t.stopped:.2f} s, sent "
        f"{len(report.accepted) - t.sent_by_first:,}, done {t.finished - t.restarted:.2f} s after start"
        f"{'' if t.completed else ' (DEADLINE HIT)'}"
    )
    print(
        f"sendMessage calls: {len(report.accepted) + report.refused:,} "
        f"({len(report.accepted):,} accepted, {report.refused:,} answered 429); busiest 1 s: "
        f"{report.busiest_arrivals:,} arrivals, {report.busiest_accepted:,} accepted"
    )
    print(f"messages to non-participants: {report.delivered.strangers:,}")
    print(f"outbox after both bots stopped: {report.outbox_after}")


async def run(participants: int, rate: float) -> list[Outcome]:
    """Measure the ceilings; populate, draw, deliver through two bots in turn; tally and judge."""
    ceilings = await measure_ceilings()
    async with temp_database("delivery") as path:
        url = sqlite_url(path)
        now = SystemClock().now()
        populate_seconds = populate(path, participants, now.date() - dt.timedelta(days=1), now)
        draw_seconds = await draw(url, participants)
        async with FloodLimitedApi(token=TOKEN, limit=rate) as api:
            settings = bot_settings(api, url, rate)
            timeline = await deliver_with_restart(api, settings, path, participants)
            report = Report(
                rate=rate,
                participants=participants,
                timeline=timeline,
                delivered=tally(api, participants),
                refused=api.refused,
                busiest_accepted=busiest_window(api.accepted),
                busiest_arrivals=busiest_window(api.arrivals),
                accepted=list(api.accepted),
                outbox_after=outbox_states(path),
                ceilings=ceilings,
            )
    print_details(report, populate_seconds, draw_seconds)
    return verdict(report)


class CountingHandler(logging.Handler):
    """Counts warnings and errors by logger, printing only the first few: 429 storms log per message."""

    def __init__(self, shown: int = 3) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()
        self._shown = shown

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record; print it while its logger is still under the limit."""
        key = f"{record.name} {record.levelname}"
        self.counts[key] += 1
        if self.counts[key] <= self._shown:
            print(f"log: {key}: {record.getMessage()[:200]}")


def arguments() -> argparse.Namespace:
    """`--rate` and `--participants`, defaulting to the figures the goal names."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=DEFAULT_PARTICIPANTS)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="messages per second, R")
    return parser.parse_args()


def main() -> None:
    """Entry point for `python -m bench.delivery`."""
    args = arguments()
    counting = CountingHandler()
    logging.basicConfig(level=logging.WARNING, handlers=[counting])
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the token sits in every URL
    start = time.perf_counter()
    outcomes = asyncio.run(run(args.participants, args.rate))
    if counting.counts:
        print(f"warnings and errors logged: {dict(counting.counts)}")
    print_table(
        f"Delivery: {args.participants:,} participants at R = {args.rate:,.0f} msg/s, restart half-way "
        f"({time.perf_counter() - start:.0f} s)",
        outcomes,
    )


if __name__ == "__main__":
    main()
