"""Fixtures of the API tests: a client per module's embedded exchange."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from psx.embedded.runtime import EmbeddedRuntime
from psx.embedded.serve import LocalApi
from tests.api.support import Api, Caller, HttpApi, new_platform, new_regulator


@pytest.fixture(scope="module")
def api(runtime: EmbeddedRuntime) -> Api:
    return Api(runtime)


@pytest.fixture(scope="module")
def http(runtime: EmbeddedRuntime) -> Iterator[HttpApi]:
    """The same calls over real HTTP to the in-process local server: many at once."""
    with LocalApi(runtime, access_log=False) as local:
        yield HttpApi(local.url)


@pytest.fixture(scope="module")
def platform(api: Api) -> Caller:
    """A platform of this module's exchange (modules that need more define their own)."""
    return new_platform()


@pytest.fixture(scope="module")
def regulator(api: Api) -> Caller:
    """A regulator of this module's exchange."""
    return new_regulator()
