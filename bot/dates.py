"""The day a person means when they type one: `yesterday`, `1.5.2024`, `2024-5-1`, `понедельник`.

Relative words are resolved against the `today` the caller passes (the lottery's local date from the
project's clock), never against a hidden clock. The words for today and yesterday come from every
catalogue, and weekday names from Babel's data for every catalogue's locale, so adding a language
teaches the parser its words too; people may type any shipped language whatever their own setting.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable

from bot.i18n import Translator

_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class UnreadableDay(ValueError):
    """What was typed is not a day the parser knows; the reply shows the accepted forms."""

    def __init__(self, text: str) -> None:
        super().__init__(f"not a day: {text!r}")
        self.text = text


@functools.lru_cache(maxsize=8)
def _words(translators: tuple[Translator, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Relative words (days back from today) and weekday names (Monday = 0), lower-cased.
    Built once per set of catalogues (about 40 µs each time otherwise); callers must not change them."""
    relative: dict[str, int] = {}
    weekdays: dict[str, int] = {}
    for t in translators:
        relative[t.pgettext("typed day", "today").lower()] = 0
        relative[t.pgettext("typed day", "yesterday").lower()] = 1
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for index, name in t.locale.days[context][width].items():
                    weekdays[name.lower().rstrip(".")] = index
    return relative, weekdays


def parse_day(text: str, today: dt.date, translators: Iterable[Translator]) -> dt.date:
    """The date meant by `text`; a weekday name means the most recent such day before today,
    because a day's draw happens at its end, so today's name would ask for a result not yet known."""
    typed = text.strip().lower().rstrip(".")
    relative, weekdays = _words(tuple(translators))
    if typed in relative:
        return today - dt.timedelta(days=relative[typed])
    if typed in weekdays:
        back = (today.weekday() - weekdays[typed]) % 7 or 7
        return today - dt.timedelta(days=back)
    if match := _DOTTED.fullmatch(typed):
        d, m, y = (int(part) for part in match.groups())
    elif match := _ISO.fullmatch(typed):
        y, m, d = (int(part) for part in match.groups())
    else:
        raise UnreadableDay(text)
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise UnreadableDay(text) from None
