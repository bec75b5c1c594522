"""/deleteme through the real bot: afterwards no table holds the player's Telegram id or address."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.models import Ballot, Base
from tests.bot.harness import ADMIN, BotHarness

pytestmark = pytest.mark.e2e

ANN = 731926485
EMAIL = "ann.q7x@example.com"


async def test_deleteme_leaves_neither_telegram_id_nor_address_in_any_table(harness: BotHarness) -> None:
    smtp = harness.smtp
    assert smtp is not None
    await harness.player_with_ballots(ANN, 2)
    await harness.say(ANN, f"/email {EMAIL}")
    # Her winner email fails for good with an error quoting her address; the message is refused too.
    smtp.reject_recipient_next(1, f"550 5.1.1 <{EMAIL}>: mailbox unavailable")
    harness.api.fail_next("sendMessage", 400, description=f"Bad Request: can't parse entities near {ANN}")
    await harness.lottery.closing.close_open_events()
    assert harness.bot is not None
    harness.bot.delivery.wake()
    async with asyncio.timeout(10):
        while (await harness.lottery.notifications.counts()).failed < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert EMAIL in await harness.say(ADMIN, "/outbox")  # the errors did quote her

    harness.api.send_command(ANN, "/deleteme")
    question = await harness.api.wait_for_message(ANN)
    assert "deleted" in (await harness.press(ANN, "deleteme:yes", message_id=question["message_id"]))["text"]

    async with harness.lottery.context.db.snapshot() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                text = " ".join(str(value) for value in row).lower()
                assert str(ANN) not in text, (table.name, row)
                assert EMAIL not in text, (table.name, row)
        # Ballots stay, anonymous, for the integrity of past draws.
        assert (await uow.session.execute(select(func.count()).select_from(Ballot))).scalar_one() == 2
