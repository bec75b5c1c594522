"""The real `python -m bot` process: configuration errors, signals, and a token that never leaks."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.bot.harness import TOKEN
from tests.support.bot_api import BotApiEmulator
from tests.support.processes import clean_env, finish, start_module

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def bot_env(tmp_path: Path, **values: str) -> dict[str, str]:
    return clean_env(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", **values)


async def run_bot(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await start_module("bot", env=env, cwd=tmp_path)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is required"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "LOTTERY_TIMEZONE": "Mars/Olympus"}, "LOTTERY_TIMEZONE is invalid"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "alice"}, "ADMIN_IDS is invalid"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "BALLOT_PRICE": "-3"}, "BALLOT_PRICE is invalid"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "SMTP_SECURITY": "maybe"}, "SMTP_SECURITY is invalid"),
    ],
)
async def test_bad_configuration_is_one_clear_line_and_a_non_zero_exit(
    tmp_path: Path, values: dict[str, str], expected: str
) -> None:
    process = await run_bot(tmp_path, bot_env(tmp_path, **values))
    _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert "Traceback" not in stderr.decode()


async def test_sigterm_stops_the_bot_cleanly_and_the_token_never_reaches_the_log(
    tmp_path: Path, api: BotApiEmulator
) -> None:
    env = bot_env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        LOG_LEVEL="DEBUG",
        ADMIN_IDS="900",
    )
    process = await run_bot(tmp_path, env)
    try:
        api.send_command(1, "/start", first_name="Ann")
        reply = await api.wait_for_message(1, timeout=30)
        assert "registered" in reply["text"]
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert time.monotonic() - started < 10
    log = (stdout + stderr).decode()
    assert "the bot has stopped" in log
    assert api.token not in log
    assert api.token.split(":")[1] not in log
    # Restarting on the same database file finds the player again.
    process = await run_bot(tmp_path, env)
    try:
        api.send_command(1, "/start", first_name="Ann")
        assert "Welcome back" in (await api.wait_for_message(1, timeout=30))["text"]
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0


async def test_migrate_builds_the_schema_without_a_token(tmp_path: Path) -> None:
    [migrated] = await finish(await start_module("bot", "migrate", env=bot_env(tmp_path), cwd=tmp_path))
    assert migrated.returncode == 0, migrated.stderr
    assert "schema is up to date" in migrated.stdout
    with sqlite3.connect(tmp_path / "bot.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "players",
        "events",
        "ballots",
        "payments",
        "ledger_entries",
        "outbox",
        "alembic_version",
    } <= tables


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_rejected_token_is_one_line_that_does_not_repeat_it(
    tmp_path: Path, api: BotApiEmulator, level: str
) -> None:
    wrong_token = "654321:WRONG-TOKEN-zyxwvutsrqponmlkjihgfedcba"
    env = bot_env(
        tmp_path, TELEGRAM_BOT_TOKEN=wrong_token, TELEGRAM_API_BASE_URL=api.base_url, LOG_LEVEL=level
    )
    process = await run_bot(tmp_path, env)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    output = (stdout + stderr).decode()
    assert process.returncode == 2, output[-2000:]
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in stderr.decode().strip().splitlines()[-1]
    assert wrong_token not in output
    assert wrong_token.split(":")[1] not in output
    assert "Traceback" not in output


def _database_cases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """DATABASE_URL values that cannot work, each with a word its one line must contain."""
    not_a_directory = tmp_path / "plain-file"
    not_a_directory.write_text("a file where a directory is expected\n")
    # The tests run as root, and root ignores file permissions, so chmod cannot make a read-only
    # file here. SQLite's own read-only open mode gives the same SQLITE_READONLY on the first write.
    read_only = tmp_path / "read-only.db"
    sqlite3.connect(read_only).close()
    return {
        "malformed": ("not a url at all", "is not a database URL"),
        "driverless postgres": (
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/postgres",
            "no async driver",
        ),
        "driverless sqlite": (f"sqlite:///{tmp_path / 'x.db'}", "no async driver"),
        "closed port": (f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:1/postgres", "cannot reach"),
        "wrong role": (
            f"postgresql+asyncpg://no_such_role:{PASSWORD}@127.0.0.1:5432/postgres",
            "no_such_role",
        ),
        "wrong database": (
            f"postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:5432/no_such_db",
            "no_such_db",
        ),
        "missing directory": (f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'bot.db'}", "directory exist"),
        "file as directory": (f"sqlite+aiosqlite:///{not_a_directory / 'bot.db'}", "directory exist"),
        "read-only file": (f"sqlite+aiosqlite:///file:{read_only}?mode=ro&uri=true", "read-only"),
    }


PASSWORD = "pw-Sekr3t-9f8e7d"
DATABASE_CASES = [
    "malformed",
    "driverless postgres",
    "driverless sqlite",
    "closed port",
    "wrong role",
    "wrong database",
    "missing directory",
    "file as directory",
    "read-only file",
]


@pytest.mark.parametrize(
    ("case", "command"),
    [(case, []) for case in DATABASE_CASES] + [("closed port", ["migrate"]), ("read-only file", ["migrate"])],
)
async def test_an_unusable_database_is_one_line_naming_database_url_and_exit_2(
    tmp_path: Path, case: str, command: list[str]
) -> None:
    url, expected = _database_cases(tmp_path)[case]
    env = clean_env(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL="http://127.0.0.1:9/")
    [done] = await finish(await start_module("bot", *command, env=env, cwd=tmp_path), timeout=60)
    output = done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, output[-2000:]
    assert len(lines) == 1, lines
    assert "DATABASE_URL" in lines[0]
    assert expected in lines[0]
    assert PASSWORD not in output
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert "Traceback" not in output
