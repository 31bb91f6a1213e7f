"""A synthetic marketplace catalogue against synthetic active notices, with a labelled
ground truth: which listings are which notice's product.

Planted positives: the notice's GTIN present, absent or mistyped; model numbers with
other punctuation and spacing; the brand in other case, another spelling or a Korean
brand's Latin name; Korean and English titles; KC certificates; bundles naming two
notices' products. Hard negatives: the same brand with another model (in the title or
the mpn); the same product type and words under another brand; titles sharing the
notices' generic words; the same brand selling another product. Everything else is
background: other brands, other products, their own barcodes.

Deterministic for a seed: the bench and its curve are reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.identifiers.products import gtin_check_digit
from chalicelib.matching import CatalogueListing
from chalicelib.notices.model import Notice, NoticeContent, NoticeStatus, Product

# (English name, Korean name) of product types; the words sellers add to titles.
CATEGORIES = [
    ("magnetic building block set", "자석 블록 장난감 세트"),
    ("power bank 10000mAh", "보조배터리 10000mAh"),
    ("hair dryer with diffuser", "헤어 드라이어"),
    ("baby walker with music", "아기 보행기"),
    ("infant bath seat", "유아 목욕 의자"),
    ("LED night light", "LED 수면등"),
    ("electric kettle 1.7L", "전기 주전자 1.7L"),
    ("children's rain boots", "어린이 장화"),
    ("plush teddy bear", "곰 인형"),
    ("slime making kit", "슬라임 만들기 키트"),
    ("USB-C charging cable", "USB-C 충전 케이블"),
    ("rechargeable hand warmer", "충전식 손난로"),
    ("silicone baby pacifier", "실리콘 아기 공갈젖꼭지"),
    ("remote control toy car", "RC 자동차 장난감"),
    ("kids water bottle", "어린이 물병"),
    ("folding baby stroller", "접이식 유모차"),
    ("crib bumper pad", "아기침대 범퍼"),
    ("electric scooter", "전동 킥보드"),
    ("long lasting lipstick", "롱래스팅 립스틱"),
    ("wooden puzzle for toddlers", "유아 원목 퍼즐"),
    ("bicycle helmet for kids", "어린이 자전거 헬멧"),
    ("space heater 2000W", "전기 히터 2000W"),
    ("baby teether ring", "아기 치발기"),
    ("finger spinner toy", "핑거 스피너 장난감"),
    ("portable fan", "휴대용 선풍기"),
    ("glow in the dark stickers", "야광 스티커"),
    ("baby high chair", "아기 식탁 의자"),
    ("kids smart watch", "어린이 스마트워치"),
    ("aroma diffuser", "아로마 디퓨저"),
    ("magnetic drawing board", "자석 그림판"),
]
EXTRAS_EN = ["new", "2026", "hot sale", "free shipping", "for kids", "gift", "pack of 2",
             "blue", "pink", "black", "official", "best seller", "set", "toy",
             "premium"]  # fmt: skip
EXTRAS_KO = ["[무료배송]", "정품", "당일발송", "선물", "어린이", "세트", "신상", "특가", "1+1"]
# Words of the notices' names that catalogue titles share without being the product.
GENERIC = ["set", "kids", "toy", "baby", "for", "children's", "with", "어린이", "세트", "장난감"]
LATIN_SYLLABLES = ["ka", "zo", "mi", "tra", "lex", "lu", "vo", "ne", "ri", "ta", "po", "sen",
                   "dra", "flo", "gi", "qua", "ber", "lin", "mar", "tek", "ro", "vi", "xo", "nu",
                   "sha", "bel", "cor", "dex", "fin", "gor"]  # fmt: skip
HANGUL_SYLLABLES = ["키", "즈", "블", "록", "파", "워", "탱", "크", "하", "나", "미",
                    "소", "다", "온", "별", "빛", "루", "아", "린", "솔", "모", "두",
                    "해", "달"]  # fmt: skip
JURISDICTIONS = ["KR", "KR", "KR", "DE", "FR", "US"]


@dataclass(frozen=True)
class Brand:
    name: str  # as the notice writes it (Korean brands: Hangul)
    latin: str | None = None  # a Korean brand's Latin name (an alias)


@dataclass(frozen=True)
class PlantedNotice:
    notice: Notice
    brand: Brand
    category: int
    models: tuple[str, ...]
    model_prefix: str
    gtins: tuple[str, ...]
    kc: str | None


@dataclass
class Catalogue:
    notices: list[PlantedNotice]
    aliases: dict[str, list[str]]
    listings: list[CatalogueListing]
    # listing id -> the notices it is (absent: none); the ground truth.
    truth: dict[str, frozenset[str]]
    # listing id -> how it was planted ("gtin", "model_title", "same_brand_other_model"...).
    kinds: dict[str, str] = field(default_factory=dict)


def gtin13(rng: random.Random, prefix: str) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(12 - len(prefix)))
    return body + str(gtin_check_digit(body))


def mistyped(rng: random.Random, code: str) -> str:
    """One digit changed: the check digit catches it, as it does most typos."""
    position = rng.randrange(len(code) - 1)
    digit = str((int(code[position]) + rng.randint(1, 9)) % 10)
    return code[:position] + digit + code[position + 1 :]


class _Names:
    """Unique brand names and model prefixes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make: Callable[[], str]) -> str:
        """A name that is no other brand's name, nor a word of one (a brand "Vita" and
        a brand "Vita Giex" are a labelling question, not a matching one)."""
        while True:
            name = make()
            parts = name.casefold().split()
            keys = {"".join(parts), *parts}
            if self.used.isdisjoint(keys):
                self.used.update(keys)
                return name

    def latin(self) -> str:
        rng = self.rng

        def make() -> str:
            word = "".join(rng.choice(LATIN_SYLLABLES) for _ in range(rng.randint(2, 3)))
            if rng.random() < 0.2:  # a two-word brand: "Vone Tek"
                return f"{word.capitalize()} {rng.choice(LATIN_SYLLABLES).capitalize()}ex"
            return word.capitalize()

        return self._unique(make)

    def hangul(self) -> str:
        rng = self.rng
        return self._unique(
            lambda: "".join(rng.choice(HANGUL_SYLLABLES) for _ in range(rng.randint(3, 4)))
        )

    def brand(self) -> Brand:
        if self.rng.random() < 0.5:
            return Brand(self.hangul(), self.latin())
        return Brand(self.latin())


