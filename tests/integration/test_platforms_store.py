"""Platforms and their signing secrets against moto, and the `psx platforms` commands."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError

from chalicelib.platforms.model import Platform
from chalicelib.stores import signing_secrets
from chalicelib.stores.platforms_table import PlatformExists, PlatformNotFound, PlatformStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.platforms_cli import platforms
from tests.support import unique_platform_id


@pytest.fixture
def store(runtime: EmbeddedRuntime) -> PlatformStore:
    return PlatformStore(os.environ["PSX_TABLE_NAME"])


def _platform(platform_id: str, **fields: Any) -> Platform:
    values: dict[str, Any] = {"name": "Shop", "jurisdictions": ["KR"]} | fields
    return Platform(platform_id=platform_id, **values)


class _ClientProxy:
    """The shared DynamoDB client, with one call intercepted (other stores unaffected)."""

    def __init__(self, client: Any, **overrides: Callable[..., Any]) -> None:
        self._client = client
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._client, name)


# -- the store -------------------------------------------------------------------------------


def test_create_get_update(store: PlatformStore) -> None:
    platform_id = unique_platform_id()
    assert store.get(platform_id) is None
    store.create(_platform(platform_id))
    assert store.get(platform_id) == _platform(platform_id)
    with pytest.raises(PlatformExists, match="already registered"):
        store.create(_platform(platform_id, name="Impostor"))
    store.update(platform_id, name="Renamed")
    assert store.get(platform_id).name == "Renamed"  # type: ignore[union-attr]


def test_update_validates_and_keeps_other_fields(store: PlatformStore) -> None:
    platform_id = unique_platform_id()
    store.create(_platform(platform_id, languages=["ko"]))
    updated = store.update(platform_id, jurisdictions=["eu"], active=False)
    assert (updated.jurisdictions, updated.active, updated.languages) == (["EU"], False, ["ko"])
    assert store.get(platform_id) == updated
    with pytest.raises(ValidationError):
        store.update(platform_id, jurisdictions=["XX"])
    assert store.get(platform_id) == updated
    with pytest.raises(ValueError, match="cannot change"):
        store.update(platform_id, platform_id="other")
    with pytest.raises(PlatformNotFound):
        store.update(unique_platform_id(), name="Nobody")


def test_concurrent_updates_do_not_undo_each_other(store: PlatformStore) -> None:
    platform_id = unique_platform_id()
    store.create(_platform(platform_id))
    other_operator = PlatformStore(os.environ["PSX_TABLE_NAME"])
    real_put = store._db.put_item
    interleaved: list[Platform] = []

    def put_after_the_other_operator(**kwargs: Any) -> Any:
        if not interleaved:  # the other operator writes between our read and our write
            interleaved.append(other_operator.update(platform_id, languages=["en"]))
        return real_put(**kwargs)

    store._db = _ClientProxy(store._db, put_item=put_after_the_other_operator)  # type: ignore[assignment]
    store.update(platform_id, name="Renamed")
    stored = store.get(platform_id)
    assert stored is not None and (stored.name, stored.languages) == ("Renamed", ["en"])


def test_list_reads_every_page_and_batch(store: PlatformStore) -> None:
    # More than one BatchGetItem (100 keys) and, with a small page size, many index pages.
    prefix = unique_platform_id("many")
    mine = {f"{prefix}-{n:03d}" for n in range(105)}
    for platform_id in mine:
        store.create(_platform(platform_id))
    pages = []

    def small_pages(params: dict[str, Any], **_: Any) -> None:
        pages.append(params.get("ExclusiveStartKey"))
        params["Limit"] = 40

    # botocore's own hook for a call's parameters: every page the store asks for is small.
    events = store._db.meta.events
    events.register("provide-client-params.dynamodb.Query", small_pages)
    try:
        listed = [platform.platform_id for platform in store.list()]
    finally:
        events.unregister("provide-client-params.dynamodb.Query", small_pages)
    assert mine <= set(listed)
    assert listed == sorted(listed)
    assert len(pages) >= 3


# -- signing secrets -------------------------------------------------------------------------


def test_secret_lifecycle(runtime: EmbeddedRuntime) -> None:
    name = signing_secrets.signing_secret_name("psx-dev", unique_platform_id())
    first = signing_secrets.create_secret(name)
    assert first.startswith("whsec_")
    assert signing_secrets.signing_keys(name) == [first]
    with pytest.raises(signing_secrets.SigningSecretExists):
        signing_secrets.create_secret(name)

    second = signing_secrets.rotate(name)
    assert signing_secrets.signing_keys(name) == [second, first]
    third = signing_secrets.rotate(name)  # at most one previous secret stays valid
    assert signing_secrets.signing_keys(name) == [third, second]

    assert signing_secrets.retire_previous(name) is True
    assert signing_secrets.signing_keys(name) == [third]
    assert signing_secrets.retire_previous(name) is False


def test_overwrite_replaces_a_leftover_secret(runtime: EmbeddedRuntime) -> None:
    name = signing_secrets.signing_secret_name("psx-dev", unique_platform_id())
    signing_secrets.create_secret(name)
    signing_secrets.rotate(name)
    fresh = signing_secrets.create_secret(name, overwrite=True)
    assert signing_secrets.signing_keys(name) == [fresh]


def test_a_missing_secret_is_reported(runtime: EmbeddedRuntime) -> None:
    with pytest.raises(signing_secrets.SigningSecretNotFound):
        signing_secrets.signing_keys("psx/psx-dev/webhook-signing/never-created")


# -- the CLI ---------------------------------------------------------------------------------


def _psx_platforms(*args: str) -> Result:
    # No endpoint: Target() talks to the session's in-process moto, stack psx-dev.
    return CliRunner().invoke(platforms, list(args), env={"PSX_ENDPOINT_URL": None})


def _add(platform_id: str, *extra: str) -> Result:
    return _psx_platforms(
        "add", platform_id, "--name", "Temu", "--jurisdiction", "KR", "--jurisdiction", "eu",
        *extra,
    )  # fmt: skip


def test_add_prints_the_secret_once_and_stores_its_reference(runtime: EmbeddedRuntime) -> None:
    platform_id = unique_platform_id()
    result = _add(platform_id, "--webhook-url", "https://hooks.example/psx", "--json")
    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)
    ref = f"psx/psx-dev/webhook-signing/{platform_id}"
    assert added["platform"]["signing_secret_ref"] == ref
    assert added["platform"]["jurisdictions"] == ["KR", "EU"]
    assert signing_secrets.signing_keys(ref) == [added["signing_secret"]]

    listed = json.loads(_psx_platforms("list", "--json").stdout)
    assert added["platform"] in listed
    assert added["signing_secret"] not in json.dumps(listed)


def test_add_in_text_warns_that_the_secret_is_shown_once(runtime: EmbeddedRuntime) -> None:
    result = _add(unique_platform_id())
    assert result.exit_code == 0, result.output
    assert "Webhook signing secret: whsec_" in result.stdout
    assert "will not be shown again" in result.stderr


def test_update_rotate_and_retire(runtime: EmbeddedRuntime) -> None:
    platform_id = unique_platform_id()
    first = json.loads(_add(platform_id, "--json").stdout)["signing_secret"]
    ref = f"psx/psx-dev/webhook-signing/{platform_id}"

    result = _psx_platforms(
        "update", platform_id, "--webhook-url", "https://hooks.example/v2", "--inactive"
    )
    assert result.exit_code == 0, result.output
    assert "[inactive]" in result.stdout and "https://hooks.example/v2" in result.stdout

    result = _psx_platforms("rotate-secret", platform_id)
    assert result.exit_code == 0, result.output
    second = result.stdout.strip().rsplit(" ", 1)[-1]
    assert signing_secrets.signing_keys(ref) == [second, first]
    assert "retire-secret" in result.stderr

    assert "Retired" in _psx_platforms("retire-secret", platform_id).stdout
    assert signing_secrets.signing_keys(ref) == [second]
    assert "no previous" in _psx_platforms("retire-secret", platform_id).stdout


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["update", "nobody-here", "--name", "X"], 1, "no platform nobody-here"),
        (["rotate-secret", "nobody-here"], 1, "no platform nobody-here"),
        (["update", "nobody-here"], 2, "nothing to change"),
        (
            ["add", "Bad_Id", "--name", "X", "--jurisdiction", "XX"],
            2,
            "jurisdictions: 'XX' is not an ISO 3166-1 alpha-2 code or EU",
        ),
        (["list", "--stack", "psx-nowhere"], 3, "stack 'psx-nowhere' not found"),
    ],
)
def test_errors_are_clear(
    runtime: EmbeddedRuntime, args: list[str], exit_code: int, message: str
) -> None:
    result = _psx_platforms(*args)
    assert result.exit_code == exit_code
    assert message in result.stderr


def test_adding_a_registered_platform_keeps_its_secret(runtime: EmbeddedRuntime) -> None:
    platform_id = unique_platform_id()
    secret = json.loads(_add(platform_id, "--json").stdout)["signing_secret"]
    result = _add(platform_id)
    assert result.exit_code == 1
    assert "already registered" in result.stderr
    assert signing_secrets.signing_keys(f"psx/psx-dev/webhook-signing/{platform_id}") == [secret]
