"""The hot reads behind the players' commands: a few indexed statements each, bounded by what is shown.

Nothing here loads a player's whole past. A profile counts today's ballots and lists at most a page
of their numbers; a history page reads one page of ledger lines and one page of ballot days, each
from an index in the order it is shown, so a player with 10,000 ballots reads as fast as one with two.

Each read is written once, as SQL text, against `Query` (two methods), and runs on whichever backend
is in use (storage.trips).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

PAGE_NUMBERS = 60  # ballot numbers listed at most for today (/me, /mytickets), the rest counted
DAY_NUMBERS = 12  # ballot numbers listed at most on one day's line of /history


class Query(Protocol):
    """Run one statement in the transaction at hand; parameters are plain Python values."""

    async def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]: ...

    async def row(self, sql: str, params: dict[str, Any]) -> Sequence[Any] | None: ...

    async def run(self, sql: str, params: dict[str, Any]) -> None: ...

    async def run_many(self, sql: str, rows: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class PlayerRow:
    id: int
    username: str | None
    first_name: str | None
    email: str | None
    balance: int
    public_name: str  # how results name them (core.results.PublicName)


@dataclass(frozen=True)
class EventRow:
    id: int
    day: dt.date
    title: str
    price: int
    currency: str
    status: str
    ballot_count: int
    winning_number: int | None
    participants: int
    # What admins set for this event alone; None means the configured default (core.rules).
    prize: str | None
    prize_rules: str | None


@dataclass(frozen=True)
class TodaysBallots:
    """The player and how many ballots of `event` they hold, with the first few in number order."""

    player: PlayerRow
    event: EventRow | None
    held: int
    first: tuple[tuple[int, str | None], ...]


@dataclass(frozen=True)
class LedgerRow:
    at: dt.datetime
    kind: str
    amount: int
    quantity: int | None
    day: dt.date | None


@dataclass(frozen=True)
class BallotDay:
    day: dt.date
    status: str
    winning_number: int | None
    won: bool
    held: int
    first: tuple[int, ...]
    last: int  # the highest number held: with `held` and the first, it tells a run of one range


@dataclass(frozen=True)
class HistoryRows:
    """One page: `ledger` and `days` may each hold one row more than a page, to tell a next page exists."""

    player: PlayerRow
    ledger: tuple[LedgerRow, ...]
    days: tuple[BallotDay, ...]


@dataclass(frozen=True)
class Totals:
    players: int
    events: int
    open_events: int
    ballots: int
    paid_in: int
    refunded: int
    credit_outstanding: int


_PLAYER_COLUMNS = "id, username, first_name, email, balance, public_name"
_PLAYER = f"SELECT {_PLAYER_COLUMNS} FROM players WHERE telegram_id = :telegram_id"
_EVENT_COLUMNS = (
    "id, day, title, price, currency, status, ballot_count, winning_number, participant_count, "
    "prize, prize_rules"
)
_EVENT_ON = f"SELECT {_EVENT_COLUMNS} FROM events WHERE day = :day"


def _of(table: str, columns: str) -> str:
    """`a, b` of `t` as `t.a, t.b`, for a statement that joins tables sharing column names."""
    return ", ".join(f"{table}.{column.strip()}" for column in columns.split(","))


_PLAYER_AND_EVENT = f"""
SELECT {_of("players", _PLAYER_COLUMNS)}, {_of("events", _EVENT_COLUMNS)}
FROM (SELECT 1 AS here) AS here
LEFT JOIN players ON players.telegram_id = :telegram_id
LEFT JOIN events ON events.day = :day
"""
# The player, the day's event, how many ballots they hold in it and the first page of their numbers, in
# one statement: one row per number listed (one row when none is), in no set order. The numbers come
# from ix_ballots_player_event_number, a seek on (player, event) walked in number order for a page.
_TODAYS_BALLOTS = f"""
SELECT {_of("players", _PLAYER_COLUMNS)}, {_of("events", _EVENT_COLUMNS)}, registrations.ballots,
       listed.number, {{receipt}}
FROM players
LEFT JOIN events ON events.day = :day
LEFT JOIN registrations ON registrations.event_id = events.id AND registrations.player_id = players.id
LEFT JOIN (
    SELECT number{{receipt_column}} FROM ballots
    WHERE player_id = (SELECT id FROM players WHERE telegram_id = :telegram_id)
      AND event_id = (SELECT id FROM events WHERE day = :day)
    ORDER BY number LIMIT :limit
) AS listed ON registrations.ballots > 0
WHERE players.telegram_id = :telegram_id
"""
_TODAYS_RECEIPTS = _TODAYS_BALLOTS.format(receipt="listed.receipt", receipt_column=", receipt")
_TODAYS_NUMBERS = _TODAYS_BALLOTS.format(receipt="NULL", receipt_column="")


def _days_numbers(days: int) -> str:
    """The first numbers the player holds on each of `days` days, in one statement: one seek of
    ix_ballots_player_event_number per day, each stopping after a line's worth."""
    return "\nUNION ALL ".join(
        f"SELECT * FROM (SELECT event_id, number FROM ballots WHERE player_id = :player_id "
        f"AND event_id = :event_{day} ORDER BY number LIMIT :limit) AS day_{day}"
        for day in range(days)
    )


