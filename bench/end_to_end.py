"""End to end over real HTTP: players talking to the real bot through the Bot API emulator.

This process runs the Bot API emulator (tests/support/bot_api.py) on loopback and 200 players, each
sending `/start`, `/join`, `/pay 1`, `/buy 1` and waiting for every reply before the next. The bot
runs in a process of its own and long-polls the emulator over HTTP, as in production, with default
settings (the dummy payment gateway, SQLite file or PostgreSQL). The baseline is a python-telegram-bot
bot that answers every update with one `sendMessage`, polling the same emulator under the same load.
Each round runs the lottery bot once and the baseline once, in turn, each on a fresh emulator; the table
shows the median and range over the rounds of updates/s and of the median reply latency.

Goal (issue 9): at least 0.8x the baseline's updates/s, and a median latency at most 1.5x its latency.

Run from the project root: `python -m bench.end_to_end`, add `--database-url
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` for PostgreSQL, `--quick` for a smoke run.
`--reply-delay 0.05` makes the emulator take 50 ms to answer each sendMessage, as Telegram's round
trip does; loopback alone answers in well under 1 ms. To see what a per-update layer costs,
`--without guards` (or menus, language, limiter, jobs; repeatable) also runs the bot without it, in
turn with the others. `LOTTERY_BENCH_PROFILE=/tmp/p` makes each bot process write its cProfile (CPU
time) to /tmp/p.lottery and /tmp/p.noop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes

from bench._common import DEFAULT_ROUNDS, Outcome, print_table, spread, temp_database_url
from tests.support.bot_api import BotApiEmulator, JSONDict

TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnopqrstuvwxyz"
COMMANDS = ("/start", "/join", "/pay 1", "/buy 1")
FIRST_PLAYER = 70_001
REPLY_TIMEOUT = 60.0
READY = "ready"
RATE_GOAL = 0.8
LATENCY_GOAL = 1.5
CONCURRENT = "LOTTERY_BENCH_CONCURRENT_UPDATES"  # set to N >= 1: the lottery bot runs N updates at once
WITHOUT = "LOTTERY_BENCH_WITHOUT"  # measurement only: a layer the lottery bot runs without (LAYERS)
# What each per-update layer costs: the bot run without it, in turn with the others (`--without`).
LAYERS = ("menus", "language", "guards", "limiter", "jobs")
PROFILE = "LOTTERY_BENCH_PROFILE"  # a path: each bot process writes its cProfile there, suffixed by kind


@dataclass(frozen=True)
class Plan:
    players: int = 200
    rounds: int = DEFAULT_ROUNDS
    concurrent: int = 0  # >= 1: also run the lottery bot with CONCURRENT_UPDATES=N (1: one at a time)
    without: tuple[str, ...] = ()  # also run the lottery bot without each of these layers
    # Seconds the emulator takes to answer each sendMessage: Telegram's round trip, which loopback lacks.
    reply_delay: float = 0.0

    @classmethod
    def quick(cls) -> Plan:
        return cls(players=5, rounds=1)


@dataclass(frozen=True)
class Run:
    updates: int
    seconds: float
    latencies: list[float]
    missing: int

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def median_latency(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("inf")


class ReplyingEmulator(BotApiEmulator):
    """The emulator, telling each waiting player the moment a message reaches their chat.

    `wait_for_message` wakes every waiter on every message; with 200 players waiting at once that
    costs more than the bot under test, so each player waits on a future of its own instead.
    """

    def __init__(self) -> None:
        super().__init__(TOKEN)
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def expect_reply(self, chat_id: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = future
        return future

    def _send_message(self, params: JSONDict) -> JSONDict:
        message = super()._send_message(params)
        future = self._waiting.pop(int(message["chat"]["id"]), None)
        if future is not None and not future.done():
            future.set_result(None)
        return message


async def play(api: ReplyingEmulator, chat_id: int, latencies: list[float]) -> int:
    """One player's four commands, each sent once the previous one was answered; how many went unanswered."""
    missing = 0
    for text in COMMANDS:
        replied = api.expect_reply(chat_id)
        sent = time.perf_counter()
        api.send_command(chat_id, text, first_name=f"P{chat_id}")
        try:
            await asyncio.wait_for(replied, REPLY_TIMEOUT)
        except TimeoutError:
            missing += 1
            continue
        latencies.append(time.perf_counter() - sent)
    return missing


