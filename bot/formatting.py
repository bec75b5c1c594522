"""Amounts, counts, days and ballot numbers written the way a player's language writes them.

Prices are kept in the currency's smallest unit (250 EUR cents), so every amount shown must be scaled by
the currency's digits first; Babel knows the digits, symbols and number styles of each locale. Telegram
Stars (XTR) are not an ISO currency: Babel has no symbol for them, so they are written with ⭐ through
the catalogue, which lets each language put the star on its own side.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal, get_currency_precision

from bot.i18n import Translator
from core.currencies import TELEGRAM_CURRENCIES, minor_digits

STARS = "XTR"


# Replies write the same few amounts and days again and again; Babel takes ~10 µs an amount.
@functools.lru_cache(maxsize=4096)
def money(amount: int, currency: str, t: Translator) -> str:
    """`amount` in minor units: 250 EUR → €2.50 (en), 2,50 € (ru); 5 XTR → ⭐ 5 (en), 5 ⭐ (ru)."""
    if currency.upper() == STARS:
        # Telegram gives Stars exp = 0: the amount is the number of stars.
        return t.gettext("⭐ {amount}").format(amount=format_decimal(amount, locale=t.locale))
    code = currency.upper()
    # Telegram's own digits where it takes the currency (they differ from CLDR's for five of them).
    digits = minor_digits(code) if code in TELEGRAM_CURRENCIES else get_currency_precision(code)
    value = Decimal(amount).scaleb(-digits)
    # Where Telegram keeps cents that CLDR does not (AFN, ALL, LBP, RSD, YER), Babel would round
    # them away: the locale's pattern (two decimals) shows them instead.
    own_digits = digits == get_currency_precision(code)
    return format_currency(value, code, locale=t.locale, currency_digits=own_digits)


def ballots(n: int, t: Translator) -> str:
    """1 ballot, 2 ballots; 1 билет, 2 билета, 5 билетов."""
    return t.ngettext("{count} ballot", "{count} ballots", n).format(count=format_decimal(n, locale=t.locale))


def players(n: int, t: Translator) -> str:
    """1 player, 2 players; 1 игрок, 2 игрока, 5 игроков."""
    return t.ngettext("{count} player", "{count} players", n).format(count=format_decimal(n, locale=t.locale))


def payments(n: int, t: Translator) -> str:
    """1 payment, 2 payments; 1 платёж, 2 платежа, 5 платежей."""
    return t.ngettext("{count} payment", "{count} payments", n).format(
        count=format_decimal(n, locale=t.locale)
    )


@functools.lru_cache(maxsize=4096)
def day(value: dt.date, t: Translator) -> str:
    """A lottery day in full words (November 24, 2026 / 24 ноября 2026), never ambiguous like 01/05."""
    # The msgid is Babel's own name for the width ("long"); a catalogue may answer with a pattern:
    # Russian drops Babel's "г.", which would end a sentence in a doubled full stop ("1 мая 2024 г..").
    return format_date(value, format=t.pgettext("date format", "long"), locale=t.locale)


def moment(instant: dt.datetime, timezone: ZoneInfo, t: Translator) -> str:
    """An instant on the lottery's wall clock, so payments, refunds and history read the same time."""
    if instant.tzinfo is None:
        raise ValueError("moment() needs an aware datetime")
    local = instant.astimezone(timezone)
    when = format_date(local, format=t.pgettext("date format", "medium"), locale=t.locale)
    time = format_datetime(local, "HH:mm", locale=t.locale)
    return t.pgettext("date and time", "{date} at {time}").format(date=when, time=time)


def countdown(until: dt.datetime, now: dt.datetime, t: Translator) -> str:
    """How far away an instant is, as a person says it: "in 3 hours", "через 3 часа".

    Rounded down to its largest unit, never up (Babel rounds to the nearest): with 91 minutes left
    before a draw, "in 2 hours" would tell a player they have time they do not have.
    """
    seconds = max(0, int((until - now).total_seconds()))
    unit = next((unit for unit in _BABEL_UNIT_SECONDS if seconds >= unit), 1)
    floored = dt.timedelta(seconds=seconds - seconds % unit)
    return format_timedelta(floored, add_direction=True, threshold=1.0, locale=t.locale)


# Babel's own units (a year of 365 days, a month of 30), largest first.
_BABEL_UNIT_SECONDS = (365 * 86_400, 30 * 86_400, 7 * 86_400, 86_400, 3_600, 60, 1)


def number(n: int, t: Translator | None = None) -> str:
    """A ballot's number as the language marks it: #7, №7."""
    return (t.pgettext("ballot number", "#{number}") if t else "#{number}").format(number=n)


def ballot_ranges(numbers: Iterable[int], t: Translator | None = None) -> str:
    """#3–#5, #9 for 3, 4, 5, 9: a hundred ballots fit in one line (two in a row stay #1, #2)."""
    ordered = sorted(set(numbers))
    runs: list[tuple[int, int]] = []
    for n in ordered:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return ", ".join(_run(number(first, t), number(last, t), last - first) for first, last in runs)


def _run(first: str, last: str, gap: int) -> str:
    if gap == 0:
        return first
    if gap == 1:
        return f"{first}, {last}"
    return f"{first}–{last}"
