"""The stores are at the bottom of the import graph: domain code does not reach into them.

Only the stores themselves and the wiring (``services`` modules, ``app.py`` and the
entry points it registers, ``chalicelib/handlers/``) import ``chalicelib.stores``; every
other import of a store is listed below with the reason it is there, and the list is
kept exact (a listed import that is gone fails too).
"""

from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONS = Path(__file__).parents[2] / "functions"

# (importing module, imported store module) -> why it may.
ALLOWED: dict[tuple[str, str], str] = {
    ("chalicelib.api.authorizer", "chalicelib.stores.api_keys_table"): (
        "the authorizer is its own Lambda function and builds its one store (its wiring)"
    ),
    ("chalicelib.api.keys", "chalicelib.stores.api_keys_table"): (
        "issuing and revoking keys is the key store's adapter (psx keys and the API)"
    ),
    ("chalicelib.api.http", "chalicelib.stores.idempotency_keys"): (
        "the API's idempotency layer replays the StoredResponse this store keeps"
    ),
    ("chalicelib.api.idempotency", "chalicelib.stores.idempotency_keys"): (
        "the API's idempotency layer is the adapter around this store"
    ),
    ("chalicelib.api.calls", "chalicelib.stores.index_pages"): (
        "an API cursor is an index sort key: PageRequest and sortable_time are its contract"
    ),
    ("chalicelib.api.platform_api", "chalicelib.stores.index_pages"): (
        "checks a cursor or `since` against the index's sort-key format"
    ),
    ("chalicelib.api.regulator_api", "chalicelib.stores.index_pages"): (
        "checks a cursor or `since` against the index's sort-key format"
    ),
    ("chalicelib.api.verification_api", "chalicelib.stores.index_pages"): (
        "a findings cursor is an index sort key (its time part is sortable_time's format)"
    ),
    ("chalicelib.api.platform_api", "chalicelib.stores.signing_secrets"): (
        "the test-webhook call signs with the platform's current secrets, read at call time"
    ),
    ("chalicelib.dispatch.push", "chalicelib.stores.signing_secrets"): (
        "a webhook is signed with the secrets read at send time (rotation takes effect at once)"
    ),
    ("chalicelib.api.problems", "chalicelib.stores.item_size"): (
        "maps the store's refusal of an oversized item to its HTTP problem"
    ),
    ("chalicelib.api.problems", "chalicelib.stores.signing_secrets"): (
        "maps a missing signing secret to its HTTP problem"
    ),
    ("chalicelib.idempotency", "chalicelib.stores"): (
        "aws_clients: Powertools' persistence layer gets the process's DynamoDB client"
    ),
    ("chalicelib.workflow.lifecycle", "chalicelib.stores"): (
        "aws_clients: starting and answering executions uses the process's Step Functions client"
    ),
    ("chalicelib.intake.process", "chalicelib.stores.aws_errors"): (
        "intake's use case tells a permanent row failure from a transient AWS one"
    ),
    ("chalicelib.intake.process", "chalicelib.stores.intake_bucket"): (
        "intake's use case reads the uploaded file and writes its report (its own wiring)"
    ),
    ("chalicelib.intake.process", "chalicelib.stores.notices_table"): (
        "intake's use case saves the rows (its own wiring)"
    ),
    ("chalicelib.intake.process", "chalicelib.stores.evidence_bucket"): (
        "intake's use case keeps the uploaded file as evidence (its own wiring)"
    ),
    ("chalicelib.intake.evidence", "chalicelib.stores.evidence_bucket"): (
        "intake's evidence step writes the file and its report under Object Lock"
    ),
    ("chalicelib.intake.evidence", "chalicelib.stores.intake_bucket"): (
        "intake's evidence step keeps the report exactly as the intake bucket stores it"
    ),
    ("chalicelib.intake.evidence", "chalicelib.stores.notices_table"): (
        "intake's evidence step names the kept file on each version's timeline"
    ),
    ("chalicelib.dispatch.waits", "chalicelib.stores.evidence_bucket"): (
        "content_name: an answer's evidence key is derived from its content, as the store "
        "names every document"
    ),
    ("chalicelib.platforms.registration", "chalicelib.stores"): (
        "signing_secrets: registering a platform creates its secret with it"
    ),
    ("chalicelib.platforms.registration", "chalicelib.stores.platforms_table"): (
        "registering a platform is the use case behind psx platforms add and the API"
    ),
    ("chalicelib.workflow.received", "chalicelib.stores.notices_table"): (
        "the RecordReceived task's use case reads the version and appends its event"
    ),
}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(FUNCTIONS).with_suffix("").parts)


def _is_wiring_or_store(module: str) -> bool:
    return (
        module == "app"
        or module.startswith(("chalicelib.stores.", "chalicelib.handlers."))
        or module.rsplit(".", 1)[-1] == "services"
    )


def _store_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name.split(".")[:2] == ["chalicelib", "stores"])
    return found


def _store_imports_outside_the_wiring() -> set[tuple[str, str]]:
    return {
        (module, imported)
        for path in FUNCTIONS.rglob("*.py")
        if not _is_wiring_or_store(module := _module_name(path))
        for imported in _store_imports(path)
    }


def test_only_stores_and_wiring_import_the_stores() -> None:
    unexplained = _store_imports_outside_the_wiring() - ALLOWED.keys()
    assert unexplained == set(), "domain code imports a store: go through services or list why"


def test_every_listed_exception_is_still_needed() -> None:
    assert ALLOWED.keys() - _store_imports_outside_the_wiring() == set()


def test_the_imports_are_read_from_the_code() -> None:
    # The scan itself: a domain module known to import the stores is seen doing so.
    assert ("chalicelib.workflow.received", "chalicelib.stores.notices_table") in (
        _store_imports_outside_the_wiring()
    )
    assert not _is_wiring_or_store("chalicelib.notices.timeline")
    assert _is_wiring_or_store("chalicelib.handlers.intake")
