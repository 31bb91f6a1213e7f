"""Every Lambda function deploys as ``app.<handler>``, so Lambda runs app.py's wiring.

The handlers live in blueprints (``chalicelib/handlers/``); Lambda must still import
``app.py``, whose blueprint registration gives them the middleware (aws/chalice#1566).
"""

from __future__ import annotations

from typing import Any

from psx.embedded.runtime import EmbeddedRuntime


def _functions(runtime: EmbeddedRuntime) -> list[Any]:
    chalice_app = runtime.app.app
    return [
        *chalice_app.pure_lambda_functions,
        *chalice_app.event_sources,
        *chalice_app.builtin_auth_handlers,
    ]


def test_every_function_is_deployed_from_app_py(runtime: EmbeddedRuntime) -> None:
    functions = _functions(runtime)
    assert {function.name for function in functions} >= {
        "api_key_authorizer",
        "enforce_deadlines",
        "intake_notice_files",
        "record_received",
    }
    for function in functions:
        module, attribute = function.handler_string.rsplit(".", 1)
        assert module == "app", function.name
        assert getattr(runtime.app, attribute) is runtime.app.app.handler_map[function.name]
