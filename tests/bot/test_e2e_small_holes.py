"""Smaller holes, end to end: one email address per player, and Telegram Business messages ignored."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from tests.bot.harness import BotHarness

pytestmark = pytest.mark.e2e

NOT_ONE_ADDRESS = [
    "/email root,ann@example.com",
    "/email ann@example.com, bob@example.com",
    "/email ann@example.com;bob@example.com",
    "/email Ann <ann@example.com>",
    "/email ann@example.com\nbob@example.com",
    "/email ann@example.com\r\nBcc: eve@example.com",
    '/email "root,ann"@example.com',
    "/email ann@example.com bob@example.com",
]


async def test_email_accepts_exactly_one_address_and_refusals_change_nothing(harness: BotHarness) -> None:
    await harness.say(1, "/start")
    assert "Saved" in await harness.say(1, "/email  Ann.Smith@Example.COM")
    before = await harness.say(1, "/me")
    assert "Email: Ann.Smith@example.com" in before

    for text in NOT_ONE_ADDRESS:
        answer = await harness.say(1, text)
        assert "does not look like an email address" in answer, (text, answer)
        assert "Send exactly one: /email name@example.com" in answer
        assert len(answer) < 300, text

    assert await harness.say(1, "/me") == before


def business_message(user_id: int, text: str, *, message_id: int) -> dict[str, Any]:
    """What Telegram sends when a customer writes to a business account connected to the bot."""
    command = text.split()[0]
    entities = [{"type": "bot_command", "offset": 0, "length": len(command)}] if command[0] == "/" else []
    return {
        "business_message": {
            "message_id": message_id,
            "business_connection_id": "business-connection-1",
            "date": 1714564800,
            "chat": {"id": user_id, "type": "private", "first_name": "Customer"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Customer"},
            "text": text,
            "entities": entities,
        },
    }


async def test_a_business_message_runs_no_command_while_the_same_private_message_does(
    harness: BotHarness,
) -> None:
    await harness.say(1, "/start")
    before = await harness.say(1, "/me")
    assert "⭐ 0" in before

    for number, text in enumerate(("/pay 1", "/email eve@example.com", "/frobnicate", "hello"), 1):
        harness.api.send_update(business_message(1, text, message_id=10_000 + number))
    # Updates are handled one at a time, in order: this reply comes after the business ones were handled.
    assert await harness.say(1, "/me") == before
    await harness.api.assert_no_message(1, wait=0.5)
    assert not [c for c in harness.api.calls_of("sendMessage") if "business_connection_id" in c]
    assert not harness.api.pending_updates

    assert "⭐ 10" in await harness.say(1, "/pay 1")
    assert "⭐ 10" in await harness.say(1, "/me")


async def test_no_regular_handler_accepts_a_business_message(harness: BotHarness) -> None:
    """The filters alone keep business messages out, guard or no guard: every handler of group 0
    that takes `/pay 1` as a private message refuses the same text as a business message."""
    assert harness.bot is not None
    application = harness.bot.application
    business = Update.de_json(business_message(1, "/pay 1", message_id=1) | {"update_id": 1}, application.bot)
    message = business_message(1, "/pay 1", message_id=2)["business_message"]
    del message["business_connection_id"]
    private = Update.de_json({"update_id": 2, "message": message}, application.bot)
    handlers = application.handlers[0]
    assert [h for h in handlers if h.check_update(private)], "the private /pay 1 must reach a handler"
    assert [h for h in handlers if h.check_update(business)] == []
