"""Softening wording: every pattern has an example, found whatever its case.

The examples double as the check that the cheap substring cues in front of the regex
cover every pattern: a pattern added without its cue is never tried, and its example
here is not found.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.notices.softening import (
    _ANYWHERE,
    _CUES,
    _PATTERNS,
    softening_phrases,
)

EXAMPLES = {
    "en": (
        "A voluntary recall",
        "Recalled as a precaution",
        "Only in very rare cases",
        "No reported injuries so far",
    ),
    "de": (
        "Freiwilliger Rückruf",
        "Vorsorglich zurückgerufen",
        "In sehr seltenen Fällen",
        "Keine gemeldeten Unfälle",
    ),
    "fr": ("Rappel volontaire", "Par précaution", "Dans de rares cas", "Aucun accident signalé"),
    "nl": ("Vrijwillige terugroepactie", "Uit voorzorg", "In zeldzame gevallen", "Geen ongevallen"),
    "es": (
        "Retirada voluntaria",
        "Por precaución",
        "Medida preventiva",
        "En raras ocasiones",
        "En casos excepcionales",
        "No se han registrado lesiones",
        "Sin incidentes conocidos",
    ),
    "it": (
        "Richiamo volontario",
        "A titolo precauzionale",
        "In rari casi",
        "Nessun incidente segnalato",
    ),
    "pl": (
        "Dobrowolne wycofanie",
        "Zapobiegawczo",
        "Działanie prewencyjne",
        "W rzadkich przypadkach",
        "Nie zgłoszono żadnych wypadków",
    ),
    "ko": (
        "자발적 리콜",
        "자진 회수",
        "예방 차원의 조치",
        "드문 경우에만",
        "사고 사례가 없습니다",
        "보고된 사고는 없습니다",
    ),
}

CASES = [
    pytest.param(pattern, example, id=f"{language}-{index}")
    for language, patterns in _PATTERNS.items()
    for index, (pattern, example) in enumerate(zip(patterns, EXAMPLES[language], strict=True))
]


@pytest.mark.parametrize(("pattern", "example"), CASES)
def test_every_pattern_is_found_in_any_case(pattern: str, example: str) -> None:
    written = re.search(pattern, example, re.IGNORECASE)
    assert written, f"the example {example!r} is not one of {pattern!r}"
    for text in (example, example.upper(), example.lower(), f"Note: {example}."):
        found = softening_phrases(text)
        assert len(found) == 1 and written.group(0).lower() in found[0].lower(), (text, found)


def test_every_language_has_an_example_per_pattern() -> None:
    assert set(EXAMPLES) == set(_PATTERNS)


@pytest.mark.parametrize(
    "text",
    ["", "The heater overheats and can start a fire.", "전원 어댑터 과열로 화재 위험", "Arrêtez"],
)
def test_plain_text_has_no_softening(text: str) -> None:
    assert softening_phrases(text) == []


# The regex as first written: every pattern its own alternative, each word-start one
# with its own \b, and every text searched (no cue test in front). The compiled one
# shares the \b and skips texts without a cue; both must find the same phrases.
_ONE_BY_ONE = re.compile(
    "|".join(
        f"(?:{'' if language in _ANYWHERE else chr(92) + 'b'}(?:{pattern}))\\w*"
        for language, patterns in _PATTERNS.items()
        for pattern in patterns
    ),
    re.IGNORECASE,
)
_PIECES = [
    *(example for examples in EXAMPLES.values() for example in examples),
    *(cue.upper() for cue in _CUES),
    *_CUES,
    *" \n,.-_'\u017f\u212a\u0130xé사",  # separators, and letters that case-fold oddly
]


@given(st.lists(st.sampled_from(_PIECES), max_size=6).map("".join))
def test_the_compiled_pattern_finds_what_the_patterns_one_by_one_find(text: str) -> None:
    expected = list(dict.fromkeys(match.group(0) for match in _ONE_BY_ONE.finditer(text)))
    assert softening_phrases(text) == expected
