"""Player accounts, and deletion that forgets the person but keeps the books and the draws whole."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select, update

from core.clock import FixedClock
from core.context import public_name
from core.errors import InvalidEmail, NotRegistered
from core.notifications import Channel, Outcome, Result
from core.results import PublicName
from core.service import LotteryService
from storage import Database
from storage.models import Ballot, Base, LedgerEntry, OutboxMessage, Payment, Player
from tests.conftest import START
from tests.core.players import joined_player


async def test_registering_twice_keeps_one_player_and_refreshes_names(service: LotteryService) -> None:
    first, created = await service.players.register(7, username="ann", first_name="Ann")
    again, created_again = await service.players.register(7, username="ann_b", first_name="Annie")
    assert created
    assert not created_again
    assert (first.username, again.username, again.first_name) == ("ann", "ann_b", "Annie")
    players, total = await service.players.page()
    assert total == 1
    assert [p.telegram_id for p in players] == [7]


async def test_email_is_validated_and_normalised(service: LotteryService) -> None:
    await service.players.register(7, username=None, first_name="Ann")
    profile = await service.players.set_email(7, "  Ann.Smith@Example.COM ")
    assert profile.email == "Ann.Smith@example.com"
    for bad in ["not-an-email", "a@b", "@example.com", "a b@example.com", "x" * 300 + "@example.com"]:
        with pytest.raises(InvalidEmail):
            await service.players.set_email(7, bad)
    assert (await service.players.profile(7)).email == "Ann.Smith@example.com"


async def test_deletion_erases_personal_data_but_keeps_ballots_and_payments(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 7, paid_ballots=2)
    await service.players.set_email(ann, "ann@example.com")
    await service.tickets.buy(ann, 2)

    await service.players.delete(ann)

    with pytest.raises(NotRegistered):
        await service.players.profile(ann)
    async with db.snapshot() as uow:
        row = (await uow.session.execute(select(Player))).scalar_one()
        assert (row.telegram_id, row.username, row.first_name, row.email) == (None, None, None, None)
        assert row.deleted_at is not None
        for model in (Ballot, Payment, LedgerEntry):
            count = await uow.session.execute(select(func.count()).select_from(model))
            assert count.scalar_one() > 0, model
    # The same Telegram user can start afresh as a new player.
    _, created = await service.players.register(ann, username=None, first_name="Ann")
    assert created
    assert (await service.players.profile(ann)).balance == 0


async def _won_today(service: LotteryService, telegram_id: int, email: str) -> None:
    await joined_player(service, telegram_id, paid_ballots=1)
    await service.players.set_email(telegram_id, email)
    await service.tickets.buy(telegram_id, 1)
    await service.closing.close_open_events()


async def test_deletion_leaves_neither_address_nor_telegram_id_in_any_table(
    service: LotteryService, db: Database, clock: FixedClock
) -> None:
    ann, email = 731926485017, "ann.q7x@example.com"
    # Day one: Ann wins; her notices go out, the email with a failure that quotes her address.
    await _won_today(service, ann, email)
    for notice in await service.notifications.claim_due():
        if notice.channel is Channel.EMAIL:
            await service.notifications.undeliverable(notice, f"550 5.1.1 <{email}>: mailbox full")
        else:
            await service.notifications.delivered(notice)
    # Day two: she wins again, and her winner email and message are still queued when she leaves.
    clock.advance(dt.timedelta(days=1))
    await _won_today(service, ann, email)

    await service.players.delete(ann)

    # Nothing queued before the deletion goes out.
    assert await service.notifications.claim_due() == []
    async with db.snapshot() as uow:
        statuses = (await uow.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id))).all()
        assert sorted(statuses) == ["cancelled", "cancelled", "failed", "sent"]
        # Every column of every table, read generically from the metadata: neither identifier remains.
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                text = " ".join(str(value) for value in row)
                assert str(ann) not in text, (table.name, row)
                assert email.lower() not in text.lower(), (table.name, row)
        # Ballots stay, anonymous, for the integrity of past draws.
        assert (await uow.session.execute(select(func.count()).select_from(Ballot))).scalar_one() == 2


async def test_a_send_in_flight_at_the_deletion_records_nothing_over_the_erasure(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.players.set_email(ann, "ann@example.com")
    await service.tickets.buy(ann, 1)
    await service.closing.close_open_events()
    in_flight = await service.notifications.claim_due(limit=10)
    assert {notice.channel for notice in in_flight} == {Channel.TELEGRAM, Channel.EMAIL}

    await service.players.delete(ann)
    failing = Outcome(in_flight[0], Result.RETRY, "SMTPRecipientsRefused('ann@example.com')")
    delivered = Outcome(in_flight[1], Result.DELIVERED)
    fenced_off = await service.notifications.settle([failing, delivered])

    assert fenced_off == 2
    async with db.snapshot() as uow:
        rows = (await uow.session.execute(select(OutboxMessage))).scalars().all()
    assert {(row.status, row.recipient, row.last_error) for row in rows} == {("cancelled", "", None)}


async def test_deletion_blanks_the_players_quarantined_and_failed_rows_too(
    service: LotteryService, db: Database
) -> None:
    """Rows set aside (unreadable, even with no `player_id`) or failed keep neither address nor error."""
    ann, email = 731926485017, "ann.q7x@example.com"
    await _won_today(service, ann, email)
    async with db.transaction() as uow:
        event_id = (await uow.session.execute(select(OutboxMessage.event_id).limit(1))).scalar_one()
        for player_id, recipient in ((None, str(ann)), (None, email)):
            await uow.outbox.add(
                kind="carrier-pigeon",
                channel="telegram",
                recipient=recipient,
                event_id=event_id,
                player_id=player_id,
                now=START,
            )
    for notice in await service.notifications.claim_due(limit=10):  # the pigeons are quarantined here
        if notice.channel is Channel.EMAIL:
            await service.notifications.undeliverable(notice, f"550 5.1.1 <{email}>: mailbox full")
    async with db.transaction() as uow:  # and a quarantine that quoted her, as an old version might have
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "quarantined")
            .values(last_error=f"unreadable row for {ann} <{email}>")
        )
    async with db.snapshot() as uow:
        statuses = (await uow.session.scalars(select(OutboxMessage.status))).all()
    assert sorted(statuses) == ["failed", "pending", "quarantined", "quarantined"]

    await service.players.delete(ann)

    async with db.snapshot() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                text = " ".join(str(value) for value in row)
                assert str(ann) not in text, (table.name, row)
                assert email.lower() not in text.lower(), (table.name, row)
        assert (await uow.session.execute(select(func.count()).select_from(Ballot))).scalar_one() == 1


@pytest.mark.parametrize(
    ("choice", "shown"),
    [
        (PublicName.FIRST_NAME, "Ann"),
        (PublicName.FIRST_NAME_AND_USERNAME, "Ann (@ann)"),
        (PublicName.ANONYMOUS, None),
        (None, "Ann"),
    ],
)
def test_a_public_name_shows_the_username_only_when_chosen(
    choice: PublicName | None, shown: str | None
) -> None:
    assert public_name("Ann", "ann", choice) == shown


def test_a_player_without_a_first_name_is_never_named_by_username_alone() -> None:
    assert public_name(None, "ann", PublicName.FIRST_NAME_AND_USERNAME) is None


async def test_registering_an_existing_player_returns_their_day_with_its_prize_and_chosen_name(
    service: LotteryService,
) -> None:
    """What /start shows comes from the register itself: today's numbers (a page of them), how many
    there are, the prize an admin set for today, and how the player chose to be named."""
    await service.events.edit_prize(START.date(), prize="A weekend in Riga", rules="One win per person")
    await joined_player(service, 1, paid_ballots=70)
    await service.tickets.buy(1, 70)
    await service.players.choose_public_name(1, PublicName.ANONYMOUS)

    profile, created = await service.players.register(1, username=None, first_name="Ann")

    assert not created
    assert profile.today_ballots == tuple(range(1, 61))
    assert profile.today_ballot_count == 70
    assert (profile.today_prize.text, profile.today_prize.rules) == (
        "A weekend in Riga",
        "One win per person",
    )
    assert profile.public_name is PublicName.ANONYMOUS


async def test_a_player_registering_from_many_updates_at_once_is_added_once(
    service: LotteryService, db: Database
) -> None:
    outcomes = await asyncio.gather(
        *(service.players.register(7, username=None, first_name="Ann") for _ in range(5))
    )
    assert sorted(created for _, created in outcomes) == [False, False, False, False, True]
    async with db.snapshot() as uow:
        players = await uow.session.scalar(select(func.count()).select_from(Player))
    assert players == 1
