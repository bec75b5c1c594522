"""The query plans behind the hot commands on SQLite, each full-table scan flagged.

The statements are not listed by hand: every SQL statement SQLite runs while the real bot answers
`/me`, `/history`, `/join`, `/events` and `/stats`, and while `notifications.claim_due` claims a batch,
is captured from the sqlite3 connections themselves (a trace callback on every connection opened,
aiosqlite's and the one-trip writer's alike), so the list follows the code when the code changes. Each
distinct statement is then shown with its `EXPLAIN QUERY PLAN`, and a plan step that reads a whole
table (`SCAN table` with no index) is flagged: that is where an index is owed.

Run from the project root: `python -m bench.plans`. SQLite only for now.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench import commands
from bench._common import command_update, temp_database_url
from bot.app import LotteryBot
from bot.handlers.guards import Throttle
from bot.settings import load_settings
from core.clock import FixedClock
from core.service import LotteryService
from tests.bot.recording import RecordingRequest

ADMIN = 900
SKIPPED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
FULL_SCAN = re.compile(r"^SCAN (\w+)(?!.*\bUSING\b)")


@dataclass(frozen=True)
class Plan:
    """One statement as SQLite ran it, its plan steps, and the tables it reads whole."""

    source: str
    statement: str
    steps: list[str]

    tables: frozenset[str] = frozenset()

    @property
    def full_scans(self) -> list[str]:
        """Tables read whole; a CTE's few rows or SQLite's constant row are not tables."""
        scanned = [match.group(1) for step in self.steps if (match := FULL_SCAN.match(step))]
        return [name for name in scanned if name in self.tables]

    @property
    def sorts(self) -> bool:
        """A temp B-tree for ORDER BY sorts every matching row (e.g. a whole backlog) to return a few."""
        return any("USE TEMP B-TREE" in step for step in self.steps)


@contextmanager
def traced_connections() -> Iterator[list[str]]:
    """Every statement run on any sqlite3 connection opened inside the block, parameters expanded."""
    statements: list[str] = []
    original = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = original(*args, **kwargs)
        connection.set_trace_callback(statements.append)
        return connection

    sqlite3.connect = connect  # type: ignore[assignment]
    try:
        yield statements
    finally:
        sqlite3.connect = original


def table_names(path: str) -> frozenset[str]:
    connection = sqlite3.connect(path)
    try:
        return frozenset(
            row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
    finally:
        connection.close()


def explain(path: str, statement: str) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}")]
    finally:
        connection.close()


async def capture(url: str) -> list[tuple[str, str]]:
    """(source, statement) for every statement behind the commands and the outbox claim."""
    settings = load_settings(**{**_settings(url), "admin_ids": str(ADMIN)})
    found: list[tuple[str, str]] = []
    with traced_connections() as statements:
        lottery = LotteryService.connect(url, rules=settings.lottery_rules(), clock=FixedClock(commands.NOW))
        await lottery.migrate()
        bot = LotteryBot(
            settings, lottery, throttle=Throttle(rate=1e6, burst=10**6), request=RecordingRequest()
        )
        await bot.application.initialize()
        try:
            application = bot.application
            for user_id in (commands.FIRST_TELEGRAM_ID, ADMIN):
                for text in ("/start", "/join", "/pay 3", "/buy 2"):
                    await application.process_update(
                        command_update(application.bot, user_id, text, at=commands.NOW)
                    )
            steps: list[tuple[str, Callable[[], Any]]] = [
                (text, _command(bot, user_id, text))
                for user_id, text in (
                    (commands.FIRST_TELEGRAM_ID, "/start"),
                    (commands.FIRST_TELEGRAM_ID, "/me"),
                    (commands.FIRST_TELEGRAM_ID, "/mytickets"),
                    (commands.FIRST_TELEGRAM_ID, "/history"),
                    (commands.FIRST_TELEGRAM_ID, "/join"),
                    (commands.FIRST_TELEGRAM_ID, "/events"),
                    (commands.FIRST_TELEGRAM_ID, "/pay 1"),
                    (commands.FIRST_TELEGRAM_ID, f"/winner {commands.YESTERDAY.isoformat()}"),
                    (commands.FIRST_TELEGRAM_ID, "/winner"),
                    (ADMIN, "/stats"),
                    (ADMIN, "/users"),
                )
            ]
            steps.append(("outbox claim", lambda: lottery.notifications.claim_due(limit=100)))
            for source, action in steps:
                start = len(statements)
                await action()
                found += [(source, s) for s in statements[start:] if not SKIPPED.match(s)]
        finally:
            await bot.application.shutdown()
            await lottery.close()
    return found


def _settings(url: str) -> dict[str, Any]:
    return {
        "telegram_bot_token": commands.TOKEN,
        "database_url": url,
        "ballot_price": 1,
        "lottery_timezone": "UTC",
        "smtp_host": "",
        "messages_per_second": 100_000.0,
    }


def _command(bot: LotteryBot, user_id: int, text: str) -> Callable[[], Any]:
    application = bot.application
    return lambda: application.process_update(command_update(application.bot, user_id, text, at=commands.NOW))


async def run() -> list[Plan]:
    async with temp_database_url("plans") as url:
        path = url.split("///", 1)[1]
        captured = await capture(url)
        tables = table_names(path)
        seen: set[tuple[str, str]] = set()
        plans = []
        for source, statement in captured:
            if (source, statement) in seen:
                continue
            seen.add((source, statement))
            plans.append(Plan(source, statement, explain(path, statement), tables))
    return plans


def main() -> None:
    """Entry point for `python -m bench.plans`."""
    plans = asyncio.run(run())
    for plan in plans:
        flag = f"  FULL SCAN of {', '.join(plan.full_scans)}" if plan.full_scans else ""
        flag += "  SORTS IN A TEMP B-TREE" if plan.sorts else ""
        print(f"\n[{plan.source}]{flag}\n  {' '.join(plan.statement.split())[:300]}")
        for step in plan.steps:
            print(f"    {step}")
    scans = [plan for plan in plans if plan.full_scans]
    print(f"\n{len(plans)} statements, {len(scans)} with a full-table scan")


if __name__ == "__main__":
    main()
