"""The player commands on a database with a long past, against the same commands on an empty one.

The loaded database holds 100,000 players who all joined today's event, ten years of closed daily
events (3,650), and one heavy player holding 10,000 ballots today and 3 on every past day, with a
payment and a purchase in the ledger for each: 20,950 ballots and 7,400 ledger lines. It is loaded in
bulk (Core `insert()` of many rows per statement), not through the bot: a few seconds, not hours.
Other players' ballots are issued without ledger lines; no command measured here reads them.

Real `LotteryBot`s answer through `process_update` (as bench.commands): one on the loaded database and
one on an empty one, the same 200 bench players set up on both through the bot. Every command runs on
both, interleaved, round after round. The heavy player's /me, /mytickets and /history run against the
same player on a third, small database, where they hold exactly one page of everything their replies
show (60 of today's numbers, 5 past days, 10 ledger lines): the replies are then the same length, and
only the history behind them differs, which is what "nothing on a hot path grows with history" is
about. Their comparison with a bench player on the empty database, whose replies are a line or two, is
printed too, as information. Goal: each within 1.5x of its baseline's time, i.e. a rate ratio of at
least 0.67.

Run from the project root: `python -m bench.scale` (SQLite temp files), add `--database-url
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres` for PostgreSQL, `--quick` for a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, text

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
from bench.commands import (
    COMMANDS,
    FIRST_TELEGRAM_ID,
    NOW,
    bench_settings,
    check_replies,
    drive,
    set_up_players,
)
from bench.commands import Plan as CommandPlan
from bot.app import LotteryBot
from bot.handlers.guards import Throttle
from core.clock import FixedClock
from core.history import BALLOT_DAYS, LEDGER_LINES
from core.service import LotteryService
from storage import create_engine
from storage.models import Ballot, Event, LedgerEntry, Payment, Player, Registration
from storage.reads import PAGE_NUMBERS
from tests.bot.recording import RecordingRequest

HEAVY = 999  # the heavy player's Telegram id
LOADED_IDS = 1_000_000  # the loaded players' Telegram ids start here
GOAL_RATIO = 1 / 1.5
HEAVY_COMMANDS = ("/me", "/mytickets", "/history")
BATCH = 5_000
COMMAND_PLAN = CommandPlan(players=200, updates=200, rounds=DEFAULT_ROUNDS)


@dataclass(frozen=True)
class Plan:
    players: int = 100_000
    days: int = 3_650
    heavy_today: int = 10_000
    per_day: int = 3
    commands: CommandPlan = COMMAND_PLAN

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            players=500, days=30, heavy_today=200, commands=CommandPlan(players=5, updates=10, rounds=2)
        )


def one_page(plan: Plan) -> Plan:
    """The heavy player with one page of each thing their replies show, on a database of a few players:
    60 of today's numbers, 5 past days, and a payment and a purchase on each of them (10 ledger lines)."""
    return Plan(
        players=20,
        days=max(BALLOT_DAYS, -(-LEDGER_LINES // 2)),
        heavy_today=PAGE_NUMBERS,
        per_day=plan.per_day,
        commands=plan.commands,
    )


@dataclass(frozen=True)
class Loaded:
    rows: int
    seconds: float


async def load(url: str, plan: Plan) -> Loaded:
    """Bulk-insert the players, the ten years and the heavy player's ballots and ledger."""
    started = time.perf_counter()
    today = NOW.date()
    engine = create_engine(url)
    rows = 0
    try:
        async with engine.begin() as connection:

            async def put(table: Any, values: list[dict[str, Any]]) -> None:
                nonlocal rows
                for start in range(0, len(values), BATCH):
                    await connection.execute(insert(table), values[start : start + BATCH])
                rows += len(values)

            heavy_id = plan.players + 1
            players = [
                {
                    "id": i,
                    "telegram_id": LOADED_IDS + i,
                    "first_name": f"L{i}",
                    "balance": 0,
                    "created_at": NOW,
                }
                for i in range(1, plan.players + 1)
            ]
            players.append(
                {"id": heavy_id, "telegram_id": HEAVY, "first_name": "Heavy", "balance": 0, "created_at": NOW}
            )
            await put(Player, players)
            past = [today - dt.timedelta(days=plan.days - offset) for offset in range(plan.days)]
            others_per_day = 10
            per_event = plan.per_day + others_per_day
            events = [
                {
                    "id": index + 1,
                    "day": day,
                    "title": f"Lottery of {day.isoformat()}",
                    "price": 1,
                    "currency": "XTR",
                    "status": "closed",
                    "ballot_count": per_event,
                    "participant_count": 1 + others_per_day,
                    "created_at": NOW,
                    "closed_at": NOW,
                    "draw_seed": secrets.token_hex(32),
                    "winning_number": 1 + index % per_event,
                    # The heavy player holds numbers 1..per_day of every past day.
                    "winner_player_id": heavy_id
                    if index % per_event < plan.per_day
                    else _holder(index, index % per_event, plan),
                }
                for index, day in enumerate(past)
            ]
            today_id = plan.days + 1
            today_ballots = 2 * plan.heavy_today
            await put(Event, events)
            await put(
                Event,
                [
                    {
                        "id": today_id,
                        "day": today,
                        "title": f"Lottery of {today.isoformat()}",
                        "price": 1,
                        "currency": "XTR",
                        "status": "open",
                        "ballot_count": today_ballots,
                        "participant_count": plan.players + 1,
                        "created_at": NOW,
                    }
                ],
            )
            registrations = [
                {"event_id": today_id, "player_id": i, "joined_at": NOW} for i in range(1, plan.players + 2)
            ]
            for index in range(plan.days):
                registrations.append({"event_id": index + 1, "player_id": heavy_id, "joined_at": NOW})
                registrations += [
                    {
                        "event_id": index + 1,
                        "player_id": _holder(index, plan.per_day + k, plan),
                        "joined_at": NOW,
                    }
                    for k in range(others_per_day)
                ]
            ballots = []
            for index in range(plan.days):
                for number in range(1, per_event + 1):
                    holder = heavy_id if number <= plan.per_day else _holder(index, number - 1, plan)
                    ballots.append(_ballot(index + 1, number, holder))
            # Today: the heavy player holds every even number, other players the odd ones in between.
            for number in range(1, today_ballots + 1):
                holder = heavy_id if number % 2 == 0 else 1 + (number // 2) % plan.players
                ballots.append(_ballot(today_id, number, holder))
            await put(Ballot, ballots)
            held = Counter((b["event_id"], b["player_id"]) for b in ballots)
            unique = {(r["event_id"], r["player_id"]): r for r in registrations}
            await put(Registration, [{**r, "ballots": held[key]} for key, r in unique.items()])
            payments, ledger = [], []
            for index in range(plan.days):
                payments.append(_payment(index + 1, heavy_id, plan.per_day))
                ledger += [
                    _entry(heavy_id, "payment", plan.per_day, None, None, payment_id=index + 1),
                    _entry(heavy_id, "purchase", -plan.per_day, plan.per_day, index + 1),
                ]
            await put(Payment, payments)
            await put(LedgerEntry, ledger)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as connection:
                for table in ("players", "events", "payments"):
                    # Explicit ids were inserted: move each sequence past them, as a live database's is.
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    await connection.execute(
                        text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
                    )
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return Loaded(rows, time.perf_counter() - started)


def _holder(day_index: int, number_index: int, plan: Plan) -> int:
    """The loaded player holding ballot `number_index + 1` of past day `day_index` (not the heavy one)."""
    return 1 + (day_index * 10 + number_index - plan.per_day) % plan.players


def _ballot(event_id: int, number: int, player_id: int) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "number": number,
        "player_id": player_id,
        "created_at": NOW,
        "receipt": None,
    }


def _payment(payment_id: int, player_id: int, amount: int) -> dict[str, Any]:
    return {
        "id": payment_id,
        "player_id": player_id,
        "provider": "dummy",
        "charge_id": f"bench-{payment_id}",
        "amount": amount,
        "currency": "XTR",
        "status": "credited",
        "created_at": NOW,
    }


def _entry(
    player_id: int,
    kind: str,
    amount: int,
    quantity: int | None,
    event_id: int | None,
    *,
    payment_id: int | None = None,
) -> dict[str, Any]:
    return {
        "player_id": player_id,
        "kind": kind,
        "amount": amount,
        "quantity": quantity,
        "payment_id": payment_id,
        "event_id": event_id,
        "created_at": NOW,
    }


async def _bot(url: str) -> tuple[LotteryBot, LotteryService, RecordingRequest]:
    settings = bench_settings(url)
    lottery = LotteryService.connect(url, rules=settings.lottery_rules(), clock=FixedClock(NOW))
    request = RecordingRequest()
    bot = LotteryBot(settings, lottery, throttle=Throttle(rate=1e6, burst=10**6), request=request)
    await bot.application.initialize()
    return bot, lottery, request


def _loop(
    bot: LotteryBot, request: RecordingRequest, ids: Sequence[int], text: str, count: int
) -> tuple[int, Any]:
    async def run() -> None:
        updates = [command_update(bot.application.bot, ids[i % len(ids)], text, at=NOW) for i in range(count)]
        since = len(request.calls)
        await drive(bot.application, updates)
        check_replies(request, since, len(updates), text)

    return count, run


async def measure(loaded_url: str, empty_url: str, page_url: str, plan: Plan) -> dict[str, list[Sample]]:
    loaded, loaded_lottery, loaded_request = await _bot(loaded_url)
    empty, empty_lottery, empty_request = await _bot(empty_url)
    page, page_lottery, page_request = await _bot(page_url)
    try:
        commands = plan.commands
        await set_up_players(loaded, commands)
        await set_up_players(empty, commands)
        ids = commands.ids()
        loops: dict[str, tuple[int, Any]] = {}
        for command in COMMANDS:
            loops[f"{command} | loaded"] = _loop(loaded, loaded_request, ids, command, commands.updates)
            loops[f"{command} | empty"] = _loop(empty, empty_request, ids, command, commands.updates)
        for command in HEAVY_COMMANDS:
            loops[f"{command} heavy | loaded"] = _loop(
                loaded, loaded_request, [HEAVY], command, commands.updates
            )
            loops[f"{command} heavy | page"] = _loop(page, page_request, [HEAVY], command, commands.updates)
            loops[f"{command} heavy | empty"] = _loop(
                empty, empty_request, [FIRST_TELEGRAM_ID], command, commands.updates
            )
        await interleaved({name: (count // 4 or 1, action) for name, (count, action) in loops.items()}, 1)
        return await interleaved(loops, commands.rounds)
    finally:
        for bot, lottery in ((loaded, loaded_lottery), (empty, empty_lottery), (page, page_lottery)):
            await bot.application.shutdown()
            await lottery.close()


def verdict(samples: dict[str, list[Sample]], loaded: Loaded) -> list[Outcome]:
    outcomes = [
        Outcome(
            figure="bulk load",
            measured=f"{loaded.rows:,} rows in {loaded.seconds:.1f} s",
            baseline="-",
            ratio=None,
            goal="-",
            passed=None,
        )
    ]
    heavy_beside_bench_players = []
    for name, rounds in samples.items():
        if not name.endswith("| loaded"):
            continue
        command = name.removesuffix(" | loaded")
        heavy = command.endswith(" heavy")
        base = samples[f"{command} | page"] if heavy else samples[f"{command} | empty"]
        where = "the same player with one page of history" if heavy else "an empty database"
        outcomes.append(_beside(command, rounds, base, where, goal=True))
        if heavy:
            bench_player = samples[f"{command} | empty"]
            heavy_beside_bench_players.append(
                _beside(
                    f"{command}, info",
                    rounds,
                    bench_player,
                    "a bench player on an empty database",
                    goal=False,
                )
            )
    return outcomes + heavy_beside_bench_players


def _beside(figure: str, rounds: list[Sample], base: list[Sample], where: str, *, goal: bool) -> Outcome:
    rate, base_rate = median([s.per_second for s in rounds]), median([s.per_second for s in base])
    return Outcome(
        figure=figure,
        measured=f"{spread([s.per_second for s in rounds])} /s",
        baseline=f"{spread([s.per_second for s in base])} /s on {where}",
        ratio=rate / base_rate if base_rate else None,
        goal=">= 0.67 x baseline (<= 1.5x its time)" if goal else "-",
        passed=rate >= GOAL_RATIO * base_rate if goal else None,
    )


async def run(plan: Plan, server_url: str | None) -> list[Outcome]:
    async with (
        temp_database_url("scale-loaded", server_url) as loaded_url,
        temp_database_url("scale-empty", server_url) as empty_url,
        temp_database_url("scale-page", server_url) as page_url,
    ):
        loaded = await load(loaded_url, plan)
        await load(page_url, one_page(plan))
        samples = await measure(loaded_url, empty_url, page_url, plan)
    return verdict(samples, loaded)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; SQLite if left out")
    parser.add_argument(
        "--rounds", type=int, default=None, help=f"interleaved rounds (default {DEFAULT_ROUNDS})"
    )
    parser.add_argument("--quick", action="store_true", help="a small history, two rounds: a smoke run")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point for `python -m bench.scale`."""
    args = arguments(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    plan = Plan.quick() if args.quick else Plan()
    if args.rounds:
        c = plan.commands
        plan = Plan(
            plan.players,
            plan.days,
            plan.heavy_today,
            plan.per_day,
            CommandPlan(c.players, c.updates, args.rounds),
        )
    backend = "PostgreSQL" if args.database_url else "SQLite file"
    outcomes = asyncio.run(run(plan, args.database_url))
    print_table(
        f"Commands at scale on {backend}: {plan.players:,} players, {plan.days:,} past days, a player with "
        f"{plan.heavy_today + plan.days * plan.per_day:,} ballots; {plan.commands.updates} updates x "
        f"{plan.commands.rounds} rounds, median (min–max)",
        outcomes,
    )


if __name__ == "__main__":
    main()
