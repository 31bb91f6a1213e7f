"""An extension racing an amendment, both computed from the same version (forced, not
hoped for): whichever is stored first, the added platform ends up with the version that
is current, and an extension is never applied to a version it was not computed from."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from chalicelib.dispatch.model import DispatchRef
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.notices_table import NoticeStore
from psx.polling import wait_until
from tests.api.support import RACE_SECONDS, Caller, HttpApi, at_once, new_platform, new_regulator
from tests.api.support import unique as unique_id

NOTICE = {
    "kind": "order",
    "jurisdiction": "KR",
    "product": {"name": "Magnetic toy", "models": ["M-1"]},
    "target_platforms": ["nobody-registered"],
}


def _race(monkeypatch: pytest.MonkeyPatch, winner: str) -> None:
    """The amendment's save and the extension's write both wait until each request has
    read the notice; then ``winner`` ("save" or "extend") writes first."""
    both_read = threading.Barrier(2, timeout=RACE_SECONDS)
    winner_done = threading.Event()
    real = {"save": NoticeStore.save, "extend": NoticeStore.extend}

    def held(name: str) -> Any:
        def write(self: NoticeStore, *args: Any, **kwargs: Any) -> Any:
            both_read.wait()
            if name != winner:
                assert winner_done.wait(RACE_SECONDS)
                return real[name](self, *args, **kwargs)
            try:
                return real[name](self, *args, **kwargs)
            finally:
                winner_done.set()

        return write

    for name in real:
        monkeypatch.setattr(NoticeStore, name, held(name))


def _send(http: HttpApi, regulator: Caller) -> str:
    answer = http.post("/v1/notices", {**NOTICE, "source_reference": unique_id("R")}, regulator)
    assert answer.status == 201, answer
    return str(answer.body["notice_id"])


def _amend_and_extend(http: HttpApi, regulator: Caller, notice_id: str, platform_id: str) -> Any:
    path = f"/v1/notices/{notice_id}"
    return at_once(
        lambda: http.post(f"{path}/amendment", {"changes": {"remedy": "Refund"}}, regulator),
        lambda: http.post(f"{path}/extensions", {"platforms": [platform_id]}, regulator),
    )


def test_an_amendment_stored_first_refuses_the_extension(
    http: HttpApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator, platform = new_regulator(), new_platform()
    notice_id = _send(http, regulator)
    _race(monkeypatch, winner="save")

    amended, extended = _amend_and_extend(http, regulator, notice_id, platform.id)

    assert amended.status == 201, amended
    assert (extended.status, extended.problem_type) == (409, "concurrent-update"), extended
    assert NoticeStore(os.environ["PSX_TABLE_NAME"]).extensions(notice_id) == []


def test_an_extension_stored_first_reaches_the_amended_version_too(
    http: HttpApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator, platform = new_regulator(), new_platform()
    notice_id = _send(http, regulator)
    _race(monkeypatch, winner="extend")

    amended, extended = _amend_and_extend(http, regulator, notice_id, platform.id)

    assert (amended.status, extended.status) == (201, 201), (amended, extended)
    dispatches = DispatchStore(os.environ["PSX_TABLE_NAME"])
    # Version 2's own plan dispatches it to the platform extended at version 1.
    wait_until(lambda: dispatches.get(DispatchRef(notice_id, 2, platform.id)), "v2 dispatch", 60)
