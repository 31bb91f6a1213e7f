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

from collections.abc import Collection, Iterable, Iterator
from itertools import compress, islice

from rapidfuzz.fuzz import token_set_ratio

from chalicelib.identifiers.products import (
    gtin14,
    kc_certificate_key,
    model_key,
    split_kc_certificates,
)
from chalicelib.matching.index import (
    IndexedNotice,
    NoticeIndex,
    distinctive,
    suspect_barcode_key,
)
from chalicelib.matching.model import CatalogueListing, Match, MatchTier
from chalicelib.matching.text import WordRuns, folded_utf8, model_like_runs, words
from chalicelib.matching.thresholds import Thresholds

# Listings whose titles are folded and screened together (one regex pass, a few Arrow
# calls): large enough to amortise the calls (1,024 cost ~0.1 µs a listing more;
# 2,048-16,384 measured the same), small enough to stream.
_CHUNK = 4096
# A chunk's positions, made once: ``compress`` over them picks the selected ones without
# an int object made for every listing (most are not selected).
_POSITIONS = tuple(range(_CHUNK))
# Distinct brand cells remembered (a catalogue has far fewer brands than listings).
_BRAND_CACHE = 100_000
_Hits = tuple[dict[int, list[str]], set[int], set[int]]
# No listing's code matched: shared, never written to (callers only read it).
_NO_HITS: _Hits = ({}, set(), set())


