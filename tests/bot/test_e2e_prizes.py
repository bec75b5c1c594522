"""The prize: set per lottery by an admin or configured, and named wherever a player decides or wins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.clock import FixedClock
from tests.bot.harness import ADMIN, BotHarness
from tests.support.bot_api import BotApiEmulator
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.e2e


async def test_an_admins_prize_and_rules_are_named_from_events_to_the_winners_email(
    harness: BotHarness, api: BotApiEmulator, smtp: SmtpServer
) -> None:
    await harness.say(ADMIN, "/start")
    updated = await harness.say(ADMIN, "/editevent 2024-05-01 prize a weekend in Riga")
    assert "Prize: a weekend in Riga." in updated
    ruled = await harness.say(ADMIN, "/editevent 2024-05-01 rules One ballot per person wins at most once.")
    assert ruled.endswith("Prize: a weekend in Riga. One ballot per person wins at most once.")

    await harness.say(1, "/start", first_name="Ann")
    await harness.say(1, "/email ann@example.com")
    events = await harness.say(1, "/events")
    assert "Prize: a weekend in Riga. One ballot per person wins at most once." in events
    await harness.say(1, "/pay 1")
    bought = await harness.say(1, "/buy 1")
    assert "Prize: a weekend in Riga." in bought

    await harness.say(2, "/start", first_name="Boris", language_code="ru")
    await harness.say(2, "/pay 1")
    assert "Приз: a weekend in Riga." in await harness.say(2, "/buy 1")

    await harness.say(2, "/email boris@example.com")
    await harness.close_now()
    ann = (await api.wait_for_message(1, lambda t: "May 1, 2024" in t))["text"]
    boris = (await api.wait_for_message(2, lambda t: "1 мая 2024" in t))["text"]
    if "You won" in ann:
        assert "Your prize: a weekend in Riga. Write to the lottery's admins to claim it." in ann
        assert "Владелец выигрышного билета получает a weekend in Riga." in boris
        claim = "Your prize: a weekend in Riga. Write to the lottery's admins to claim it."
    else:
        assert "Ваш приз: a weekend in Riga. Чтобы получить его, напишите администраторам лотереи." in boris
        assert "Its holder wins a weekend in Riga." in ann
        claim = "Ваш приз: a weekend in Riga. Чтобы получить его, напишите администраторам лотереи."
    [mail] = await smtp.wait_for_messages(1)
    assert claim in mail.text


async def test_the_prize_is_a_term_an_admin_cannot_change_after_a_sale(harness: BotHarness) -> None:
    await harness.say(ADMIN, "/start")
    await harness.player_with_ballots(1, 1)
    refused = await harness.say(ADMIN, "/editevent 2024-05-01 prize a car")
    assert "ballots have been sold" in refused
    assert "Prize: a gift from the lottery's admins." in await harness.say(1, "/events")


@pytest.mark.parametrize("command", ["/editevent 2024-05-01 prize", "/editevent 2024-05-01 jackpot x"])
async def test_an_edit_without_its_text_answers_the_usage(harness: BotHarness, command: str) -> None:
    await harness.say(ADMIN, "/start")
    answer = await harness.say(ADMIN, command)
    assert answer.startswith(
        "Usage: /editevent YYYY-MM-DD price N, or /editevent YYYY-MM-DD title|prize|rules"
    )
    assert "Prize: a gift from the lottery's admins." in await harness.say(ADMIN, "/events")


async def test_a_prize_longer_than_300_characters_is_refused(harness: BotHarness) -> None:
    await harness.say(ADMIN, "/start")
    answer = await harness.say(ADMIN, "/editevent 2024-05-01 prize " + "x" * 301)
    assert answer == "A prize or rules line has 1 to 300 characters."


@pytest.fixture
async def configured(
    api: BotApiEmulator, smtp: SmtpServer, database_url: str, bot_clock: FixedClock
) -> AsyncIterator[BotHarness]:
    running = BotHarness(
        api,
        smtp,
        database_url,
        bot_clock,
        prize_text="a mug with our logo",
        prize_rules="Drawn every midnight.",
        prize_claim="Reply to @lottery_support with your ballot number.",
    )
    await running.start()
    yield running
    await running.stop()


async def test_configured_prize_rules_and_claim_are_the_default_of_every_lottery(
    configured: BotHarness, api: BotApiEmulator
) -> None:
    await configured.say(ADMIN, "/start")
    created = await configured.say(ADMIN, "/newevent 2024-05-04")
    assert "Prize: a mug with our logo. Drawn every midnight." in created
    await configured.say(1, "/start", first_name="Ann")
    assert "Prize: a mug with our logo. Drawn every midnight." in await configured.say(1, "/events")
    await configured.say(1, "/pay 1")
    await configured.say(1, "/buy 1")
    await configured.close_now()
    won = await api.wait_for_message(1, lambda t: "You won" in t)
    assert (
        "Your prize: a mug with our logo. Reply to @lottery_support with your ballot number." in won["text"]
    )
