"""/paysupport, /terms and /privacy: configured or default texts, in the menu when payments are real."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigurationError
from core.clock import FixedClock
from tests.bot.harness import ADMIN, BotHarness, harness_settings
from tests.support.bot_api import BotApiEmulator

pytestmark = pytest.mark.e2e

TERMS = ("paysupport", "terms", "privacy")


def menu(api: BotApiEmulator, scope: dict[str, object]) -> set[str]:
    return {c["command"] for c in api.commands(scope)}


async def test_stars_lists_the_terms_commands_and_answers_them(
    api: BotApiEmulator, database_url: str, bot_clock: FixedClock, tmp_path: Path
) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("Our own terms.\nSecond line.\n", encoding="utf-8")
    harness = BotHarness(
        api,
        None,
        database_url,
        bot_clock,
        payment_provider="stars",
        terms_text=str(terms),
        privacy_text="We keep little.",
    )
    await harness.start()
    try:
        assert set(TERMS) <= menu(api, {"type": "default"})
        assert set(TERMS) <= menu(api, {"type": "chat", "chat_id": ADMIN})
        assert await harness.say(1, "/terms") == "Our own terms.\nSecond line."
        assert await harness.say(1, "/privacy") == "We keep little."
        support = await harness.say(1, "/paysupport")
        assert "/refund" in support
        assert "Telegram's support cannot help" in support
        russian = await harness.say(1, "/paysupport", language_code="ru")
        assert "/refund" in russian
        assert "Поддержка Telegram не может помочь" in russian
    finally:
        await harness.stop()


async def test_the_dummy_provider_keeps_them_out_of_the_menu(
    harness: BotHarness, api: BotApiEmulator
) -> None:
    assert not set(TERMS) & menu(api, {"type": "default"})
    assert "credit" in await harness.say(1, "/terms")
    assert "/deleteme" in await harness.say(1, "/privacy")


def test_an_overlong_or_unreadable_text_stops_the_bot_at_startup(api: BotApiEmulator, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="TERMS_TEXT is invalid"):
        harness_settings(api, None, "sqlite+aiosqlite:///x.db", terms_text="x" * 5000)
    binary = tmp_path / "privacy.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigurationError, match="PRIVACY_TEXT is invalid: cannot read"):
        harness_settings(api, None, "sqlite+aiosqlite:///x.db", privacy_text=str(binary))
