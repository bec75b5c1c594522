"""On PostgreSQL each hot write is written twice: as its statements (storage.joining, storage.payments,
storage.purchases) and as a function of migration 0010 (storage.postgres). Here both spellings run on the
same state, each in a transaction that is then rolled back, for every branch they take: they must return
the same result and leave the same rows. Also the races the functions' guards exist for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import replace
from typing import Any

import pytest

from core.errors import NotRegistered
from core.service import LotteryService
from storage import Database, joining, payments, postgres
from storage.joining import Closed, Joined, NewEvent
from storage.payments import Credited

# The statements' own transaction body, which the real path runs inside a transaction of its own.
from storage.purchases import Purchase, _purchase, _Refused
from storage.reads import Query, TodaysBallots
from storage.trips import AsyncpgQuery
from tests.conftest import START
from tests.core.players import joined_player, player

DAY = START.date()
TERMS = NewEvent("Lottery of the day", 10, "XTR")
Write = Callable[[Query], Coroutine[Any, Any, object]]

# What each hot write may change, without the ids a sequence hands out (a rolled-back insert still
# takes one) or the secrets drawn at random.
_ROWS = {
    "players": "SELECT telegram_id, username, first_name, telegram_language, balance, created_at "
    "FROM players",
    "events": "SELECT day, title, price, currency, status, ballot_count, participant_count, created_at, "
    "draw_commitment IS NOT NULL FROM events",
    "registrations": "SELECT p.telegram_id, e.day, r.ballots, r.joined_at FROM registrations r "
    "JOIN players p ON p.id = r.player_id JOIN events e ON e.id = r.event_id",
    "payments": "SELECT p.telegram_id, pay.charge_id, pay.provider, pay.amount, pay.currency, pay.status, "
    "pay.created_at FROM payments pay JOIN players p ON p.id = pay.player_id",
    "ledger": "SELECT p.telegram_id, l.kind, l.amount, l.quantity, pay.charge_id, e.day, l.created_at "
    "FROM ledger_entries l JOIN players p ON p.id = l.player_id "
    "LEFT JOIN payments pay ON pay.id = l.payment_id LEFT JOIN events e ON e.id = l.event_id",
    "ballots": "SELECT e.day, b.number, p.telegram_id, b.created_at, b.receipt IS NOT NULL FROM ballots b "
    "JOIN players p ON p.id = b.player_id JOIN events e ON e.id = b.event_id",
}


@pytest.fixture
async def driver(db: Database) -> AsyncIterator[Any]:
    if db.dialect != "postgresql":
        pytest.skip("about PostgreSQL's functions; SQLite runs the statements alone")
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        yield raw.driver_connection


async def _run_and_roll_back(driver: Any, write: Write) -> tuple[object, dict[str, list[tuple[Any, ...]]]]:
    transaction = driver.transaction()
    await transaction.start()
    try:
        result = await write(AsyncpgQuery(driver))
        rows = {name: sorted(map(tuple, await driver.fetch(sql)), key=repr) for name, sql in _ROWS.items()}
    finally:
        await transaction.rollback()
    return result, rows


async def _both(driver: Any, statements: Write, function: Write) -> object:
    """Each spelling on the same state; they agree, and their common result is returned."""
    by_function, function_rows = await _run_and_roll_back(driver, function)
    by_statements, statement_rows = await _run_and_roll_back(driver, statements)
    assert _without_ids(by_function) == _without_ids(by_statements)
    assert function_rows == statement_rows
    return by_function


def _without_ids(result: object) -> object:
    """A result with the ids a sequence hands out set to 0: each spelling's rolled-back insert took one."""
    if isinstance(result, Joined | Closed):
        return replace(result, event=replace(result.event, id=0))
    if isinstance(result, Credited):
        return replace(result, payment_id=0)
    if isinstance(result, tuple) and isinstance(result[0], TodaysBallots):
        found: TodaysBallots = result[0]
        event = None if found.event is None else replace(found.event, id=0)
        return replace(found, player=replace(found.player, id=0), event=event), result[1]
    return result


async def test_register_says_the_same_for_new_known_and_renamed_players(
    service: LotteryService, driver: Any
) -> None:
    await joined_player(service, 1, paid_ballots=70)
    await service.tickets.buy(1, 70)  # more than a page of numbers

    def register(spelling: Any, telegram_id: int, username: str | None, name: str) -> Write:
        return lambda query: spelling(
            query,
            telegram_id=telegram_id,
            username=username,
            first_name=name,
            day=DAY,
            now=START,
            language="ru",
        )

    # A new player, a known one as they were, a known one renamed.
    found: object = None
    for telegram_id, username, name in ((2, "bob", "Bob"), (1, None, "Ann"), (1, "ann", "Anna")):
        found = await _both(
            driver,
            register(joining.register, telegram_id, username, name),
            register(postgres.register, telegram_id, username, name),
        )
    assert isinstance(found, tuple)
    profile, created = found
    assert not created
    assert (profile.held, len(profile.first)) == (70, 60)
    assert (profile.player.username, profile.player.first_name) == ("ann", "Anna")


