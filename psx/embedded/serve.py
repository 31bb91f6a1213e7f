"""`psx serve`: the embedded exchange behind real local endpoints.

- an AWS-compatible endpoint (moto's server, sharing the in-process moto state), so
  boto3 and the aws CLI work with ``--endpoint-url``;
- the HTTPS API of functions/app.py, served by Chalice's local server;
- Lambda's event sources: a poller delivering SQS messages to the handlers;
- EventBridge's schedules (which never fire in moto): a timer running the scheduled
  handlers every ``schedule_seconds`` with the current time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import (
    ChaliceRequestHandler,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
)
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from infra.stack import GATEWAY_PROBLEMS
from psx import FUNCTIONS_DIR
from psx.embedded.runtime import EmbeddedRuntime

POLL_INTERVAL_SECONDS = 0.2


class GatewayProblemsHandler(ChaliceRequestHandler):
    """Chalice's local gateway, answering as API Gateway does with the stack's gateway
    responses (infra/stack.py ``GATEWAY_PROBLEMS``): problem details, not Chalice's bodies.

    Overrides Chalice's ``_send_error_response`` (a private method; tests/api over HTTP
    check the answers it gives).
    """

    def _send_error_response(self, error: LocalGatewayException) -> None:
        name = _gateway_response_name(error)
        if name is None:
            super()._send_error_response(error)
            return
        body = json.dumps(GATEWAY_PROBLEMS[name]).encode("utf-8")
        headers = {"Content-Type": "application/problem+json"}
        self._send_http_response(GATEWAY_PROBLEMS[name]["status"], headers, body)


class QuietGatewayProblemsHandler(GatewayProblemsHandler):
    """The same, without an access log line per request (``psx demo`` prints its own)."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def _gateway_response_name(error: LocalGatewayException) -> str | None:
    """Which API Gateway response Chalice's local error stands for."""
    error_type = error.headers.get("x-amzn-ErrorType")
    if error.CODE == 401:
        return "UNAUTHORIZED"
    if error.CODE == 403 and error_type == "AccessDeniedException":
        return "ACCESS_DENIED"
    if error.CODE == 403 and error_type == "UnauthorizedException":  # no such route
        return "MISSING_AUTHENTICATION_TOKEN"
    return None


class LocalApi:
    """The HTTPS API of ``functions/app.py`` on Chalice's local server, in a thread.

    Port 0 picks a free port (``url`` says which). Binding happens in ``start``, so the
    API is reachable once it returns.
    """

    def __init__(
        self,
        runtime: EmbeddedRuntime,
        host: str = "127.0.0.1",
        port: int = 0,
        access_log: bool = True,
    ) -> None:
        self.runtime = runtime
        self.host = host
        self.port = port
        self._handler = GatewayProblemsHandler if access_log else QuietGatewayProblemsHandler
        self._server: LocalDevServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        factory = CLIFactory(project_dir=str(FUNCTIONS_DIR))
        config = factory.create_config_obj(chalice_stage_name=self.runtime.stage)
        app = self.runtime.app.app
        if not isinstance(app, LocalChalice):
            # Makes the app local-server aware (a class swap, so only once per process).
            factory.create_local_server(app, config, self.host, self.port).server.server_close()
        self._server = LocalDevServer(app, config, self.host, self.port, handler_cls=self._handler)
        self.port = self._server.server.server_address[1]
        # The server's own serve_forever prints its address; ours is in ``url``.
        serve = self._server.server.serve_forever
        threading.Thread(target=serve, name="psx-api", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> LocalApi:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class Endpoints:
    def __init__(
        self,
        runtime: EmbeddedRuntime,
        host: str,
        aws_port: int,
        api_port: int,
        schedule_seconds: float = 60.0,
    ) -> None:
        self.runtime = runtime
        self.schedule_seconds = schedule_seconds
        self.host = host
        self.aws_port = aws_port
        self._stop = threading.Event()
        self._moto = ThreadedMotoServer(ip_address=host, port=aws_port, verbose=False)
        self._api = LocalApi(runtime, host, api_port)

    @property
    def aws_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    @property
    def api_url(self) -> str:
        return self._api.url

    def start(self) -> None:
        """Returns once both endpoints accept connections."""
        self._moto.start()
        self._api.start()
        self._start_thread(self._poll_event_sources, "psx-event-sources")
        self._start_thread(self._run_schedules, "psx-schedules")

    def stop(self) -> None:
        self._stop.set()
        self._api.stop()
        self._moto.stop()

    def wait(self) -> None:
        self._stop.wait()

    def _start_thread(self, target: Callable[[], None], name: str) -> None:
        threading.Thread(target=target, name=name, daemon=True).start()

    def _poll_event_sources(self) -> None:
        while not self._stop.is_set():
            if self.runtime.pump() == 0:
                self._stop.wait(POLL_INTERVAL_SECONDS)

    def _run_schedules(self) -> None:
        while not self._stop.wait(self.schedule_seconds):
            self.runtime.run_schedules(datetime.now(UTC))
