"""Deadline agreements stored with the platform registry, and `psx agreements`."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pydantic import ValidationError

from chalicelib.deadlines.policy import DeadlinePolicy
from chalicelib.platforms.model import Platform
from chalicelib.stores.platforms_table import PlatformNotFound, PlatformStore
from psx.agreements_cli import agreements
from psx.embedded.runtime import EmbeddedRuntime
from tests.support import unique_platform_id


@pytest.fixture
def store(runtime: EmbeddedRuntime) -> PlatformStore:
    return PlatformStore(os.environ["PSX_TABLE_NAME"])


@pytest.fixture
def platform_id(store: PlatformStore) -> str:
    platform_id = unique_platform_id("pact")
    store.create(Platform(platform_id=platform_id, name="Shop", jurisdictions=["KR"]))
    return platform_id


def _psx_agreements(*args: str) -> Result:
    # The runtime fixture set the environment; PSX_ENDPOINT_URL unset means "this process".
    return CliRunner().invoke(agreements, list(args), env={"PSX_ENDPOINT_URL": None})


def test_an_agreement_is_stored_with_its_platform_and_read_back(
    store: PlatformStore, platform_id: str
) -> None:
    store.set_agreement(platform_id, "kftc", DeadlinePolicy(1, 1, 1))
    store.set_agreement(platform_id, "*", DeadlinePolicy(notice_action_working_days=2))

    (listed,) = [p for p in store.list() if p.platform_id == platform_id]
    assert listed.agreements == {
        "kftc": DeadlinePolicy(1, 1, 1),
        "*": DeadlinePolicy(notice_action_working_days=2),
    }
    assert store.get(platform_id) == listed


def test_removing_one_agreement_keeps_the_others(store: PlatformStore, platform_id: str) -> None:
    store.set_agreement(platform_id, "kftc", DeadlinePolicy(1, 1, 1))
    store.set_agreement(platform_id, "kca", DeadlinePolicy(2, 2, 2))

    updated = store.set_agreement(platform_id, "kftc", None)

    assert updated.agreements == {"kca": DeadlinePolicy(2, 2, 2)}
    assert store.get(platform_id) == updated


def test_two_operators_agreeing_at_once_keep_both_agreements(
    store: PlatformStore, platform_id: str
) -> None:
    other_operator = PlatformStore(os.environ["PSX_TABLE_NAME"])
    real_put = store._db.put_item
    interleaved: list[Platform] = []

    def put_after_the_other_operator(**kwargs: Any) -> Any:
        if not interleaved:  # the other operator writes between our read and our write
            interleaved.append(
                other_operator.set_agreement(platform_id, "kca", DeadlinePolicy(2, 2, 2))
            )
        return real_put(**kwargs)

    class _Proxy:
        def __getattr__(self, name: str) -> Any:
            if name == "put_item":
                return put_after_the_other_operator
            return getattr(other_operator._db, name)

    store._db = _Proxy()  # type: ignore[assignment]
    store.set_agreement(platform_id, "kftc", DeadlinePolicy(1, 1, 1))

    stored = PlatformStore(os.environ["PSX_TABLE_NAME"]).get(platform_id)
    assert stored is not None
    assert stored.agreements == {"kca": DeadlinePolicy(2, 2, 2), "kftc": DeadlinePolicy(1, 1, 1)}


@pytest.mark.parametrize("regulator_id", ["KFTC", "kftc:temu", "", "**"])
def test_a_bad_regulator_id_is_refused_and_nothing_changes(
    store: PlatformStore, platform_id: str, regulator_id: str
) -> None:
    with pytest.raises(ValidationError, match="is not a regulator id or \\*"):
        store.set_agreement(platform_id, regulator_id, DeadlinePolicy())
    assert store.get(platform_id).agreements == {}  # type: ignore[union-attr]


@pytest.mark.parametrize("days", [True, "2", 0, 1.5])
def test_an_agreement_of_days_that_are_not_a_positive_whole_number_is_refused(
    days: object,
) -> None:
    stored = {
        "platform_id": "temu",
        "name": "T",
        "jurisdictions": ["KR"],
        "agreements": {"kftc": {"acknowledge_working_days": days}},
    }
    with pytest.raises(ValidationError, match="acknowledge_working_days"):
        Platform.model_validate_json(json.dumps(stored))


def test_an_agreement_needs_a_registered_platform(store: PlatformStore) -> None:
    with pytest.raises(PlatformNotFound):
        store.set_agreement(unique_platform_id(), "kftc", DeadlinePolicy())


# -- psx agreements ---------------------------------------------------------------------------


def test_set_then_list_as_text_and_json(runtime: EmbeddedRuntime, platform_id: str) -> None:
    agreed = _psx_agreements(
        "set",
        "kftc",
        platform_id,
        "--acknowledge-days",
        "2",
        "--action-days",
        "5",
        "--order-action-days",
        "1",
    )
    assert agreed.exit_code == 0, agreed.output
    assert "applies to notices dispatched from now on" in agreed.output

    listed = _psx_agreements("list", "--json")
    assert {
        "regulator_id": "kftc",
        "platform_id": platform_id,
        "acknowledge_working_days": 2,
        "order_action_working_days": 1,
        "notice_action_working_days": 5,
        "notification_working_days": 3,
        "lookback_months": 6,
        "notification_mode": "platform",
    } in json.loads(listed.output)
    text = _psx_agreements("list").output
    assert f"kftc:{platform_id}  acknowledge 2  order action 1  notice action 5" in text


def test_remove_then_the_pair_is_gone(runtime: EmbeddedRuntime, platform_id: str) -> None:
    assert _psx_agreements("set", "*", platform_id, "--acknowledge-days", "3").exit_code == 0
    removed = _psx_agreements("remove", "*", platform_id)
    assert removed.exit_code == 0, removed.output
    assert platform_id not in _psx_agreements("list").output
    again = _psx_agreements("remove", "*", platform_id)
    assert again.exit_code == 1 and f"no agreement *:{platform_id}" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "kftc", "{platform}"], "give at least one option of the agreement"),
        (["set", "kftc", "{platform}", "--action-days", "0"], "0 is not in the range x>=1"),
        (["set", "Bad Id", "{platform}", "--action-days", "1"], "is not a regulator id"),
        (["set", "kftc", "nobody-here", "--action-days", "1"], "no platform nobody-here"),
    ],
)
def test_set_refuses_with_the_reason(
    runtime: EmbeddedRuntime, platform_id: str, args: list[str], message: str
) -> None:
    result = _psx_agreements(*[arg.format(platform=platform_id) for arg in args])
    assert result.exit_code != 0
    assert message in result.output
    assert platform_id not in _psx_agreements("list").output
