"""Languages, formatting and typed days, checked on the exact words players read."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot import formatting
from bot.dates import UnreadableDay, parse_day
from bot.i18n import LOCALES_DIR, Catalogues

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = Catalogues()
EN = CATALOGUES.translator("en")
RU = CATALOGUES.translator("ru")
TUESDAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("code", "override", "language"),
    [("ru", None, "ru"), ("ru-RU", None, "ru"), ("pt-BR", None, "en"), (None, None, "en"),
     ("", None, "en"), ("en", "ru", "ru"), ("ru", "xx", "ru")],
)  # fmt: skip
def test_language_from_telegram_code_with_override_and_english_fallback(
    code: str | None, override: str | None, language: str
) -> None:
    assert CATALOGUES.translator(code, override).language == language


@pytest.mark.parametrize(
    ("n", "words"),
    [(1, "1 билет"), (2, "2 билета"), (5, "5 билетов"), (11, "11 билетов"), (21, "21 билет"),
     (22, "22 билета"), (25, "25 билетов"), (1000, "1\xa0000 билетов")],
)  # fmt: skip
def test_russian_ballots_take_all_three_plural_forms(n: int, words: str) -> None:
    assert formatting.ballots(n, RU) == words


def test_english_counts_and_other_nouns() -> None:
    assert [formatting.ballots(n, EN) for n in (1, 2, 1000)] == ["1 ballot", "2 ballots", "1,000 ballots"]
    assert [formatting.players(n, RU) for n in (1, 3, 11)] == ["1 игрок", "3 игрока", "11 игроков"]
    assert [formatting.payments(n, RU) for n in (1, 2, 5)] == ["1 платёж", "2 платежа", "5 платежей"]
    assert formatting.players(1, EN) == "1 player"


def test_money_from_minor_units_with_symbol_and_digits() -> None:
    assert formatting.money(250, "EUR", EN) == "€2.50"
    assert formatting.money(250, "EUR", RU) == "2,50\xa0€"
    assert formatting.money(100, "JPY", EN) == "¥100"  # JPY has no minor unit
    assert formatting.money(5, "XTR", EN) == "⭐ 5"
    assert formatting.money(5, "XTR", RU) == "5 ⭐"
    assert formatting.money(1500, "xtr", EN) == "⭐ 1,500"


def test_days_times_and_countdowns_in_the_lottery_zone() -> None:
    assert formatting.day(TUESDAY, EN) == "November 24, 2026"
    assert formatting.day(TUESDAY, RU) == "24 ноября 2026"
    paid = dt.datetime(2026, 11, 24, 21, 36, tzinfo=dt.UTC)
    assert formatting.moment(paid, ZoneInfo("Europe/Moscow"), EN) == "Nov 25, 2026 at 00:36"
    assert formatting.moment(paid, ZoneInfo("Europe/Moscow"), RU) == "25 нояб. 2026 в 00:36"
    with pytest.raises(ValueError, match="aware"):
        formatting.moment(paid.replace(tzinfo=None), ZoneInfo("UTC"), EN)
    now = dt.datetime(2026, 11, 24, 21, 0, tzinfo=dt.UTC)
    assert formatting.countdown(now + dt.timedelta(hours=3), now, EN) == "in 3 hours"
    assert formatting.countdown(now + dt.timedelta(hours=3), now, RU) == "через 3 часа"
    assert formatting.countdown(now + dt.timedelta(minutes=5), now, RU) == "через 5 минут"
    # Rounded down, never up: 91 minutes is not "in 2 hours".
    assert formatting.countdown(now + dt.timedelta(minutes=91), now, EN) == "in 1 hour"
    assert formatting.countdown(now + dt.timedelta(minutes=119), now, RU) == "через 1 час"
    assert formatting.countdown(now + dt.timedelta(seconds=59), now, EN) == "in 59 seconds"


def test_ballot_ranges_collapse_runs() -> None:
    assert formatting.ballot_ranges([57, 3, 4, 5, 9, 4]) == "#3–#5, #9, #57"
    assert formatting.ballot_ranges(range(3, 58)) == "#3–#57"
    assert formatting.ballot_ranges([]) == ""
    assert formatting.ballot_ranges([1, 2, 7]) == "#1, #2, #7"
    assert formatting.ballot_ranges([3, 4, 5, 9], RU) == "№3–№5, №9"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("today", TUESDAY), ("Yesterday", dt.date(2026, 11, 23)), ("сегодня", TUESDAY),
     ("вчера", dt.date(2026, 11, 23)), ("1.5.2024", dt.date(2024, 5, 1)), ("01.05.2024", dt.date(2024, 5, 1)),
     ("2024-5-1", dt.date(2024, 5, 1)), ("2024-05-01", dt.date(2024, 5, 1)),
     ("monday", dt.date(2026, 11, 23)), ("Понедельник", dt.date(2026, 11, 23)), ("пн", dt.date(2026, 11, 23)),
     ("tuesday", dt.date(2026, 11, 17)), ("вторник", dt.date(2026, 11, 17)), ("Sun", dt.date(2026, 11, 22)),
     ("среда", dt.date(2026, 11, 18))],
)  # fmt: skip
def test_typed_days(typed: str, meant: dt.date) -> None:
    assert parse_day(typed, TUESDAY, CATALOGUES) == meant


@pytest.mark.parametrize("typed", ["", "tomorrow", "31.02.2024", "2024-13-01", "1/5/2024", "24.11.26", "пнд"])
def test_unreadable_days_raise_a_typed_error(typed: str) -> None:
    with pytest.raises(UnreadableDay) as caught:
        parse_day(typed, TUESDAY, CATALOGUES)
    assert caught.value.text == typed


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w*)\}", text))


def _catalogue(language: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def test_russian_has_three_plural_forms() -> None:
    assert _catalogue("ru").num_plurals == 3


@pytest.mark.parametrize("language", [lang for lang in CATALOGUES.languages if lang != "en"])
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    """English is the msgid itself; every other shipped language must be complete, every plural form."""
    catalog = _catalogue(language)
    with (LOCALES_DIR / "messages.pot").open("rb") as source:
        template = read_po(source)
    assert {m.id for m in template if m.id} == {m.id for m in catalog if m.id}
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(strings) == (catalog.num_plurals if message.pluralizable else 1), message.id
        for string in strings:
            assert isinstance(string, str), message.id
            assert string, message.id
            assert _placeholders(string) == _placeholders(str(ids[0])), (message.id, string)


PYBABEL = Path(sys.executable).parent / "pybabel"


def _messages(pot: Path) -> set[tuple[str | None, object]]:
    with pot.open("rb") as source:
        return {(m.context, str(m.id)) for m in read_po(source) if m.id}


def test_template_is_up_to_date_with_the_source(tmp_path: Path) -> None:
    """Extracting again, as `make i18n` does, finds exactly the messages the template holds."""
    fresh = tmp_path / "messages.pot"
    extract: list[str | Path] = [
        PYBABEL,
        "-q",
        "extract",
        "-F",
        "babel.cfg",
        "--no-location",
        "-o",
        fresh,
        ".",
    ]
    subprocess.run(extract, cwd=ROOT, check=True)
    assert _messages(fresh) == _messages(LOCALES_DIR / "messages.pot")
    assert ("typed day", "yesterday") in _messages(fresh)
    assert (None, str(("{count} ballot", "{count} ballots"))) in _messages(fresh)


def test_a_new_language_directory_is_picked_up(tmp_path: Path) -> None:
    """What the README promises: `pybabel init -l LANG` adds a catalogue the bot then serves."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    init: list[str | Path] = [
        PYBABEL,
        "-q",
        "init",
        "-i",
        locales / "messages.pot",
        "-d",
        locales,
        "-l",
        "de",
    ]
    subprocess.run(init, check=True)
    po = locales / "de" / "LC_MESSAGES" / "messages.po"
    stars = 'msgid "⭐ {amount}"\nmsgstr '
    po.write_text(po.read_text().replace(stars + '""', stars + '"{amount} ⭐"'))
    catalogues = Catalogues(locales)
    assert catalogues.languages == ("de", "en", "ru")
    german = catalogues.translator("de-AT")
    assert formatting.money(7, "XTR", german) == "7 ⭐"
    assert formatting.money(250, "EUR", german) == "2,50\xa0€"
    assert formatting.ballots(2, german) == "2 ballots"  # untranslated entries fall back to English


