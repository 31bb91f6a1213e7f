"""Canonical field names of a notice row and every column name we accept for them.

The canonical names are what a regulator writes in the header of the template CSV/XLSX
or as keys of canonical JSON. Aliases cover English spelling variants, the Korean
headers regulators actually use, and the native field names of the Korean feeds
(SafetyKorea, Consumer24) so their exports load unchanged. Matching ignores case,
spaces, underscores, hyphens and dots: "Product name", "product_name" and
"PRODUCT NAME" are the same column.
"""

from __future__ import annotations

import re

TEXT_FIELDS = (
    "source_reference",
    "title",
    "product_name",
    "product_description",
    "brand",
    "manufacturer",
    "company_recall_code",
    "category",
    "country_of_origin",
    "hazard_description",
    "risk_level",
    "remedy",
    "consumer_contact",
    "source_url",
)
LIST_FIELDS = (
    "models",
    "batch_numbers",
    "production_dates",
    "pictures",
    "hazard_types",
    "measures",
    "target_platforms",
)
# Fields with their own interpretation rules in normalise.py.
SPECIAL_FIELDS = (
    "barcodes",
    "kc_certificates",
    "issued_on",
    "kind",
    "status",
    "global_watch",
    "jurisdiction",
    "language",
)
CANONICAL_FIELDS = TEXT_FIELDS + LIST_FIELDS + SPECIAL_FIELDS

ALIASES: dict[str, tuple[str, ...]] = {
    "source_reference": (
        "reference",
        "notice reference",
        "recall number",
        "recall id",
        "case number",
        "리콜번호",
        "관리번호",
        "recallUid",
    ),
    "kind": (
        "notice kind",
        "notice type",
        "order or notice",
        "조치구분",
        "리콜종류",
        "recallTypeName",
        "recallSe",
    ),
    "issued_on": (
        "issue date",
        "issued",
        "date",
        "recall date",
        "published on",
        "공표일",
        "공표일자",
        "게시일",
        "리콜일",
        "리콜일자",
        "publishDate",
        "recallPublictBgnde",
    ),
    "jurisdiction": ("country", "국가"),
    "language": ("lang", "언어"),
    "title": ("notice title", "제목"),
    "product_name": (
        "product",
        "name",
        "제품명",
        "품목명",
        "상품명",
        "recallProductName",
        "productNm",
    ),
    "product_description": ("description", "제품설명", "설명"),
    "brand": ("brand name", "브랜드", "상표명", "상표", "recallBrandName"),
    "manufacturer": ("maker", "제조사", "제조업체", "제조자", "makerName", "makr"),
    "models": (
        "model",
        "model number",
        "model numbers",
        "type number",
        "모델명",
        "모델",
        "recallModelName",
        "modlNmInfo",
    ),
    "barcodes": ("barcode", "gtin", "ean", "upc", "바코드", "바코드번호", "barcodeNum", "stdBrcd"),
    "batch_numbers": ("batch number", "batch", "lot number", "lot", "제조번호", "로트번호"),
    "company_recall_code": ("recall code",),
    "production_dates": ("production date", "제조일자", "생산일자"),
    "kc_certificates": (
        "kc certificate",
        "kc",
        "certificate number",
        "인증번호",
        "KC인증번호",
        "안전인증번호",
        "certNum",
    ),
    "category": ("product category", "분류", "카테고리"),
    "country_of_origin": ("origin", "원산지", "제조국"),
    "pictures": ("picture", "images", "image", "photo", "사진", "이미지"),
    "hazard_types": ("hazard type", "risk type", "위해유형", "리콜유형"),
    "hazard_description": ("hazard", "danger", "위해내용", "결함내용", "harmDscr", "shrtcomCn"),
    "risk_level": ("level", "위해등급", "위험등급"),
    "measures": ("measure", "action", "조치", "조치내용", "리콜조치"),
    "remedy": ("시정방법",),
    "consumer_contact": ("contact", "문의처", "연락처"),
    "target_platforms": ("platforms", "platform", "대상플랫폼"),
    "source_url": ("url", "link", "링크"),
    "status": ("withdrawn", "상태"),
    "global_watch": ("global", "watch globally", "전체플랫폼"),
}

_IGNORED_IN_NAMES = re.compile(r"[\s_\-.]+")


def _key(name: str) -> str:
    return _IGNORED_IN_NAMES.sub("", name).casefold()


_LOOKUP: dict[str, str] = {
    _key(alias): canonical
    for canonical in CANONICAL_FIELDS
    for alias in (canonical, *ALIASES.get(canonical, ()))
}


def canonical_field(name: str) -> str | None:
    """The canonical field a column/key name stands for, or None if we do not know it."""
    return _LOOKUP.get(_key(name))
