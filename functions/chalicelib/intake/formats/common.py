"""Helpers every format reader shares."""

from __future__ import annotations


def scalar_text(value: object) -> str | None:
    """A JSON/spreadsheet scalar as text; None for null and for anything structured.

    Integral floats lose their ".0" because spreadsheets and JSON producers store
    barcodes and references as numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def shortened(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters for quoting in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
