"""The notice index: every active notice's identifiers and names, keyed for lookup.

Built once per notice change and stored (``dumps``/``loads``) so that each match
Lambda loads it once per container instead of reading every notice.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from chalicelib.identifiers.products import gtin14, kc_certificate_key, model_key
from chalicelib.matching.text import brand_names, words
from chalicelib.notices.model import Notice, NoticeStatus

FORMAT = 1
# A model or batch number found in a title must be this distinctive (a digit and three
# characters, or six characters): "KB-100" is, "S" or "XL" is not.
_MIN_TITLE_KEY = 3
_MIN_TITLE_KEY_WITHOUT_DIGIT = 6


class IndexFormatError(ValueError):
    """Stored bytes that are not a notice index this code can read."""


def distinctive(key: str) -> bool:
    """Whether a model or batch key may be looked for in free text."""
    if len(key) >= _MIN_TITLE_KEY_WITHOUT_DIGIT:
        return True
    return len(key) >= _MIN_TITLE_KEY and any(character.isdigit() for character in key)


@dataclass(frozen=True, slots=True)
class IndexedNotice:
    """One notice as the matcher needs it: keys, not prose."""

    notice_id: str
    version: int
    brands: tuple[tuple[str, ...], ...]  # each name the brand goes by, as words
    models: tuple[str, ...]  # model keys (identifiers.products.model_key)
    batches: tuple[str, ...]
    gtins: tuple[str, ...]  # GTIN-14 of the valid barcodes
    suspect_gtins: tuple[str, ...]  # GTIN-14 (or digits) of codes that failed validation
    kc_certificates: tuple[str, ...]
    texts: tuple[str, ...]  # product name and notice title, folded words joined by spaces

    @property
    def model_prefixes(self) -> frozenset[str]:
        """The letters the brand's model numbers start with (``kb`` of ``kb100``)."""
        prefixes = set()
        for key in self.models:
            letters = len(key) - len(key.lstrip("abcdefghijklmnopqrstuvwxyz"))
            if 0 < letters < len(key) and key[letters].isdigit():
                prefixes.add(key[:letters])
        return frozenset(prefixes)


class NoticeIndex:
    def __init__(self, notices: Iterable[IndexedNotice]) -> None:
        self.notices: tuple[IndexedNotice, ...] = tuple(
            sorted(notices, key=lambda notice: notice.notice_id)
        )
        self.notice_ids: frozenset[str] = frozenset(n.notice_id for n in self.notices)
        self.by_gtin = _lookup(n.gtins for n in self.notices)
        self.by_suspect_gtin = _lookup(n.suspect_gtins for n in self.notices)
        self.by_kc_certificate = _lookup(n.kc_certificates for n in self.notices)
        # A brand is looked up by its words run together: "powertank" is found in
        # "Power Tank", "PowerTank" and "POWER-TANK" (consecutive words of a title that
        # spell it), as a model number is.
        self.by_brand = _lookup(
            ("".join(name) for name in notice.brands) for notice in self.notices
        )

    @classmethod
    def build(
        cls, notices: Iterable[Notice], aliases: Mapping[str, Iterable[str]] | None = None
    ) -> NoticeIndex:
        """The index of the notices in force (a withdrawn notice is left out; of several
        versions of one notice, the latest counts). ``aliases`` maps a brand to the other
        names it is sold under (a transliteration, a former name)."""
        latest: dict[str, Notice] = {}
        for notice in notices:
            known = latest.get(notice.notice_id)
            if known is None or notice.version > known.version:
                latest[notice.notice_id] = notice
        alias_names = _alias_names(aliases or {})
        return cls(
            _indexed(notice, alias_names)
            for notice in latest.values()
            if notice.status is not NoticeStatus.WITHDRAWN
        )

    def dumps(self) -> bytes:
        document = {"format": FORMAT, "notices": [asdict(notice) for notice in self.notices]}
        return zlib.compress(json.dumps(document, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def loads(cls, data: bytes) -> NoticeIndex:
        try:
            document = json.loads(zlib.decompress(data))
        except (zlib.error, ValueError) as error:
            raise IndexFormatError(f"not a stored notice index: {error}") from error
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise IndexFormatError(f"notice index format {document.get('format')!r}, not {FORMAT}")
        return cls(_from_document(item) for item in document["notices"])


def _lookup(keys_per_notice: Iterable[Iterable[str]]) -> dict[str, tuple[int, ...]]:
    """key -> positions of the notices that have it."""
    positions: dict[str, list[int]] = defaultdict(list)
    for position, keys in enumerate(keys_per_notice):
        for key in dict.fromkeys(keys):
            positions[key].append(position)
    return {key: tuple(found) for key, found in positions.items()}


def _alias_names(aliases: Mapping[str, Iterable[str]]) -> dict[str, list[tuple[str, ...]]]:
    """Brand key -> every name of its alias group (the brand and its aliases)."""
    groups: dict[str, list[tuple[str, ...]]] = {}
    for brand, others in aliases.items():
        group: list[tuple[str, ...]] = []
        for written in (brand, *others):
            group.extend(found for found in brand_names(written) if found not in group)
        for name in group:
            known = groups.setdefault("".join(name), [])
            for other in group:
                if other not in known:
                    known.append(other)
    return groups


def _indexed(notice: Notice, alias_names: Mapping[str, list[tuple[str, ...]]]) -> IndexedNotice:
    product = notice.content.product
    brands = brand_names(product.brand) if product.brand else []
    for name in list(brands):
        brands.extend(alias for alias in alias_names.get("".join(name), ()) if alias not in brands)
    texts = [" ".join(words(text)) for text in (product.name, notice.content.title) if text]
    return IndexedNotice(
        notice_id=notice.notice_id,
        version=notice.version,
        brands=tuple(brands),
        models=_keys(product.models),
        batches=_keys(product.batch_numbers),
        gtins=_keys(product.barcodes, gtin14),
        suspect_gtins=_keys(product.suspect_barcodes, _suspect_key),
        kc_certificates=_keys(product.kc_certificates, kc_certificate_key),
        texts=tuple(dict.fromkeys(text for text in texts if text)),
    )


def _suspect_key(code: str) -> str:
    # A suspect code may have the wrong length: it is then kept as its digits.
    return gtin14(code) or model_key(code)


def _keys(values: Iterable[str], key: Any = model_key) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k for k in map(key, values) if k))


def _from_document(item: Any) -> IndexedNotice:
    try:
        return IndexedNotice(
            notice_id=str(item["notice_id"]),
            version=int(item["version"]),
            brands=tuple(tuple(str(word) for word in name) for name in item["brands"]),
            **{
                field: tuple(str(value) for value in item[field])
                for field in (
                    "models",
                    "batches",
                    "gtins",
                    "suspect_gtins",
                    "kc_certificates",
                    "texts",
                )
            },
        )
    except (KeyError, TypeError, ValueError) as error:
        raise IndexFormatError(f"notice index entry {item!r:.80}: {error}") from error
