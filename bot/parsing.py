"""Reading command arguments. Anything unexpected becomes a `BadInput` with a hint, never a traceback."""

from __future__ import annotations

import datetime as dt
import re

from bot.i18n import _

MAX_ARGUMENT_LENGTH = 64
_WHOLE_NUMBER = re.compile(r"^\+?\d{1,12}$")


class BadInput(Exception):
    """The user typed something we cannot read; `hint` says how to type it."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


def quantity(args: list[str], *, command: str, default: int = 1) -> int:
    """A positive whole number of ballots; the core checks the upper bound."""
    if not args:
        return default
    if len(args) > 1:
        raise BadInput(_("Give one number, e.g. /{command} 3").format(command=command))
    text = args[0]
    if text.startswith(("-", "−")) and _WHOLE_NUMBER.match(text[1:]):
        # A whole number, just not a count of ballots: the core's range check says which are.
        return 0
    if not _WHOLE_NUMBER.match(text):
        raise BadInput(
            _("“{text}” is not a whole number. Try /{command} 3").format(text=shorten(text), command=command)
        )
    return int(text)


def date(text: str) -> dt.date:
    """A calendar date written YYYY-MM-DD."""
    try:
        if len(text) != len("2024-05-01"):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(
            _("“{text}” is not a date. Write it as YYYY-MM-DD, e.g. 2024-05-01").format(text=shorten(text))
        ) from None


def optional_date(args: list[str], *, command: str) -> dt.date | None:
    if not args:
        return None
    if len(args) > 1:
        raise BadInput(_("Give one date, e.g. /{command} 2024-05-01").format(command=command))
    return date(args[0])


def ballot_reference(args: list[str], *, command: str) -> tuple[dt.date | None, int]:
    """`N` (a ballot of today's lottery) or `DATE N`: which ballot a player asks about."""
    if not args or len(args) > 2:
        raise BadInput(
            _("Give a ballot number, e.g. /{command} 2 (or /{command} 2024-05-01 2)").format(command=command)
        )
    day = date(args[0]) if len(args) == 2 else None
    text = args[-1].removeprefix("#")
    if not _WHOLE_NUMBER.match(text) or int(text) < 1:
        raise BadInput(
            _("“{text}” is not a ballot number. Numbers start at 1, e.g. /{command} 2").format(
                text=shorten(args[-1]), command=command
            )
        )
    return day, int(text)


def price(text: str) -> int:
    if not _WHOLE_NUMBER.match(text) or int(text) < 1:
        raise BadInput(
            _("“{text}” is not a price. Give a whole number of the smallest unit, e.g. 5").format(
                text=shorten(text)
            )
        )
    return int(text)


def shorten(text: str) -> str:
    """Echo user input back without flooding the chat with it."""
    return text if len(text) <= MAX_ARGUMENT_LENGTH else text[: MAX_ARGUMENT_LENGTH - 1] + "…"
