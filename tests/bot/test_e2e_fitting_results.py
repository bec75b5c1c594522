"""Each player gets the result that fits them: no ballots in the draw, joined but bought nothing,
and ballots of a cancelled lottery, which /me no longer lists."""

from __future__ import annotations

import pytest

from tests.bot.harness import ADMIN, BotHarness
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


async def test_a_player_who_joined_but_bought_nothing_is_not_told_not_yours(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 1)
    await harness.say(2, "/start", first_name="Boris")
    await harness.say(2, "/join")
    await harness.say(3, "/start", first_name="Cara", language_code="ru")
    await harness.say(3, "/join")
    await harness.close_now()
    boris = (await api.wait_for_message(2, lambda t: "drawn" in t))["text"]
    assert boris.startswith(
        "The lottery of May 1, 2024 is drawn: the only ballot, #1, wins. "
        "You had joined but held no ballot in it, so there was nothing for you to win."
    )
    assert "Not yours" not in boris
    cara = (await api.wait_for_message(3, lambda t: "разыграна" in t))["text"]
    assert "Вы участвовали, но без билетов, так что выигрывать было нечего." in cara
    assert "не ваш" not in cara


async def test_a_draw_without_ballots_says_so(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.say(2, "/start", first_name="Boris")
    await harness.say(2, "/join")
    await harness.close_now()
    notice = await api.wait_for_message(2, lambda t: "May 1, 2024" in t)
    assert notice["text"] == "The lottery of May 1, 2024 closed with no ballots, so there was no draw."


async def test_after_a_cancellation_me_lists_no_cancelled_ballots_and_says_they_were_refunded(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 2)
    await harness.say(3, "/start", first_name="Аня", language_code="ru")
    await harness.say(3, "/pay 1")
    await harness.say(3, "/buy 1")
    assert "Today's ballots: #1, #2" in await harness.say(1, "/me")
    await harness.say(ADMIN, "/start")
    assert "cancelled" in await harness.say(ADMIN, "/cancelevent 2024-05-01")
    await api.wait_for_message(1, lambda t: "cancelled" in t)
    me = await harness.say(1, "/me")
    assert (
        "Today's ballots: none; today's lottery was cancelled and your 2 ballots were refunded "
        "to your credit." in me
    )
    assert "Credit: ⭐ 20" in me
    assert "#1" not in me
    await api.wait_for_message(3, lambda t: "отменена" in t)
    russian = await harness.say(3, "/me")
    assert (
        "Билеты на сегодня: нет; сегодняшняя лотерея отменена, и ваш 1 билет возвращён на баланс." in russian
    )