def test_catalogues_are_read_from_po_sources_only() -> None:
    """The README promises no compiled `.mo` files: what runs is what the tests above checked."""
    assert not list(LOCALES_DIR.rglob("*.mo"))
    assert set(CATALOGUES.languages) == {"en", "ru"}


def test_the_active_language_is_the_one_spoken_inside_the_block_only() -> None:
    """`_()` speaks the translator made active, and leaves the outer language as it was."""
    from bot.i18n import _, active, speaking

    russian = CATALOGUES.translator("ru")
    english = CATALOGUES.translator("en")
    entry = next(m for m in _catalogue("ru") if isinstance(m.id, str) and m.id and not m.context and m.string)
    message, translated = str(entry.id), str(entry.string)
    assert translated != message
    with speaking(russian):
        assert _(message) == translated
        with speaking(english):
            assert _(message) == message
        assert active() is russian
    assert _(message) == message


@pytest.mark.parametrize(("count", "words"), [(2, "один из 2 билетов"), (21, "один из 21 билета")])
def test_a_proof_names_its_ballot_count_in_the_genitive_after_iz(count: int, words: str) -> None:
    """Russian "из" takes the genitive: "один из 2 билетов", never the nominative "из 2 билета"."""
    from bot import replies
    from bot.i18n import speaking
    from core.receipts import BallotProof

    proof = BallotProof(dt.date(2024, 5, 1), 1, 1, "r", "l", count, "root", ("a",))
    with speaking(CATALOGUES.translator("ru")):
        assert words in replies.ballot_proof(proof)
