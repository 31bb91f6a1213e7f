"""Wording that softens a recall, which a buyer recall notice must never carry.

The GPSR (Art. 36(2) and its guidance) forbids recall notices that make the hazard look
smaller than it is: "voluntary", "precautionary", "in rare situations", "no reported
accidents" and their equivalents. The exchange's fixed wording never uses them (a test
checks every catalogue); a regulator's own text is shown as written, so intake warns the
regulator on the row instead (``softening_wording``).

Patterns are stems matched case-insensitively on word starts (anywhere in Korean), one
list per supported language; every list is applied to every text, because a notice's
text may be in any language whatever its declared one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": (
        r"voluntar(?:y|ily)\b",
        r"precaution",
        r"in (?:very )?rare (?:situations|cases|circumstances|instances)\b",
        r"no (?:known |reported )?(?:accidents|injuries|incidents)\b",
    ),
    "de": (
        r"freiwillig",
        r"vorsorglich",
        r"in (?:sehr )?seltenen (?:fällen|situationen)\b",
        r"keine (?:bekannten |gemeldeten )?(?:unfälle|verletzungen|vorfälle)\b",
    ),
    "fr": (
        r"volontaire",
        r"précaution",
        r"dans de rares (?:cas|situations)\b",
        r"aucun (?:accident|incident|blessé)",
    ),
    "nl": (
        r"vrijwillig",
        r"voorzorg",
        r"in zeldzame (?:gevallen|situaties)\b",
        r"geen (?:ongevallen|ongelukken|incidenten|verwondingen)\b",
    ),
    "es": (
        r"voluntari[oa]",
        r"precauci[oó]n",
        r"preventiv[oa]",
        r"en (?:raras|contadas) ocasiones\b",
        r"en casos (?:raros|excepcionales)\b",
        r"no se (?:han|ha) (?:notificado|registrado|producido) "
        r"(?:accidentes|lesiones|incidentes)",
        r"sin (?:accidentes|incidentes|lesiones) (?:notificad|registrad|conocid)",
    ),
    "it": (
        r"volontari[oa]",
        r"precauzion",
        r"in (?:rari casi|casi rari)\b",
        r"nessun (?:incidente|infortunio)",
    ),
    "pl": (
        r"dobrowoln",
        r"zapobiegawcz",
        r"prewencyjn",
        r"w rzadkich (?:przypadkach|sytuacjach)\b",
        r"nie (?:zgłoszono|odnotowano) (?:żadnych )?(?:wypadków|obrażeń|incydentów)",
    ),
    "ko": (
        r"자발적",
        r"자진",
        r"예방\s*(?:차원|적|조치)",
        r"드문\s*경우|드물게",
        r"(?:사고|피해|부상)\S*\s*(?:보고|사례|접수)\S*\s*(?:없|되지\s*않)",
        r"(?:보고된|알려진)\s*(?:사고|피해|부상)\S*\s*(?:없|않)",
    ),
}

# Korean has no word boundaries worth the name: its stems match anywhere.
_ANYWHERE = frozenset({"ko"})
SOFTENING_LANGUAGES = frozenset(_PATTERNS)


def _alternatives(*, anywhere: bool) -> str:
    # \w* extends a stem to the whole word, so the warning quotes what was written.
    return "|".join(
        f"(?:{pattern})\\w*"
        for language, patterns in _PATTERNS.items()
        if (language in _ANYWHERE) == anywhere
        for pattern in patterns
    )


# One word boundary in front of all the word-start patterns rather than one per pattern:
# ``re`` tries the alternatives one by one at every position, and a failed \b now ends
# them all at once (4-5 times faster). Korean coming after the others changes no match:
# no position can start both a Latin-script stem and a Hangul one.
_SOFTENING = re.compile(
    rf"\b(?:{_alternatives(anywhere=False)})|{_alternatives(anywhere=True)}", re.IGNORECASE
)


# Every phrase a pattern above matches contains one of these (lower-cased): texts with
# none, nearly all of them, skip the regex. Every pattern has an example in the tests,
# so a pattern added without its cue here fails them.
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


def _trie(words: Iterable[str]) -> str:
    """A regex finding any of ``words`` (non-empty), branching one character at a time.
    A plain alternation makes ``re`` try every word at every position (a substring test
    per cue is no better); a trie tries only the words that go on with the text's next
    character. A word that extends another is left out: finding the shorter suffices."""
    branches: dict[str, list[str]] = {}
    for word in words:
        branches.setdefault(word[0], []).append(word[1:])
    alternatives = [
        re.escape(first) + ("" if "" in rests else _trie(rests))
        for first, rests in branches.items()
    ]
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


_CUE = re.compile(_trie(_CUES))


def softening_phrases(text: str) -> list[str]:
    """The softening phrases in ``text``, as written there, each once, in order."""
    if _CUE.search(text.lower()) is None:
        return []
    # The pattern captures no group, so findall gives each whole match.
    return list(dict.fromkeys(_SOFTENING.findall(text)))
