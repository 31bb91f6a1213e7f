"""Which notices a listing is, and how sure: the matching rules.

* ``certain`` needs an exact identifier: a GTIN of the notice, one of its KC
  certificate numbers, or its brand together with one of its model or batch numbers
  (in the listing's ``mpn``, title or description).
* ``probable`` needs the notice's brand and a title similar enough to the notice's
  product name or title (``Thresholds.probable_similarity``), with no other model of
  that brand named; or one of the notice's suspect barcodes (a code the regulator wrote
  that fails validation: the same typo in a listing is a lead, not proof).
* Similarity alone is never ``certain``.

Only candidates are scored: notices sharing an identifier with the listing or whose
brand it names (brands are the blocking keys: a notice's brand is rare in a catalogue,
its product words are not).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rapidfuzz.fuzz import token_set_ratio

from chalicelib.identifiers.products import (
    gtin14,
    kc_certificate_key,
    model_key,
    split_kc_certificates,
)
from chalicelib.matching.index import IndexedNotice, NoticeIndex, distinctive
from chalicelib.matching.model import CatalogueListing, Match, MatchTier
from chalicelib.matching.text import MIN_BRAND_KEY, contains_run, model_like_runs, words
from chalicelib.matching.thresholds import Thresholds


class Matcher:
    def __init__(self, index: NoticeIndex, thresholds: Thresholds | None = None) -> None:
        self._index = index
        self._thresholds = thresholds or Thresholds.chosen()
        self._notices = index.notices
        # Per notice, what is looked for in free text (only distinctive keys: "XL" or
        # "S" in a title says nothing) and the prefixes of its brand's model numbers.
        self._text_keys = [
            tuple(("model", key) for key in notice.models if distinctive(key))
            + tuple(("batch", key) for key in notice.batches if distinctive(key))
            for notice in self._notices
        ]
        self._model_prefixes = [notice.model_prefixes for notice in self._notices]
        # Words a brand starts with -> the length of the longest brand key starting so:
        # where a title's run of words may spell a brand.
        self._brand_starts: dict[str, int] = {}
        for key in index.by_brand:
            for end in range(MIN_BRAND_KEY, len(key)):
                known = self._brand_starts.get(key[:end], 0)
                self._brand_starts[key[:end]] = max(known, len(key))
        self._brand_words = frozenset(index.by_brand) | frozenset(self._brand_starts)

    def match_all(self, listings: Iterable[CatalogueListing]) -> Iterator[Match]:
        for listing in listings:
            yield from self.match(listing)

    def match(self, listing: CatalogueListing) -> list[Match]:
        """The listing's matches, one per notice, in notice id order."""
        evidence, exact, suspect = self._identifier_hits(listing)
        title_words = words(listing.title)
        brands = self._brands(listing.brand, title_words)
        if not evidence and not brands:
            return []
        view = _ListingView(listing, title_words)
        matches: list[Match] = []
        for position in sorted(evidence.keys() | brands.keys()):
            tier = MatchTier.CERTAIN if position in exact else None
            if position in suspect:
                tier = tier or MatchTier.PROBABLE
            found = self._judge(
                position, view, evidence.get(position, []), brands.get(position), tier
            )
            if found is not None:
                matches.append(found)
        return matches

    def _judge(
        self,
        position: int,
        view: _ListingView,
        evidence: list[str],
        brand: str | None,
        tier: MatchTier | None,
    ) -> Match | None:
        """The match with one candidate notice, if the rules make it one. ``tier`` is
        what the listing's barcode or KC certificate already decided."""
        notice = self._notices[position]
        if brand is not None:
            evidence.append(f"brand:{brand}")
            identifier = self._brand_identifier(position, view)
            if identifier:
                evidence.append(identifier)
                tier = MatchTier.CERTAIN
        score = _similarity(notice, view.text)
        if (
            tier is None
            and brand is not None
            and score >= self._thresholds.probable_similarity
            and not self._names_other_model(position, view)
        ):
            tier = MatchTier.PROBABLE
        if tier is None:
            return None
        evidence.append(f"title_similarity:{score:.2f}")
        return Match(
            notice_id=notice.notice_id,
            version=notice.version,
            listing_id=view.listing.listing_id,
            tier=tier,
            evidence=tuple(evidence),
            score=score,
        )

    def _identifier_hits(
        self, listing: CatalogueListing
    ) -> tuple[dict[int, list[str]], set[int], set[int]]:
        """Notices sharing a barcode or KC certificate with the listing: position ->
        evidence, the positions matched exactly, those matched by a suspect code."""
        evidence: dict[int, list[str]] = {}
        exact: set[int] = set()
        suspect: set[int] = set()
        index = self._index
        if listing.gtin:
            key = gtin14(listing.gtin)
            if key:
                for position in index.by_gtin.get(key, ()):
                    evidence.setdefault(position, []).append(f"gtin:{key}")
                    exact.add(position)
                for position in index.by_suspect_gtin.get(key, ()):
                    evidence.setdefault(position, []).append(f"suspect_gtin:{key}")
                    suspect.add(position)
        if listing.kc_certificate:
            for number in split_kc_certificates(listing.kc_certificate):
                key = kc_certificate_key(number)
                for position in index.by_kc_certificate.get(key, ()):
                    evidence.setdefault(position, []).append(f"kc_certificate:{key}")
                    exact.add(position)
        return evidence, exact, suspect

    def _brands(self, brand_field: str | None, title_words: list[str]) -> dict[int, str]:
        """Notices whose brand the listing names (brand field or title): position ->
        the brand key."""
        keys = self._brand_keys_in(title_words)
        if brand_field:
            field_words = words(brand_field)
            keys.append("".join(field_words))
            keys.extend(self._brand_keys_in(field_words))
        found: dict[int, str] = {}
        for key in keys:
            for position in self._index.by_brand.get(key, ()):
                found.setdefault(position, key)
        return found

    def _brand_keys_in(self, text_words: list[str]) -> list[str]:
        """Brand keys that one word or a run of consecutive words spell."""
        hits = self._brand_words.intersection(text_words)
        if not hits:
            return []
        by_brand = self._index.by_brand
        keys = [word for word in hits if word in by_brand]
        starts = self._brand_starts
        if starts.keys().isdisjoint(hits):
            return keys
        for position, word in enumerate(text_words):
            longest = starts.get(word)
            if longest is None:
                continue
            run = word
            for following in text_words[position + 1 :]:
                run += following
                if len(run) > longest:
                    break
                if run in by_brand:
                    keys.append(run)
        return keys

    def _brand_identifier(self, position: int, view: _ListingView) -> str | None:
        """The model or batch number of the notice that the listing gives, as evidence."""
        notice = self._notices[position]
        if view.mpn and view.mpn in notice.models:
            return f"model:{view.mpn} (mpn)"
        if view.mpn and view.mpn in notice.batches:
            return f"batch:{view.mpn} (mpn)"
        for kind, key in self._text_keys[position]:
            if contains_run(view.title_words, key):
                return f"{kind}:{key} (title)"
            if contains_run(view.description_words(), key):
                return f"{kind}:{key} (description)"
        return None

    def _names_other_model(self, position: int, view: _ListingView) -> bool:
        """Whether the listing names a model of the brand that is not the notice's: a
        near miss (same brand, other model), however similar the titles."""
        notice = self._notices[position]
        if view.mpn and notice.models and view.mpn not in notice.models:
            return True
        return any(
            run not in notice.models
            for prefix in self._model_prefixes[position]
            for run in model_like_runs(view.title_words, prefix)
        )


class _ListingView:
    """One listing's folded text, computed once for all its candidate notices."""

    __slots__ = ("_description", "listing", "mpn", "text", "title_words")

    def __init__(self, listing: CatalogueListing, title_words: list[str]) -> None:
        self.listing = listing
        self.title_words = title_words
        self.text = " ".join(title_words)
        self.mpn = model_key(listing.mpn) if listing.mpn else ""
        self._description: list[str] | None = None

    def description_words(self) -> list[str]:
        if self._description is None:
            description = self.listing.description
            self._description = words(description) if description else []
        return self._description


def _similarity(notice: IndexedNotice, listing_text: str) -> float:
    """Best rapidfuzz token-set ratio of the listing title with the notice's names, 0..1."""
    best = max(
        (token_set_ratio(listing_text, text, processor=None) for text in notice.texts),
        default=0.0,
    )
    return round(best / 100, 4)
