"""On PostgreSQL the hot reads walk the indexes made for them, whatever the value of a parameter: each
statement is prepared once per connection and may run on a generic plan, blind to the player it reads.

A heavy player's thousands of ledger lines and ballots skew the statistics: a plan that filters an
index of every player's rows, instead of seeking the one player's, would then grow with history.
bench.scale (100,000 players) found such a plan once, for a ledger page keyed by a subquery; on this
small database that statement happened to plan well, so this checks the statements as they are, and
the scale bench stays the check at size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.service import LotteryService
from storage import Database, reads
from storage.trips import _numbered
from tests.conftest import START
from tests.core.players import joined_player

HEAVY, LIGHT = 1, 2


@pytest.fixture
async def driver(db: Database) -> AsyncIterator[Any]:
    if db.dialect != "postgresql":
        pytest.skip("about PostgreSQL's planner; bench.plans checks SQLite's")
    async with db.engine.connect() as connection:
        yield (await connection.get_raw_connection()).driver_connection


async def _generic_plan(driver: Any, statement: str, params: dict[str, Any]) -> str:
    numbered, names = _numbered(statement)
    await driver.execute("SET plan_cache_mode = force_generic_plan")
    try:
        rows = await driver.fetch(f"EXPLAIN (ANALYZE, COSTS OFF) {numbered}", *(params[n] for n in names))
    finally:
        await driver.execute("RESET plan_cache_mode")
    return "\n".join(row[0] for row in rows)


async def test_a_light_players_reads_seek_their_own_rows_beside_a_heavy_player(
    service: LotteryService, driver: Any
) -> None:
    await joined_player(service, HEAVY, paid_ballots=100)
    await service.tickets.buy(HEAVY, 100)
    await joined_player(service, LIGHT, paid_ballots=1)
    await service.tickets.buy(LIGHT, 1)
    heavy = await driver.fetchval("SELECT id FROM players WHERE telegram_id = $1", HEAVY)
    light = await driver.fetchval("SELECT id FROM players WHERE telegram_id = $1", LIGHT)
    await driver.execute(
        "INSERT INTO ledger_entries (player_id, kind, amount, created_at) "
        "SELECT $1, 'payment', 1, $2 FROM generate_series(1, 5000)",
        heavy,
        START,
    )
    # Two hundred other players with a line each, as in bench.scale: what makes the player's id matter.
    await driver.execute(
        "INSERT INTO players (telegram_id, balance, created_at) SELECT 1000 + n, 0, $1 "
        "FROM generate_series(1, 200) AS n",
        START,
    )
    await driver.execute(
        "INSERT INTO ledger_entries (player_id, kind, amount, created_at) "
        "SELECT id, 'payment', 1, $1 FROM players WHERE telegram_id > 1000",
        START,
    )
    await driver.execute(
        "INSERT INTO ballots (event_id, number, player_id, created_at) "
        "SELECT event_id, 1000 + n, $1, $2 FROM ballots, generate_series(1, 5000) AS n WHERE number = 1",
        heavy,
        START,
    )
    await driver.execute("ANALYZE")

    ledger = await _generic_plan(driver, reads._LEDGER_PAGE, {"player_id": light, "limit": 11, "offset": 0})
    today = await _generic_plan(
        driver,
        reads._TODAYS_RECEIPTS,
        {"telegram_id": LIGHT, "day": START.date(), "limit": reads.PAGE_NUMBERS},
    )

    # The big tables are read by a seek on the player's own rows, never by a walk filtering others'.
    assert _scan_of("ledger_entries", ledger).startswith("Index Scan Backward using ix_ledger_entries_player")
    assert _scan_of("ballots", today).startswith("Index Scan using ix_ballots_player_event_number")


def _scan_of(table: str, plan: str) -> str:
    """The plan's step that reads `table`, and what it filtered out."""
    lines = [line.strip().removeprefix("->  ") for line in plan.splitlines()]
    found = [index for index, line in enumerate(lines) if f" on {table} " in f"{line} "]
    assert len(found) == 1, plan
    step = lines[found[0]]
    following = lines[found[0] + 1 : found[0] + 4]
    assert not any(line.startswith("Rows Removed by Filter") for line in following), plan
    return step
