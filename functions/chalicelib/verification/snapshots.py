"""Catalogue snapshots: what a platform delivers, and when a delivery is complete.

A snapshot is the parts under ``catalogues/<platform>/<snapshot-id>/`` plus its
``_manifest.json`` (snapshot time, parts, row counts), which the platform writes last.
Only a complete snapshot is audited: the manifest is there, every part it names is
there, and (checked when the parts are read) each part holds the rows it declares.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

MANIFEST_NAME = "_manifest.json"
# Part names are file names inside the snapshot's prefix: no slashes, no dot files.
PART_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
SNAPSHOT_ID_PATTERN = r"^snap-[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}$"
MAX_PARTS = 10_000


class PartFormat(StrEnum):
    JSON_LINES = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    PARQUET = "parquet"


_SUFFIXES = {
    ".jsonl": PartFormat.JSON_LINES,
    ".ndjson": PartFormat.JSON_LINES,
    ".csv": PartFormat.CSV,
    ".tsv": PartFormat.TSV,
    ".parquet": PartFormat.PARQUET,
}
GZIP_SUFFIX = ".gz"


class UnknownPartFormat(ValueError):
    """A part whose name does not say its format."""


def part_format(name: str) -> tuple[PartFormat, bool]:
    """The format a part's name declares, and whether it is gzip-compressed."""
    lowered = name.lower()
    gzipped = lowered.endswith(GZIP_SUFFIX)
    stem = lowered.removesuffix(GZIP_SUFFIX)
    for suffix, found in _SUFFIXES.items():
        if stem.endswith(suffix):
            return found, gzipped
    known = ", ".join(sorted(_SUFFIXES))
    raise UnknownPartFormat(f"part {name!r}: the name must end in one of {known} (then .gz)")


class ManifestPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=PART_NAME_PATTERN)
    rows: int = Field(ge=0, description="Data rows in the part (header lines not counted).")

    @field_validator("name")
    @classmethod
    def _known_format(cls, name: str) -> str:
        if name == MANIFEST_NAME:
            raise ValueError(f"{MANIFEST_NAME} is the manifest, not a part")
        part_format(name)
        return name


class SnapshotManifest(BaseModel):
    """``_manifest.json``: written last, it says the snapshot is complete."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    snapshot_time: AwareDatetime = Field(description="When the catalogue was exported.")
    parts: list[ManifestPart] = Field(min_length=1, max_length=MAX_PARTS)

    @field_validator("parts")
    @classmethod
    def _unique_names(cls, parts: list[ManifestPart]) -> list[ManifestPart]:
        names = [part.name for part in parts]
        if len(names) != len(set(names)):
            raise ValueError("each part name may appear once")
        return parts

    @property
    def rows(self) -> int:
        return sum(part.rows for part in self.parts)


def missing_parts(manifest: SnapshotManifest, present: set[str]) -> list[str]:
    """The parts the manifest names that are not (yet) uploaded: empty when complete."""
    return [part.name for part in manifest.parts if part.name not in present]


def new_snapshot_id(now: datetime) -> str:
    """Sortable by upload time, unique per upload. Microseconds, because a platform's
    automation can start two snapshots in one second, and the audit takes the newest."""
    return f"snap-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"


_SNAPSHOT_ID = re.compile(SNAPSHOT_ID_PATTERN)


def is_snapshot_id(value: str) -> bool:
    return _SNAPSHOT_ID.fullmatch(value) is not None
