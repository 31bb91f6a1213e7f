"""Canonical JSON: keys are the canonical field names (aliases accepted too), flat or
with nested ``product``/``hazard`` objects shaped like the notice model."""

from __future__ import annotations

from typing import Any

from chalicelib.intake.fields import canonical_field
from chalicelib.intake.formats.common import scalar_text
from chalicelib.intake.formats.json_items import load_json_items, records_from_items
from chalicelib.intake.raw import RawFile, RawRecord
from chalicelib.intake.rows import Problem
from chalicelib.notices.model import Hazard, Product

# Nested model fields whose canonical (flat) name differs from the model's name.
_PRODUCT_FIELDS = {name: name for name in Product.model_fields} | {
    "name": "product_name",
    "description": "product_description",
    "suspect_barcodes": "barcodes",  # re-validated like any barcode
}
_HAZARD_FIELDS = {name: f"hazard_{name}" for name in Hazard.model_fields} | {
    "risk_level": "risk_level"
}
_NESTED = {"product": _PRODUCT_FIELDS, "hazard": _HAZARD_FIELDS}


JsonText = str | list[str] | None


def read(text: str) -> RawFile:
    unknown: dict[str, None] = {}  # ordered set of unknown keys across items

    def fill(record: RawRecord, item: dict[str, Any]) -> None:
        unknown.update(dict.fromkeys(fill_record(record, item)))

    records = records_from_items(load_json_items(text), fill)
    return RawFile(records=records, unknown_fields=list(unknown))


def fill_record(record: RawRecord, item: dict[str, Any]) -> list[str]:
    """Map one canonical JSON object onto ``record``'s fields; returns the keys it does not
    know. Shared by notice files and the HTTPS API (``POST /v1/notices``)."""
    unknown: list[str] = []
    fields: dict[str, JsonText] = {}
    for key, value in _flat_items(item):
        field = _field_for(key)
        if field is None:
            unknown.append(key)
            continue
        try:
            fields[field] = _merged(fields.get(field), _text_value(value))
        except _NotText as wrong:
            record.problems.append(Problem(field, "not_text", f"{key}: {wrong}"))
    record.fields.update(fields)
    return unknown


class _NotText(ValueError):
    pass


def _flat_items(item: dict[str, Any]) -> list[tuple[str, Any]]:
    """(dotted key, value) pairs with the nested product/hazard objects opened."""
    pairs: list[tuple[str, Any]] = []
    for key, value in item.items():
        if key in _NESTED and isinstance(value, dict):
            pairs.extend((f"{key}.{inner}", inner_value) for inner, inner_value in value.items())
        else:
            pairs.append((key, value))
    return pairs


def _field_for(key: str) -> str | None:
    outer, _, inner = key.partition(".")
    if inner:
        return _NESTED[outer].get(inner)
    return canonical_field(key)


def _text_value(value: Any) -> JsonText:
    if isinstance(value, dict):
        raise _NotText("expected text or a list of text, got an object")
    if not isinstance(value, list):
        return scalar_text(value)
    texts = [scalar_text(item) for item in value if item is not None]
    if any(text is None for text in texts):
        raise _NotText("list items must be text or numbers")
    return [text for text in texts if text is not None]


def _merged(existing: JsonText, new: JsonText) -> JsonText:
    """Two keys for one field (``barcodes`` and ``product.suspect_barcodes``) add up."""
    if existing is None or new is None:
        return new if existing is None else existing
    return [*_as_list(existing), *_as_list(new)]


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
