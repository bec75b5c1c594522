"""A bare /pay (what a tap in the command menu sends) offers choices and charges nothing."""

from __future__ import annotations

import pytest

from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator, SentMessage

pytestmark = pytest.mark.e2e


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    markup = message["reply_markup"] or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def test_bare_pay_shows_a_picker_and_charges_nothing(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.say(1, "/start")
    await harness.say(1, "/join")
    api.send_command(1, "/pay")
    picker = await api.wait_for_message(1)
    assert "Nothing is charged" in picker["text"]
    assert buttons(picker) == [("1", "pay:1"), ("5", "pay:5"), ("10", "pay:10"), ("other…", "pay:other")]
    assert "Not enough credit" in await harness.say(1, "/buy 1")

    other = await harness.press(1, "pay:other", message_id=picker["message_id"])
    assert other["text"] == "How many ballots do you want to pay for? Reply with a number, e.g. 3."
    assert "Not enough credit" in await harness.say(1, "/buy 1")

    paid = await harness.press(1, "pay:5", message_id=picker["message_id"])
    assert "Payment received" in paid["text"]
    assert ("Buy 5", "buy:2024-05-01:5") in buttons(paid)
    bought = await harness.say(1, "/buy 5")
    assert "#1" in bought
    assert "#5" in bought


async def test_a_payment_after_todays_draw_offers_no_ballots_of_the_closed_day(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 1)
    assert "wins" in await harness.close_now()
    api.send_command(1, "/pay 1")
    receipt = await api.wait_for_message(1, lambda text: "Payment received" in text)
    assert "Today's lottery is closed already: the credit stays yours for the next one." in receipt["text"]
    assert receipt["reply_markup"] is None
