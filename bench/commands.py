"""Each player command alone through `Application.process_update`: updates/s and CPU ms per update.

The figure is the real `LotteryBot` (guards, handler, core use case on a real migrated database,
reply through PTB to an in-process recording request, no sockets) answering one command at a time,
awaited one after another, from players taking turns. The baseline, measured interleaved with every
command in every round, is a bare Application whose handler answers each command with one
`sendMessage` and does nothing else: the no-op bot of issue 9. Each round runs every command and the
baseline once, in turn; the table shows the median and the range (min–max) over the rounds.

Run from the project root: `python -m bench.commands` (SQLite temp file), add
`--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` for PostgreSQL (a database of
its own is created and dropped), `--quick` for a short smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from bench._common import (
    DEFAULT_ROUNDS,
    Outcome,
    Sample,
    command_update,
    interleaved,
    median,
    print_table,
    spread,
    temp_database_url,
)
from bot.app import LotteryBot
from bot.errors import apology
from bot.handlers.guards import Throttle
from bot.settings import Settings, load_settings
from core.clock import FixedClock
from core.service import LotteryService
from tests.bot.recording import RecordingRequest

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
YESTERDAY = (NOW - dt.timedelta(days=1)).date()
TOKEN = "1:offline"
FIRST_TELEGRAM_ID = 40_001
GOAL_RATIO = 0.8
COMMANDS = (
    "/start",
    "/join",
    "/pay 1",
    "/buy 1",
    "/me",
    "/mytickets",
    f"/winner {YESTERDAY.isoformat()}",
    "/events",
    "/history",
)
BASELINE = "baseline: one sendMessage"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Plan:
    """How much to run: players taking turns, updates per command per round, rounds."""

    players: int = 200
    updates: int = 400
    rounds: int = DEFAULT_ROUNDS

    @classmethod
    def quick(cls) -> Plan:
        return cls(players=5, updates=10, rounds=2)

    def ids(self) -> list[int]:
        return [FIRST_TELEGRAM_ID + offset for offset in range(self.players)]


def bench_settings(database_url: str) -> Settings:
    """Everything spelled out, so neither the environment nor a `.env` changes the run.

    The reply limiter is set high enough not to bind: the figure is what the bot can do per update.
    """
    return load_settings(
        telegram_bot_token=TOKEN,
        database_url=database_url,
        ballot_price=1,
        max_ballots_per_purchase=100,
        lottery_timezone="UTC",
        smtp_host="",
        admin_ids="",
        messages_per_second=100_000.0,
    )


async def drive(application: AnyApplication, updates: Sequence[Update]) -> None:
    for update in updates:
        await application.process_update(update)


def updates_for(bot: Bot, plan: Plan, text: str) -> list[Update]:
    """Parsed before the clock starts: parsing is the Updater's work, not the handler's."""
    ids = plan.ids()
    return [command_update(bot, ids[index % len(ids)], text, at=NOW) for index in range(plan.updates)]


def check_replies(request: RecordingRequest, since: int, expected: int, text: str) -> None:
    """Every update must have been answered, and not with the apology for a crashed handler."""
    replies = [params.get("text", "") for name, params in request.calls[since:] if name == "sendMessage"]
    failed = [reply for reply in replies if reply.startswith(apology()[:20])]
    if len(replies) != expected or failed:
        raise RuntimeError(f"{text!r}: {len(replies)} replies for {expected} updates; failures: {failed[:2]}")


async def only_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The no-op bot: one sendMessage per update, nothing else."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message("ok")


async def baseline_application() -> AnyApplication:
    request = RecordingRequest()
    application = (
        ApplicationBuilder().token(TOKEN).request(request).get_updates_request(request).updater(None).build()
    )
    names = sorted({text.split()[0].lstrip("/") for text in COMMANDS})
    application.add_handler(CommandHandler(names, only_reply))
    await application.initialize()
    return application


async def set_up_players(bot: LotteryBot, plan: Plan) -> None:
    """Register, join and pay for every player through the bot, with credit for every /buy of the run."""
    credit = plan.rounds * plan.updates // plan.players + 2
    application = bot.application
    for user_id in plan.ids():
        for text in ("/start", "/join", f"/pay {min(credit, 100)}"):
            await application.process_update(command_update(application.bot, user_id, text, at=NOW))


async def measure(database_url: str, plan: Plan) -> dict[str, list[Sample]]:
    """Build the bot and the baseline, set the players up, then run every loop interleaved."""
    settings = bench_settings(database_url)
    lottery = LotteryService.connect(database_url, rules=settings.lottery_rules(), clock=FixedClock(NOW))
    await lottery.migrate()
    request = RecordingRequest()
    bot = LotteryBot(settings, lottery, throttle=Throttle(rate=1e6, burst=10**6), request=request)
    await bot.application.initialize()
    baseline = await baseline_application()
    try:
        await set_up_players(bot, plan)

        def command_loop(text: str) -> tuple[int, Any]:
            async def run() -> None:
                updates = updates_for(bot.application.bot, plan, text)
                since = len(request.calls)
                await drive(bot.application, updates)
                check_replies(request, since, len(updates), text)

            return plan.updates, run

        async def baseline_run() -> None:
            await drive(baseline, updates_for(baseline.bot, plan, "/me"))

        loops = {text: command_loop(text) for text in COMMANDS}
        loops[BASELINE] = (plan.updates, baseline_run)
        await interleaved({name: (count // 4 or 1, action) for name, (count, action) in loops.items()}, 1)
        return await interleaved(loops, plan.rounds)
    finally:
        await baseline.shutdown()
        await bot.application.shutdown()
        await lottery.close()


def verdict(samples: dict[str, list[Sample]]) -> list[Outcome]:
    """One line per command: updates/s and CPU ms per update, median (range), against the baseline."""
    base = samples[BASELINE]
    base_rate = median([s.per_second for s in base])
    base_cpu = median([s.cpu_ms_per_operation for s in base])
    outcomes = []
    for name, rounds in samples.items():
        rate = median([s.per_second for s in rounds])
        cpu = spread([s.cpu_ms_per_operation for s in rounds], lambda v: f"{v:.2f}")
        is_base = name == BASELINE
        outcomes.append(
            Outcome(
                figure=name,
                measured=f"{spread([s.per_second for s in rounds])} /s, {cpu} CPU ms",
                baseline=f"{base_rate:,.0f} /s, {base_cpu:.2f} CPU ms",
                ratio=rate / base_rate if base_rate else None,
                goal="-" if is_base else f">= {GOAL_RATIO} x baseline",
                passed=None if is_base else rate >= GOAL_RATIO * base_rate,
            )
        )
    return outcomes


async def run(plan: Plan, server_url: str | None) -> list[Outcome]:
    async with temp_database_url("commands", server_url) as url:
        samples = await measure(url, plan)
    return verdict(samples)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; SQLite if left out")
    parser.add_argument(
        "--rounds", type=int, default=None, help=f"interleaved rounds (default {DEFAULT_ROUNDS})"
    )
    parser.add_argument("--updates", type=int, default=None, help="updates per command per round")
    parser.add_argument("--quick", action="store_true", help="a few updates, two rounds: a smoke run")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    plan = Plan.quick() if args.quick else Plan()
    return Plan(
        players=plan.players,
        updates=args.updates or plan.updates,
        rounds=args.rounds or plan.rounds,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point for `python -m bench.commands`."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the token sits in every URL
    plan = plan_from(args)
    backend = "PostgreSQL" if args.database_url else "SQLite file"
    outcomes = asyncio.run(run(plan, args.database_url))
    print_table(
        f"Each command through process_update on {backend}: {plan.players} players, "
        f"{plan.updates} updates x {plan.rounds} rounds, median (min–max) (ratio = figure / baseline)",
        outcomes,
    )


if __name__ == "__main__":
    main()
