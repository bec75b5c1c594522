"""Pure rules: the calendar, the limits, and the draw as a reproducible, uniform function."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from core.draws import verifiable_winner
from core.errors import InvalidPrice, InvalidQuantity, InvalidTitle
from core.rules import LotteryRules, validate_price, validate_title


def test_the_lottery_day_follows_the_configured_time_zone() -> None:
    rules = LotteryRules(timezone=ZoneInfo("Europe/Berlin"))
    late_evening_utc = dt.datetime(2024, 5, 1, 22, 30, tzinfo=dt.UTC)
    assert rules.day_of(late_evening_utc) == dt.date(2024, 5, 2)
    assert rules.end_of(dt.date(2024, 5, 1)) == dt.datetime(2024, 5, 1, 22, 0, tzinfo=dt.UTC)


def test_days_are_calendar_days_across_daylight_saving() -> None:
    rules = LotteryRules(timezone=ZoneInfo("Europe/Berlin"))
    spring_forward = dt.date(2024, 3, 31)
    length = rules.end_of(spring_forward) - rules.start_of(spring_forward)
    assert length == dt.timedelta(hours=23)


def test_quantity_bounds() -> None:
    rules = LotteryRules(max_ballots_per_purchase=5)
    assert rules.check_quantity(5) == 5
    for bad in (0, -1, 6):
        with pytest.raises(InvalidQuantity):
            rules.check_quantity(bad)


def test_prices_and_titles() -> None:
    assert validate_price(1) == 1
    for bad in (0, -5, 10**10):
        with pytest.raises(InvalidPrice):
            validate_price(bad)
    assert validate_title("  Big   day ") == "Big day"
    for bad_title in ("", "   ", "x" * 201):
        with pytest.raises(InvalidTitle):
            validate_title(bad_title)


def test_a_draw_is_reproducible_from_its_seed() -> None:
    seed = secrets.token_bytes(32)
    assert verifiable_winner(seed, 1_000_000) == verifiable_winner(seed, 1_000_000)
    assert verifiable_winner(b"\x00" * 32, 1) == 1


def test_a_draw_stays_within_the_ballots() -> None:
    for count in (1, 2, 3, 7, 1000, 2**31 - 1):
        assert 1 <= verifiable_winner(secrets.token_bytes(32), count) <= count
    with pytest.raises(ValueError, match="at least one ballot"):
        verifiable_winner(secrets.token_bytes(32), 0)


def test_every_ballot_is_equally_likely() -> None:
    """A chi-squared test over 6 ballots and 12,000 draws: fails on a biased draw, not on chance alone."""
    ballots, draws = 6, 12_000
    counts = Counter(verifiable_winner(secrets.token_bytes(32), ballots) for _ in range(draws))
    expected = draws / ballots
    chi_squared = sum((counts[n] - expected) ** 2 / expected for n in range(1, ballots + 1))
    # 5 degrees of freedom: P(chi² > 25.7) ≈ 0.0001.
    assert set(counts) == set(range(1, ballots + 1))
    assert chi_squared < 25.7, (counts, chi_squared)
    assert math.isclose(sum(counts.values()), draws)
