"""Everything `psx` prints goes through ``echo``: text from notice files, platforms and
the API must not drive the operator's terminal.

A product name can carry an escape sequence (OSC 52 writes the clipboard, OSC 0 the
window title) or a bidirectional override that makes text read differently than it is.
Such characters are shown as ``\\u001b``-style escapes: visible, inert, and valid inside
a JSON string, so ``--json`` output stays JSON that decodes to the stored value.
"""

from __future__ import annotations

import re
from typing import Any

import click

# C0 but the newline (the layout's own line breaks), DEL, C1, and the invisible
# direction controls (Arabic letter mark, LRM/RLM, embeddings, overrides, isolates).
_CONTROLS = r"\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROLS}]")
_UNSAFE_OR_NEWLINE = re.compile(f"[{_CONTROLS}\\n]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str) -> str:
    """``text`` with every control character escaped except its line breaks."""
    return _UNSAFE.sub(_escaped, text)


def one_line(value: Any) -> Any:
    """Every text in ``value`` (nested dicts and lists too) with its control characters,
    line breaks included, escaped: a value laid out in a line stays in that line."""
    if isinstance(value, str):
        return _UNSAFE_OR_NEWLINE.sub(_escaped, value)
    if isinstance(value, dict):
        return {key: one_line(item) for key, item in value.items()}
    if isinstance(value, list):
        return [one_line(item) for item in value]
    return value


def echo(message: str, err: bool = False, **style: Any) -> None:
    """``click.secho`` of the printable ``message``; ``style`` (bold, …) is psx's own."""
    click.secho(printable(message), err=err, **style)
