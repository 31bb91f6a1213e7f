"""Idempotent writes: every POST carries an ``Idempotency-Key``; the first request with a
key runs, a retry with the same key and the same request gets the first response again
(``Idempotent-Replayed: true``), the same key with a different request is a 409.

Keys belong to the caller (two platforms may use the same key). Only successful
responses are kept: a refused request releases its key, so the client can correct the
request and send it again under the same key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.api.problems import ApiProblem
from chalicelib.stores.idempotency_keys import IdempotencyKeyStore, StoredResponse

# Clients retry within minutes; a day covers a retry after an outage too.
KEEP_SECONDS = 24 * 3600
# Longer than any request may run (API Gateway stops waiting after 29 s): a claim older
# than this belongs to a request that died, and may be taken over.
LOCK_SECONDS = 60
REPLAYED_HEADER = "Idempotent-Replayed"
HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as HTTP headers carry


def run_once(
    store: IdempotencyKeyStore,
    principal: str,
    key: str,
    fingerprint: str,
    now: datetime,
    run: Callable[[], StoredResponse],
) -> StoredResponse:
    held = store.claim(principal, key, fingerprint, now, KEEP_SECONDS, LOCK_SECONDS)
    if held is not None:
        if held.fingerprint and held.fingerprint != fingerprint:
            raise ApiProblem(
                409,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this key was used for a different request; use a new key for a new request",
            )
        if held.response is None:
            raise ApiProblem(
                409,
                "idempotency-key-in-use",
                "Request in progress",
                "a request with this key is still running; retry shortly",
                headers={"Retry-After": "1"},
            )
        replayed = dict(held.response.headers) | {REPLAYED_HEADER: "true"}
        return StoredResponse(held.response.status, replayed, held.response.body)
    try:
        response = run()
    except BaseException:
        store.release(principal, key, fingerprint)
        raise
    store.complete(principal, key, fingerprint, response)
    return response
