"""Limits an intake file must respect; configurable per deployment (see settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IntakeLimits:
    max_file_bytes: int = 25 * 1024 * 1024
    max_rows: int = 50_000
    max_cell_chars: int = 20_000


@dataclass(frozen=True)
class RegulatorDefaults:
    """What a regulator's rows may omit: its own jurisdiction and language, and (set
    per file, by a feed) the platforms its notices go to."""

    jurisdiction: str | None = None
    language: str | None = None
    target_platforms: tuple[str, ...] = ()
