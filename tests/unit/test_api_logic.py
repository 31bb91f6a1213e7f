"""API logic without AWS: keys, the authorizer's policy, idempotent runs, notice merges,
error locations. Stores are in-memory fakes with the real stores' contracts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.api.authorizer import authorizer_response
from chalicelib.api.calls import ApiCall
from chalicelib.api.http import mounted_at
from chalicelib.api.idempotency import REPLAYED_HEADER, run_once
from chalicelib.api.keys import authenticate, issue_key, revoke_keys, rotate_keys
from chalicelib.api.notice_submission import amended_record, raw_record, validated_content
from chalicelib.api.principal import InvalidPrincipal, Principal, PrincipalKind
from chalicelib.api.problems import ApiProblem, validation_problem
from chalicelib.intake.limits import IntakeLimits
from chalicelib.settings import NotificationSettings, Settings
from chalicelib.stores.api_keys_table import StoredKey
from chalicelib.stores.idempotency_keys import IdempotencyRecord, StoredResponse
from chalicelib.stores.intake_bucket import NotAnIntakeKey, intake_object

NOW = datetime(2025, 5, 2, 9, 0, tzinfo=UTC)
TEMU = Principal(PrincipalKind.PLATFORM, "temu")
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/api/GET/v1/notices/a:b"


class FakeKeys:
    def __init__(self) -> None:
        self.keys: dict[str, StoredKey] = {}

    def create(self, key: StoredKey) -> bool:
        return self.keys.setdefault(key.key_id, key) is key

    def get(self, key_id: str) -> StoredKey | None:
        return self.keys.get(key_id)

    def for_principal(self, principal: str) -> list[StoredKey]:
        return [key for key in self.keys.values() if key.principal == principal]

    def revoke(self, key_id: str, at: datetime) -> bool:
        self.keys[key_id] = replace(self.keys[key_id], revoked_at=at)
        return True

    def expire(self, key_id: str, at: datetime) -> bool:
        self.keys[key_id] = replace(self.keys[key_id], expires_at=at)
        return True


def test_a_key_authenticates_its_principal_and_nothing_else() -> None:
    store = FakeKeys()
    issued = issue_key(store, TEMU, NOW)  # type: ignore[arg-type]

    assert issued.key.startswith("psx_") and len(issued.key) == 64
    assert authenticate(store, f"Bearer {issued.key}", NOW) == TEMU  # type: ignore[arg-type]
    assert authenticate(store, f"bearer  {issued.key} ", NOW) == TEMU  # type: ignore[arg-type]
    tampered = issued.key[:-1] + ("B" if issued.key[-1] != "B" else "C")
    for header in (issued.key, f"Basic {issued.key}", f"Bearer {tampered}", "Bearer x", ""):
        assert authenticate(store, header, NOW) is None  # type: ignore[arg-type]
    assert issued.key not in str(store.keys)  # only the hash is stored


def test_rotation_keeps_the_old_key_for_the_grace_period_and_revocation_ends_it() -> None:
    store = FakeKeys()
    old = issue_key(store, TEMU, NOW)  # type: ignore[arg-type]
    new = rotate_keys(store, TEMU, NOW, timedelta(hours=1))  # type: ignore[arg-type]

    def works(key: str, at: datetime) -> bool:
        return authenticate(store, f"Bearer {key}", at) is not None  # type: ignore[arg-type]

    assert works(old.key, NOW + timedelta(minutes=59)) and works(new.key, NOW)
    assert not works(old.key, NOW + timedelta(hours=1))
    revoked = revoke_keys(store, TEMU, NOW)  # type: ignore[arg-type]
    assert set(revoked) == {old.key_id, new.key_id}  # every key still working
    assert not works(new.key, NOW) and not works(old.key, NOW)


def test_the_authorizer_allows_every_route_of_the_stage_or_denies() -> None:
    store = FakeKeys()
    issued = issue_key(store, TEMU, NOW)  # type: ignore[arg-type]

    allowed = authorizer_response(store, f"Bearer {issued.key}", METHOD_ARN, NOW)  # type: ignore[arg-type]
    denied = authorizer_response(store, "Bearer nope", METHOD_ARN, NOW)  # type: ignore[arg-type]

    (allow,) = allowed["policyDocument"]["Statement"]
    assert allowed["principalId"] == "platform:temu"
    assert allow["Effect"] == "Allow"
    assert allow["Resource"] == ["arn:aws:execute-api:us-east-1:123456789012:abc123/api/*/*"]
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_principals_are_checked() -> None:
    assert str(Principal.parse("regulator:kftc")) == "regulator:kftc"
    for text in (
        "kftc",
        "admin:root",
        "platform:",
        "platform:UPPER",
        "regulator:a/b",
        "regulator:kftc\n",  # Python's $ matches before a final newline
        "platform:temu\n",
    ):
        with pytest.raises(InvalidPrincipal):
            Principal.parse(text)


def test_a_notice_id_or_an_intake_key_with_a_final_newline_is_refused() -> None:
    call = ApiCall(principal=TEMU, now=NOW, notice_id="ntc-" + "0" * 24 + "\n")

    with pytest.raises(ApiProblem) as refused:
        assert call.notice
    with pytest.raises(NotAnIntakeKey):
        intake_object("bucket", "incoming/kftc\n/notices.csv")

    assert refused.value.problem.status == 404


class FakeIdempotency:
    def __init__(self) -> None:
        self.records: dict[str, IdempotencyRecord] = {}

    def claim(self, principal: str, key: str, fingerprint: str, *_: object) -> object:
        held = self.records.get(f"{principal}/{key}")
        if held is None:
            self.records[f"{principal}/{key}"] = IdempotencyRecord(fingerprint, None)
        return held

    def complete(self, principal: str, key: str, fingerprint: str, r: StoredResponse) -> None:
        self.records[f"{principal}/{key}"] = IdempotencyRecord(fingerprint, r)

    def release(self, principal: str, key: str, fingerprint: str) -> None:
        del self.records[f"{principal}/{key}"]


def test_run_once_runs_replays_refuses_and_releases() -> None:
    store = FakeIdempotency()
    ran: list[int] = []

    def run() -> StoredResponse:
        ran.append(1)
        return StoredResponse(201, {"Content-Type": "application/json"}, "{}")

    def once(key: str, fingerprint: str, action=run) -> StoredResponse:  # type: ignore[no-untyped-def]
        return run_once(store, "platform:temu", key, fingerprint, NOW, action)  # type: ignore[arg-type]

    first, replay = once("k", "a"), once("k", "a")
    assert len(ran) == 1 and replay.headers[REPLAYED_HEADER] == "true"
    with pytest.raises(ApiProblem, match="different request"):
        once("k", "b")
    store.claim("platform:temu", "busy", "a")
    with pytest.raises(ApiProblem, match="still running"):
        once("busy", "a")

    def failing() -> StoredResponse:
        raise ApiProblem(409, "already-answered", "Already answered")

    with pytest.raises(ApiProblem):
        once("retry-me", "a", failing)
    assert once("retry-me", "a").status == first.status == 201  # the key was released


def _settings() -> Settings:
    notification = NotificationSettings(
        "n", "q", "k", "s@psx.example", 30, "https://n/{notice_id}", "uploads", 200_000
    )
    return Settings(
        "t",
        "b",
        "evidence",
        "arn",
        "topic",
        "catalogues",
        "arn:audit",
        IntakeLimits(),
        {},
        1,
        notification,
    )


def test_an_amendment_of_nothing_reproduces_the_notice_exactly() -> None:
    sent = {
        "source_reference": "A-1",
        "kind": "order",
        "issued_on": "2025-04-30",
        "jurisdiction": "KR",
        "product": {"name": "Toy", "barcodes": ["8801234567893", "123"], "models": "M-1"},
        "hazard": {"types": ["Injuries"]},
        "target_platforms": ["temu"],
    }
    current, _ = validated_content(raw_record(sent), _settings(), "kftc")  # as stored

    same, _ = validated_content(amended_record(current, {}), _settings(), "kftc")
    changed, _ = validated_content(
        amended_record(current, {"models": "M-1; M-2"}), _settings(), "kftc"
    )

    assert same == current
    assert changed.product.models == ["M-1", "M-2"] and changed.product.name == "Toy"
    assert changed.product.suspect_barcodes == ["123"]


class _Nested(BaseModel):
    values: str | list[str]


def test_errors_are_located_where_the_client_put_the_value() -> None:
    data = {"values": 5}
    with pytest.raises(ValidationError) as raised:
        _Nested.model_validate(data)

    problem = validation_problem(raised.value, "body", data).problem

    # pydantic adds the union members (str, list[str]) to the location; the client
    # only ever wrote /values.
    assert {error.pointer for error in problem.errors} == {"#/values"}


def _request(full_path: str) -> Request:
    return Request(
        {
            "requestContext": {
                "httpMethod": "POST",
                "resourcePath": "/v1/notices",
                "path": full_path,
            },
            "headers": {},
            "multiValueQueryStringParameters": None,
            "pathParameters": None,
            "stageVariables": None,
            "body": None,
            "isBase64Encoded": False,
        }
    )


@pytest.mark.parametrize(
    ("full_path", "mount"),
    [("/v1/notices", ""), ("/api/v1/notices", "/api"), ("/psx/api/v1/notices/x/v1/", "/psx/api")],
)
def test_locations_include_the_stage_the_api_is_served_under(full_path: str, mount: str) -> None:
    assert mounted_at(_request(full_path)) == mount
