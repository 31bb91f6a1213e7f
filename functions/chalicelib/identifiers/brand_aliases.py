"""Brand aliases: the other names a brand is sold under (its Hangul or Latin spelling, a
company name), which the compliance audit's notice index gives every notice of the
brand (``NoticeIndex.build(notices, aliases=BRAND_ALIASES)``), so that a listing naming
the brand either way is matched (brand + model: ``certain``; brand + title: ``probable``).

Add a group when a regulator or an audit shows a brand listed under another name. Only
names that identify the brand alone belong here: an alias that is also an everyday word
would let the brand tier match listings of anything. The next audit after a change
builds a new index (its key carries ``fingerprint()``).
"""

from __future__ import annotations

import hashlib
import json

# The brand as regulators usually write it -> the other names it is listed under.
BRAND_ALIASES: dict[str, tuple[str, ...]] = {
    "삼성전자": ("Samsung Electronics", "Samsung", "삼성"),
    "LG전자": ("LG Electronics", "엘지전자", "엘지"),
    "샤오미": ("Xiaomi", "小米"),
    "다이슨": ("Dyson",),
    "레고": ("LEGO",),
    "필립스": ("Philips",),
    "테팔": ("Tefal", "T-fal"),
    "쿠쿠": ("Cuckoo", "쿠쿠전자"),
    "마텔": ("Mattel",),
    "피셔프라이스": ("Fisher-Price", "Fisher Price"),
    "하스브로": ("Hasbro",),
    "일렉트로룩스": ("Electrolux",),
}


def fingerprint(aliases: dict[str, tuple[str, ...]] = BRAND_ALIASES) -> str:
    """Changes whenever the table does: what tells an index built with it from another."""
    canonical = json.dumps(sorted(aliases.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
