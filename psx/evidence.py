"""`psx evidence`: one notice's evidence as a bundle a regulator can hand to a court, and
the check of such a bundle (docs/evidence.md).

A bundle is a directory or a ZIP file holding ``manifest.json`` and, under ``objects/``,
every evidence object of the notice: those its timeline names (the regulator's file and
report, platform answers, webhook attempts) and every object version kept under its
``notices/<notice-id>/`` prefix. The manifest lists each object's key, version id,
size, SHA-256 and Object Lock retention, with the notice and its whole timeline.
Verifying recomputes every SHA-256 and compares it, and the file list, with the manifest.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from chalicelib.stores.evidence_bucket import (
    EvidenceBucket,
    EvidenceRef,
    notice_prefix,
    sha256_hex,
)
from psx.notice_status import notice_status
from psx.target import Target

MANIFEST = "manifest.json"
OBJECTS_DIR = "objects"
BUNDLE_SCHEMA_VERSION = 1


class EvidenceError(RuntimeError):
    """The evidence cannot be exported as it should be (an object differs from what S3
    recorded when it was written), or a bundle cannot be read."""


@dataclass(frozen=True)
class Exported:
    path: Path
    manifest: dict[str, Any]
    manifest_sha256: str  # to write down: it fixes the whole bundle


@dataclass(frozen=True)
class Verification:
    objects: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


# -- export -------------------------------------------------------------------------------


def export_bundle(target: Target, notice_id: str, out: Path) -> Exported | None:
    """Write the bundle of ``notice_id`` to ``out`` (a ``.zip`` file, else a directory);
    None when there is no such notice."""
    status = notice_status(target, notice_id)
    if status is None:
        return None
    bucket_name = target.output("PSX_EVIDENCE_BUCKET")
    evidence = EvidenceBucket(bucket_name, int(target.output("PSX_EVIDENCE_RETENTION_DAYS")))
    refs = _refs_of(status["timeline"], evidence.versions_under(notice_prefix(notice_id)))
    files: dict[str, bytes] = {}
    entries = []
    for ref in refs:
        path = bundle_path(ref, files)
        files[path], entry = _exported_object(evidence, ref)
        entries.append({"path": path, **entry})
    manifest = {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "notice_id": notice_id,
        "exported_at": datetime.now(UTC).isoformat(),
        "evidence_bucket": bucket_name,
        "objects": entries,
        "notice": status["notice"],
        "timeline": status["timeline"],
    }
    files[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    _write_bundle(out, files)
    return Exported(out, manifest, sha256_hex(files[MANIFEST]))


def _refs_of(timeline: list[dict[str, Any]], kept: Iterator[EvidenceRef]) -> list[EvidenceRef]:
    """What the timeline names, in its order, then what else is kept for the notice."""
    refs: list[EvidenceRef] = []
    for event in timeline:
        refs.extend(_named(event["details"].get("evidence")))
    refs.extend(kept)
    return list(dict.fromkeys(refs))


def _named(value: Any) -> Iterator[EvidenceRef]:
    """Every ``{"key", "version_id"}`` in an event's ``evidence`` detail."""
    if isinstance(value, dict):
        if set(value) == {"key", "version_id"}:
            yield EvidenceRef(value["key"], value["version_id"])
            return
        for item in value.values():
            yield from _named(item)


def _exported_object(evidence: EvidenceBucket, ref: EvidenceRef) -> tuple[bytes, dict[str, Any]]:
    stored = evidence.describe(ref)
    body = evidence.read(ref)
    digest = sha256_hex(body)
    # S3 computed its SHA-256 when the object was written: what we read must match it.
    if stored.sha256 and stored.sha256 != digest:
        raise EvidenceError(f"{ref.key} (version {ref.version_id}) differs from what was kept")
    return body, {
        "key": ref.key,
        "version_id": ref.version_id,
        "size": len(body),
        "sha256": digest,
        "retention": {
            "mode": stored.lock_mode,
            "until": stored.retain_until.isoformat() if stored.retain_until else None,
        },
    }


# Path parts a file system would not take as names; percent-escaped like the rest.
_SPECIAL_PARTS = {"": "%20", ".": "%2E", "..": "%2E%2E"}


def bundle_path(ref: EvidenceRef, taken: Collection[str] = ()) -> str:
    """``objects/<key>``, each part made safe for a file system (a key is text S3 took
    from a regulator's file name: it must never climb out of the bundle); a second
    version of a key already ``taken`` gets its version id appended."""
    parts = [_safe_part(part) for part in ref.key.split("/")]
    path = "/".join([OBJECTS_DIR, *parts])
    if path in taken:
        path = f"{path}.version-{_safe_part(ref.version_id)}"
    return path


def _safe_part(part: str) -> str:
    return _SPECIAL_PARTS.get(part) or quote(part, safe=" !#$&'()+,;=@[]^_`{}~-.")


def _write_bundle(out: Path, files: dict[str, bytes]) -> None:
    """Into a new ZIP file or an empty directory: a bundle never overwrites another."""
    if out.suffix.lower() == ".zip":
        if out.exists():
            raise EvidenceError(f"{out} exists: export into a new file")
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path, body in files.items():
                bundle.writestr(path, body)
        return
    if out.exists() and any(out.iterdir()):
        raise EvidenceError(f"{out} is not empty: export into a new directory")
    for path, body in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


# -- verification ---------------------------------------------------------------------------


def verify_bundle(bundle: Path) -> Verification:
    """Recompute every object's SHA-256 and size and compare them, and the list of
    files, with the manifest."""
    files = _read_bundle(bundle)
    if MANIFEST not in files:
        raise EvidenceError(f"{bundle} has no {MANIFEST}: not an evidence bundle")
    entries = _manifest_entries(bundle, files.pop(MANIFEST))
    problems = []
    for entry in entries:
        body = files.pop(entry["path"], None)
        if body is None:
            problems.append(f"{entry['path']}: missing")
        elif len(body) != entry["size"]:
            problems.append(
                f"{entry['path']}: {len(body)} bytes, the manifest says {entry['size']}"
            )
        elif sha256_hex(body) != entry["sha256"]:
            problems.append(f"{entry['path']}: SHA-256 differs from the manifest")
    problems.extend(f"{path}: not in the manifest" for path in sorted(files))
    return Verification(objects=len(entries), problems=problems)


def _manifest_entries(bundle: Path, manifest: bytes) -> list[dict[str, Any]]:
    try:
        entries = json.loads(manifest)["objects"]
        for entry in entries:
            if not (
                isinstance(entry["path"], str)
                and isinstance(entry["size"], int)
                and isinstance(entry["sha256"], str)
            ):
                raise TypeError(f"object {entry!r} needs a path, a size and a sha256")
    except (ValueError, KeyError, TypeError) as exc:
        raise EvidenceError(f"{bundle}: {MANIFEST} is not a bundle manifest ({exc})") from exc
    return list(entries)


def _read_bundle(bundle: Path) -> dict[str, bytes]:
    if bundle.is_dir():
        return {
            PurePosixPath(*path.relative_to(bundle).parts).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file()
        }
    try:
        with zipfile.ZipFile(bundle) as archive:
            return {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    except (OSError, zipfile.BadZipFile) as exc:
        raise EvidenceError(f"cannot read {bundle}: {exc}") from exc
