"""What a format reader hands to normalisation: records keyed by canonical field name.

Readers only *map* (native field → canonical field); they never judge values. The
one exception is structure they cannot map at all (a JSON item that is not an
object), which they record as a problem on the record so the row is rejected with
its location instead of the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from chalicelib.intake.rows import Problem

# A spreadsheet cell can be a real date (Excel), so dates travel unconverted to the
# one place that interprets dates.
RawValue = str | list[str] | date | None


@dataclass(slots=True)  # no __dict__ per row to build and free
class RawRecord:
    row: int
    locator: str
    fields: dict[str, RawValue] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class RawFile:
    records: list[RawRecord]
    # Native field names the reader could not map; reported once per file.
    unknown_fields: list[str] = field(default_factory=list)
    # Notes about the file as a whole (duplicate columns, ignored sheets ...).
    warnings: list[Problem] = field(default_factory=list)


class FileRefused(Exception):
    """Nothing in the file can be read; carries the reason shown to the regulator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.problem = Problem(field="file", code=code, message=message)