async def test_join_says_the_same_for_every_outcome(service: LotteryService, driver: Any) -> None:
    def join(spelling: Any, telegram_id: int) -> Write:
        return lambda query: spelling(query, telegram_id=telegram_id, day=DAY, terms=TERMS, now=START)

    await player(service, 1)
    outcomes = [await _both(driver, join(joining.join, 9), join(postgres.join, 9))]  # unknown
    outcomes.append(await _both(driver, join(joining.join, 1), join(postgres.join, 1)))  # makes the event
    await service.tickets.join(1)
    await player(service, 2)
    outcomes.append(await _both(driver, join(joining.join, 2), join(postgres.join, 2)))  # a new participant
    outcomes.append(await _both(driver, join(joining.join, 1), join(postgres.join, 1)))  # again
    await service.closing.close_event((await service.events.today()).id, START)
    outcomes.append(await _both(driver, join(joining.join, 2), join(postgres.join, 2)))  # closed
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "Unknown",
        "Joined",
        "Joined",
        "Joined",
        "Closed",
    ]
    assert [getattr(outcome, "newly_joined", None) for outcome in outcomes[1:4]] == [True, True, False]


async def test_credit_says_the_same_for_new_known_orphan_and_unknown_charges(
    service: LotteryService, db: Database, driver: Any
) -> None:
    def credit(spelling: Any, telegram_id: int, charge_id: str) -> Write:
        return lambda query: spelling(
            query,
            telegram_id=telegram_id,
            provider="stars",
            charge_id=charge_id,
            amount=30,
            currency="XTR",
            now=START,
        )

    await player(service, 1)
    await service.wallet.record_payment(1, provider="stars", charge_id="known", amount=20, currency="XTR")
    async with db.transaction() as uow:
        await uow.payments.add_orphan_if_new(
            charge_id="orphan", telegram_id=1, amount=30, currency="XTR", payload="p", reason="r", now=START
        )
    new = await _both(
        driver, credit(payments.credit_charge, 1, "new"), credit(postgres.credit_charge, 1, "new")
    )
    known = await _both(
        driver, credit(payments.credit_charge, 1, "known"), credit(postgres.credit_charge, 1, "known")
    )
    orphan = await _both(
        driver, credit(payments.credit_charge, 1, "orphan"), credit(postgres.credit_charge, 1, "orphan")
    )
    unknown = await _both(
        driver, credit(payments.credit_charge, 9, "x"), credit(postgres.credit_charge, 9, "x")
    )
    assert isinstance(new, Credited)
    assert (new.balance, new.newly_credited) == (50, True)
    assert isinstance(known, Credited)
    assert (known.amount, known.balance, known.newly_credited) == (20, 20, False)
    assert (orphan, unknown) == (None, None)


async def test_buy_says_the_same_when_it_buys_and_when_it_refuses(
    service: LotteryService, driver: Any
) -> None:
    def buy(telegram_id: int, quantity: int) -> tuple[Write, Write]:
        async def statements(query: Query) -> object:
            try:
                # A savepoint: a refusal takes back the numbers it reserved, as the real transaction does.
                async with driver.transaction():
                    return await _purchase(query, DAY, telegram_id, quantity, START)
            except _Refused as refused:
                return refused.outcome

        return statements, lambda query: postgres.buy(
            query, day=DAY, telegram_id=telegram_id, quantity=quantity, now=START
        )

    await joined_player(service, 1, paid_ballots=3)
    await service.tickets.buy(1, 1)
    await player(service, 2)
    await service.wallet.pay(2, 1)
    bought = await _both(driver, *buy(1, 2))
    unaffordable = await _both(driver, *buy(1, 3))
    not_joined = await _both(driver, *buy(2, 1))
    assert isinstance(bought, Purchase)
    assert (bought.first, bought.last, bought.balance) == (2, 3, 0)
    assert (type(unaffordable).__name__, type(not_joined).__name__) == ("Unaffordable", "NotReserved")


async def test_a_credit_racing_the_payers_deletion_credits_nothing(
    service: LotteryService, driver: Any
) -> None:
    """/deleteme clears the telegram id in a transaction that commits while the credit waits for the row:
    the payment the credit added is taken back, and no balance or ledger line moves."""
    await player(service, 1)
    await driver.execute("BEGIN")
    await driver.execute("UPDATE players SET telegram_id = NULL WHERE telegram_id = 1")
    credit = asyncio.create_task(
        service.wallet.record_payment(1, provider="stars", charge_id="racing", amount=10, currency="XTR")
    )
    await asyncio.sleep(0.3)  # the credit now waits for the player's row
    assert not credit.done()
    await driver.execute("COMMIT")
    with pytest.raises(NotRegistered):
        await credit
    counted = await driver.fetchrow(
        "SELECT (SELECT count(*) FROM payments), (SELECT count(*) FROM ledger_entries), "
        "(SELECT sum(balance) FROM players)"
    )
    assert tuple(counted) == (0, 0, 0)


async def test_a_purchase_in_flight_does_not_hold_up_a_new_participant(
    service: LotteryService, db: Database, driver: Any
) -> None:
    """The purchase locks the day's event as the UPDATE reserving numbers did (FOR NO KEY UPDATE), not
    more: a registration, which only refers to the event, does not wait for it."""
    await joined_player(service, 1, paid_ballots=1)
    await player(service, 2)
    await driver.execute("BEGIN")
    await driver.fetchrow(
        "SELECT * FROM lottery_buy($1, $2, $3, $4, $5)", DAY, 1, 1, START, ["a" * 32]
    )  # held open
    try:
        async with db.engine.connect() as connection:
            other: Any = (await connection.get_raw_connection()).driver_connection
            await other.execute("SET lock_timeout = '2s'")
            await other.execute(
                "INSERT INTO registrations (event_id, player_id, joined_at) "
                "SELECT e.id, p.id, $1 FROM events e, players p WHERE e.day = $2 AND p.telegram_id = 2",
                START,
                DAY,
            )
            await other.execute("RESET lock_timeout")
    finally:
        await driver.execute("ROLLBACK")
