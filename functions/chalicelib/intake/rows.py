"""What parsing a notice file yields: per-row outcomes with located problems."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.notices.model import NoticeContent


@dataclass(frozen=True)
class Problem:
    """A rejection reason or a warning, pinned to a field."""

    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass(slots=True)  # no __dict__ per row to build and free
class ParsedRow:
    """One record of the file. ``row`` is 1-based and counts as the regulator sees it
    (spreadsheet row number including the header, JSON item number, XML notification number)."""

    row: int
    locator: str
    content: NoticeContent | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.content is not None and not self.errors


@dataclass
class ParsedFile:
    """A whole file. ``refused`` is set when nothing in it could be read at all."""

    format: str
    rows: list[ParsedRow] = field(default_factory=list)
    refused: Problem | None = None
    warnings: list[Problem] = field(default_factory=list)