async def one_run(kind: str, database_url: str, plan: Plan, *, concurrent: int = 0, without: str = "") -> Run:
    """Start a bot process of `kind` against a fresh emulator, let the players play, stop it."""
    async with ReplyingEmulator() as api:
        if plan.reply_delay:
            api.set_delay("sendMessage", plan.reply_delay)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.end_to_end",
            "--serve",
            kind,
            "--api-url",
            api.base_url,
            "--database-url",
            database_url,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1", CONCURRENT: str(concurrent), WITHOUT: without},
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            if line.decode().strip() != READY:
                raise RuntimeError(f"the {kind} bot did not start: {line!r}")
            latencies: list[float] = []
            started = time.perf_counter()
            ids = range(FIRST_PLAYER, FIRST_PLAYER + plan.players)
            missing = sum(await asyncio.gather(*(play(api, chat_id, latencies) for chat_id in ids)))
            seconds = time.perf_counter() - started
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
    return Run(len(latencies), seconds, latencies, missing)


async def measure(database_url: str, plan: Plan) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {"lottery bot": [], "no-op bot": []}
    concurrent = f"lottery bot, CONCURRENT_UPDATES={plan.concurrent}"
    noop_concurrent = f"no-op bot, concurrent_updates={plan.concurrent}"
    if plan.concurrent:
        runs[concurrent] = []
        runs[noop_concurrent] = []
    for _ in range(plan.rounds):
        runs["lottery bot"].append(await one_run("lottery", database_url, plan))
        runs["no-op bot"].append(await one_run("noop", database_url, plan))
        if plan.concurrent:
            at_once = plan.concurrent
            runs[concurrent].append(await one_run("lottery", database_url, plan, concurrent=at_once))
            runs[noop_concurrent].append(await one_run("noop", database_url, plan, concurrent=at_once))
        for layer in plan.without:
            runs.setdefault(f"lottery bot without {layer}", []).append(
                await one_run("lottery", database_url, plan, without=layer)
            )
    return runs


def verdict(runs: dict[str, list[Run]]) -> list[Outcome]:
    bot, base = runs["lottery bot"], runs["no-op bot"]
    rate = statistics.median(r.per_second for r in bot)
    base_rate = statistics.median(r.per_second for r in base)
    latency = statistics.median(r.median_latency for r in bot)
    base_latency = statistics.median(r.median_latency for r in base)
    missing = sum(r.missing for r in bot + base)
    ms = lambda v: f"{v * 1000:,.0f} ms"  # noqa: E731
    extra = [
        _beside(name, rounds, base if name.startswith("no-op") else bot)
        for name, rounds in runs.items()
        if name not in ("lottery bot", "no-op bot")
    ]
    return [
        Outcome(
            figure="updates/s, lottery bot",
            measured=spread([r.per_second for r in bot]),
            baseline=f"{spread([r.per_second for r in base])} (no-op bot)",
            ratio=rate / base_rate if base_rate else None,
            goal=f">= {RATE_GOAL} x baseline",
            passed=rate >= RATE_GOAL * base_rate and missing == 0,
        ),
        Outcome(
            figure="median reply latency, lottery bot",
            measured=spread([r.median_latency for r in bot], ms),
            baseline=f"{spread([r.median_latency for r in base], ms)} (no-op bot)",
            ratio=latency / base_latency if base_latency else None,
            goal=f"<= {LATENCY_GOAL} x baseline",
            passed=latency <= LATENCY_GOAL * base_latency and missing == 0,
        ),
        Outcome(
            figure="updates left unanswered",
            measured=str(sum(r.missing for r in bot)),
            baseline=str(sum(r.missing for r in base)),
            ratio=None,
            goal="0",
            passed=missing == 0,
        ),
        *extra,
    ]


def _beside(name: str, rounds: list[Run], default: list[Run]) -> Outcome:
    """A variant of a bot, against the same bot with default settings."""
    default_rate = statistics.median(r.per_second for r in default)
    return Outcome(
        figure=name,
        measured=_rate_and_latency(rounds),
        baseline=f"{_rate_and_latency(default)} (default settings)",
        ratio=statistics.median(r.per_second for r in rounds) / default_rate if default_rate else None,
        goal="-",
        passed=None,
    )


def _rate_and_latency(runs: list[Run]) -> str:
    latency = spread([r.median_latency for r in runs], lambda v: f"{v * 1000:,.0f} ms")
    return f"{spread([r.per_second for r in runs])} /s, {latency}"


