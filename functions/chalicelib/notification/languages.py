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
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_COMMA,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)
from markupsafe import escape

from chalicelib.identifiers.jurisdictions import default_language
from chalicelib.notification.markup import section, table, underline

SUPPORTED_LANGUAGES = ("ko", "en", "de", "fr", "nl", "es", "it", "pl")
FALLBACK_LANGUAGE = "en"
PACKAGE = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE / "locale"
TEMPLATES_DIR = PACKAGE / "templates"
DOMAIN = "messages"


def choose_language(requested: str | None, country: str | None) -> tuple[str, bool]:
    """The language to write in and whether it is a fallback: the requested language,
    else the main language of the person's country, else English (a fallback)."""
    if requested and (wanted := primary_language(requested)) in SUPPORTED_LANGUAGES:
        return wanted, False
    main = default_language(country.strip().upper()) if country else None
    if main in SUPPORTED_LANGUAGES:
        return str(main), False
    return FALLBACK_LANGUAGE, True


def primary_language(tag: str) -> str:
    """The language of a tag as people and browsers write it: ko-KR, de_AT, EN -> ko, de, en."""
    return tag.strip().lower().replace("_", "-").split("-")[0]


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


class InlineTranslations(Extension):
    """Translates ``_("literal")`` when a template is compiled, not each time it renders.

    Templates are written with gettext calls (``pybabel extract`` finds them); each
    language has its own environment, so the call is replaced by its translation:
    ``_("text")`` by the translated string, ``_("text %(name)s", name=value)`` by
    ``("translated %(name)s")|format(name=value)``. The values are escaped like any other
    in HTML (autoescaping), and rendering does no gettext call at all (bench/rendering.py).
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        translate: Callable[[str], str] = self.environment.inline_gettext  # type: ignore[attr-defined]
        # In HTML the translation is escaped once here and marked safe (Jinja folds the
        # constant), instead of being escaped on every rendering.
        html = (stream.name or "").endswith(".html.j2")
        tokens = list(stream)
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if not _is_gettext_call(tokens, index):
                yield token
                index += 1
                continue
            translated = translate(tokens[index + 2].value)
            line = token.lineno
            yield Token(line, TOKEN_LPAREN, "(")
            yield Token(line, TOKEN_STRING, str(escape(translated)) if html else translated)
            yield Token(line, TOKEN_RPAREN, ")")
            if html:
                yield from (Token(line, TOKEN_PIPE, "|"), Token(line, TOKEN_NAME, "safe"))
            if tokens[index + 3].type == TOKEN_RPAREN:
                index += 4
                continue
            # _("…", name=value, …) -> ("…")|format(name=value, …): a safe string formats
            # its values escaped.
            yield from (
                Token(line, TOKEN_PIPE, "|"),
                Token(line, TOKEN_NAME, "format"),
                Token(line, TOKEN_LPAREN, "("),
            )
            index += 4
            depth = 1
            while depth:
                argument = tokens[index]
                depth += (argument.type == TOKEN_LPAREN) - (argument.type == TOKEN_RPAREN)
                yield argument
                index += 1


def _is_gettext_call(tokens: list[Token], index: int) -> bool:
    """``_ ( "literal" )`` or ``_ ( "literal" ,`` starts at ``index``."""
    window = tokens[index : index + 4]
    return (
        len(window) == 4
        and (window[0].type, window[0].value) == (TOKEN_NAME, "_")
        and window[1].type == TOKEN_LPAREN
        and window[2].type == TOKEN_STRING
        and window[3].type in {TOKEN_RPAREN, TOKEN_COMMA}
    )


@cache
def environment(language: str) -> Environment:
    """Templates of one language, translated when compiled: HTML autoescaped, text not."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        extensions=[InlineTranslations],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Templates ship with the code: never stat them again after the first load.
        auto_reload=False,
    )
    env.extend(inline_gettext=translations(language).gettext)
    # Filters, not macros: a macro call costs about ten times more.
    env.filters.update(underline=underline, section=section, table=table)
    return env


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=4096)
def long_date(value: date, language: str) -> str:
    """A date as people of ``language`` write it in a letter (e.g. 2026년 11월 23일)."""
    return str(format_date(value, format="long", locale=_locale(language)))


def language_name(code: str, language: str) -> str:
    """The name of language ``code`` in ``language`` (ko in de: Koreanisch)."""
    return str(_locale(language).languages.get(code.lower(), code))


def country_name(code: str, language: str) -> str:
    return str(_locale(language).territories.get(code.upper(), code))
