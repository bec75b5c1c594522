"""The benchmarks run in their quick mode, so they cannot rot while the code under them changes.

Figures are not checked (a test machine is too busy for honest ones); what is checked is that each
bench runs end to end and reports a line per command plus its baseline, on the backend under test.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Awaitable, Callable

import pytest

from bench import commands, end_to_end, plans, scale, throttle
from bench._common import Sample, interleaved, spread


async def test_interleaved_runs_every_loop_once_per_round_in_turn() -> None:
    order: list[str] = []

    def loop(name: str) -> tuple[int, Callable[[], Awaitable[None]]]:
        async def action() -> None:
            order.append(name)

        return 1, action

    samples = await interleaved({"figure": loop("figure"), "baseline": loop("baseline")}, 3)

    assert order == ["figure", "baseline"] * 3
    assert [len(rounds) for rounds in samples.values()] == [3, 3]


def test_spread_shows_the_median_and_the_whole_range_not_the_best() -> None:
    assert spread([1.0, 10.0, 3.0]) == "3 (1–10)"
    sample = Sample(operations=10, wall_seconds=2.0, cpu_seconds=0.05)
    assert sample.per_second == 5.0
    assert sample.cpu_ms_per_operation == pytest.approx(5.0)


async def test_commands_bench_quick_mode_measures_every_command_against_the_baseline() -> None:
    plan = commands.Plan(players=3, updates=3, rounds=2)
    outcomes = await commands.run(plan, os.environ.get("TEST_DATABASE_URL") or None)

    figures = [outcome.figure for outcome in outcomes]
    assert figures == [*commands.COMMANDS, commands.BASELINE]
    assert all(outcome.ratio is not None and outcome.ratio > 0 for outcome in outcomes)


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="the plans bench reads SQLite plans")
async def test_plans_bench_explains_the_statements_behind_the_commands_and_flags_scans() -> None:
    found = await plans.run()

    sources = {plan.source for plan in found}
    assert {"/start", "/me", "/mytickets", "/history", "/join", "/events", "/stats", "/users"} <= sources
    assert {"/pay 1", "/winner"} <= sources
    assert "outbox claim" in sources
    assert all(plan.steps for plan in found if plan.statement.lstrip().upper().startswith("SELECT"))
    # Every statement behind these commands reads through an index, and the claim sorts no backlog.
    assert [plan.statement for plan in found if plan.full_scans] == []
    assert [plan.statement for plan in found if plan.sorts] == []


def test_the_plan_flags_a_table_read_whole_but_not_a_cte_or_a_constant() -> None:
    steps = ["SCAN players", "SCAN due", "SCAN CONSTANT ROW", "SCAN events USING COVERING INDEX ix"]
    plan = plans.Plan("/stats", "SELECT 1", steps, frozenset({"players", "events"}))
    assert plan.full_scans == ["players"]
    assert not plan.sorts


async def test_scale_bench_loads_a_history_and_compares_every_command_with_an_empty_database() -> None:
    plan = scale.Plan(
        players=50, days=10, heavy_today=30, commands=commands.Plan(players=3, updates=3, rounds=1)
    )
    outcomes = await scale.run(plan, os.environ.get("TEST_DATABASE_URL") or None)

    figures = [outcome.figure for outcome in outcomes]
    assert figures[0] == "bulk load"
    heavy = [f"{c} heavy" for c in scale.HEAVY_COMMANDS]
    assert figures[1:] == [*commands.COMMANDS, *heavy, *(f"{h}, info" for h in heavy)]
    assert all(outcome.ratio is not None and outcome.ratio > 0 for outcome in outcomes[1:])
    # The heavy player's goal is held against the same player with one page of history.
    assert all("one page of history" in o.baseline for o in outcomes if o.figure in heavy)


async def test_end_to_end_bench_runs_the_bot_and_the_no_op_bot_over_http() -> None:
    outcomes = await end_to_end.run(end_to_end.Plan(players=2, rounds=1), os.environ.get("TEST_DATABASE_URL"))

    assert [outcome.figure for outcome in outcomes][:2] == [
        "updates/s, lottery bot",
        "median reply latency, lottery bot",
    ]
    unanswered = outcomes[2]
    assert (unanswered.measured, unanswered.baseline) == ("0", "0")  # every command was answered


async def test_end_to_end_bench_measures_the_bot_without_a_layer_and_it_still_answers() -> None:
    plan = end_to_end.Plan(players=2, rounds=1, without=("guards", "limiter"))
    runs = await end_to_end.measure_in_temp_database(plan, os.environ.get("TEST_DATABASE_URL"))

    assert set(runs) == {
        "lottery bot",
        "no-op bot",
        "lottery bot without guards",
        "lottery bot without limiter",
    }
    assert all(
        run.updates == 2 * len(end_to_end.COMMANDS) and not run.missing
        for run in runs["lottery bot without guards"]
    )


async def test_httpcore_finds_its_event_loop_without_searching_for_a_missing_module() -> None:
    """Without sniffio, httpcore's every request tried `import sniffio` and searched sys.path (README,
    Performance): the dependency must be installed, and answer "asyncio" inside the loop."""
    from httpcore._synchronization import current_async_library

    assert importlib.util.find_spec("sniffio") is not None
    assert current_async_library() == "asyncio"


async def test_throttle_bench_measures_memory_and_speed_against_the_old_dict() -> None:
    memory, rates = await throttle.measure(users=200, rounds=1)
    outcomes = throttle.verdict(memory, rates, 200)
    assert len(outcomes) == 3
    assert memory["Throttle, spread"] < memory["dict (before), spread"]


async def test_end_to_end_bench_runs_both_bots_at_another_concurrency_with_slow_replies() -> None:
    plan = end_to_end.Plan(players=2, rounds=1, concurrent=1, reply_delay=0.05)
    runs = await end_to_end.measure_in_temp_database(plan, os.environ.get("TEST_DATABASE_URL"))

    assert set(runs) == {
        "lottery bot",
        "no-op bot",
        "lottery bot, CONCURRENT_UPDATES=1",
        "no-op bot, concurrent_updates=1",
    }
    for name, rounds in runs.items():
        assert [(run.updates, run.missing) for run in rounds] == [(2 * len(end_to_end.COMMANDS), 0)], name
        # Every reply waited for the emulator's 50 ms.
        assert min(min(run.latencies) for run in rounds) >= 0.05, name
