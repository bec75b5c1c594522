"""Bad input of every kind gets a short, helpful reply, changes nothing, and the bot keeps serving."""

from __future__ import annotations

import asyncio

import pytest

from bot.handlers.guards import Throttle
from core.clock import FixedClock
from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e

BAD_INPUT = [
    ("/buy -1", "between 1 and 100"),
    ("/pay -3", "between 1 and 100"),
    ("/buy abc", "not a whole number"),
    ("/buy 0", "between 1 and 100"),
    ("/buy 99999999999", "between 1 and 100"),
    ("/buy 1 2", "one number"),
    ("/pay xyz", "not a whole number"),
    ("/pay 0", "between 1 and 100"),
    ("/winner 2024-13-45", "can't read “2024-13-45” as a day"),
    ("/winner tomorrow", "can't read “tomorrow” as a day"),
    ("/winner 1999-01-01", "no lottery on January 1, 1999"),
    ("/email not-an-email", "does not look like an email"),
    ("/email", "Send your address"),
    ("/frobnicate", "don't know that command"),
    ("hello there", "work with commands"),
    ("x" * 4096, "work with commands"),
    ("/buy " + "9" * 4000, "not a whole number"),
]


async def test_bad_input_gets_a_helpful_reply_and_changes_nothing(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 2)
    await harness.say(1, "/pay 1")
    before = await harness.say(1, "/me")

    for text, expected in BAD_INPUT:
        answer = await harness.say(1, text)
        assert expected in answer, (text, answer)
        assert "Traceback" not in answer
        assert len(answer) < 300, text

    assert await harness.say(1, "/me") == before
    assert "#3" in await harness.say(1, "/buy 1")  # still serving


async def test_commands_before_start_point_to_start(harness: BotHarness) -> None:
    for command in ("/join", "/buy 1", "/pay 1", "/me", "/history", "/refund", "/mytickets"):
        assert "Send /start first" in await harness.say(5, command), command


async def test_buying_joins_and_buying_beyond_credit_explains_what_to_do(harness: BotHarness) -> None:
    await harness.say(1, "/start")
    assert "Payment received" in await harness.say(1, "/pay 2")
    assert "You bought 1 ballot" in await harness.say(1, "/buy 1")  # buying joins
    answer = await harness.say(1, "/buy 2")
    assert "Not enough credit: that costs ⭐ 20 and you have ⭐ 10" in answer


async def test_stickers_and_edits_change_nothing(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.player_with_ballots(1, 1)
    await harness.say(1, "/pay 5")
    api.send_update(
        {
            "edited_message": {
                "message_id": 999,
                "date": 1714564800,
                "edit_date": 1714564900,
                "chat": {"id": 1, "type": "private"},
                "from": {"id": 1, "is_bot": False, "first_name": "P1"},
                "text": "/buy 5",
                "entities": [{"type": "bot_command", "offset": 0, "length": 4}],
            }
        }
    )
    api.send_update(
        {
            "message": {
                "message_id": 1000,
                "date": 1714564800,
                "chat": {"id": 1, "type": "private"},
                "from": {"id": 1, "is_bot": False, "first_name": "P1"},
                "sticker": {
                    "file_id": "s",
                    "file_unique_id": "s",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                },
            }
        }
    )
    await api.wait_until_updates_consumed()
    assert "work with commands" in (await api.wait_for_message(1))["text"]  # the sticker's answer
    assert "Today's ballots: #1\n" in (await harness.say(1, "/me")) + "\n"


async def test_a_flood_of_commands_is_slowed_down_politely(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    harness = BotHarness(api, None, database_url, bot_clock, throttle=Throttle(rate=2, burst=10))
    await harness.start()
    try:
        for _ in range(60):
            api.send_command(1, "/help")
        await api.wait_until_updates_consumed()
        texts = await harness.settle(1)
        assert 10 <= sum("How it works" in t for t in texts) < 20
        assert sum("Easy there" in t for t in texts) == 1
        await asyncio.sleep(1.0)  # the bucket refills: served again
        assert "How it works" in await harness.say(1, "/help")
    finally:
        await harness.stop()


async def test_groups_get_read_only_commands_and_a_pointer_for_the_rest(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    group = -100
    assert "Today, May 1, 2024" in await harness.say(1, "/events", chat_type="group", chat_id=group)
    assert "No lottery has been drawn yet" in await harness.say(
        1, "/winner", chat_type="group", chat_id=group
    )
    assert "private chat" in await harness.say(1, "/start", chat_type="group", chat_id=group)
    assert "private chat" in await harness.say(1, "/buy 1", chat_type="group", chat_id=group)
    assert "How it works" in await harness.say(1, "/HELP", chat_type="group", chat_id=group)
    assert "Today, May 1" in await harness.say(
        1, "/events@test_lottery_bot", chat_type="group", chat_id=group
    )
    api.send_text(1, "just chatting", chat_type="group", chat_id=group)
    api.send_command(1, "/roll 2d6", chat_type="group", chat_id=group)  # another bot's command
    api.send_command(1, "/buy@some_other_bot 1", chat_type="group", chat_id=group)
    await api.assert_no_message(group, wait=0.3)