# --- the bot processes --------------------------------------------------------------------------------


async def only_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message("ok")


async def serve(kind: str, api_url: str, database_url: str) -> None:
    """Run a bot until SIGTERM: the lottery bot as production starts it, or the no-op bot."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    if kind == "noop":
        builder = ApplicationBuilder().token(TOKEN).base_url(api_url)
        at_once = int(os.environ.get(CONCURRENT, "0"))
        if at_once > 1:  # python-telegram-bot's own concurrent processing: the no-op bot keeps no order
            builder = builder.concurrent_updates(at_once)
        application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        application.add_handler(CommandHandler(["start", "join", "pay", "buy"], only_reply))
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        print(READY, flush=True)
        await stop.wait()
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        return
    from bot.app import LotteryBot
    from bot.settings import load_settings
    from core.service import LotteryService

    concurrent = int(os.environ.get(CONCURRENT, "0"))
    settings = load_settings(
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api_url,
        database_url=database_url,
        smtp_host="",
    )
    if concurrent:
        settings = settings.model_copy(update={"concurrent_updates": concurrent})
    lottery = LotteryService.connect(database_url, rules=settings.lottery_rules())
    bot = LotteryBot(settings, lottery)
    without = os.environ.get(WITHOUT, "")
    if without:
        _remove_layer(bot, without)
    await bot.start()
    if without == "limiter":  # after start: initialize() still needs the limiter it was built with
        bot.application.bot._rate_limiter = None
    if without == "jobs":
        assert bot.application.job_queue is not None
        for job in bot.application.job_queue.jobs():
            job.schedule_removal()
        bot.delivery.stop()
    print(READY, flush=True)
    await stop.wait()
    await bot.stop()


def _remove_layer(bot: Any, layer: str) -> None:
    """Measurement only: take one per-update layer out, to see what it costs per update."""
    groups = {"menus": (-4,), "language": (-3,), "guards": (-2, -1)}
    for group in groups.get(layer, ()):
        for handler in list(bot.application.handlers.get(group, [])):
            bot.application.remove_handler(handler, group=group)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; SQLite if left out")
    parser.add_argument("--rounds", type=int, default=None, help=f"rounds (default {DEFAULT_ROUNDS})")
    parser.add_argument("--players", type=int, default=None, help="players (default 200)")
    parser.add_argument("--quick", action="store_true", help="5 players, one round: a smoke run")
    parser.add_argument(
        "--concurrent", type=int, default=0, help="also run both bots N updates at once (1: one at a time)"
    )
    parser.add_argument(
        "--without", action="append", choices=LAYERS, default=[], help="also run the bot without this layer"
    )
    parser.add_argument(
        "--reply-delay", type=float, default=0.0, help="seconds the emulator takes to answer each sendMessage"
    )
    parser.add_argument("--serve", choices=("lottery", "noop"), help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


async def measure_in_temp_database(plan: Plan, server_url: str | None) -> dict[str, list[Run]]:
    async with temp_database_url("end-to-end", server_url) as url:
        return await measure(url, plan)


async def run(plan: Plan, server_url: str | None) -> list[Outcome]:
    return verdict(await measure_in_temp_database(plan, server_url))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point for `python -m bench.end_to_end`."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the token sits in every URL
    if args.serve:
        profile_path = os.environ.get(PROFILE)
        if not profile_path:
            asyncio.run(serve(args.serve, args.api_url, args.database_url))
            return
        import cProfile

        with cProfile.Profile(time.process_time) as profile:  # CPU, not waiting
            asyncio.run(serve(args.serve, args.api_url, args.database_url))
        profile.dump_stats(f"{profile_path}.{args.serve}")
        return
    plan = Plan.quick() if args.quick else Plan()
    plan = Plan(
        players=args.players or plan.players,
        rounds=args.rounds or plan.rounds,
        concurrent=args.concurrent,
        without=tuple(args.without),
        reply_delay=args.reply_delay,
    )
    backend = "PostgreSQL" if args.database_url else "SQLite file"
    load = os.getloadavg()
    outcomes = asyncio.run(run(plan, args.database_url))
    print_table(
        f"End to end over HTTP on {backend}: {plan.players} players x {len(COMMANDS)} commands, "
        f"sendMessage answered after {plan.reply_delay * 1000:.0f} ms, "
        f"{plan.rounds} rounds, median (min–max); load average before: {load[0]:.2f}",
        outcomes,
    )


if __name__ == "__main__":
    main()
