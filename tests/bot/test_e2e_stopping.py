"""SIGTERM while Telegram keeps the bot waiting: the real `python -m bot` stops within 10 s, hands its
notices back unrecorded, and after a restart each notice goes out exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, select, update

from core.clock import FixedClock
from core.rules import LotteryRules
from core.service import LotteryService
from storage.models import OutboxMessage
from tests.core.players import joined_player
from tests.support.bot_api import BotApiEmulator
from tests.support.processes import clean_env, start_module

pytestmark = pytest.mark.e2e

PLAYERS = (1, 2)  # one winner notice, one result notice


async def drawn_outbox(database_url: str) -> None:
    """Two players, today's draw done: a winner notice and a result notice wait in the outbox."""
    lottery = LotteryService.connect(
        database_url, rules=LotteryRules(ballot_price=10), clock=FixedClock(dt.datetime.now(dt.UTC))
    )
    try:
        for telegram_id in PLAYERS:
            await lottery.tickets.buy(await joined_player(lottery, telegram_id, paid_ballots=1), 1)
        await lottery.closing.close_open_events()
        assert (await lottery.notifications.counts()).pending == len(PLAYERS)
    finally:
        await lottery.close()


async def outbox_rows(database_url: str) -> list[Row[Any]]:
    lottery = LotteryService.connect(database_url, rules=LotteryRules(ballot_price=10))
    try:
        async with lottery.context.db.engine.connect() as connection:
            statement = select(OutboxMessage.__table__).order_by(OutboxMessage.id)
            return list((await connection.execute(statement)).all())
    finally:
        await lottery.close()


async def make_due_now(database_url: str) -> None:
    """What a real minute of waiting would do: the notices' `retry_after` is over."""
    lottery = LotteryService.connect(database_url, rules=LotteryRules(ballot_price=10))
    try:
        async with lottery.context.db.transaction() as uow:
            due = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            await uow.session.execute(update(OutboxMessage).values(next_attempt_at=due))
    finally:
        await lottery.close()


def bot_env(api: BotApiEmulator, database_url: str) -> dict[str, str]:
    return clean_env(
        TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url, DATABASE_URL=database_url
    )


async def terminate(process: asyncio.subprocess.Process) -> tuple[float, str]:
    """SIGTERM; how long the process took to exit, and what it logged."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()[-3000:]
    return time.monotonic() - started, (stdout + stderr).decode()


@pytest.mark.parametrize("telegram", ["429 retry_after=60", "no answer for 60 s"])
async def test_sigterm_during_a_long_telegram_wait_stops_within_10_s_and_sends_once_after_restart(
    api: BotApiEmulator, database_url: str, tmp_path: Path, telegram: str
) -> None:
    await drawn_outbox(database_url)
    if telegram.startswith("429"):
        api.fail_next("sendMessage", 429, times=len(PLAYERS), retry_after=60)
    else:
        api.stall_next("sendMessage", 60, times=len(PLAYERS))
    env = bot_env(api, database_url)
    process = await start_module("bot", env=env, cwd=tmp_path)
    try:
        async with asyncio.timeout(30):
            while len(api.calls_of("sendMessage")) < len(PLAYERS):  # noqa: ASYNC110 - polling the emulator
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the process is now waiting on Telegram
    finally:
        terminated_at = dt.datetime.now(dt.UTC)
        took, log = await terminate(process)
    assert took < 10, log[-3000:]
    assert "the bot has stopped" in log
    assert api.sent_messages() == []
    for row in await outbox_rows(database_url):
        # Neither sent nor given up, and no claim holds it any more.
        assert (row.status, row.claim_token, row.sent_at) == ("pending", None, None), row.last_error
        if telegram.startswith("429"):  # the outbox keeps the wait Telegram asked for
            assert row.next_attempt_at > terminated_at + dt.timedelta(seconds=50), row.last_error
        else:  # abandoned in flight and handed back: due again at once, not after a backoff
            assert row.next_attempt_at <= terminated_at + dt.timedelta(seconds=took), row.last_error
    await make_due_now(database_url)
    process = await start_module("bot", env=env, cwd=tmp_path)
    try:
        for chat_id in PLAYERS:
            await api.wait_for_message(chat_id, timeout=30)
        async with asyncio.timeout(30):
            while any(row.status == "pending" for row in await outbox_rows(database_url)):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        await terminate(process)
    for chat_id in PLAYERS:
        assert len(api.sent_messages(chat_id)) == 1, api.sent_messages(chat_id)
    assert {row.status for row in await outbox_rows(database_url)} == {"sent"}


async def test_a_sigkill_repeats_only_the_send_in_flight(
    api: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    """One notice of the batch was answered, the other hangs when the process is killed: after the
    lease runs out and a restart, only the hanging one is sent again."""
    await drawn_outbox(database_url)
    api.stall_next("sendMessage", 60)  # whichever notice goes first hangs; the other is answered
    env = bot_env(api, database_url)
    process = await start_module("bot", env=env, cwd=tmp_path)
    try:
        async with asyncio.timeout(30):
            while not api.sent_messages():  # noqa: ASYNC110 - polling the emulator
                await asyncio.sleep(0.02)
        # Recorded within moments of the answer, while the other send still hangs (for seconds more).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                while not any(row.status == "sent" for row in await outbox_rows(database_url)):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
    finally:
        process.kill()
        await process.communicate()
    [answered] = [m["chat_id"] for m in api.sent_messages()]
    lottery = LotteryService.connect(database_url, rules=LotteryRules(ballot_price=10))
    try:  # what two minutes of waiting would do: the killed process's lease runs out
        async with lottery.context.db.transaction() as uow:
            expired = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            await uow.session.execute(update(OutboxMessage).values(claimed_until=expired))
    finally:
        await lottery.close()
    process = await start_module("bot", env=env, cwd=tmp_path)
    try:
        async with asyncio.timeout(30):
            while any(row.status == "pending" for row in await outbox_rows(database_url)):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        await terminate(process)
    for chat_id in PLAYERS:
        assert len(api.sent_messages(chat_id)) == 1, (chat_id, answered, api.sent_messages(chat_id))