# The events around a day in one statement: a page after it, its own, a page before it. Each page is a
# walk of the unique day index that stops after a page (`upcoming`, `past`); the rows come back in no
# set order.
_AROUND = f"""
SELECT {_EVENT_COLUMNS} FROM (
    SELECT {_EVENT_COLUMNS} FROM events WHERE day > :day ORDER BY day LIMIT :upcoming
) AS later
UNION ALL SELECT {_EVENT_COLUMNS} FROM events WHERE day = :day
UNION ALL SELECT {_EVENT_COLUMNS} FROM (
    SELECT {_EVENT_COLUMNS} FROM events WHERE day < :day ORDER BY day DESC LIMIT :past
) AS earlier
"""
# A page of the player's ledger from ix_ledger_entries_player, walked backwards from the newest line. The
# player's id is a parameter, read first: given it as a subquery instead, PostgreSQL cannot know its
# value when planning and walks the primary key backwards, filtering out every other player's lines
# (7,499 of 7,500 in bench.scale).
_LEDGER_PAGE = """
SELECT ledger_entries.created_at, ledger_entries.kind, ledger_entries.amount, ledger_entries.quantity,
       events.day
FROM ledger_entries LEFT JOIN events ON events.id = ledger_entries.event_id
WHERE ledger_entries.player_id = :player_id
ORDER BY ledger_entries.id DESC LIMIT :limit OFFSET :offset
"""
# A page of ballot days with all they show but the numbers, in one statement. The days and their
# counts come from ix_registrations_player_event_ballots walked backwards: the newest days first, and
# the walk stops once a page of days is found (event ids grow with the days a player can buy in).
# The highest number and whether the winning ballot is the player's are each one index seek.
_BALLOT_DAYS = """
SELECT events.id, events.day, events.status, events.winning_number, held_days.ballots,
    (SELECT max(number) FROM ballots
     WHERE ballots.player_id = :player_id AND ballots.event_id = events.id),
    (SELECT count(*) FROM ballots
     WHERE ballots.event_id = events.id AND ballots.number = events.winning_number
       AND ballots.player_id = :player_id)
FROM (
    SELECT event_id, ballots FROM registrations WHERE player_id = :player_id AND ballots > 0
    ORDER BY event_id DESC LIMIT :limit OFFSET :offset
) AS held_days JOIN events ON events.id = held_days.event_id
"""


# Ballots are counted from the events: each event's ballot_count is its last number, and numbers are
# dense. Live players and their credit come from ix_players_live, payments from
# ix_payments_status_amount, open events and ballots from ix_events_status_day_ballot_count:
# no table is read whole.
_TOTALS = """
SELECT
    (SELECT count(*) FROM players WHERE deleted_at IS NULL),
    (SELECT count(*) FROM events),
    (SELECT count(*) FROM events WHERE status = 'open'),
    (SELECT coalesce(sum(ballot_count), 0) FROM events),
    (SELECT coalesce(sum(amount), 0) FROM payments),
    (SELECT coalesce(sum(amount), 0) FROM payments WHERE status = 'refunded'),
    (SELECT coalesce(sum(balance), 0) FROM players)
"""


