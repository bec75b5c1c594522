"""Configuration: every setting is documented, and bad values are named in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.__main__ import RedactSecrets
from bot.settings import ConfigurationError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    assert {name.upper() for name in Settings.model_fields} == documented


def test_settings_are_parsed_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    settings = load_settings(
        telegram_bot_token="1:abc", admin_ids=" 5, 6 ", lottery_timezone="Europe/Berlin", currency="xtr"
    )
    assert settings.admin_ids == {5, 6}
    assert settings.timezone.key == "Europe/Berlin"
    assert settings.currency == "XTR"
    assert not settings.email_enabled
    rules = settings.lottery_rules()
    assert rules.ballot_price == 1
    assert settings.concurrent_updates == 4  # the README's "four at once"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"telegram_bot_token": " "}, "TELEGRAM_BOT_TOKEN is required but not set"),
        ({"admin_ids": "1,two"}, "ADMIN_IDS is invalid: must be comma-separated numeric Telegram user ids"),
        ({"smtp_port": 0}, "SMTP_PORT is invalid"),
        ({"log_level": "LOUD"}, "LOG_LEVEL is invalid"),
        ({"payment_provider": "paypal"}, "PAYMENT_PROVIDER is invalid"),
        ({"prize_text": "x" * 301}, "PRIZE_TEXT is invalid"),
        ({"concurrent_updates": 0}, "CONCURRENT_UPDATES is invalid"),
    ],
)
def test_bad_settings_name_the_variable(overrides: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"telegram_bot_token": "1:abc"} | overrides
    with pytest.raises(ConfigurationError) as problem:
        load_settings(require_token=True, **values)
    assert str(problem.value).startswith(message)
    assert "\n" not in str(problem.value)


def test_the_log_filter_redacts_the_token() -> None:
    import logging

    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "POST %s", ("https://x/bot1:SECRET/getMe",), None
    )
    assert RedactSecrets("1:SECRET").filter(record)
    assert record.getMessage() == "POST https://x/bot<redacted>/getMe"


def test_stars_take_xtr_and_pay_by_invoice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    stars = load_settings(telegram_bot_token="1:abc", payment_provider="stars")
    assert stars.payment_gateway().by_invoice
    assert not load_settings(telegram_bot_token="1:abc").payment_gateway().by_invoice
    with pytest.raises(ConfigurationError, match="CURRENCY must be XTR"):
        load_settings(telegram_bot_token="1:abc", payment_provider="stars", currency="EUR")
