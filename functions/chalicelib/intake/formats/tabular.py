"""Canonical template as CSV or XLSX, and Korean spreadsheets with their own headers.

The first non-blank row is the header; its names are matched against the canonical
field names and aliases in ``intake.fields``. Row numbers are spreadsheet row numbers
(the header is row 1 when nothing precedes it), so a regulator can find the row.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, time, timedelta

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from chalicelib.intake.fields import canonical_field
from chalicelib.intake.formats.common import scalar_text, shortened
from chalicelib.intake.raw import FileRefused, RawFile, RawRecord, RawValue
from chalicelib.intake.rows import Problem

Cell = str | date | None
NumberedRow = tuple[int, Sequence[Cell]]

ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t")
_NOTICES_SHEET = "notices"
_HEADER_SEARCH_CHARS = 64 * 1024


def read_csv(text: str) -> RawFile:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = list(enumerate(reader, start=1))
    except csv.Error as bad:
        raise FileRefused(
            "csv_malformed", f"the CSV cannot be read at line {reader.line_num}: {bad}"
        ) from bad
    return records_from_table(rows)


def read_xlsx(data: bytes, max_unzipped_bytes: int) -> RawFile:
    _check_archive(data, max_unzipped_bytes)
    # openpyxl raises whatever its XML and zip layers raise on a damaged workbook;
    # any of them means the same thing to the regulator.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as bad:
        raise FileRefused("xlsx_unreadable", f"the workbook cannot be opened: {bad}") from bad
    try:
        sheet = _notices_sheet(workbook)
        sheet.reset_dimensions()  # stored dimensions are often wrong; read every row
        rows = [
            (number, [_cell(value) for value in values])
            for number, values in enumerate(sheet.values, start=1)
        ]
    except FileRefused:
        raise
    except Exception as bad:
        raise FileRefused("xlsx_unreadable", f"the worksheet cannot be read: {bad}") from bad
    finally:
        workbook.close()
    return records_from_table(rows)


def records_from_table(rows: Iterable[NumberedRow]) -> RawFile:
    """Map a header row and the rows after it to raw records; blank rows are skipped."""
    filled = ((number, cells) for number, cells in rows if not _blank(cells))
    header = next(filled, None)
    if header is None:
        raise FileRefused("empty_file", "the file has no rows at all")
    header_number, names = header
    columns, unknown, warnings = _map_header([_header_text(name) for name in names])
    if not columns:
        raise FileRefused(
            "no_header",
            f"row {header_number} is not a header row this exchange knows: none of "
            f"{_quoted(_header_text(name) for name in names)} is a notice field; use the "
            "template's column names such as product_name, brand, models, barcodes, "
            "source_reference",
        )
    fields_of = _field_picker(columns)
    records = [
        RawRecord(number, f"row {number}", fields_of(cells))  # positional: one per row
        for number, cells in filled
    ]
    return RawFile(records=records, unknown_fields=unknown, warnings=warnings)


def _field_picker(columns: dict[int, str]) -> Callable[[Sequence[Cell]], dict[str, RawValue]]:
    """Maps a row's cells to its fields. Built once per file: for rows as long as the
    header, the known columns are picked at C level instead of by a Python loop."""
    indices, names = tuple(columns), tuple(columns.values())
    width = max(indices, default=-1) + 1
    every_column = indices == tuple(range(width))  # the template: no column to skip

    def fields_of(cells: Sequence[Cell]) -> dict[str, RawValue]:
        if len(cells) >= width:
            if every_column:  # the first ``width`` cells, in order
                return dict(zip(names, cells, strict=False))  # a longer row: extra cells
            return dict(zip(names, map(cells.__getitem__, indices), strict=True))
        # A short row (the CSV left trailing cells out): only the cells it has.
        return {name: cells[index] for index, name in columns.items() if index < len(cells)}

    return fields_of


def _map_header(names: list[str]) -> tuple[dict[int, str], list[str], list[Problem]]:
    columns: dict[int, str] = {}
    first_column_of: dict[str, str] = {}
    unknown: list[str] = []
    warnings: list[Problem] = []
    for index, name in enumerate(names):
        field = canonical_field(name) if name else None
        if field is None:
            if name:
                unknown.append(name)
        elif field in first_column_of:
            warnings.append(
                Problem(
                    "file",
                    "duplicate_column",
                    f"columns {first_column_of[field]!r} and {name!r} both mean {field}; "
                    f"using {first_column_of[field]!r}",
                )
            )
        else:
            columns[index] = field
            first_column_of[field] = name
    return columns, unknown, warnings


def _delimiter(text: str) -> str:
    """The separator used in the header line: the most frequent of comma, semicolon, tab."""
    # The lines of the file's start but the last, which may go on past the cut, are
    # its first lines: the whole file is split only when they are all blank.
    start = text[:_HEADER_SEARCH_CHARS].splitlines()[:-1]
    lines = start if any(line.strip() for line in start) else text.splitlines()
    header = next((line for line in lines if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _check_archive(data: bytes, max_unzipped_bytes: int) -> None:
    if not data.startswith(ZIP_MAGIC):
        raise FileRefused("not_xlsx", "the file is not an XLSX workbook (no ZIP signature)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as bad:
        raise FileRefused(
            "xlsx_corrupt",
            f"the file is a ZIP archive (as XLSX is) but is truncated or corrupt: {bad}",
        ) from bad
    if not any(entry.filename.startswith("xl/") for entry in entries):
        raise FileRefused("not_xlsx", "the ZIP archive holds no workbook (no xl/ entries)")
    unzipped = sum(entry.file_size for entry in entries)
    if unzipped > max_unzipped_bytes:
        # A small file that expands enormously is a zip bomb, not a notice list.
        raise FileRefused(
            "xlsx_too_large",
            f"the workbook expands to {unzipped} bytes; the limit is {max_unzipped_bytes}",
        )


def _notices_sheet(workbook: openpyxl.Workbook) -> ReadOnlyWorksheet:
    for sheet in workbook.worksheets:
        if sheet.title.strip().casefold() == _NOTICES_SHEET:
            return sheet
    if not workbook.worksheets:
        raise FileRefused("no_header", "the workbook has no worksheet")
    return workbook.worksheets[0]


def _cell(value: object) -> Cell:
    if isinstance(value, date):  # datetime included: the date is interpreted later
        return value
    if isinstance(value, time | timedelta):
        return str(value)
    return scalar_text(value)


def _header_text(cell: Cell) -> str:
    return cell.strip() if isinstance(cell, str) else str(cell or "").strip()


def _blank(cells: Sequence[Cell]) -> bool:
    # A loop rather than all(generator): it runs for every row and usually stops at the
    # first cell.
    for cell in cells:
        if cell is not None and (not isinstance(cell, str) or cell.strip()):
            return False
    return True


def _quoted(names: Iterable[str]) -> str:
    shown = [repr(shortened(name)) for name in names if name][:8]
    return ", ".join(shown) or "its cells"
