"""The hot writes besides the purchase: registering (/start) and joining today's event (/join).

Each is one transaction of a few guarded statements, written once against `storage.reads.Query` and run
in one trip to the database (storage.trips). On PostgreSQL the same guards run inside the server,
as one call of a function (migration 0010, storage.postgres). Joining raises the event's participant
count in the same transaction that adds the registration, and only when it did add one, so /join never
recounts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, replace

from storage.reads import EventRow, PlayerRow, Query, TodaysBallots, event_on, player, todays_ballots


@dataclass(frozen=True)
class NewEvent:
    """The terms an event of the day is made with when it is first needed."""

    title: str
    price: int
    currency: str


@dataclass(frozen=True)
class Joined:
    event: EventRow
    newly_joined: bool


@dataclass(frozen=True)
class Closed:
    event: EventRow


@dataclass(frozen=True)
class Unknown:
    """No player has this Telegram id."""


JoinOutcome = Joined | Closed | Unknown

_ADD_PLAYER = """
INSERT INTO players (telegram_id, username, first_name, telegram_language, balance, created_at)
VALUES (:telegram_id, :username, :first_name, :language, 0, :now)
ON CONFLICT (telegram_id) DO NOTHING RETURNING id
"""
_RENAME = "UPDATE players SET username = :username, first_name = :first_name WHERE id = :player_id"
_ADD_EVENT = """
INSERT INTO events (day, title, price, currency, status, ballot_count, participant_count, created_at,
                    draw_secret, draw_commitment)
VALUES (:day, :title, :price, :currency, 'open', 0, 0, :now, :secret, :commitment)
ON CONFLICT (day) DO NOTHING
"""
_REGISTER = """
INSERT INTO registrations (event_id, player_id, joined_at) VALUES (:event_id, :player_id, :now)
ON CONFLICT (event_id, player_id) DO NOTHING RETURNING player_id
"""
_COUNT_IN = """
UPDATE events SET participant_count = participant_count + 1 WHERE id = :event_id
RETURNING participant_count
"""


async def register(
    query: Query,
    *,
    telegram_id: int,
    username: str | None,
    first_name: str | None,
    day: dt.date,
    now: dt.datetime,
    language: str | None = None,
) -> tuple[TodaysBallots, bool]:
    """Add the player unless known (then refresh their names); their profile, and True when new.
    `language` is what Telegram reports for a new player, kept for notices sent outside any update."""
    names = {"username": username, "first_name": first_name}
    added = await query.row(
        _ADD_PLAYER, {"telegram_id": telegram_id, "now": now, "language": language, **names}
    )
    if added is None:
        known = await player(query, telegram_id)
        assert known is not None, "a player whose insert conflicted exists"
        if (known.username, known.first_name) != (username, first_name):
            await query.run(_RENAME, {"player_id": known.id, **names})
    profile = await todays_ballots(query, telegram_id, day, receipts=False)
    assert profile is not None, "the player exists once added"
    return profile, added is not None


async def join(
    query: Query, *, telegram_id: int, day: dt.date, terms: NewEvent, now: dt.datetime
) -> JoinOutcome:
    """Enter the player in the event of `day` (made on demand); joining twice changes nothing."""
    joiner: PlayerRow | None = await player(query, telegram_id)
    if joiner is None:
        return Unknown()
    event = await event_of_day(query, day=day, terms=terms, now=now)
    if event.status != "open":
        return Closed(event)
    added = await query.row(_REGISTER, {"event_id": event.id, "player_id": joiner.id, "now": now})
    if added is None:
        return Joined(event, newly_joined=False)
    counted = await query.row(_COUNT_IN, {"event_id": event.id})
    assert counted is not None, "the event exists"
    return Joined(replace(event, participants=int(counted[0])), newly_joined=True)


async def event_of_day(query: Query, *, day: dt.date, terms: NewEvent, now: dt.datetime) -> EventRow:
    """The event of `day`, made with `terms` if it does not exist yet.

    Like every event (storage.events.add_if_missing), it is born with its local commit–reveal secret
    and the commitment to it, so that with DRAW_BEACON=local the commitment is public before any ballot.
    """
    event = await event_on(query, day)
    if event is None:
        secret = secrets.token_bytes(32)
        terms_of_day = {"day": day, "title": terms.title, "price": terms.price, "currency": terms.currency}
        await query.run(
            _ADD_EVENT,
            {
                **terms_of_day,
                "now": now,
                "secret": secret.hex(),
                "commitment": hashlib.sha256(hashlib.sha256(secret).digest()).hexdigest(),
            },
        )
        event = await event_on(query, day)
        assert event is not None, "the event of the day exists once added"
    return event