class Matcher:
    def __init__(
        self,
        index: NoticeIndex,
        thresholds: Thresholds | None = None,
        *,
        tiers: Collection[MatchTier] = tuple(MatchTier),
    ) -> None:
        """``tiers``: the tiers wanted. Certain alone (a re-listing watch) skips the
        similarity scoring of every listing that has no identifier of a notice."""
        if not tiers:
            raise ValueError("a matcher needs at least one tier")
        self._index = index
        self._thresholds = thresholds or Thresholds.chosen()
        self._probable = MatchTier.PROBABLE in tiers
        self._certain = MatchTier.CERTAIN in tiers
        self._notices = index.notices
        # Per notice, what is looked for in free text (only distinctive keys: "XL" or
        # "S" in a title says nothing) and the prefixes of its brand's model numbers.
        self._text_keys = [
            tuple(("model", key) for key in notice.models if distinctive(key))
            + tuple(("batch", key) for key in notice.batches if distinctive(key))
            for notice in self._notices
        ]
        self._title_keys = [tuple(key for _kind, key in keys) for keys in self._text_keys]
        self._mpn_keys = [frozenset(notice.models + notice.batches) for notice in self._notices]
        self._model_prefixes = [notice.model_prefixes for notice in self._notices]
        # A brand of several words ("Power Tank", "KidsBlock" as "Kids Block") is also
        # found as those words in a row: first word -> the names starting with it.
        runs: dict[str, set[tuple[str, ...]]] = {}
        for notice in self._notices:
            for name in notice.brands:
                if len(name) > 1:
                    runs.setdefault(name[0], set()).add(name)
        self._brand_runs = {first: tuple(sorted(names)) for first, names in runs.items()}
        self._run_starts = frozenset(self._brand_runs)
        # The words that may start a brand in a title: a brand key, or a first word.
        self._brand_words = frozenset(index.by_brand) | frozenset(self._brand_runs)
        codes = (*index.by_gtin, *index.by_suspect_gtin)
        self._gtin_tails = frozenset(key.lstrip("0") for key in codes)
        # Each notice code with every count of leading zeros up to the longest code: a
        # barcode of digits is one of them exactly when its digits without leading zeros
        # are a notice's (a longer run of digits is no GTIN and no suspect code), told
        # with one set lookup (never the empty string: a listing without one is no hit).
        longest = max(map(len, codes), default=0)
        self._gtin_forms = frozenset(
            tail.zfill(width)
            for tail in self._gtin_tails
            for width in range(max(len(tail), 1), longest + 1)
        )
        self._brand_field_cache: dict[str, list[str]] = {}
        self._plain_brand_fields: set[str] = set()
        # Arrow is loaded here, by the first matcher, not on import: every function's
        # app imports this package, only the audit matches.
        from chalicelib.matching.screen import TitleScreen

        self._screen = TitleScreen(self._brand_words)

    def match_all(self, listings: Iterable[CatalogueListing]) -> Iterator[Match]:
        """The matches of many listings, in listing order."""
        for _listing, matches in self.match_each(listings):
            yield from matches

    def match_each(
        self, listings: Iterable[CatalogueListing]
    ) -> Iterator[tuple[CatalogueListing, list[Match]]]:
        """Each listing that matches a notice, with its matches, in listing order: the
        titles are folded and screened a chunk at a time (one regex pass and a few Arrow
        calls per chunk, not per title)."""
        remaining = iter(listings)
        while chunk := list(islice(remaining, _CHUNK)):
            yield from self._match_chunk(chunk)

    def match(self, listing: CatalogueListing) -> list[Match]:
        """The listing's matches, one per notice, in notice id order."""
        return self._match(listing, words(listing.title))

    def _match_chunk(
        self, chunk: list[CatalogueListing]
    ) -> Iterator[tuple[CatalogueListing, list[Match]]]:
        # Most of a catalogue names no notice's brand and shares no code with a notice:
        # the chunk's titles are screened in Arrow and its codes and brand cells with set
        # operations; only the listings that pass get their title's words in Python.
        folded, order = folded_utf8([listing.title for listing in chunk])
        for position, title_words in self._screen.passed(folded, order, self._coded(chunk)):
            listing = chunk[position]
            if matches := self._match(listing, title_words):
                yield listing, matches

    def _coded(self, chunk: list[CatalogueListing]) -> set[int]:
        """The positions in the chunk of the listings that may share a code with a
        notice (a KC certificate; a barcode that is a notice's code, or not digits
        alone) or whose brand cell names a notice's brand."""
        gtins = [listing.gtin for listing in chunk]
        cells = [listing.brand for listing in chunk]
        coded = set(compress(_POSITIONS, [listing.kc_certificate for listing in chunk]))
        codes = self._gtin_forms.intersection(gtins)
        # Barcodes of ASCII digits only (most chunks) told by one pass over their join.
        given = "".join(filter(None, gtins))
        if given and not (given.isascii() and given.encode("ascii").isdigit()):
            codes = codes.union(gtin for gtin in gtins if gtin and not gtin.isdigit())
        if codes:
            coded.update(compress(_POSITIONS, map(codes.__contains__, gtins)))
        named = {
            cell
            for cell in set(cells).difference(self._plain_brand_fields)
            if cell and self._brand_field_keys(cell)
        }
        if named:
            coded.update(compress(_POSITIONS, map(named.__contains__, cells)))
        return coded

    def _match(self, listing: CatalogueListing, title_words: list[str]) -> list[Match]:
        evidence, exact, suspect = self._identifier_hits(listing)
        brands = self._brands(listing.brand, title_words)
        if self._probable:
            candidates = evidence.keys() | brands.keys()
        else:
            # Certain alone: a notice the listing shares neither a barcode, a KC
            # certificate nor a model or batch number with cannot match.
            brands = self._may_name_identifier(listing, title_words, brands, exact)
            candidates = exact | brands.keys()
        if not candidates:
            return []
        view = _ListingView(listing, title_words)
        matches: list[Match] = []
        for position in sorted(candidates):
            tier = MatchTier.CERTAIN if position in exact else None
            if position in suspect and self._probable:
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
        identifier = self._brand_identifier(position, view) if brand is not None else None
        if identifier:
            tier = MatchTier.CERTAIN
        if tier is None and not self._probable:
            # Certain alone (a re-listing watch): most candidates are the brand's other
            # products, dropped here before any scoring or evidence.
            return None
        score = _similarity(notice, view.text)
        if (
            tier is None
            and brand is not None
            and score >= self._thresholds.probable_similarity
            and not self._names_other_model(position, view)
        ):
            tier = MatchTier.PROBABLE
        if tier is None or (tier is MatchTier.CERTAIN and not self._certain):
            return None
        if brand is not None:
            evidence.append(f"brand:{brand}")
        if identifier:
            evidence.append(identifier)
        evidence.append(f"title_similarity:{score:.2f}")
        return Match(
            notice_id=notice.notice_id,
            version=notice.version,
            listing_id=view.listing.listing_id,
            tier=tier,
            evidence=tuple(evidence),
            score=score,
        )

    def _may_name_identifier(
        self,
        listing: CatalogueListing,
        title_words: list[str],
        brands: dict[int, str],
        exact: set[int],
    ) -> dict[int, str]:
        """The brand candidates whose model or batch number the listing may give (those
        it shares a code with keep their brand as evidence): most are the brand's other
        products, told apart before the listing's view is built by the ``mpn`` and a
        substring test (a key is spelled in the title only if the title's words run
        together hold it). A listing with a description (few have one) keeps them all."""
        if not brands or listing.description:
            return brands
        squashed = "".join(title_words)
        mpn = model_key(listing.mpn) if listing.mpn else ""
        kept = {}
        for position, brand in brands.items():
            if position in exact or mpn in self._mpn_keys[position]:
                kept[position] = brand
                continue
            for key in self._title_keys[position]:
                if key in squashed:
                    kept[position] = brand
                    break
        return kept

    def _identifier_hits(self, listing: CatalogueListing) -> _Hits:
        """Notices sharing a barcode or KC certificate with the listing: position ->
        evidence, the positions matched exactly, those matched by a suspect code."""
        gtin = listing.gtin
        # Most listings share no code with any notice: one set lookup tells (a code
        # without its leading zeros is how every GTIN length compares).
        gtin_hit = gtin is not None and gtin.lstrip("0") in self._gtin_tails
        if not gtin_hit and not (gtin and not gtin.isdigit()) and not listing.kc_certificate:
            return _NO_HITS
        evidence: dict[int, list[str]] = {}
        exact: set[int] = set()
        suspect: set[int] = set()
        index = self._index
        key = gtin14(gtin) if gtin else None
        if key:
            for position in index.by_gtin.get(key, ()):
                evidence.setdefault(position, []).append(f"gtin:{key}")
                exact.add(position)
        key = suspect_barcode_key(gtin) if gtin else None
        if key:
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
        the brand key (the first named, in title order, then the brand field's)."""
        keys = self._brand_keys_in(title_words)
        if brand_field:
            keys.extend(self._brand_field_keys(brand_field))
        if not keys:
            return {}
        found: dict[int, str] = {}
        for key in keys:
            for position in self._index.by_brand.get(key, ()):
                found.setdefault(position, key)
        return found

    def _brand_field_keys(self, brand_field: str) -> list[str]:
        """The brand keys a listing's brand cell names. Catalogues repeat brand cells:
        each distinct one is read once (up to a bound), and those naming no notice's
        brand are kept apart for the fast path."""
        if brand_field in self._plain_brand_fields:
            return []
        keys = self._brand_field_cache.get(brand_field)
        if keys is None:
            field_words = words(brand_field)
            keys = self._brand_keys_in(field_words)
            squashed = "".join(field_words)
            if squashed in self._index.by_brand and squashed not in keys:
                keys.append(squashed)
            if len(self._brand_field_cache) + len(self._plain_brand_fields) >= _BRAND_CACHE:
                self._brand_field_cache.clear()
                self._plain_brand_fields.clear()
            if keys:
                self._brand_field_cache[brand_field] = keys
            else:
                self._plain_brand_fields.add(brand_field)
        return keys

    def _brand_keys_in(self, text_words: list[str]) -> list[str]:
        """Brand keys that one word (the brand run together) or consecutive words (a
        brand of several words) spell, in text order."""
        named = self._brand_words.intersection(text_words)
        if not named:
            return []
        if self._run_starts.isdisjoint(named):
            # Each word named is a brand key (brands of several words are rare).
            return [word for word in text_words if word in named]
        by_brand, runs = self._index.by_brand, self._brand_runs
        keys = []
        for position, word in enumerate(text_words):
            if word in by_brand:
                keys.append(word)
            for name in runs.get(word, ()):
                if tuple(text_words[position : position + len(name)]) == name:
                    keys.append("".join(name))
        return keys

    def _brand_identifier(self, position: int, view: _ListingView) -> str | None:
        """The model or batch number of the notice that the listing gives, as evidence."""
        notice = self._notices[position]
        mpn = view.mpn
        if mpn and mpn in notice.models:
            return f"model:{mpn} (mpn)"
        if mpn and mpn in notice.batches:
            return f"batch:{mpn} (mpn)"
        title = view.title_runs
        for kind, key in self._text_keys[position]:
            if title.spell(key):
                return f"{kind}:{key} (title)"
            description = view.description_runs()
            if description is not None and description.spell(key):
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

    __slots__ = ("_description", "listing", "mpn", "text", "title_runs", "title_words")

    def __init__(self, listing: CatalogueListing, title_words: list[str]) -> None:
        self.listing = listing
        self.title_words = title_words
        self.title_runs = WordRuns(title_words)
        self.text = " ".join(title_words)
        self.mpn = model_key(listing.mpn) if listing.mpn else ""
        self._description: WordRuns | None = None

    def description_runs(self) -> WordRuns | None:
        """The description's words (None: the listing has no description, as most do),
        folded when a candidate first needs them."""
        if self._description is None and self.listing.description:
            self._description = WordRuns(words(self.listing.description))
        return self._description


def _similarity(notice: IndexedNotice, listing_text: str) -> float:
    """Best rapidfuzz token-set ratio of the listing title with the notice's names, 0..1."""
    best = 0.0
    for text in notice.texts:
        best = max(best, token_set_ratio(listing_text, text, processor=None))
    return round(best / 100, 4)
