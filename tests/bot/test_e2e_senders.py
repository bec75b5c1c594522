"""Two OS processes drain one outbox while Telegram answers 429 for longer than the lease."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.rules import LotteryRules
from core.service import LotteryService
from tests.core.players import joined_player
from tests.support.bot_api import BotApiEmulator
from tests.support.processes import clean_env, finish, start_module

pytestmark = pytest.mark.e2e

PLAYERS = 6
LEASE_SECONDS = 2.0


async def test_two_senders_with_429s_longer_than_the_lease_send_each_notice_once(
    api: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    """AIORateLimiter would sleep through each 429 past the lease, and the other process would send too."""
    lottery = LotteryService.connect(
        database_url, rules=LotteryRules(ballot_price=10), clock=FixedClock(dt.datetime.now(dt.UTC))
    )
    try:
        for telegram_id in range(1, PLAYERS + 1):
            buyer = await joined_player(lottery, telegram_id, paid_ballots=1)
            await lottery.tickets.buy(buyer, 1)
        await lottery.closing.close_open_events()
        assert (await lottery.notifications.counts()).pending == PLAYERS
    finally:
        await lottery.close()
    api.fail_next("sendMessage", 429, times=3, retry_after=int(LEASE_SECONDS * 2))
    env = clean_env()
    start_at = str(time.time() + 1.5)
    args = (database_url, api.base_url, start_at, str(LEASE_SECONDS))
    senders = [await start_module("tests.bot.senders", *args, env=env, cwd=tmp_path) for _ in range(2)]
    for finished in await finish(*senders, timeout=90):
        assert finished.returncode == 0, finished.stderr[-3000:]
    assert len(api.calls_of("sendMessage")) >= PLAYERS + 3  # the 429s really happened
    for chat_id in range(1, PLAYERS + 1):
        texts = [m["text"] for m in api.sent_messages(chat_id)]
        assert len(texts) == 1, (chat_id, texts)
