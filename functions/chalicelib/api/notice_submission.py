"""A notice sent as JSON to ``POST /v1/notices`` (or the changes of an amendment): the
canonical JSON of notice files, judged by exactly the rules files are.

The request models name the canonical fields (``chalicelib/intake/fields.py``), flat or
with nested ``product``/``hazard`` objects shaped like the notice model. They check the
shape only (text or lists of text, no unknown keys: column aliases are for
spreadsheets, the API takes canonical names); the values then go through the same
reader and ``normalise_record`` as a file's rows.
"""

from __future__ import annotations

from typing import Any, get_origin

from pydantic import BaseModel, ConfigDict, Field, create_model

from chalicelib.api.problems import FieldError, invalid, json_pointer
from chalicelib.intake.fields import CANONICAL_FIELDS, LIST_FIELDS
from chalicelib.intake.formats.canonical_json import fill_record
from chalicelib.intake.normalise import normalise_record
from chalicelib.intake.raw import RawRecord
from chalicelib.intake.rows import Problem
from chalicelib.notices.model import Hazard, NoticeContent, Product
from chalicelib.settings import Settings

Text = str | None
Texts = str | list[str] | None
_FORBID = ConfigDict(extra="forbid")
_EXAMPLE: dict[str, Any] = {
    "source_reference": "KR-2025-0142",
    "kind": "order",
    "jurisdiction": "KR",
    "title": "Magnetic building blocks: swallowing hazard",
    "product": {
        "name": "Magnetic building blocks",
        "brand": "KidBlocks",
        "models": ["KB-100"],
        "barcodes": ["8801234567893"],
    },
    "hazard": {"types": ["Injuries"], "description": "Small magnets can be swallowed"},
    "measures": ["Withdrawal from the market"],
    "target_platforms": ["temu"],
}
_MULTI_VALUED = frozenset(LIST_FIELDS) | {"barcodes", "kc_certificates"}
LOCATOR = "request body"
# A receipt lists this many warnings at most: a notice of thousands of mistyped barcodes
# has a warning each, and the receipt is kept for replays in one bounded record.
MAX_RECEIPT_WARNINGS = 100


def _fields_model(
    name: str,
    doc: str,
    fields: dict[str, bool],
    config: ConfigDict = _FORBID,
    **extra: Any,
) -> type[BaseModel]:
    """A model of optional text fields (lists of text where ``fields[name]`` is True)."""
    definitions: dict[str, Any] = {
        field: (Texts if multi else Text, Field(default=None)) for field, multi in fields.items()
    }
    return create_model(name, __config__=config, __doc__=doc, **definitions, **extra)


def _multi_valued(model: type[BaseModel]) -> dict[str, bool]:
    return {name: get_origin(f.annotation) is list for name, f in model.model_fields.items()}


ProductFields = _fields_model(
    "ProductFields", "The product, with the notice model's field names.", _multi_valued(Product)
)
HazardFields = _fields_model(
    "HazardFields", "The hazard, with the notice model's field names.", _multi_valued(Hazard)
)
_NESTED: dict[str, Any] = {
    "product": (ProductFields | None, Field(default=None)),
    "hazard": (HazardFields | None, Field(default=None)),
}
# Yes/no fields: a JSON boolean, or the text a file cell would hold ("yes", "1", ...).
_FLAGS: dict[str, Any] = {
    "global_watch": (
        bool | Text,
        Field(
            default=None,
            description="true: the audit looks for the product on every platform's "
            "catalogue, and a match on a platform the notice was not sent to is a "
            "found_elsewhere finding (default false: only the platforms it was sent to).",
        ),
    )
}
NoticeSubmission = _fields_model(
    "NoticeSubmission",
    "One notice in canonical JSON: the field names of the notice file template (docs), "
    "flat or with nested product and hazard objects. Lists may be given as one text "
    "with line breaks, commas or semicolons. status is active or withdrawn.",
    {name: name in _MULTI_VALUED for name in CANONICAL_FIELDS if name not in _FLAGS},
    ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]}),
    **_NESTED,
    **_FLAGS,
)


def submitted_fields(submission: BaseModel) -> dict[str, Any]:
    """What the client sent, as a canonical JSON object (absent fields stay absent)."""
    data = submission.model_dump(exclude_unset=True)
    # A null product/hazard object means "nothing to say", not a null product name.
    return {key: value for key, value in data.items() if key not in _NESTED or value is not None}


def raw_record(data: dict[str, Any]) -> RawRecord:
    record = RawRecord(row=1, locator=LOCATOR)
    unknown = fill_record(record, data)
    if unknown:  # the request models forbid unknown keys; this is a stored notice's dump
        raise ValueError(f"not canonical fields: {unknown}")
    return record


def amended_record(current: NoticeContent, changes: dict[str, Any]) -> RawRecord:
    """The current notice with ``changes`` applied, field by field (null clears a field)."""
    base = raw_record(current.model_dump(mode="json"))
    patch = raw_record(changes)
    return RawRecord(
        row=1, locator=LOCATOR, fields={**base.fields, **patch.fields}, problems=patch.problems
    )


def validated_content(
    record: RawRecord, settings: Settings, regulator_id: str, under: tuple[str, ...] = ()
) -> tuple[NoticeContent, list[FieldError]]:
    """The notice, and its warnings; raises a 400 problem listing what a file row would
    be rejected for. ``under`` is where the fields sit in the request body."""
    row = normalise_record(
        record, limits=settings.limits, defaults=settings.regulator_defaults(regulator_id)
    )
    if row.content is None or row.errors:
        raise invalid([field_error(p, under) for p in row.errors], "the notice is not valid")
    return row.content, _receipt_warnings([field_error(p, under) for p in row.warnings])


def _receipt_warnings(warnings: list[FieldError]) -> list[FieldError]:
    if len(warnings) <= MAX_RECEIPT_WARNINGS:
        return warnings
    rest = len(warnings) - MAX_RECEIPT_WARNINGS + 1
    summary = FieldError(detail=f"{rest:,} more warnings not listed", code="more_warnings")
    return [*warnings[: MAX_RECEIPT_WARNINGS - 1], summary]


def field_error(problem: Problem, under: tuple[str, ...] = ()) -> FieldError:
    """A file problem (located by canonical field name) located in the request body."""
    field = () if problem.field in {"row", "file"} else (problem.field,)
    return FieldError(
        detail=problem.message, code=problem.code, pointer=json_pointer((*under, *field))
    )
