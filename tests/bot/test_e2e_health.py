"""The heartbeat behind the container's HEALTHCHECK: fresh while the bot runs, stale once it stops."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import health
from core.clock import FixedClock
from tests.bot.conftest import NOON
from tests.bot.harness import BotHarness
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.health", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def test_a_running_bot_is_healthy_and_a_silent_one_is_not(
    api: BotApiEmulator, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "BEAT_SECONDS", 0.1)
    heartbeat = tmp_path / "heartbeat"
    assert _check(heartbeat).returncode == 1  # no bot has beaten yet
    harness = BotHarness(api, None, database_url, FixedClock(NOON), heartbeat_file=str(heartbeat))
    await harness.start()
    try:
        assert await harness.say(1, "/start")
        assert harness.bot is not None
        assert harness.bot.settings.heartbeat_file == heartbeat
        first = heartbeat.read_text(encoding="ascii")
        # The job queue beats again on its own: the file moves on while the bot runs.
        async with asyncio.timeout(5):
            while heartbeat.read_text(encoding="ascii") == first:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        result = _check(heartbeat)
        assert (result.returncode, result.stdout.split(":")[0]) == (0, "healthy")
    finally:
        await harness.stop()
    # The same file, as a bot that stopped beating two minutes ago would have left it.
    heartbeat.write_text(f"{time.time() - 2 * health.MAX_AGE}\n", encoding="ascii")
    result = _check(heartbeat)
    assert result.returncode == 1
    assert "unhealthy" in result.stderr
