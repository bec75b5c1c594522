"""The whole journey through the real bot: join → pay → buy → close → winner message and email."""

from __future__ import annotations

import pytest

from tests.bot.harness import BotHarness

pytestmark = pytest.mark.e2e


async def test_a_player_wins_and_is_told_by_telegram_and_email(harness: BotHarness) -> None:
    api, smtp = harness.api, harness.smtp
    assert smtp is not None
    assert "registered" in await harness.say(1, "/start", first_name="Ann")
    assert "Saved" in await harness.say(1, "/email ann@example.com")
    assert "You're in" in await harness.say(1, "/join")
    paid = await harness.say(1, "/pay 3")
    assert "Payment received: ⭐ 30" in paid
    bought = await harness.say(1, "/buy 2")
    assert "#1, #2" in bought
    assert "credit left: ⭐ 10" in bought

    closed = await harness.close_now()
    assert "ballot #" in closed

    won = await api.wait_for_message(1, lambda text: "You won" in text)
    assert "May 1, 2024" in won["text"]
    [mail] = await smtp.wait_for_messages(1)
    assert mail.envelope_to == ["ann@example.com"]
    assert "May 1, 2024" in mail.subject
    number = won["text"].split("#")[1].split()[0]
    assert f"#{number}" in mail.text
    winner = await harness.say(1, "/winner 2024-05-01")
    assert f"#{number} of 2" in winner
    assert "Ann" in winner
