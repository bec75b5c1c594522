"""Which language a player reads, and the gettext catalogue that speaks it.

Replies are written with `_()`, `ngettext()` and `pgettext()` from this module, which speak the language
made active for the update being handled (a `ContextVar`, as Django's `translation.override` does): each
update is handled in its own task, so one player's language never leaks into another's reply, and the
render functions need no translator parameter threaded through every call. Code that speaks to someone
outside an update (delivery, emails) wraps the rendering in `with speaking(translator):`.

Catalogues are the `.po` sources under `bot/locales/<language>/LC_MESSAGES/messages.po`, read once at
start-up with Babel and compiled in memory: no `.mo` binaries are kept in the repository or built by a
separate step, so a checkout, `pip install .` and the Docker image all run the translations the tests
checked. Reading both shipped catalogues takes a few milliseconds, once per process.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Translator:
    """One player's language: the words (gettext) and the Babel locale that formats numbers and dates."""

    language: str
    locale: Locale
    translations: Translations = field(repr=False)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form for `n` by the language's own plural rule (Russian has three)."""
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        """For a short word whose translation depends on where it is used."""
        return str(self.translations.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return str(self.translations.npgettext(context, singular, plural, n))


def read_catalogue(path: Path, language: str) -> Translations:
    """Compile one `.po` file in memory; fuzzy and empty entries fall back to the English msgid."""
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def primary_language(language_code: str | None) -> str:
    """Telegram sends IETF tags (`ru`, `ru-RU`, `pt-br`); the catalogues are per language only."""
    if not language_code:
        return DEFAULT_LANGUAGE
    return language_code.replace("_", "-").split("-", 1)[0].strip().lower() or DEFAULT_LANGUAGE


class Catalogues:
    """Every shipped language, loaded once; hands out a `Translator` per Telegram `language_code`."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._translators: dict[str, Translator] = {}
        for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            language = po.parent.parent.name
            self._translators[language] = Translator(
                language=language, locale=Locale.parse(language), translations=read_catalogue(po, language)
            )
        if DEFAULT_LANGUAGE not in self._translators:
            raise FileNotFoundError(f"no {DEFAULT_LANGUAGE} catalogue under {directory}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._translators))

    def translator(self, language_code: str | None, override: str | None = None) -> Translator:
        """The player's chosen language (`override`, from /language) or Telegram's, else English."""
        for code in (override, language_code):
            language = primary_language(code) if code else None
            if language in self._translators:
                return self._translators[language]
        return self._translators[DEFAULT_LANGUAGE]

    def __iter__(self) -> Iterator[Translator]:
        return iter(self._translators.values())


@functools.cache
def shipped() -> Catalogues:
    """The catalogues in this package, read once per process on first use."""
    return Catalogues()


_active: ContextVar[Translator | None] = ContextVar("translator", default=None)


def active() -> Translator:
    """The language of whoever is being answered now; English outside any update."""
    return _active.get() or shipped().translator(None)


def activate(translator: Translator) -> None:
    """Speak `translator`'s language for the rest of the current task (one update's handling)."""
    _active.set(translator)


@contextmanager
def speaking(translator: Translator) -> Iterator[Translator]:
    """Speak `translator`'s language inside the block only: a notice, an email, a test."""
    token = _active.set(translator)
    try:
        yield translator
    finally:
        _active.reset(token)


def _(message: str) -> str:
    return active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return active().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return active().pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return active().npgettext(context, singular, plural, n)
