"""`psx upload`'s PutObject: the version it made, progress counted once per byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from psx.uploads import upload_notice_file


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="intake")
        client.put_bucket_versioning(Bucket="intake", VersioningConfiguration={"Status": "Enabled"})
        yield client


def test_an_upload_knows_its_object_version_and_counts_progress_once(
    s3: Any, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"product_name\n" + b"x" * (3 * 1024 * 1024))
    counted: list[int] = []

    first = upload_notice_file(s3, "intake", path, "kftc", progress=counted.append)
    second = upload_notice_file(s3, "intake", path, "kftc", format_hint="csv")

    assert sum(counted) == path.stat().st_size
    versions = s3.list_object_versions(Bucket="intake", Prefix=first.key)["Versions"]
    assert {v["VersionId"] for v in versions} == {first.version_id, second.version_id}
    assert first.result_key == f"results/kftc/big.csv.{first.version_id}.result.json"
    assert first.is_reported_by({"file": {"version_id": first.version_id, "etag": "x"}})
    assert not first.is_reported_by({"file": {"version_id": second.version_id, "etag": "x"}})
    head = s3.head_object(Bucket="intake", Key=second.key, VersionId=second.version_id)
    assert head["Metadata"] == {"psx-format": "csv"}
