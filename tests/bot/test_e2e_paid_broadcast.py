"""PAID_BROADCAST: the bot's own sends go out as Telegram's paid broadcasts; replies never do."""

from __future__ import annotations

from typing import Any

import pytest

from core.clock import FixedClock
from tests.bot.conftest import NOON
from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator, JSONDict

pytestmark = pytest.mark.e2e

PLAYERS = (1, 2)


async def _messages_after_a_draw(api: BotApiEmulator, database_url: str, **settings: Any) -> list[JSONDict]:
    harness = BotHarness(api, None, database_url, FixedClock(NOON), **settings)
    await harness.start()
    try:
        for player in PLAYERS:
            await harness.player_with_ballots(player, 1)
        await harness.close_now()
        for player in PLAYERS:
            await api.wait_for_message(player, _is_result)
    finally:
        await harness.stop()
    return api.calls_of("sendMessage")


def _is_result(text: str) -> bool:
    return "You won" in text or "is drawn" in text


def _results(calls: list[JSONDict]) -> list[JSONDict]:
    return [c for c in calls if c["chat_id"] in PLAYERS and _is_result(c["text"])]


async def test_results_go_out_as_paid_broadcasts_and_replies_do_not(
    api: BotApiEmulator, database_url: str
) -> None:
    calls = await _messages_after_a_draw(api, database_url, paid_broadcast=True)
    results = _results(calls)
    replies = [c for c in calls if c not in results]
    assert len(results) == len(PLAYERS)
    assert all(c.get("allow_paid_broadcast") is True for c in results)
    assert replies
    assert not any("allow_paid_broadcast" in c for c in replies)


async def test_without_it_no_send_asks_for_a_paid_broadcast(api: BotApiEmulator, database_url: str) -> None:
    calls = await _messages_after_a_draw(api, database_url)
    assert len(_results(calls)) == len(PLAYERS)
    assert not any("allow_paid_broadcast" in c for c in calls)
