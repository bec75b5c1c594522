"""Admins see what the outbox holds, and send failed notices again once the cause is fixed."""

from __future__ import annotations

import asyncio

import pytest

from tests.bot.harness import ADMIN, BotHarness
from tests.bot.test_e2e_pay_picker import buttons

pytestmark = pytest.mark.e2e


async def test_an_admin_sees_a_failed_notice_and_sends_it_again(harness: BotHarness) -> None:
    api = harness.api
    await harness.player_with_ballots(1, 1)
    api.block_user(1)
    await harness.close_now()
    async with asyncio.timeout(10):
        while (await harness.lottery.notifications.counts()).failed < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    overview = await harness.say(ADMIN, "/outbox")
    assert "0 waiting" in overview
    assert "1 failed" in overview
    assert "winner by telegram" in overview
    assert "blocked" in overview  # Telegram's own words for the 403 are shown
    [(label, data)] = buttons(api.sent_messages(ADMIN)[-1])
    assert label == "Send the 1 failed notice again"

    # Only an admin's press counts, even on a forwarded message.
    api.press_button(2, data, message_id=api.sent_messages(ADMIN)[-1]["message_id"])
    refusal = await api.wait_for_call("answerCallbackQuery")
    assert refusal["text"] == "That command is for the lottery's admins."
    assert (await harness.lottery.notifications.counts()).failed == 1

    api.unblock_user(1)
    answer = await harness.press(ADMIN, data, message_id=api.sent_messages(ADMIN)[-1]["message_id"])
    assert answer["text"] == "1 failed notice will be sent again now."
    won = await api.wait_for_message(1, lambda t: "You won" in t)
    assert "#1" in won["text"]
    assert "0 failed" in await harness.say(ADMIN, "/outbox")


async def test_outbox_is_for_admins_only(harness: BotHarness) -> None:
    await harness.say(1, "/start")
    assert await harness.say(1, "/outbox") == "That command is for the lottery's admins."
