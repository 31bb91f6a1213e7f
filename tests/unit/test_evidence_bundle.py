"""`psx evidence --verify` on bundles made by hand: anyone holding a bundle can check it,
and every way it can differ from its manifest is named."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from click.testing import CliRunner

from chalicelib.stores.evidence_bucket import EvidenceRef
from psx.cli import main
from psx.evidence import bundle_path

OBJECTS = {
    "objects/files/kftc/v1/week47.csv": b"source_reference,title\nA-1,Toy\n",
    "objects/notices/ntc-1/v000001/acknowledgement/temu/answer.json": b'{"body": {}}',
}


def _manifest(objects: dict[str, bytes]) -> bytes:
    entries = [
        {
            "path": path,
            "key": path.removeprefix("objects/"),
            "version_id": "v",
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        for path, body in objects.items()
    ]
    return json.dumps({"schema_version": 1, "objects": entries, "timeline": []}).encode()


def _directory(tmp_path: Path, manifest: bytes | None = None) -> Path:
    bundle = tmp_path / "bundle"
    for path, body in {**OBJECTS, "manifest.json": manifest or _manifest(OBJECTS)}.items():
        (bundle / path).parent.mkdir(parents=True, exist_ok=True)
        (bundle / path).write_bytes(body)
    return bundle


def _verify(bundle: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["evidence", "--verify", str(bundle)])
    return result.exit_code, result.stdout, result.stderr


def test_an_intact_bundle_verifies(tmp_path: Path) -> None:
    code, out, _ = _verify(_directory(tmp_path))

    assert code == 0
    assert "2 objects, every SHA-256 matches the manifest" in out


def test_a_zip_bundle_verifies_and_a_tampered_one_fails(tmp_path: Path) -> None:
    zipped = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path, body in {**OBJECTS, "manifest.json": _manifest(OBJECTS)}.items():
            archive.writestr(path, body)
    assert _verify(zipped)[0] == 0

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(zipped) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info.filename, body.replace(b"Toy", b"Tay"))
    code, _, err = _verify(tampered)

    assert code == 1
    assert "objects/files/kftc/v1/week47.csv: SHA-256 differs from the manifest" in err


def test_a_missing_altered_or_smuggled_file_fails(tmp_path: Path) -> None:
    bundle = _directory(tmp_path)
    first, second = OBJECTS
    (bundle / first).write_bytes(b"short")
    (bundle / second).unlink()
    (bundle / "objects" / "extra.txt").write_bytes(b"x")

    code, _, err = _verify(bundle)

    assert code == 1
    assert f"{first}: 5 bytes, the manifest says {len(OBJECTS[first])}" in err
    assert f"{second}: missing" in err
    assert "objects/extra.txt: not in the manifest" in err
    assert "3 problem(s)" in err


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (b"not json", "is not a bundle manifest"),
        (b'{"objects": [{"path": "objects/a"}]}', "is not a bundle manifest"),
        (b'{"objects": ["objects/a"]}', "is not a bundle manifest"),
    ],
)
def test_a_manifest_that_is_not_one_is_named(tmp_path: Path, manifest: bytes, message: str) -> None:
    code, _, err = _verify(_directory(tmp_path, manifest))

    assert code == 1
    assert f"manifest.json {message}" in err


def test_a_directory_without_a_manifest_is_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_bytes(b"x")

    code, _, err = _verify(tmp_path)

    assert code == 1 and "has no manifest.json: not an evidence bundle" in err


@pytest.mark.parametrize(
    "args",
    [["evidence"], ["evidence", "ntc-1"], ["evidence", "ntc-1", "--verify", "."]],
    ids=["nothing", "no-out", "verify-and-notice"],
)
def test_the_command_says_what_it_needs(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)

    assert result.exit_code == 2
    assert "--verify" in result.stderr


@pytest.mark.parametrize(
    "key",
    ["files/kftc/v1/../../../etc/passwd", "files/kftc/v1//x", "files/./kftc/..", "/abs"],
)
def test_no_key_leads_out_of_the_bundle(key: str) -> None:
    path = PurePosixPath(bundle_path(EvidenceRef(key, "v")))

    assert path.parts[0] == "objects"
    assert not {"", ".", ".."} & set(path.parts)


def test_a_second_version_of_a_key_gets_its_own_path() -> None:
    first = bundle_path(EvidenceRef("notices/n/a.json", "v1"))

    second = bundle_path(EvidenceRef("notices/n/a.json", "v/2"), taken={first})

    assert first == "objects/notices/n/a.json"
    assert second == "objects/notices/n/a.json.version-v%2F2"
