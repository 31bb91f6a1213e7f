"""Fixtures of the API tests: a client per module's embedded exchange."""

from __future__ import annotations

import pytest

from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api


@pytest.fixture(scope="module")
def api(runtime: EmbeddedRuntime) -> Api:
    return Api(runtime)
