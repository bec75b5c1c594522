"""/history a page at a time: ◀ ▶ buttons turn the page in the same message."""

from __future__ import annotations

import pytest

from tests.bot.harness import BotHarness
from tests.bot.test_e2e_buttons import buttons
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


async def test_history_turns_its_pages_by_button(harness: BotHarness, api: BotApiEmulator) -> None:
    await harness.player_with_ballots(1, 3)  # payment, purchase
    for _ in range(5):  # 10 more ledger lines: the first page is full, one line is left over
        await harness.say(1, "/pay 1")
        await harness.say(1, "/buy 1")

    api.send_command(1, "/history")
    first = await api.wait_for_message(1)
    assert "Money (page 1):" in first["text"]
    money_lines = [s for s in first["text"].splitlines() if "⭐" in s and not s.startswith("Credit")]
    assert len(money_lines) == 10
    assert "8 ballots: #1–#8" in first["text"]
    assert buttons(first) == [("▶", "history:1")]

    second = await harness.press(1, "history:1", message_id=first["message_id"])
    assert second["message_id"] == first["message_id"]  # the same message, edited
    assert "Money (page 2):" in second["text"]
    assert "+⭐ 30  payment" in second["text"]  # the oldest line
    assert buttons(second) == [("◀", "history:0")]

    back = await harness.press(1, "history:0", message_id=first["message_id"])
    assert back["text"] == first["text"]
