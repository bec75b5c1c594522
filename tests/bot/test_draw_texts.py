"""The draw texts: what a frozen notice may claim, and that every text speaks the player's language."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot import draw_texts
from bot.i18n import shipped, speaking
from core.records import PublicRecord

FROZEN = PublicRecord(
    event_id=7,
    day=dt.date(2024, 5, 1),
    beacon="drand",
    ballot_count=5,
    root="ab" * 32,
    frozen_at=1714608000,
    delay=30,
    round=7268211,
    draw_after=dt.datetime(2024, 5, 2, 0, 0, 30, tzinfo=dt.UTC),
    commitment=None,
    previous_record_hash=None,
    record_hash="cd" * 32,
)
DRAWN = dataclasses.replace(
    FROZEN, signature="ef" * 48, randomness="01" * 32, seed="23" * 32, winning_number=4
)


def test_a_frozen_notice_says_the_randomness_is_unknown_only_while_it_is() -> None:
    before = draw_texts.frozen_notice(FROZEN)
    assert "nobody can know yet" in before
    assert "drand quicknet round 7268211 (published 2024-05-02 00:00:30 UTC)" in before
    late = draw_texts.frozen_notice(DRAWN)  # delivered after the draw (a Telegram outage)
    assert "nobody can know yet" not in late
    assert "has been drawn" in late


def test_verify_shows_the_whole_record_and_a_command_only_once_drawn() -> None:
    waiting = draw_texts.verify_text(FROZEN)
    assert "Not drawn yet" in waiting
    assert "python -m core.verify" not in waiting
    shown = draw_texts.verify_text(DRAWN)
    for value in ("ab" * 32, "cd" * 32, "ef" * 48, "01" * 32, "23" * 32, "#4", "none (first record)"):
        assert value in shown
    assert shown.splitlines()[-1].startswith("python -m core.verify '{")


def test_draw_texts_speak_russian() -> None:
    with speaking(shipped().translator("ru")):
        assert "Корень Меркла" in draw_texts.frozen_notice(FROZEN)
        assert "Выигрышный номер: №4" in draw_texts.verify_text(DRAWN)


def test_the_freeze_time_is_given_in_unix_seconds_and_in_words() -> None:
    """The verifier needs the Unix seconds; a person reads the day and the time."""
    text = draw_texts.verify_text(DRAWN)
    assert f"Frozen at: {DRAWN.frozen_at} (Unix time: " in text
    assert " UTC), delay " in text
