"""JSON documents (one object, an array, or JSON Lines) as numbered items, shared by the
canonical JSON and CPSC readers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.intake.raw import FileRefused, RawRecord
from chalicelib.intake.rows import Problem


@dataclass(frozen=True)
class JsonItem:
    row: int
    locator: str
    value: Any = None
    problem: Problem | None = None


# Fills a record's fields from one JSON object.
ObjectMapper = Callable[[RawRecord, dict[str, Any]], None]


def load_json_items(text: str) -> list[JsonItem]:
    """Items of the document. Rows are item numbers in an array and line numbers in JSON
    Lines, where one broken line rejects that line only."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as bad:
        lines = _json_lines(text)
        if lines is None:
            raise FileRefused(
                "json_malformed",
                f"the JSON is malformed at line {bad.lineno}, column {bad.colno}: {bad.msg}",
            ) from bad
        return lines
    except RecursionError as deep:
        raise FileRefused("json_malformed", "the JSON nests too deeply to be a notice") from deep
    if isinstance(document, list):
        return [JsonItem(n, f"item {n}", value) for n, value in enumerate(document, start=1)]
    if isinstance(document, dict):
        return [JsonItem(1, "item 1", document)]
    raise FileRefused(
        "json_not_records", "the JSON must be an object, an array of objects, or JSON Lines"
    )


def records_from_items(items: list[JsonItem], fill: ObjectMapper) -> list[RawRecord]:
    records = []
    for item in items:
        record = RawRecord(row=item.row, locator=item.locator)
        if item.problem:
            record.problems.append(item.problem)
        elif isinstance(item.value, dict):
            fill(record, item.value)
        else:
            record.problems.append(
                Problem(
                    "row",
                    "not_an_object",
                    f"{item.locator} is a JSON {_json_type(item.value)}, not an object",
                )
            )
        records.append(record)
    return records


def _json_type(value: Any) -> str:
    names = {str: "string", list: "array", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _json_lines(text: str) -> list[JsonItem] | None:
    """Items of a JSON Lines document, or None if ``text`` is not one (its first line
    must be a complete JSON object on its own)."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(numbered) < 2 or not isinstance(_loads(numbered[0][1]), dict):
        return None
    return [_line_item(number, line) for number, line in numbered]


def _line_item(number: int, line: str) -> JsonItem:
    locator = f"line {number}"
    try:
        return JsonItem(number, locator, json.loads(line))
    except json.JSONDecodeError as bad:
        reason = f"{locator} is not valid JSON (column {bad.colno}: {bad.msg})"
    except RecursionError:
        reason = f"{locator} nests too deeply to be a notice"
    return JsonItem(number, locator, problem=Problem("row", "json_malformed", reason))


def _loads(line: str) -> Any:
    try:
        return json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None
