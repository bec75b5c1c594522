"""Shared plumbing for the benchmarks: temp databases, timing, memory and the result table.

Every benchmark compares a figure with a baseline measured in the same process and the same run, so the
ratio stays meaningful on a slower or busier machine even when the absolute numbers move.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import re
import resource
import secrets
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from telegram import Bot, Update

from storage import create_engine
from storage.schema import upgrade

T = TypeVar("T")

MB = 1_000_000
STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def sqlite_url(path: Path) -> str:
    """The async URL the service uses, so benchmarks run the production engine setup."""
    return f"sqlite+aiosqlite:///{path}"


def sqlite_datetime(instant: dt.datetime) -> str:
    """A UTC instant spelled as SQLAlchemy stores DateTime on SQLite, so bulk rows read back like ORM rows."""
    naive = instant.astimezone(dt.UTC).replace(tzinfo=None)
    return naive.isoformat(sep=" ", timespec="microseconds")


@asynccontextmanager
async def temp_database(name: str) -> AsyncIterator[Path]:
    """A migrated SQLite file in its own temp directory, removed afterwards (WAL files included).

    A file, not `:memory:`: an in-memory database shares one connection and skips the disk path the
    bot really takes (see FIELD_NOTES).
    """
    directory = Path(tempfile.mkdtemp(prefix=f"lottery-bench-{name}-"))
    try:
        path = directory / f"{name}.db"
        engine = create_engine(sqlite_url(path))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def median(values: Sequence[float]) -> float:
    """The median: one slow outlier (a checkpoint, a GC pass) should not decide a figure."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], fraction: float) -> float:
    """A nearest-rank percentile, for the tail next to the median."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


async def elapsed(action: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """Run `action` once and return its result and wall time in seconds."""
    start = time.perf_counter()
    result = await action()
    return result, time.perf_counter() - start


def _status_kib(field: str) -> int | None:
    """One `Vm…` line of /proc/self/status in KiB, or None off Linux."""
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) to the current RSS; False where that is refused."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class RssProbe:
    """How far resident memory rose above where it stood when the probe started."""

    before_kib: int
    per_call: bool

    @classmethod
    def start(cls) -> RssProbe:
        """Reset the high-water mark when the kernel allows it; else fall back to ru_maxrss."""
        gc.collect()
        per_call = _reset_peak_rss()
        current = _status_kib("VmRSS") if per_call else None
        if current is None:
            return cls(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, per_call=False)
        return cls(current, per_call=True)

    def growth_bytes(self) -> int:
        """Peak RSS during the probe minus RSS at its start (ru_maxrss only sees new process highs)."""
        peak = _status_kib("VmHWM") if self.per_call else None
        if peak is None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return max(0, peak - self.before_kib) * 1024


async def traced_peak(action: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """Run `action` under tracemalloc: its result and the peak of Python allocations, in bytes.

    Run separately from the timed runs: tracing every allocation slows allocation-heavy code severalfold.
    Memory the SQLite library allocates itself (page cache, sorter) is not traced; RSS growth covers it.
    """
    gc.collect()
    tracemalloc.start()
    try:
        result = await action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@dataclass(frozen=True)
class Outcome:
    """One line of the verdict: a figure, its same-run baseline, and the goal it is held to."""

    figure: str
    measured: str
    baseline: str
    ratio: float | None
    goal: str
    passed: bool | None  # None: shown for information, held to no goal


def print_table(title: str, outcomes: Sequence[Outcome]) -> None:
    """Print the verdict as a Markdown table, easy to paste into notes and issues."""
    header = ("figure", "measured", "baseline (same run)", "ratio", "goal", "result")
    rows = [
        (
            o.figure,
            o.measured,
            o.baseline,
            _ratio(o.ratio),
            o.goal,
            "info" if o.passed is None else "PASS" if o.passed else "FAIL",
        )
        for o in outcomes
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    print(f"\n{title}")
    print(line(header))
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        print(line(row))


def _ratio(ratio: float | None) -> str:
    """Two decimals, or two significant digits for ratios far below one (e.g. 0.0044)."""
    if ratio is None:
        return "-"
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.2g}"


def megabytes(size: int) -> str:
    """Bytes as decimal megabytes, the unit the goals are written in."""
    return f"{size / MB:.1f} MB"


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds with enough digits for sub-millisecond calls."""
    return f"{seconds * 1000:.3f} ms" if seconds < 0.01 else f"{seconds * 1000:.1f} ms"


# --- the runner discipline: figure and baseline interleaved, several rounds, median and range ----------

DEFAULT_ROUNDS = 5


@dataclass(frozen=True)
class Sample:
    """One round of one loop: how many operations, in how much wall time and CPU time."""

    operations: int
    wall_seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.operations / self.wall_seconds if self.wall_seconds > 0 else 0.0

    @property
    def cpu_ms_per_operation(self) -> float:
        return 1000 * self.cpu_seconds / self.operations if self.operations else 0.0


async def timed(operations: int, action: Callable[[], Awaitable[object]]) -> Sample:
    """Run `action` (which performs `operations` operations) once; wall and process CPU time.

    CPU time is `time.process_time`, all threads of this process (the SQLite writer thread included),
    so it is the cost of an operation on a machine whose other cores are busy.
    """
    cpu, wall = time.process_time(), time.perf_counter()
    await action()
    return Sample(operations, time.perf_counter() - wall, time.process_time() - cpu)


async def interleaved(
    loops: dict[str, tuple[int, Callable[[], Awaitable[object]]]], rounds: int = DEFAULT_ROUNDS
) -> dict[str, list[Sample]]:
    """Run each loop once per round, in turn, `rounds` times: machine noise then hits all of them alike.

    The figure and its baseline are never measured in separate blocks, where a busy minute would
    flatter one side. Nothing is discarded: the caller reports the median and the whole range.
    """
    samples: dict[str, list[Sample]] = {name: [] for name in loops}
    for _ in range(max(1, rounds)):
        for name, (operations, action) in loops.items():
            samples[name].append(await timed(operations, action))
    return samples


def spread(values: Sequence[float], unit: Callable[[float], str] = lambda v: f"{v:,.0f}") -> str:
    """The median and the range of every round, never the best run: "1,234 (1,100–1,300)"."""
    if not values:
        return "-"
    return f"{unit(median(values))} ({unit(min(values))}–{unit(max(values))})"


@asynccontextmanager
async def temp_database_url(name: str, server_url: str | None = None) -> AsyncIterator[str]:
    """A migrated database of its own: a SQLite temp file, or a fresh database on `server_url`.

    On PostgreSQL the database is created and dropped by this run, so runs in parallel never collide.
    """
    if server_url is None:
        async with temp_database(name) as path:
            yield sqlite_url(path)
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    database = f"lottery_bench_{name.replace('-', '_')}_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        await admin.dispose()


_update_ids = itertools.count(1)


def command_update(bot: Bot, user_id: int, text: str, *, at: dt.datetime) -> Update:
    """A private-chat command message as Telegram sends it: with the `bot_command` entity PTB needs."""
    word = text.split()[0]
    update_id = next(_update_ids)
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(at.timestamp()),
            "chat": {"id": user_id, "type": "private", "first_name": f"P{user_id}"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"P{user_id}"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(word)}],
        },
    }
    return Update.de_json(data, bot)
