"""Issue 10's loose ends, as players meet them: /winner's arrows, "other…" answered with a bare number,
/mytickets after a cancellation, and the prize named where a player looks first."""

from __future__ import annotations

import datetime as dt

from tests.bot.harness import BotHarness
from tests.bot.test_e2e_buttons import buttons
from tests.support.bot_api import BotApiEmulator


async def test_winner_arrows_step_from_drawn_lottery_to_drawn_lottery(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    await harness.player_with_ballots(1, 1)  # May 1
    harness.advance(dt.timedelta(hours=12))  # midnight: May 1 is drawn
    await api.wait_for_message(1, lambda t: "You won" in t)
    harness.advance(dt.timedelta(days=2))  # May 2 and May 3 pass with no lottery: no one looked
    await harness.player_with_ballots(2, 1)  # May 4
    harness.advance(dt.timedelta(days=1))  # May 4 is drawn; today is May 5
    await api.wait_for_message(2, lambda t: "You won" in t)

    api.send_command(1, "/winner 2.5.2024")
    gap = await api.wait_for_message(1)
    assert gap["text"] == "The lottery of May 2, 2024 closed with no ballots, so there was no draw."
    assert buttons(gap) == [("◀", "winner:2024-05-01"), ("▶", "winner:2024-05-04")]
    first = await harness.press(1, "winner:2024-05-01", message_id=gap["message_id"])
    assert first["text"].startswith("Lottery of May 1, 2024: the only ballot, #1, wins; it is held by P1.")
    assert buttons(first) == [("▶", "winner:2024-05-04")]  # nothing drawn before: no ◀
    latest = await harness.press(1, "winner:2024-05-04", message_id=first["message_id"])
    assert latest["text"].startswith("Lottery of May 4, 2024: the only ballot, #1, wins; it is held by P2.")
    assert buttons(latest) == [("◀", "winner:2024-05-01")]  # today, May 5, is not drawn yet: no ▶

    api.send_command(1, "/winner")
    bare = await api.wait_for_message(1)
    assert bare["text"].startswith("Lottery of May 4, 2024")
    assert buttons(bare) == [("◀", "winner:2024-05-01")]
    api.send_command(1, "/winner 30.4.2024")
    before = await api.wait_for_message(1)
    assert before["text"] == "There was no lottery on April 30, 2024."
    assert buttons(before) == [("▶", "winner:2024-05-01")]
