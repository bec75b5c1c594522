"""An SMTP login over an unencrypted connection is refused at startup unless the operator allows it."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from bot.settings import ConfigurationError, SmtpSecurity, load_settings
from core.clock import FixedClock
from tests.bot.harness import TOKEN, BotHarness
from tests.support.bot_api import BotApiEmulator
from tests.support.processes import clean_env, start_module
from tests.support.smtp import SmtpServer

PASSWORD = "hunter2-do-not-print"
MAIL: dict[str, object] = {"smtp_host": "mail.example.com", "smtp_username": "bot", "smtp_password": PASSWORD}


@pytest.fixture(autouse=True)
def no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here


def test_a_login_with_security_none_is_refused_naming_the_variables() -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings(require_token=True, telegram_bot_token="1:abc", smtp_security="none", **MAIL)
    line = str(refused.value)
    assert "\n" not in line
    for variable in ("SMTP_USERNAME", "SMTP_SECURITY=none", "SMTP_ALLOW_PLAINTEXT_AUTH=true"):
        assert variable in line
    assert PASSWORD not in line


def test_the_default_security_with_a_login_is_refused_too() -> None:
    with pytest.raises(ConfigurationError, match="SMTP_USERNAME is invalid"):
        load_settings(require_token=True, telegram_bot_token="1:abc", **MAIL)


@pytest.mark.parametrize(
    "allowed",
    [
        {"smtp_security": "none", "smtp_allow_plaintext_auth": "true"},
        {"smtp_security": "starttls"},
        {"smtp_security": "tls"},
    ],
)
def test_an_encrypted_or_explicitly_allowed_login_is_accepted(allowed: dict[str, object]) -> None:
    settings = load_settings(require_token=True, telegram_bot_token="1:abc", **(MAIL | allowed))
    assert settings.smtp_username == "bot"


@pytest.mark.parametrize(
    "values",
    [
        {"smtp_host": "mail.example.com"},  # no login: nothing secret crosses the wire
        {"smtp_username": "bot", "smtp_password": PASSWORD},  # email off: no connection at all
    ],
)
def test_no_login_or_no_mail_server_needs_no_permission(values: dict[str, object]) -> None:
    settings = load_settings(require_token=True, telegram_bot_token="1:abc", **values)
    assert settings.smtp_security is SmtpSecurity.NONE
    assert not settings.smtp_allow_plaintext_auth


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return clean_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        SMTP_HOST="127.0.0.1",
        SMTP_USERNAME="bot",
        SMTP_PASSWORD=PASSWORD,
        SMTP_SECURITY="none",
        **values,
    )


@pytest.mark.e2e
async def test_the_bot_process_refuses_a_plaintext_login_with_one_line_and_exit_2(tmp_path: Path) -> None:
    process = await start_module("bot", env=_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN), cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1, lines
    assert "SMTP_USERNAME" in lines[0]
    assert "SMTP_SECURITY=none" in lines[0]
    assert "SMTP_ALLOW_PLAINTEXT_AUTH=true" in lines[0]
    assert PASSWORD not in (stdout + stderr).decode()
    assert TOKEN.split(":")[1] not in (stdout + stderr).decode()


@pytest.mark.e2e
async def test_the_bot_process_serves_when_the_operator_allows_a_plaintext_login(
    tmp_path: Path, api: BotApiEmulator
) -> None:
    env = _env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        SMTP_ALLOW_PLAINTEXT_AUTH="true",
    )
    process = await start_module("bot", env=env, cwd=tmp_path)
    try:
        api.send_command(1, "/start", first_name="Ann")
        assert "registered" in (await api.wait_for_message(1, timeout=30))["text"]
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert PASSWORD not in (stdout + stderr).decode()


@pytest.mark.e2e
async def test_an_allowed_plaintext_login_authenticates_and_mails_the_one_stored_address(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock
) -> None:
    with SmtpServer(username="bot", password=PASSWORD) as smtp:
        harness = BotHarness(
            api,
            smtp,
            database_url,
            bot_clock,
            smtp_username="bot",
            smtp_password=PASSWORD,
            smtp_allow_plaintext_auth=True,
        )
        await harness.start()
        try:
            await harness.player_with_ballots(1, 1)
            assert "Saved" in await harness.say(1, "/email Ann@Example.COM")
            await harness.close_now()
            [mail] = await smtp.wait_for_messages(1)
        finally:
            await harness.stop()
    assert mail.envelope_to == ["Ann@example.com"]
    assert smtp.auth_attempts == [("bot", True)]
