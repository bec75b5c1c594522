"""The lottery's terms: its calendar, its prices and its limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from core.errors import InvalidPrice, InvalidPrizeText, InvalidQuantity, InvalidTitle
from core.results import Prize

MAX_TITLE_LENGTH = 200


@dataclass(frozen=True)
class LotteryRules:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    ballot_price: int = 1
    currency: str = "XTR"
    max_ballots_per_purchase: int = 100
    # What a winner wins, the short rules line and how to claim it, for every event an admin has not
    # given its own (PRIZE_TEXT, PRIZE_RULES, PRIZE_CLAIM); empty means the front end's translated default.
    prize_text: str = ""
    prize_rules: str = ""
    prize_claim: str = ""

    def __post_init__(self) -> None:
        validate_price(self.ballot_price)
        if self.max_ballots_per_purchase < 1:
            raise ValueError("max_ballots_per_purchase must be at least 1")

    def day_of(self, instant: dt.datetime) -> dt.date:
        """The lottery day an instant belongs to, in the lottery's own time zone."""
        return instant.astimezone(self.timezone).date()

    def start_of(self, day: dt.date) -> dt.datetime:
        """When a lottery day begins (midnight local time), as a UTC instant.

        UTC, because arithmetic between two datetimes of one zone is wall-clock arithmetic in Python
        and would call a day of daylight-saving change 24 hours long.
        """
        return dt.datetime.combine(day, dt.time.min, tzinfo=self.timezone).astimezone(dt.UTC)

    def end_of(self, day: dt.date) -> dt.datetime:
        return self.start_of(day + dt.timedelta(days=1))

    def default_title(self, day: dt.date) -> str:
        return f"Lottery of {day.isoformat()}"

    def prize(self, text: str | None = None, rules: str | None = None) -> Prize:
        """An event's prize: its own text and rules line where an admin set them, else the configured ones."""
        return Prize(text=text or self.prize_text, rules=rules or self.prize_rules, claim=self.prize_claim)

    def affordable(self, balance: int, price: int) -> int:
        """How many ballots a balance buys in one purchase."""
        return min(balance // price, self.max_ballots_per_purchase) if price > 0 else 0

    def check_quantity(self, quantity: int) -> int:
        if not 1 <= quantity <= self.max_ballots_per_purchase:
            raise InvalidQuantity(quantity, self.max_ballots_per_purchase)
        return quantity


def validate_price(price: int) -> int:
    if isinstance(price, bool) or not isinstance(price, int) or price < 1 or price > 10**9:
        raise InvalidPrice(price)
    return price


MAX_PRIZE_LENGTH = 300


def validate_prize_text(text: str) -> str:
    """A prize or rules line: one line of 1 to 300 characters (the column's width)."""
    cleaned = " ".join(text.split())
    if not 1 <= len(cleaned) <= MAX_PRIZE_LENGTH:
        raise InvalidPrizeText(MAX_PRIZE_LENGTH)
    return cleaned


def validate_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not 1 <= len(cleaned) <= MAX_TITLE_LENGTH:
        raise InvalidTitle(MAX_TITLE_LENGTH)
    return cleaned
