"""The languages messages are written in: choice, catalogues, Jinja environments, names.

Fixed wording is translated with gettext catalogues kept as ``.po`` files in
``locale/<language>/LC_MESSAGES/messages.po`` (the only source: no compiled ``.mo`` is
checked in). Each catalogue is compiled in memory with Babel the first time its language
is used, so a fresh clone, the tests and Lambda (which gets ``chalicelib/`` as it is)
all read the same files. ``locale/messages.pot`` is extracted from the templates and
this package (README, "Notification messages").
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chalicelib.identifiers.jurisdictions import default_language

SUPPORTED_LANGUAGES = ("ko", "en", "de", "fr", "nl", "es", "it", "pl")
FALLBACK_LANGUAGE = "en"
PACKAGE = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE / "locale"
TEMPLATES_DIR = PACKAGE / "templates"
DOMAIN = "messages"


def choose_language(requested: str | None, country: str | None) -> tuple[str, bool]:
    """The language to write in and whether it is a fallback: the requested language,
    else the main language of the person's country, else English (a fallback)."""
    if requested and (wanted := requested.strip().lower()) in SUPPORTED_LANGUAGES:
        return wanted, False
    main = default_language(country.strip().upper()) if country else None
    if main in SUPPORTED_LANGUAGES:
        return str(main), False
    return FALLBACK_LANGUAGE, True


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``language`` (one of SUPPORTED_LANGUAGES)."""
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def environment(language: str) -> Environment:
    """Templates of one language: HTML autoescaped, text not; gettext installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def long_date(value: date, language: str) -> str:
    """A date as people of ``language`` write it in a letter (e.g. 2026년 11월 23일)."""
    return str(format_date(value, format="long", locale=_locale(language)))


def language_name(code: str, language: str) -> str:
    """The name of language ``code`` in ``language`` (ko in de: Koreanisch)."""
    return str(_locale(language).languages.get(code.lower(), code))


def country_name(code: str, language: str) -> str:
    return str(_locale(language).territories.get(code.upper(), code))
