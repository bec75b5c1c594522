"""DRAW_BEACON settings: drand quicknet by default, the local commit–reveal on request, bad values refused."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.settings import ConfigurationError, load_settings
from core.beacon import DEFAULT_URLS, DrandBeacon


def test_drand_is_the_default_with_four_mirrors_and_a_30_second_margin() -> None:
    settings = load_settings(telegram_bot_token="1:abc", _env_file=None)
    assert settings.draw_beacon_urls == DEFAULT_URLS
    policy = settings.draw_policy()
    assert isinstance(policy.beacon, DrandBeacon)
    assert policy.delay == dt.timedelta(seconds=30)
    assert policy.results_chat_id is None


def test_local_mode_and_a_results_channel() -> None:
    settings = load_settings(
        telegram_bot_token="1:abc",
        draw_beacon="local",
        draw_beacon_delay="5",
        results_channel_id="-1001234567890",
        _env_file=None,
    )
    policy = settings.draw_policy()
    assert policy.beacon is None
    assert policy.delay == dt.timedelta(seconds=5)
    assert policy.results_chat_id == -1001234567890


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"draw_beacon": "dice"}, "DRAW_BEACON is invalid"),
        ({"draw_beacon_urls": "ftp://x, "}, "DRAW_BEACON_URLS is invalid: must be comma-separated"),
        ({"draw_beacon_urls": " , "}, "DRAW_BEACON_URLS is invalid"),
        ({"draw_beacon_delay": "-1"}, "DRAW_BEACON_DELAY is invalid"),
        ({"results_channel_id": "news"}, "RESULTS_CHANNEL_ID is invalid"),
        ({"draw_beacon_delay": "2"}, "configuration is invalid: DRAW_BEACON_DELAY must be at least 3 s"),
    ],
)
def test_bad_draw_settings_name_the_variable(overrides: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"telegram_bot_token": "1:abc", "_env_file": None} | overrides
    with pytest.raises(ConfigurationError, match=message) as problem:
        load_settings(require_token=True, **values)
    assert "\n" not in str(problem.value)


def test_turning_the_bls_check_off_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(telegram_bot_token="1:abc", draw_beacon_verify_bls="false", _env_file=None)
    policy = settings.draw_policy()
    assert isinstance(policy.beacon, DrandBeacon)
    assert not policy.beacon.checks_signatures
    assert "DRAW_BEACON_VERIFY_BLS=false" in caplog.text
