"""Draws through the real bot: admin close, midnight, catch-up after downtime, restarts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.clock import FixedClock
from core.midnights import next_local_midnight
from tests.bot.harness import ADMIN, BotHarness
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


async def test_only_admins_can_close(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 1)
    assert "for the lottery's admins" in await harness.say(1, "/close")
    assert "will be drawn in 12 hours" in await harness.say(1, "/winner 2024-05-01")
    assert "the only ballot, #1, wins" in await harness.close_now()


async def test_the_midnight_job_draws_when_the_clock_passes_midnight(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 2)
    await harness.player_with_ballots(2, 1)
    harness.advance(dt.timedelta(hours=11, minutes=59))
    await harness.api.assert_no_message(1, wait=0.5)

    harness.advance(dt.timedelta(minutes=1))  # 00:00 on 2024-05-02
    winner = await harness.api.wait_for_message(1, lambda t: "May 1, 2024" in t)
    other = await harness.api.wait_for_message(2, lambda t: "May 1, 2024" in t)
    assert ("You won" in winner["text"]) != ("You won" in other["text"])
    assert "the winning ballot is #" in await harness.say(3, "/winner 2024-05-01")
    # The next day's lottery is open at once.
    assert "You're in" in await harness.say(1, "/join")


async def test_the_daily_job_is_set_for_midnight_in_the_lottery_time_zone(harness: BotHarness) -> None:
    assert harness.bot is not None
    job_queue = harness.bot.application.job_queue
    assert job_queue is not None
    [midnight] = job_queue.get_jobs_by_name("midnight draw")
    next_run = midnight.next_t
    assert next_run is not None
    assert (next_run.hour, next_run.minute) == (0, 0)
    assert midnight.job.misfire_grace_time is None


async def test_the_midnight_job_is_armed_once_for_the_first_instant_of_the_next_local_day(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    havana = ZoneInfo("America/Havana")
    harness = BotHarness(api, None, database_url, bot_clock, lottery_timezone="America/Havana")
    bot = await harness.start()
    try:
        job_queue = bot.application.job_queue
        assert job_queue is not None
        [installed] = job_queue.get_jobs_by_name("midnight draw")
        # run_once, not run_daily: a date trigger at the next local midnight after the system time.
        assert type(installed.job.trigger).__name__ == "DateTrigger"
        assert installed.job.misfire_grace_time is None
        assert installed.next_t == next_local_midnight(dt.datetime.now(dt.UTC), havana)
        installed.schedule_removal()

        # 2030-03-10 in Havana has no 00:00: the clock goes from 23:59:59 to 01:00 (UTC-4).
        bot.scheduler.arm_midnight(job_queue, after=dt.datetime(2030, 3, 9, 12, tzinfo=havana))
        [armed] = job_queue.get_jobs_by_name("midnight draw")
        assert armed.next_t == dt.datetime(2030, 3, 10, 5, tzinfo=dt.UTC)

        # When it runs, it arms the next day's first instant and nothing else.
        await armed.run(bot.application)
        armed.schedule_removal()
        [rearmed] = [j for j in job_queue.get_jobs_by_name("midnight draw") if j is not armed]
        assert rearmed.next_t == dt.datetime(2030, 3, 11, 4, tzinfo=dt.UTC)
    finally:
        await harness.stop()


async def test_a_bot_down_at_midnight_draws_when_it_comes_back(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 1)
    await harness.stop()
    harness.advance(dt.timedelta(days=2))  # down across two midnights
    await harness.start()
    won = await harness.api.wait_for_message(1, lambda t: "You won" in t)
    assert "May 1, 2024" in won["text"]
    # Nobody needed a lottery on the day the bot was down, so none was made.
    assert "no lottery on May 2, 2024" in await harness.say(1, "/winner 2024-05-02")
    assert "will be drawn in 12 hours" in await harness.say(1, "/winner 2024-05-03")


async def test_a_restart_keeps_players_credit_and_ballots(harness: BotHarness) -> None:
    await harness.player_with_ballots(1, 2)
    await harness.say(1, "/pay 1")
    await harness.restart()
    profile = await harness.say(1, "/me")
    assert "Credit: ⭐ 10" in profile
    assert "#1, #2" in profile
    assert "#3" in await harness.say(1, "/buy 1")


async def test_the_command_menus_are_registered_apart(harness: BotHarness, api: BotApiEmulator) -> None:
    players = {c["command"] for c in api.commands({"type": "default"})}
    admins = {c["command"] for c in api.commands({"type": "chat", "chat_id": ADMIN})}
    assert {"start", "join", "pay", "buy", "winner"} <= players
    assert "close" not in players
    assert {"close", "newevent", "stats"} <= admins
    assert players <= admins
