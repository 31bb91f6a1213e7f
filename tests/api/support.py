"""Given/When/Then helpers for the HTTPS API: principals with keys, seeded notices and
dispatches, and a small client over Chalice's test client (or real HTTP)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from chalice.test import Client

from chalicelib.api.keys import issue_key, revoke_keys
from chalicelib.api.principal import Principal, PrincipalKind
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState
from chalicelib.notices.model import NoticeContent, Product
from chalicelib.platforms.model import Platform
from chalicelib.platforms.registration import register_platform
from chalicelib.stores.api_keys_table import ApiKeyStore
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.signing_secrets import signing_secret_name
from psx import FUNCTIONS_DIR
from psx.embedded.runtime import EmbeddedRuntime
from psx.webhook_receiver import WebhookReceiver

UNKNOWN_KEY = "psx_0123456789abcdef_" + "A" * 43
RACE_SECONDS = 30


def table() -> str:
    return os.environ["PSX_TABLE_NAME"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Caller:
    principal: Principal
    key: str

    @property
    def id(self) -> str:
        return self.principal.id


def key_for(kind: PrincipalKind, principal_id: str) -> Caller:
    principal = Principal(kind, principal_id)
    issued = issue_key(ApiKeyStore(table()), principal, datetime.now(UTC))
    return Caller(principal, issued.key)


def new_platform(receiver: WebhookReceiver | None = None) -> Caller:
    """A registered platform and its key; with ``receiver`` as its (trusted) webhook."""
    platform_id = unique("plat")
    platform = Platform(
        platform_id=platform_id,
        name=platform_id,
        jurisdictions=["KR"],
        webhook_url=receiver.url if receiver else None,
        signing_secret_ref=signing_secret_name("psx-dev", platform_id) if receiver else None,
    )
    store = PlatformStore(table())
    if receiver is None:
        store.create(platform)
    else:
        receiver.trust(register_platform(store, platform))
    return key_for(PrincipalKind.PLATFORM, platform_id)


def new_regulator() -> Caller:
    return key_for(PrincipalKind.REGULATOR, unique("reg"))


def revoked(caller: Caller) -> Caller:
    """Another key of the same principal, revoked (the caller's own key stays valid)."""
    extra = key_for(caller.principal.kind, caller.id)
    store = ApiKeyStore(table())
    key_id = extra.key.split("_")[1]
    assert revoke_keys(store, caller.principal, datetime.now(UTC), key_id) == [key_id]
    return extra


def notice_content(reference: str, platforms: list[str], **changes: Any) -> NoticeContent:
    return NoticeContent(
        source_reference=reference,
        kind="order",
        jurisdiction="KR",
        title=f"Recall {reference}",
        product=Product(name="Magnetic toy", models=["M-1"], barcodes=["8801234567893"]),
        target_platforms=platforms,
        **changes,
    )


def seed_notice(
    regulator: Caller,
    platforms: list[Caller],
    at: datetime | None = None,
    deadline: timedelta = timedelta(days=3),
) -> str:
    """A stored notice dispatched to ``platforms`` (no workflow runs: answers resume nothing)."""
    moment = at or datetime.now(UTC)
    saved = NoticeStore(table()).save(
        notice_content(unique("REF"), [p.id for p in platforms]),
        regulator_id=regulator.id,
        source_format="api",
        source_file=None,
        received_at=moment,
    )
    for platform in platforms:
        seed_dispatch(saved.current.notice_id, platform.id, regulator.id, moment, deadline)
    return saved.current.notice_id


def seed_dispatch(
    notice_id: str,
    platform_id: str,
    regulator_id: str,
    at: datetime,
    deadline: timedelta = timedelta(days=3),
    version: int = 1,
    withdrawal: bool = False,
) -> Dispatch:
    return DispatchStore(table()).create(
        Dispatch(
            ref=DispatchRef(notice_id, version, platform_id),
            regulator_id=regulator_id,
            notice_kind="order",
            jurisdiction="KR",
            withdrawal=withdrawal,
            created_at=at,
            acknowledgement_deadline=None if withdrawal else at + deadline,
            action_deadline=None if withdrawal else at + deadline * 2,
            state=DispatchState.IN_INBOX,
            webhook_attempts=0,
            open_wait=None,
            task_token=None,
            acknowledged_at=None,
            action_reported_at=None,
        )
    )


def listing(listing_id: str = "L-1", action: str = "removed") -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "url": f"https://market.example/item/{listing_id}",
        "title": "Magnetic toy set",
        "seller_id": "S-9",
        "action": action,
        "acted_at": datetime.now(UTC).isoformat(),
        "evidence_ref": "case-77",
    }


# -- a client ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem_type(self) -> str:
        return str(self.body.get("type", "")).removeprefix("urn:psx:problem:")


class Api:
    """The API through Chalice's test client: the local gateway runs the authorizer."""

    def __init__(self, runtime: EmbeddedRuntime) -> None:
        self._client = Client(runtime.app.app, stage_name="dev", project_dir=str(FUNCTIONS_DIR))

    def get(self, path: str, caller: Caller | str | None = None, **params: Any) -> Answer:
        query = f"?{urlencode(params)}" if params else ""
        return self.request("GET", path + query, caller)

    def post(
        self,
        path: str,
        body: Any = None,
        caller: Caller | str | None = None,
        idempotency_key: str | None = "new",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if idempotency_key is not None:
            key = str(uuid.uuid4()) if idempotency_key == "new" else idempotency_key
            all_headers["Idempotency-Key"] = key
        data = raw if raw is not None else json.dumps(body or {}).encode()
        return self.request("POST", path, caller, all_headers, data)

    def request(
        self,
        method: str,
        path: str,
        caller: Caller | str | None,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> Answer:
        all_headers = dict(headers or {})
        if caller is not None:
            key = caller.key if isinstance(caller, Caller) else caller
            all_headers["Authorization"] = f"Bearer {key}"
        response = self.raw(method, path, all_headers, body)
        return Answer(response.status_code, dict(response.headers), _json(response.body))

    def raw(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        """Chalice's own response object (status_code, headers, body)."""
        return self._client.http.request(method, path, headers=headers, body=body)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class HttpResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes


class HttpApi(Api):
    """The same calls over real HTTP, to the local server `psx serve` runs (``LocalApi``):
    here API Gateway's own refusals are problem details too, as the stack declares."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def raw(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        data = body if method == "POST" else None
        request = Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urlopen(request, timeout=30) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except HTTPError as error:
            return HttpResponse(error.code, dict(error.headers), error.read())


# -- forcing races -----------------------------------------------------------------------


def racing_saves(
    monkeypatch: pytest.MonkeyPatch,
    writers: int,
    first: Callable[[NoticeContent], bool] = lambda content: True,
) -> None:
    """Every one of ``writers`` requests reaches the store having read the notice before
    any of them writes. Then the saves of ``first`` contents go, the others once those
    are done (all at once when every content is ``first``)."""
    all_read = threading.Barrier(writers, timeout=RACE_SECONDS)
    firsts_done = threading.Event()
    real_save = NoticeStore.save

    def save(self: NoticeStore, content: NoticeContent, **kwargs: Any) -> Any:
        all_read.wait()
        if first(content):
            try:
                return real_save(self, content, **kwargs)
            finally:
                firsts_done.set()
        assert firsts_done.wait(RACE_SECONDS)
        return real_save(self, content, **kwargs)

    monkeypatch.setattr(NoticeStore, "save", save)


def at_once(*requests: Callable[[], Answer]) -> list[Answer]:
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(lambda request: request(), requests))
