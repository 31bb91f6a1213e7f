"""The evidence bucket in the embedded runtime: locked objects cannot be deleted nor
overwritten, and a retried write keeps one object per fact. The bucket is the one the
stack declares (COMPLIANCE default retention), so this is what the functions write to.

Two canaries pin what moto does differently from AWS, so a moto upgrade that changes
them is noticed: it lets a COMPLIANCE retention be shortened (AWS refuses), and it
refuses CopyObject into a bucket with a default retention (AWS copies), which is why
intake writes the file's bytes it has read rather than copying the intake object.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from chalicelib.settings import EVIDENCE_RETENTION_DAYS
from chalicelib.stores.evidence_bucket import (
    EvidenceBucket,
    EvidenceConflict,
    EvidenceRef,
    sha256_hex,
)
from infra import stack, storage
from psx.embedded.runtime import EmbeddedRuntime


@pytest.fixture
def bucket_name(runtime: EmbeddedRuntime) -> str:
    return runtime.outputs["PsxEvidenceBucket"]


@pytest.fixture
def evidence(bucket_name: str) -> EvidenceBucket:
    return EvidenceBucket(bucket_name, EVIDENCE_RETENTION_DAYS)


def _key() -> str:
    return f"notices/ntc-{uuid.uuid4().hex[:24]}/v000001/test/{uuid.uuid4().hex[:6]}.json"


def _versions(runtime: EmbeddedRuntime, bucket: str, key: str) -> list[str]:
    listed = runtime.client("s3").list_object_versions(Bucket=bucket, Prefix=key)
    return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == key]


def test_a_kept_object_is_locked_in_compliance_mode_for_the_retention(
    evidence: EvidenceBucket,
) -> None:
    before = datetime.now(UTC)
    ref = evidence.put(_key(), b'{"fact": 1}', "application/json")

    kept = evidence.describe(ref)

    assert kept.lock_mode == "COMPLIANCE"
    assert kept.retain_until is not None
    retention = timedelta(days=EVIDENCE_RETENTION_DAYS)
    assert before + retention - timedelta(seconds=1) <= kept.retain_until
    assert kept.retain_until <= datetime.now(UTC) + retention
    assert kept.sha256 == sha256_hex(b'{"fact": 1}') and kept.size == 11
    assert evidence.read(ref) == b'{"fact": 1}'


@pytest.mark.parametrize("bypass", [False, True], ids=["plain", "bypassing-governance"])
def test_a_locked_version_cannot_be_deleted(
    runtime: EmbeddedRuntime, evidence: EvidenceBucket, bucket_name: str, bypass: bool
) -> None:
    ref = evidence.put(_key(), b"kept", "text/plain")
    s3 = runtime.client("s3")

    with pytest.raises(ClientError) as refused:
        s3.delete_object(
            Bucket=bucket_name,
            Key=ref.key,
            VersionId=ref.version_id,
            BypassGovernanceRetention=bypass,
        )

    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert evidence.read(ref) == b"kept"


def test_a_delete_without_version_only_hides_the_locked_version(
    runtime: EmbeddedRuntime, evidence: EvidenceBucket, bucket_name: str
) -> None:
    ref = evidence.put(_key(), b"kept", "text/plain")

    marker = runtime.client("s3").delete_object(Bucket=bucket_name, Key=ref.key)

    assert marker["DeleteMarker"] is True
    assert evidence.read(ref) == b"kept"
    assert list(evidence.versions_under(ref.key)) == [ref]  # exports still find it


def test_an_overwrite_adds_a_version_and_leaves_the_locked_one_intact(
    runtime: EmbeddedRuntime, evidence: EvidenceBucket, bucket_name: str
) -> None:
    ref = evidence.put(_key(), b"original", "text/plain")

    runtime.client("s3").put_object(
        Bucket=bucket_name, Key=ref.key, Body=b"forged", ChecksumAlgorithm="SHA256"
    )

    assert len(_versions(runtime, bucket_name, ref.key)) == 2
    assert evidence.read(ref) == b"original"


def test_a_retried_write_of_the_same_bytes_keeps_one_object(
    runtime: EmbeddedRuntime, evidence: EvidenceBucket, bucket_name: str
) -> None:
    key = _key()
    first = evidence.put(key, b"the fact", "text/plain")

    again = evidence.put(key, b"the fact", "text/plain")

    assert again == first
    assert _versions(runtime, bucket_name, key) == [first.version_id]


def test_other_bytes_under_a_kept_key_are_refused(
    runtime: EmbeddedRuntime, evidence: EvidenceBucket, bucket_name: str
) -> None:
    key = _key()
    first = evidence.put(key, b"the fact", "text/plain")

    with pytest.raises(EvidenceConflict, match=key):
        evidence.put(key, b"another fact", "text/plain")

    assert _versions(runtime, bucket_name, key) == [first.version_id]


def test_the_stack_locks_every_object_by_default_for_the_same_retention() -> None:
    lock = storage.evidence_bucket()["Properties"]["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE",
        "Days": EVIDENCE_RETENTION_DAYS,
    }
    assert stack.FUNCTION_ENVIRONMENT["PSX_EVIDENCE_RETENTION_DAYS"] == str(EVIDENCE_RETENTION_DAYS)


# -- canaries: where moto differs from AWS -------------------------------------------------


def test_canary_moto_lets_a_compliance_retention_be_shortened(
    runtime: EmbeddedRuntime, evidence: EvidenceBucket, bucket_name: str
) -> None:
    """AWS refuses this (AccessDenied) for COMPLIANCE mode; moto allows it. Our code
    never shortens a retention and no role may (s3:PutObjectRetention is only granted
    with PutObject, for new objects); this canary fails once moto enforces it too."""
    ref: EvidenceRef = evidence.put(_key(), b"kept", "text/plain")

    runtime.client("s3").put_object_retention(
        Bucket=bucket_name,
        Key=ref.key,
        VersionId=ref.version_id,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": datetime.now(UTC)},
    )

    shortened = evidence.describe(ref).retain_until
    assert shortened is not None and shortened <= datetime.now(UTC) + timedelta(minutes=1)


def test_canary_moto_refuses_copies_into_a_bucket_with_default_retention(
    runtime: EmbeddedRuntime, bucket_name: str
) -> None:
    s3 = runtime.client("s3")
    source = runtime.outputs["PsxIntakeBucket"]
    s3.put_object(Bucket=source, Key="canary/file.csv", Body=b"a,b\n")

    with pytest.raises(ClientError) as refused:
        s3.copy_object(
            Bucket=bucket_name,
            Key=_key(),
            CopySource={"Bucket": source, "Key": "canary/file.csv"},
        )

    assert refused.value.response["Error"]["Code"] == "MissingUploadObjectWithObjectLockHeaders"