def _model(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while True:
        model = f"{prefix}-{rng.randint(10, 9999)}" + (
            rng.choice("ABS") if rng.random() < 0.2 else ""
        )
        if model not in taken:
            taken.add(model)
            return model


def _prefix(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXZ") for _ in range(rng.randint(2, 3)))


def make_notices(rng: random.Random, count: int, names: _Names) -> list[PlantedNotice]:
    brands = [names.brand() for _ in range(int(count * 0.7))]
    notices = []
    prefixes: dict[str, str] = {}
    categories: dict[str, set[int]] = {}
    taken: set[str] = set()
    for number in range(count):
        brand = rng.choice(brands)
        prefix = prefixes.setdefault(brand.name, _prefix(rng))
        # One notice per product type of a brand: two notices about the same brand's
        # hair dryer would make a title-only listing ambiguous by construction.
        used = categories.setdefault(brand.name, set())
        category = rng.choice([c for c in range(len(CATEGORIES)) if c not in used])
        used.add(category)
        models = tuple(_model(rng, prefix, taken) for _ in range(rng.randint(1, 3)))
        korean = brand.latin is not None
        jurisdiction = "KR" if korean else rng.choice(JURISDICTIONS[3:])
        gtins = tuple(gtin13(rng, "880" if korean else "40") for _ in range(rng.randint(0, 2)))
        suspect = [mistyped(rng, gtin13(rng, "880"))] if rng.random() < 0.05 else []
        kc = f"CB{rng.randint(10, 99)}{rng.randint(100000, 999999)}-{rng.randint(1000, 9999)}"
        kc_numbers = [kc] if korean and rng.random() < 0.5 else []
        english, hangul = CATEGORIES[category]
        # A Korean notice names the product in Korean and is titled in English; half its
        # brand cells give the Latin name too, the rest rely on the alias table.
        brand_cell = brand.name
        if korean and number % 2:
            brand_cell = f"{brand.name} ({brand.latin})"
        content = NoticeContent(
            source_reference=f"BENCH-{number:05d}",
            jurisdiction=jurisdiction,
            title=english if korean else None,
            product=Product(
                name=hangul if korean else english,
                brand=brand_cell,
                models=list(models),
                barcodes=list(gtins),
                suspect_barcodes=suspect,
                kc_certificates=kc_numbers,
                batch_numbers=[f"LOT{rng.randint(1000, 9999)}"] if rng.random() < 0.1 else [],
            ),
        )
        notice = Notice(
            notice_id=f"ntc-bench-{number:05d}",
            regulator_id="kftc" if korean else "bench",
            version=1,
            status=NoticeStatus.ACTIVE,
            received_at=datetime(2026, 12, 1, tzinfo=UTC),
            source_format="csv",
            content=content,
            content_hash=content.content_hash(),
        )
        notices.append(
            PlantedNotice(
                notice,
                brand,
                category,
                models,
                prefix,
                gtins,
                kc_numbers[0] if kc_numbers else None,
            )
        )
    return notices


def model_variant(rng: random.Random, model: str) -> str:
    """How sellers write a model: KB-100, KB100, kb 100, Kb-100 ..."""
    prefix, _, number = model.partition("-")
    separator = rng.choice(["-", "", " ", "-", "_"])
    written = f"{prefix}{separator}{number}"
    return rng.choice([written, written.lower(), written.upper(), written.capitalize()])


def brand_variant(rng: random.Random, brand: Brand) -> str:
    """The brand in another case, its Latin name, or run together / spaced."""
    name = brand.latin if brand.latin and rng.random() < 0.5 else brand.name
    choice = rng.random()
    if choice < 0.25:
        return name.upper()
    if choice < 0.5:
        return name.lower()
    if choice < 0.6 and " " in name:
        return name.replace(" ", "")
    return name


def paraphrase(rng: random.Random, name: str) -> str:
    """How a seller words a product type: a word left out, two letters swapped, Korean
    words run together ("자석블록"), the words in another order."""
    parts = name.split()
    if len(parts) >= 3 and rng.random() < 0.3:
        del parts[rng.randrange(len(parts))]
    if rng.random() < 0.15:
        position = rng.randrange(len(parts))
        word = parts[position]
        if len(word) >= 4:
            at = rng.randrange(len(word) - 1)
            parts[position] = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if len(parts) >= 2 and rng.random() < 0.2:
        at = rng.randrange(len(parts) - 1)
        parts[at : at + 2] = [parts[at] + parts[at + 1]]
    if rng.random() < 0.2:
        rng.shuffle(parts)
    return " ".join(parts)


class _Listings:
    def __init__(self, rng: random.Random, notices: list[PlantedNotice], names: _Names) -> None:
        self.rng = rng
        self.notices = notices
        self.background_brands = [names.brand() for _ in range(5000)]
        # Per brand, every model and product type of its notices: a hard negative must
        # be none of them.
        self.brand_models: dict[str, set[str]] = {}
        self.brand_categories: dict[str, set[int]] = {}
        for planted in notices:
            self.brand_models.setdefault(planted.brand.name, set()).update(planted.models)
            self.brand_categories.setdefault(planted.brand.name, set()).add(planted.category)
        self.listings: list[CatalogueListing] = []
        self.truth: dict[str, frozenset[str]] = {}
        self.kinds: dict[str, str] = {}

    def add(
        self, kind: str, matches: tuple[PlantedNotice, ...], title: str, **fields: str | None
    ) -> None:
        listing_id = f"L{len(self.listings):07d}"
        rng = self.rng
        self.listings.append(
            CatalogueListing(
                listing_id=listing_id,
                title=title,
                seller_id=f"S{rng.randrange(20000):05d}",
                price=f"{rng.randint(3, 200)}.99 USD",
                availability="in_stock",
                link=f"https://market.example/item/{listing_id}",
                **fields,  # type: ignore[arg-type]
            )
        )
        self.kinds[listing_id] = kind
        if matches:
            self.truth[listing_id] = frozenset(p.notice.notice_id for p in matches)

    def title(self, brand: str, category: int, model: str | None, korean: bool) -> str:
        rng = self.rng
        english, hangul = CATEGORIES[category]
        name = paraphrase(rng, hangul if korean else english)
        extras = rng.sample(EXTRAS_KO if korean else EXTRAS_EN, rng.randint(0, 2))
        parts = [brand, name, *([model] if model else [])]
        if rng.random() < 0.3:  # sellers also put the model first, or the name first
            rng.shuffle(parts)
        return " ".join([*extras[:1], *parts, *extras[1:]])

    def korean_title(self, planted: PlantedNotice, brand: str) -> bool:
        # A Korean brand's Hangul name goes with a Korean title; its Latin name with either.
        if brand.casefold() == planted.brand.name.casefold():
            return planted.brand.latin is not None
        return planted.brand.latin is not None and self.rng.random() < 0.3

    # -- positives ---------------------------------------------------------------

    def positive(self) -> None:
        rng = self.rng
        planted = rng.choice(self.notices)
        brand = brand_variant(rng, planted.brand)
        korean = self.korean_title(planted, brand)
        model = model_variant(rng, rng.choice(planted.models))
        kind = rng.choices(
            ["gtin", "gtin_mistyped", "model_title", "model_description", "mpn", "kc",
             "title_only", "bundle"],
            weights=[18, 12, 20, 5, 10, 5, 20, 10],
        )[0]  # fmt: skip
        if kind == "gtin" and planted.gtins:
            title = self.title(
                brand, planted.category, model if rng.random() < 0.5 else None, korean
            )
            self.add(kind, (planted,), title, gtin=rng.choice(planted.gtins), brand=brand)
        elif kind == "gtin_mistyped" and planted.gtins:
            gtin = mistyped(rng, rng.choice(planted.gtins))
            self.add(
                kind, (planted,), self.title(brand, planted.category, model, korean), gtin=gtin
            )
        elif kind == "model_description":
            title = self.title(brand, planted.category, None, korean)
            self.add(kind, (planted,), title, description=f"Model {model}. Ships in 2 days.")
        elif kind == "mpn":
            self.add(
                kind,
                (planted,),
                self.title(brand, planted.category, None, korean),
                mpn=model,
                brand=brand,
            )
        elif kind == "kc" and planted.kc:
            self.add(
                kind,
                (planted,),
                self.title("", planted.category, None, True).strip(),
                kc_certificate=planted.kc,
            )
        elif kind == "title_only":
            self.add(kind, (planted,), self.title(brand, planted.category, None, korean))
        elif kind == "bundle":
            other = rng.choice(self.notices)
            if other is planted:
                return
            second = (
                f"{brand_variant(rng, other.brand)} {model_variant(rng, rng.choice(other.models))}"
            )
            title = f"{brand} {model} + {second} bundle"
            self.add(kind, (planted, other), title)
        else:  # model_title, and the kinds this notice has no identifier for
            self.add("model_title", (planted,), self.title(brand, planted.category, model, korean))

    # -- hard negatives ------------------------------------------------------------

    def hard_negative(self) -> None:
        rng = self.rng
        planted = rng.choice(self.notices)
        kind = rng.choices(
            ["same_brand_other_model", "same_category_other_brand", "generic_words",
             "same_brand_other_product"],
            weights=[35, 30, 15, 20],
        )[0]  # fmt: skip
        other_brand = rng.choice(self.background_brands)
        if kind == "same_brand_other_model":
            brand = brand_variant(rng, planted.brand)
            other = _model(rng, planted.model_prefix, set(self.brand_models[planted.brand.name]))
            korean = self.korean_title(planted, brand)
            if rng.random() < 0.5:
                self.add(
                    kind, (), self.title(brand, planted.category, model_variant(rng, other), korean)
                )
            else:
                self.add(kind, (), self.title(brand, planted.category, None, korean), mpn=other)
        elif kind == "same_category_other_brand":
            model = _model(rng, _prefix(rng), set())
            korean = planted.brand.latin is not None
            self.add(
                kind,
                (),
                self.title(other_brand.name, planted.category, model, korean),
                gtin=gtin13(rng, "880"),
            )
        elif kind == "generic_words":
            words = " ".join(rng.sample(GENERIC, 3))
            self.add(
                kind,
                (),
                f"{other_brand.name} {words} {CATEGORIES[rng.randrange(len(CATEGORIES))][0]}",
            )
        else:
            brand = brand_variant(rng, planted.brand)
            sold = self.brand_categories[planted.brand.name]
            category = rng.choice([c for c in range(len(CATEGORIES)) if c not in sold])
            self.add(kind, (), self.title(brand, category, None, self.korean_title(planted, brand)))

    def background(self) -> None:
        rng = self.rng
        brand = rng.choice(self.background_brands)
        korean = brand.latin is not None and rng.random() < 0.7
        name = brand.name if korean or not brand.latin else brand.latin
        model = _model(rng, _prefix(rng), set()) if rng.random() < 0.6 else None
        gtin = gtin13(rng, "880" if korean else "40") if rng.random() < 0.6 else None
        self.add(
            "background",
            (),
            self.title(name, rng.randrange(len(CATEGORIES)), model, korean),
            gtin=gtin,
            brand=name if rng.random() < 0.5 else None,
        )


def generate(
    listings: int = 1_000_000,
    notices: int = 1_000,
    *,
    positives: float = 0.02,
    hard_negatives: float = 0.05,
    seed: int = 12,
) -> Catalogue:
    rng = random.Random(seed)
    names = _Names(rng)
    planted = make_notices(rng, notices, names)
    maker = _Listings(rng, planted, names)
    while len(maker.listings) < listings:
        draw = rng.random()
        if draw < positives:
            maker.positive()
        elif draw < positives + hard_negatives:
            maker.hard_negative()
        else:
            maker.background()
    aliases = {p.brand.name: [p.brand.latin] for p in planted if p.brand.latin}
    return Catalogue(planted, aliases, maker.listings, maker.truth, maker.kinds)


def truth_pairs(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    for listing_id, notice_ids in catalogue.truth.items():
        for notice_id in notice_ids:
            yield listing_id, notice_id
