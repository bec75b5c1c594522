"""Player accounts, and deletion that forgets the person but keeps the books and the draws whole."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import InvalidEmail, NotRegistered
from core.service import LotteryService
from storage import Database
from storage.models import Ballot, LedgerEntry, Payment, Player
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