# A day's draw as /winner shows it, in one statement: the event, its winner's names (a deleted player's
# row stays, anonymous) and, when the draw is frozen and waits for its randomness, the round it waits for.
_WINNER_SELECTED = """
events.day, events.title, events.status, events.ballot_count, events.winning_number,
events.prize, events.prize_rules,
players.id, players.first_name, players.username, players.public_name,
draw_records.state, draw_records.beacon_round
"""
_WINNER_JOINS = """
LEFT JOIN players ON players.id = events.winner_player_id
LEFT JOIN draw_records ON draw_records.event_id = events.id
"""
_WINNER_ON = f"SELECT {_WINNER_SELECTED} FROM events {_WINNER_JOINS} WHERE events.day = :day"
# The latest closed day from ix_events_status_day_ballot_count, walked backwards.
_LATEST = "WHERE events.status = 'closed' AND events.closed_at IS NOT NULL ORDER BY events.day DESC LIMIT 1"
_LATEST_WINNER = f"SELECT {_WINNER_SELECTED} FROM events {_WINNER_JOINS} {_LATEST}"
# The drawn days either side of a day, for /winner's ◀ ▶: one walk each along
# ix_events_status_day_ballot_count, which also tells the days that closed empty (stepped over unread).
# The walk skips days with no lottery, a cancelled or an empty one, and never steps into a day whose
# draw is not made yet (open, or frozen waiting for its randomness: no winning number).
_DRAWN = "drawn.status = 'closed' AND drawn.ballot_count > 0 AND drawn.winning_number IS NOT NULL"
_DRAWN_BEFORE = (
    f"SELECT drawn.day FROM events AS drawn WHERE {_DRAWN} AND drawn.day < {{day}} "
    "ORDER BY drawn.day DESC LIMIT 1"
)
_DRAWN_AFTER = (
    f"SELECT drawn.day FROM events AS drawn WHERE {_DRAWN} AND drawn.day > {{day}} ORDER BY drawn.day LIMIT 1"
)
# The day's draw with its drawn neighbours in one statement; the day's own row is left-joined to a row
# that is always there, so the neighbours come back even for a day without a lottery.
_WINNER_WALK = f"""
SELECT {_WINNER_SELECTED},
       ({_DRAWN_BEFORE.format(day=":day")}), ({_DRAWN_AFTER.format(day=":day")})
FROM (SELECT 1 AS here) AS here
LEFT JOIN events ON events.day = :day {_WINNER_JOINS}
"""
_LATEST_WINNER_WALK = f"""
SELECT {_WINNER_SELECTED}, ({_DRAWN_BEFORE.format(day="events.day")}), NULL
FROM events {_WINNER_JOINS} {_LATEST}
"""


@dataclass(frozen=True)
class WinnerRow:
    day: dt.date
    title: str
    status: str
    ballot_count: int
    winning_number: int | None
    prize: str | None
    prize_rules: str | None
    # (first name, username, how they chose to be named), when the day has a winner.
    winner: tuple[str | None, str | None, str | None] | None
    record_state: str | None
    beacon_round: int | None


async def winner_on(query: Query, day: dt.date) -> WinnerRow | None:
    """The draw of `day` (None when no event is on that day)."""
    found = await query.row(_WINNER_ON, {"day": day})
    return None if found is None else _winner(found)


@dataclass(frozen=True)
class WinnerWalk:
    """A day's draw (None when no event is on it) and the drawn days just before and after it."""

    found: WinnerRow | None
    earlier: dt.date | None
    later: dt.date | None


async def winner_walk(query: Query, day: dt.date) -> WinnerWalk:
    """The draw of `day` with its drawn neighbours, in one statement: what /winner and its ◀ ▶ show."""
    found = await query.row(_WINNER_WALK, {"day": day})
    assert found is not None, "the statement always has its one row"
    return _walk(found)


async def latest_winner_walk(query: Query) -> WinnerWalk | None:
    """The latest draw and the drawn day before it (none after it, by definition)."""
    found = await query.row(_LATEST_WINNER_WALK, {})
    return None if found is None else _walk(found)


def _walk(row: Sequence[Any]) -> WinnerWalk:
    earlier, later = row[13], row[14]
    return WinnerWalk(
        None if row[0] is None else _winner(row[:13]),
        None if earlier is None else as_date(earlier),
        None if later is None else as_date(later),
    )


async def latest_winner(query: Query) -> WinnerRow | None:
    """The most recent closed event's draw (None before the first close)."""
    found = await query.row(_LATEST_WINNER, {})
    return None if found is None else _winner(found)


def _winner(row: Sequence[Any]) -> WinnerRow:
    (
        day,
        title,
        status,
        ballot_count,
        winning_number,
        prize,
        prize_rules,
        player_id,
        first_name,
        username,
        choice,
        state,
        beacon_round,
    ) = row
    return WinnerRow(
        as_date(day),
        title,
        status,
        int(ballot_count),
        winning_number,
        prize,
        prize_rules,
        None if player_id is None else (first_name, username, choice),
        state,
        None if beacon_round is None else int(beacon_round),
    )


async def totals(query: Query) -> Totals:
    found = await query.row(_TOTALS, {})
    assert found is not None, "an aggregate always has a row"
    return Totals(*(int(value) for value in found))


async def player(query: Query, telegram_id: int) -> PlayerRow | None:
    found = await query.row(_PLAYER, {"telegram_id": telegram_id})
    return None if found is None else PlayerRow(*found)


_LANGUAGES = "SELECT language, telegram_language FROM players WHERE telegram_id = :telegram_id"


async def languages(query: Query, telegram_id: int) -> tuple[str | None, str | None] | None:
    """(chosen with /language, last reported by Telegram) for a registered player, else None."""
    found = await query.row(_LANGUAGES, {"telegram_id": telegram_id})
    return None if found is None else (found[0], found[1])


