"""Wording that softens a recall, which a buyer recall notice must never carry.

The GPSR (Art. 36(2) and its guidance) forbids recall notices that make the hazard look
smaller than it is: "voluntary", "precautionary", "in rare situations", "no reported
accidents" and their equivalents. The exchange's fixed wording never uses them (a test
checks every catalogue); a regulator's own text is shown as written, so intake warns the
regulator on the row instead (``softening_wording``).

Patterns are stems matched case-insensitively on word starts, one list per supported
language; every list is applied to every text, because a notice's text may be in any
language whatever its declared one.
"""

from __future__ import annotations

import re

_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": (
        r"\bvoluntar(?:y|ily)\b",
        r"\bprecaution",
        r"\bin (?:very )?rare (?:situations|cases|circumstances|instances)\b",
        r"\bno (?:known |reported )?(?:accidents|injuries|incidents)\b",
    ),
    "de": (
        r"\bfreiwillig",
        r"\bvorsorglich",
        r"\bin (?:sehr )?seltenen (?:fällen|situationen)\b",
        r"\bkeine (?:bekannten |gemeldeten )?(?:unfälle|verletzungen|vorfälle)\b",
    ),
    "fr": (
        r"\bvolontaire",
        r"\bprécaution",
        r"\bdans de rares (?:cas|situations)\b",
        r"\baucun (?:accident|incident|blessé)",
    ),
    "nl": (
        r"\bvrijwillig",
        r"\bvoorzorg",
        r"\bin zeldzame (?:gevallen|situaties)\b",
        r"\bgeen (?:ongevallen|ongelukken|incidenten|verwondingen)\b",
    ),
    "es": (
        r"\bvoluntari[oa]",
        r"\bprecauci[oó]n",
        r"\bpreventiv[oa]",
        r"\ben (?:raras|contadas) ocasiones\b",
        r"\ben casos (?:raros|excepcionales)\b",
        r"\bno se (?:han|ha) (?:notificado|registrado|producido) "
        r"(?:accidentes|lesiones|incidentes)",
        r"\bsin (?:accidentes|incidentes|lesiones) (?:notificad|registrad|conocid)",
    ),
    "it": (
        r"\bvolontari[oa]",
        r"\bprecauzion",
        r"\bin (?:rari casi|casi rari)\b",
        r"\bnessun (?:incidente|infortunio)",
    ),
    "pl": (
        r"\bdobrowoln",
        r"\bzapobiegawcz",
        r"\bprewencyjn",
        r"\bw rzadkich (?:przypadkach|sytuacjach)\b",
        r"\bnie (?:zgłoszono|odnotowano) (?:żadnych )?(?:wypadków|obrażeń|incydentów)",
    ),
    # Korean has no word boundaries worth the name: stems match anywhere.
    "ko": (
        r"자발적",
        r"자진",
        r"예방\s*(?:차원|적|조치)",
        r"드문\s*경우|드물게",
        r"(?:사고|피해|부상)\S*\s*(?:보고|사례|접수)\S*\s*(?:없|되지\s*않)",
        r"(?:보고된|알려진)\s*(?:사고|피해|부상)\S*\s*(?:없|않)",
    ),
}

SOFTENING_LANGUAGES = frozenset(_PATTERNS)
_SOFTENING = re.compile(
    # \w* extends a stem to the whole word, so the warning quotes what was written.
    "|".join(f"(?:{pattern})\\w*" for patterns in _PATTERNS.values() for pattern in patterns),
    re.IGNORECASE,
)


# Every phrase a pattern above matches contains one of these (lower-cased). The
# alternation's leading word boundaries make ``re`` try every pattern at every position,
# most of a row's parse time on texts with none of them; a substring test per cue skips
# the regex for those texts. Every pattern has an example in the tests, so a pattern
# added without its cue here fails them.
_CUES = (
    *("voluntar", "precaution", "rare", "accident", "injur", "incident"),
    *("freiwillig", "vorsorglich", "selten", "unfälle", "verletzungen", "vorfälle"),
    *("volontaire", "précaution", "rares", "aucun"),
    *("vrijwillig", "voorzorg", "zeldzame", "geen"),
    *("voluntari", "precauci", "preventiv", "raras", "contadas", "raros", "excepcionales"),
    *("no se", "sin "),
    *("volontari", "precauzion", "rari", "nessun"),
    *("dobrowoln", "zapobiegawcz", "prewencyjn", "rzadkich", "nie "),
    *("자발적", "자진", "예방", "드문", "드물게", "사고", "피해", "부상"),
)


def softening_phrases(text: str) -> list[str]:
    """The softening phrases in ``text``, as written there, each once, in order."""
    lowered = text.lower()
    if not any(map(lowered.__contains__, _CUES)):
        return []
    found = (match.group(0) for match in _SOFTENING.finditer(text))
    return list(dict.fromkeys(found))
