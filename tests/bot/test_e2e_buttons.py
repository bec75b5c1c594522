"""Inline keyboards: buying by button, confirming deletion, choosing a refund, stale buttons."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator, SentMessage

pytestmark = pytest.mark.e2e


def buttons(message: SentMessage) -> list[tuple[str, str]]:
    markup = message["reply_markup"] or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


async def test_after_paying_a_button_buys_ballots(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.say(1, "/start")
    await harness.say(1, "/join")
    api.send_command(1, "/pay 3")
    paid = await api.wait_for_message(1)
    assert ("Buy 1", "buy:2024-05-01:1") in buttons(paid)
    assert ("Buy 3", "buy:2024-05-01:3") in buttons(paid)
    bought = await harness.press(1, "buy:2024-05-01:3", message_id=paid["message_id"])
    assert "3 ballots for May 1, 2024: #1–#3." in bought["text"]
    assert buttons(bought) == []  # nothing left to buy with
    again = await harness.press(1, "buy:2024-05-01:3", message_id=paid["message_id"])
    assert "Not enough credit" in again["text"]


async def test_deletion_asks_first_and_cancel_changes_nothing(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start", first_name="Ann")
    api.send_command(1, "/deleteme")
    question = await api.wait_for_message(1)
    assert ("Cancel", "deleteme:no") in buttons(question)
    cancelled = await harness.press(1, "deleteme:no", message_id=question["message_id"])
    assert "cancelled" in cancelled["text"]
    assert "Ann" in await harness.say(1, "/me")

    api.send_command(1, "/deleteme")
    question = await api.wait_for_message(1)
    deleted = await harness.press(1, "deleteme:yes", message_id=question["message_id"])
    assert "deleted" in deleted["text"]
    assert "Send /start first" in await harness.say(1, "/me")
    # The old confirmation pressed again is stale: it answers politely and deletes nothing new.
    stale = await harness.press(1, "deleteme:yes", message_id=question["message_id"])
    assert "Send /start first" in stale["text"]


async def test_a_refund_is_chosen_by_button_and_only_the_owner_can_take_it(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    await harness.say(2, "/start")
    await harness.say(1, "/pay 2")
    api.send_command(1, "/refund")
    offer = await api.wait_for_message(1)
    [(label, data)] = buttons(offer)
    assert "⭐ 20" in label

    thief = await harness.press(2, data, message_id=offer["message_id"])
    assert "cannot be refunded" in thief["text"]
    refunded = await harness.press(1, data, message_id=offer["message_id"])
    assert "Refunded payment #1: ⭐ 20" in refunded["text"]
    twice = await harness.press(1, data, message_id=offer["message_id"])
    assert "cannot be refunded" in twice["text"]
    assert "Credit: ⭐ 0" in await harness.say(1, "/me")
    assert "no payment that can be refunded" in await harness.say(1, "/refund")


async def test_an_unknown_button_answers_that_it_expired(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.say(1, "/start")
    update_id = api.press_button(1, "something-old", message_id=1)
    await api.wait_for_call("answerCallbackQuery")
    answer = api.answered_callback_queries[str(update_id)]
    assert "expired" in answer["text"]


async def test_a_payment_receipts_buy_button_from_an_earlier_day_expires(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.say(1, "/start")
    api.send_command(1, "/pay 3")
    paid = await api.wait_for_message(1)
    [(_label, data), *_rest] = buttons(paid)
    harness.advance(dt.timedelta(days=1))
    api.press_button(1, data, message_id=paid["message_id"])
    answer = await api.wait_for_call("answerCallbackQuery")
    assert (
        answer["text"]
        == "This button was for the lottery of May 1, 2024, which is over. Send the command again."
    )
    assert "Credit: ⭐ 30" in await harness.say(1, "/me")
