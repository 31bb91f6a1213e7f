"""The matching engine's rules: identifiers, tiers, near misses, Hangul, aliases,
bundles, the stored index and determinism."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.identifiers.products import gtin14, kc_certificate_key, model_key
from chalicelib.matching import CatalogueListing, Match, Matcher, MatchTier, NoticeIndex, Thresholds
from chalicelib.matching import matcher as matcher_module
from chalicelib.matching.index import IndexFormatError
from chalicelib.matching.text import folded_utf8, words
from chalicelib.matching.thresholds import ThresholdsError
from chalicelib.notices.model import Notice, NoticeContent, NoticeStatus, Product

THRESHOLDS = Thresholds(probable_similarity=0.9)


def notice(
    notice_id: str = "ntc-magnets",
    *,
    version: int = 1,
    status: NoticeStatus = NoticeStatus.ACTIVE,
    title: str | None = None,
    **product: Any,
) -> Notice:
    fields: dict[str, Any] = {
        "name": "Magnetic building block set",
        "brand": "KidsBlock",
        "models": ["KB-100", "KB-200"],
        "barcodes": ["8801234567893"],
        "kc_certificates": ["CB063R1234-5001"],
    }
    fields.update(product)
    content = NoticeContent(
        source_reference=notice_id, jurisdiction="KR", title=title, product=Product(**fields)
    )
    return Notice(
        notice_id=notice_id,
        regulator_id="kftc",
        version=version,
        status=status,
        received_at=datetime(2026, 12, 1, tzinfo=UTC),
        source_format="csv",
        content=content,
        content_hash=content.content_hash(),
    )


def matcher(*notices: Notice, **build: Any) -> Matcher:
    return Matcher(NoticeIndex.build(notices or [notice()], **build), THRESHOLDS)


def listing(title: str = "Wooden toy train", **fields: Any) -> CatalogueListing:
    return CatalogueListing(listing_id=fields.pop("listing_id", "L1"), title=title, **fields)


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


# -- identifier rules --------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [("8801234567893", "08801234567893"), ("96385074", "00000096385074"),
     ("0 36000 29145-2", "00036000291452"), ("12345", None), ("88012345678x3", None)],
)  # fmt: skip
def test_barcodes_are_compared_as_gtin14(written: str, key: str | None) -> None:
    assert gtin14(written) == key


@pytest.mark.parametrize(
    "written", ["KB-100", "KB100", "kb 100", "ＫＢ－１００", "kb_100", "Kb.100"]
)
def test_model_spellings_share_one_key(written: str) -> None:
    assert model_key(written) == "kb100"


def test_kc_certificate_key_squeezes_spaces_and_upper_cases() -> None:
    assert kc_certificate_key(" cb063r1234 -5001") == "CB063R1234-5001"


# -- certain -----------------------------------------------------------------------


@pytest.mark.parametrize("gtin", ["8801234567893", "08801234567893", "880-1234-567893"])
def test_gtin_alone_is_certain(gtin: str) -> None:
    found = only(matcher().match(listing("Unbranded toy", gtin=gtin)))

    assert found.tier is MatchTier.CERTAIN
    assert "gtin:08801234567893" in found.evidence


def test_kc_certificate_alone_is_certain() -> None:
    found = only(matcher().match(listing("toy", kc_certificate="cb063r1234-5001, XU1-001")))

    assert found.tier is MatchTier.CERTAIN
    assert "kc_certificate:CB063R1234-5001" in found.evidence


@pytest.mark.parametrize(
    ("title", "mpn", "evidence"),
    [
        ("KidsBlock toy KB-100", None, "model:kb100 (title)"),
        ("KIDSBLOCK toy kb 100", None, "model:kb100 (title)"),
        ("kidsblock toy KB100 blue", None, "model:kb100 (title)"),
        ("Kids Block toy", "kb-200", "model:kb200 (mpn)"),
    ],
)
def test_brand_and_model_are_certain(title: str, mpn: str | None, evidence: str) -> None:
    found = only(matcher().match(listing(title, mpn=mpn)))

    assert found.tier is MatchTier.CERTAIN
    assert evidence in found.evidence
    assert any(item.startswith("brand:") for item in found.evidence)


def test_brand_and_model_in_the_description_are_certain() -> None:
    found = only(matcher().match(listing("KidsBlock toy", description="Model: KB-200, 48 pcs")))

    assert "model:kb200 (description)" in found.evidence


def test_brand_and_batch_number_are_certain() -> None:
    index = matcher(notice(models=[], batch_numbers=["LOT 2024-05A"]))

    found = only(index.match(listing("KidsBlock blocks lot2024-05a")))

    assert found.tier is MatchTier.CERTAIN
    assert "batch:lot202405a (title)" in found.evidence


def test_model_without_the_brand_is_not_a_match() -> None:
    assert matcher().match(listing("Building set KB-100 for kids", brand="Lego")) == []


def test_model_must_be_whole_words() -> None:
    # KB-1000 and KB-100A are other models: the notice's key is a prefix of theirs.
    found = matcher().match(listing("KidsBlock magnetic building block set KB-1000"))
    assert all(match.tier is not MatchTier.CERTAIN for match in found)
    assert matcher().match(listing("KidsBlock magnetic building block set KB100A")) == []


def test_short_models_are_not_looked_for_in_titles() -> None:
    index = matcher(notice(models=["S"], name="Hair dryer"))

    assert index.match(listing("KidsBlock puzzle S size")) == []
    assert only(index.match(listing("KidsBlock thing", mpn="s"))).tier is MatchTier.CERTAIN


# -- probable and the tier boundary ------------------------------------------------


def test_brand_and_similar_title_are_probable() -> None:
    found = only(matcher().match(listing("KidsBlock magnetic building block set, 64 pcs")))

    assert found.tier is MatchTier.PROBABLE
    assert found.score >= THRESHOLDS.probable_similarity
    assert "brand:kidsblock" in found.evidence


def test_similarity_threshold_is_the_boundary() -> None:
    title = "KidsBlock magnetic building blocks"
    index = NoticeIndex.build([notice()])
    score = only(Matcher(index, Thresholds(probable_similarity=0.0)).match(listing(title))).score
    just_enough = Matcher(index, Thresholds(probable_similarity=score))
    too_strict = Matcher(index, Thresholds(probable_similarity=min(1.0, score + 0.0001)))

    assert score > 0
    assert only(just_enough.match(listing(title))).tier is MatchTier.PROBABLE
    assert too_strict.match(listing(title)) == []


def test_similar_title_without_the_brand_is_nothing() -> None:
    assert matcher().match(listing("Magnetic building block set", brand="Magformers")) == []


def test_same_brand_other_model_is_not_flagged() -> None:
    near_misses = [
        listing("KidsBlock magnetic building block set KB-500"),
        listing("KidsBlock magnetic building block set kb 300"),
        listing("KidsBlock magnetic building block set", mpn="KB-900"),
    ]

    for near_miss in near_misses:
        assert matcher().match(near_miss) == [], near_miss


def test_same_brand_other_product_is_not_flagged() -> None:
    assert matcher().match(listing("KidsBlock drawing board with stylus")) == []


@pytest.mark.parametrize(
    ("written", "listed", "key"),
    [
        ("8805550123450", "8805550123450", "08805550123450"),  # check digit
        ("88055501234", "880-5550-1234", "88055501234"),  # 11 digits: a digit left out
    ],
)
def test_suspect_barcode_is_probable_at_most(written: str, listed: str, key: str) -> None:
    index = matcher(notice(barcodes=[], suspect_barcodes=[written]))

    found = only(index.match(listing("Power bank", gtin=listed)))

    assert found.tier is MatchTier.PROBABLE
    assert f"suspect_gtin:{key}" in found.evidence


# -- text: Hangul, case, aliases, bundles ------------------------------------------


def korean_notice() -> Notice:
    return notice(
        "ntc-kr",
        name="어린이 자석 블록 장난감 세트",
        brand="키즈블록",
        title="Children's magnetic block toy set",
    )


def test_hangul_brand_and_model_are_certain() -> None:
    found = only(matcher(korean_notice()).match(listing("키즈블록 자석 블록 KB-100 정품")))

    assert found.tier is MatchTier.CERTAIN
    assert "brand:키즈블록" in found.evidence


def test_hangul_title_similarity_is_probable() -> None:
    found = only(
        matcher(korean_notice()).match(listing("[무료배송] 키즈블록 어린이 자석 블록 장난감 세트"))
    )

    assert found.tier is MatchTier.PROBABLE


def test_english_title_matches_a_korean_notice_through_an_alias() -> None:
    index = matcher(korean_notice(), aliases={"키즈블록": ["KidsBlock", "Kids Block"]})

    found = only(index.match(listing("Kids Block children's magnetic block toy set")))

    assert found.tier is MatchTier.PROBABLE
    assert "brand:kidsblock" in found.evidence


def test_brand_cell_alternatives_and_legal_forms() -> None:
    index = matcher(notice(brand="(주)키즈블록 (KidsBlock Co., Ltd.)"))

    assert only(index.match(listing("키즈블록 KB-100"))).tier is MatchTier.CERTAIN
    assert only(index.match(listing("kidsblock KB-100"))).tier is MatchTier.CERTAIN


def test_the_manufacturer_stands_for_a_missing_brand() -> None:
    index = matcher(notice(brand=None, manufacturer="Acme Toys Inc."))

    found = only(index.match(listing("ACME TOYS building set KB-200")))

    assert "brand:acmetoys" in found.evidence
    assert found.tier is MatchTier.CERTAIN


def test_multi_word_brand_in_any_spacing() -> None:
    index = matcher(notice(brand="Power Tank", models=["PT-10K"], name="Power bank 10000mAh"))

    for title in ("POWER TANK power bank PT10K", "PowerTank PT-10K", "powertank pt 10k"):
        assert only(index.match(listing(title))).tier is MatchTier.CERTAIN, title


def test_bundle_matches_both_products() -> None:
    power = notice(
        "ntc-power", brand="PowerTank", models=["PT-10K"], name="Power bank", barcodes=[]
    )
    index = matcher(notice(), power)

    found = index.match(listing("Bundle: KidsBlock KB-100 + PowerTank PT-10K"))

    assert [(m.notice_id, m.tier) for m in found] == [
        ("ntc-magnets", MatchTier.CERTAIN),
        ("ntc-power", MatchTier.CERTAIN),
    ]


# -- the index ---------------------------------------------------------------------


def test_index_keeps_the_latest_version_of_notices_in_force() -> None:
    index = NoticeIndex.build(
        [
            notice(version=1),
            notice(version=2, models=["KB-300"]),
            notice("ntc-gone", status=NoticeStatus.WITHDRAWN, brand="Gone"),
            notice("ntc-amended", status=NoticeStatus.AMENDED, brand="Other"),
        ]
    )
    found = only(Matcher(index, THRESHOLDS).match(listing("KidsBlock KB-300")))

    assert index.notice_ids == frozenset({"ntc-magnets", "ntc-amended"})
    assert (found.version, found.tier) == (2, MatchTier.CERTAIN)


def test_index_round_trip_matches_the_same() -> None:
    index = NoticeIndex.build([notice(), korean_notice()], aliases={"키즈블록": ["KidsBlock"]})
    loaded = NoticeIndex.loads(index.dumps())
    listings = [
        listing("KidsBlock magnetic building block set", listing_id="a"),
        listing("x", gtin="8801234567893", listing_id="b"),
        listing("키즈블록 KB-200", listing_id="c"),
    ]

    assert loaded.notice_ids == index.notice_ids
    assert loaded.dumps() == index.dumps()
    assert list(Matcher(loaded, THRESHOLDS).match_all(listings)) == list(
        Matcher(index, THRESHOLDS).match_all(listings)
    )


@pytest.mark.parametrize("data", [b"not zlib", b"x\x9c\x03\x00\x00\x00\x00\x01"])
def test_index_refuses_bytes_that_are_not_an_index(data: bytes) -> None:
    with pytest.raises(IndexFormatError):
        NoticeIndex.loads(data)


def test_matching_is_deterministic() -> None:
    notices = [notice(f"ntc-{n}", brand="KidsBlock", models=[f"KB-{n}00"]) for n in range(5)]
    title = "KidsBlock magnetic building block set KB-100 KB-300"

    first = matcher(*notices).match(listing(title))
    again = matcher(*reversed(notices)).match(listing(title))

    assert first == again
    # The other three have similar titles, but the listing names other models.
    assert [(m.notice_id, m.tier) for m in first] == [
        ("ntc-1", MatchTier.CERTAIN),
        ("ntc-3", MatchTier.CERTAIN),
    ]


# -- thresholds --------------------------------------------------------------------


def test_chosen_thresholds_load_from_the_checked_in_file() -> None:
    assert 0.0 < Thresholds.chosen().probable_similarity <= 1.0


def test_thresholds_refuse_unknown_or_out_of_range_values(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.json"
    path.write_text('{"thresholds": {"probable_similarity": 0.9, "typo": 1}}')
    with pytest.raises(ThresholdsError, match="typo"):
        Thresholds.chosen(path)
    with pytest.raises(ThresholdsError, match="between 0 and 1"):
        Thresholds(probable_similarity=90)


# -- property: similarity alone is never certain -----------------------------------

NOTICE_WORDS = [
    "kidsblock",
    "magnetic",
    "building",
    "block",
    "set",
    "키즈블록",
    "자석",
    "kb",
    "100",
]


@settings(max_examples=300, deadline=None)
@given(
    title=st.lists(st.sampled_from(NOTICE_WORDS) | st.text(min_size=1, max_size=8), max_size=12),
    brand=st.none() | st.sampled_from(["KidsBlock", "키즈블록", "kids block"]),
)
def test_similarity_alone_never_makes_certain(title: list[str], brand: str | None) -> None:
    """Without a barcode, KC number, model or batch, a listing is at most probable, however
    closely its title copies the notice's words (the model's words may appear, just not
    as the model)."""
    index = NoticeIndex.build([notice(), korean_notice()])
    text = " ".join(title)
    found = Matcher(index, Thresholds(probable_similarity=0.0)).match(listing(text, brand=brand))

    for match in found:
        if match.tier is MatchTier.CERTAIN:
            assert any(item.startswith(("model:", "batch:")) for item in match.evidence), match
            assert "kb100" in model_key(text) or "kb200" in model_key(text)


# A chunk of ASCII and precomposed Hangul syllables only is folded as bytes at once; any
# other character sends the chunk through the split by kind (ASCII, Unicode).
_HANGUL_OR_ASCII = st.text(
    st.characters(max_codepoint=127) | st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(_HANGUL_OR_ASCII, min_size=1, max_size=8)
    | st.lists(
        st.text(max_size=30) | st.text(st.characters(max_codepoint=127)) | _HANGUL_OR_ASCII,
        min_size=1,
        max_size=8,
    )
)
def test_titles_split_together_as_they_split_alone(texts: list[str]) -> None:
    folded, order = folded_utf8(texts)
    pieces = folded.split(b"\x00")
    by_position = dict(zip(order or range(len(texts)), pieces, strict=True))

    assert [by_position[k].decode().split() for k in range(len(texts))] == [
        words(text) for text in texts
    ]


def test_match_all_is_match_for_each_listing() -> None:
    listings = [
        listing("KidsBlock KB-100", listing_id="a"),
        listing("nul\x00inside KidsBlock KB-200", listing_id="b"),
        listing("Ｋｉｄｓ Ｂｌｏｃｋ magnetic building block set", listing_id="c"),
        listing("x", gtin="8801234567893", listing_id="d"),
        listing("magnetic building block set", brand="Kids-Block", listing_id="e"),
        listing("toy", brand="Other", listing_id="f"),
        listing("toy", brand="Other", gtin="0 036000 291452", listing_id="g"),
        # Codes the screen must let through: spaced or hyphenated, leading zeros, KC.
        listing("toy", gtin="880-1234-56789-3", listing_id="h"),
        listing("", gtin="08801234567893", listing_id="i"),
        listing("积木 ★", kc_certificate="CB063R1234-5001", listing_id="j"),
    ]
    one_by_one = [m for item in listings for m in matcher().match(item)]

    assert list(matcher().match_all(listings)) == one_by_one
    assert [m.listing_id for m in one_by_one] == ["a", "b", "c", "d", "e", "h", "i", "j"]


def test_match_each_pairs_every_matching_listing_with_its_own_matches() -> None:
    # Two rows share an id (a catalogue may repeat one); each keeps its own title.
    listings = [
        listing("KidsBlock KB-100", listing_id="same"),
        listing("toy", brand="Other", listing_id="none"),
        listing("KidsBlock KB-200", listing_id="same"),
    ]

    paired = list(matcher().match_each(listings))

    assert [(item.title, matches) for item, matches in paired] == [
        (item.title, matcher().match(item)) for item in (listings[0], listings[2])
    ]


def test_certain_only_matcher_leaves_probable_out() -> None:
    index = NoticeIndex.build([notice(suspect_barcodes=["8805550123450"])])
    certain_only = Matcher(index, THRESHOLDS, tiers=[MatchTier.CERTAIN])
    listings = [
        listing("KidsBlock magnetic building block set", listing_id="probable"),
        listing("Power bank", gtin="8805550123450", listing_id="suspect"),
        listing("KidsBlock KB-100", listing_id="certain"),
    ]

    assert [m.listing_id for m in certain_only.match_all(listings)] == ["certain"]
    with pytest.raises(ValueError, match="at least one tier"):
        Matcher(index, THRESHOLDS, tiers=[])


# -- property: the fast paths agree with judging every listing in full -------------

# Words and codes the notices below know, written the ways sellers vary them, beside
# their near misses: the matcher's shortcuts (the chunk screen, the barcode forms,
# certain alone) must never change what judging each listing in full says.
_LISTING_WORDS = st.sampled_from(
    [
        "KidsBlock", "kids", "BLOCK", "키즈블록", "Power", "Tank", "powertank", "acme",
        "KB-100", "kb", "100", "KB100", "KB-1000", "KB-300", "PT-10K", "pt10k", "LOT-7",
        "lot7", "magnetic", "building", "set", "자석", "블록", "세트", "Ｋｉｄｓ", "Ｂｌｏｃｋ",
        "ＫＢ－１００", "-", "/", "+", "1+1", "[무료배송]", "ß", "İ", "积木", "★", "\x00",
        "Kids\x00Block", "",
    ]
) | st.text(max_size=6)  # fmt: skip
_GTINS = st.sampled_from(
    [
        "8801234567893", "08801234567893", "0008801234567893", "880-1234-56789-3",
        "８８０１２３４５６７８９３", "8805550123450", "88055501234", "0088055501234",
        "000000088055501234", "12345", "0", "00000000000000", "880123456789x3", "٣٤٥",
        "4006381333931", "",
    ]
) | st.text(st.characters(min_codepoint=48, max_codepoint=57), max_size=16)  # fmt: skip


def _fast_path_notices() -> list[Notice]:
    return [
        notice(batch_numbers=["LOT-7"], suspect_barcodes=["88055501234", "٣٤٥"]),
        korean_notice(),
        notice(
            "ntc-power", brand="Power Tank", models=["PT-10K"], name="Power bank",
            barcodes=["4006381333931"], kc_certificates=[],
        ),
        notice("ntc-acme", brand=None, manufacturer="Acme", models=["KB-1000"], barcodes=[]),
    ]  # fmt: skip


_LISTINGS = st.lists(
    st.builds(
        CatalogueListing,
        listing_id=st.sampled_from(["a", "b"]),
        title=st.lists(_LISTING_WORDS, max_size=8).map(" ".join),
        brand=st.none()
        | st.sampled_from(["KidsBlock", "Kids-Block", "Power Tank", "(주)키즈블록", "Other", ""]),
        gtin=st.none() | _GTINS,
        mpn=st.none() | st.sampled_from(["KB-100", "kb 300", "PT10K", "LOT7", "X-1"]),
        kc_certificate=st.none() | st.sampled_from(["CB063R1234-5001", "XX", ""]),
        description=st.none() | st.lists(_LISTING_WORDS, max_size=4).map(" ".join),
    ),
    max_size=24,
)


@settings(max_examples=300, deadline=None)
@given(_LISTINGS, st.integers(min_value=1, max_value=7))
def test_fast_paths_give_what_judging_each_listing_in_full_gives(
    listings: list[CatalogueListing], chunk: int
) -> None:
    index = NoticeIndex.build(_fast_path_notices())
    every_tier = Matcher(index, Thresholds(probable_similarity=0.3))
    certain_only = Matcher(index, Thresholds(probable_similarity=0.3), tiers=[MatchTier.CERTAIN])
    in_full = [every_tier.match(item) for item in listings]

    # Small chunks: listings at a chunk's ends, chunks of one kind of text and mixed.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matcher_module, "_CHUNK", chunk)
        assert list(every_tier.match_all(listings)) == [m for found in in_full for m in found]
        assert list(certain_only.match_all(listings)) == [
            m for found in in_full for m in found if m.tier is MatchTier.CERTAIN
        ]


def test_importing_the_matching_package_does_not_load_arrow() -> None:
    # Every function's app imports chalicelib.matching; only the audit builds a
    # Matcher, so only its cold start may pay for Arrow.
    code = "import sys, chalicelib.matching; print('pyarrow' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "functions")}
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )

    assert ran.stdout.strip() == "False"