async def event_on(query: Query, day: dt.date) -> EventRow | None:
    found = await query.row(_EVENT_ON, {"day": day})
    return None if found is None else event_row(found)


async def player_and_event(
    query: Query, telegram_id: int, day: dt.date
) -> tuple[PlayerRow | None, EventRow | None]:
    """The player (None if unknown) and the event of `day` (None until made): what a payment is priced by.
    One statement: both are optional, so each is a left join to a row that is always there."""
    found = await query.row(_PLAYER_AND_EVENT, {"telegram_id": telegram_id, "day": day})
    assert found is not None, "the statement always has its one row"
    payer = None if found[0] is None else PlayerRow(*found[:6])
    return payer, None if found[6] is None else event_row(found[6:])


async def todays_ballots(
    query: Query, telegram_id: int, day: dt.date, *, receipts: bool
) -> TodaysBallots | None:
    """The player (None if unknown), today's event, how many ballots they hold in it, the first few."""
    rows = await query.rows(
        _TODAYS_RECEIPTS if receipts else _TODAYS_NUMBERS,
        {"telegram_id": telegram_id, "day": day, "limit": PAGE_NUMBERS},
    )
    if not rows:
        return None
    first = rows[0]
    event = None if first[6] is None else event_row(first[6:17])
    listed = sorted((int(row[18]), row[19]) for row in rows if row[18] is not None)
    return TodaysBallots(PlayerRow(*first[:6]), event, int(first[17] or 0), tuple(listed))


async def events_around(query: Query, day: dt.date, *, past: int, upcoming: int) -> list[EventRow]:
    """Up to `upcoming` events after `day`, nearest last, then the day's own, then `past` before it."""
    rows = await query.rows(_AROUND, {"day": day, "upcoming": upcoming, "past": past})
    return sorted((event_row(row) for row in rows), key=lambda event: event.day, reverse=True)


async def history(
    query: Query, telegram_id: int, *, page: int, ledger_lines: int, ballot_days: int
) -> HistoryRows | None:
    """Page `page` (from 0) of the player's ledger and of their ballot days, newest first: at most
    four statements, whatever the history holds."""
    holder = await player(query, telegram_id)
    if holder is None:
        return None
    ledger = [
        LedgerRow(as_instant(at), kind, int(amount), quantity, None if day is None else as_date(day))
        for at, kind, amount, quantity, day in await query.rows(
            _LEDGER_PAGE,
            {"player_id": holder.id, "limit": ledger_lines + 1, "offset": page * ledger_lines},
        )
    ]
    groups = await query.rows(
        _BALLOT_DAYS, {"player_id": holder.id, "limit": ballot_days + 1, "offset": page * ballot_days}
    )
    # The row past the page only tells that a next page exists: its numbers are not read.
    shown = sorted(groups, key=lambda group: int(group[0]), reverse=True)
    numbers = await _numbers_of(query, holder.id, [int(group[0]) for group in shown[:ballot_days]])
    days = [
        BallotDay(
            as_date(day),
            status,
            winning_number,
            bool(won),
            int(held),
            numbers.get(int(event_id), ()),
            int(last),
        )
        for event_id, day, status, winning_number, held, last, won in shown
    ]
    return HistoryRows(holder, tuple(ledger), tuple(days))


async def _numbers_of(query: Query, player_id: int, event_ids: list[int]) -> dict[int, tuple[int, ...]]:
    """The first numbers the player holds in each of these events (at most DAY_NUMBERS each)."""
    if not event_ids:
        return {}
    params: dict[str, Any] = {f"event_{day}": event_id for day, event_id in enumerate(event_ids)}
    rows = await query.rows(
        _days_numbers(len(event_ids)), {**params, "player_id": player_id, "limit": DAY_NUMBERS}
    )
    numbers: dict[int, list[int]] = {}
    for event_id, number in rows:
        numbers.setdefault(int(event_id), []).append(int(number))
    return {event_id: tuple(sorted(held)) for event_id, held in numbers.items()}


def event_row(row: Sequence[Any]) -> EventRow:
    """An event from its columns in the order of `_EVENT_COLUMNS`."""
    event_id, day, title, price, currency, status, ballot_count, winning_number, participants = row[:9]
    return EventRow(
        int(event_id),
        as_date(day),
        title,
        int(price),
        currency,
        status,
        int(ballot_count),
        winning_number,
        int(participants),
        prize=row[9],
        prize_rules=row[10],
    )


def as_date(value: dt.date | str) -> dt.date:
    """SQLite hands dates back as ISO text, PostgreSQL as dates."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def as_instant(value: dt.datetime | str) -> dt.datetime:
    """An aware UTC instant from SQLite's naive UTC text or PostgreSQL's timestamptz."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
