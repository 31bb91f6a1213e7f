"""`psx serve`: the embedded exchange behind real local endpoints.

- an AWS-compatible endpoint (moto's server, sharing the in-process moto state), so
  boto3 and the aws CLI work with ``--endpoint-url``;
- the HTTPS API of functions/app.py, served by Chalice's local server;
- Lambda's event sources: a long-polling poller per queue delivering SQS messages to
  the handlers;
- EventBridge's schedules (which never fire in moto): a timer running the scheduled
  handlers every ``schedule_seconds`` with the current time.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import (
    ChaliceRequestHandler,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
)
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from chalicelib.api.problems import PROBLEM_JSON
from infra.api import GATEWAY_DEFAULT_PROBLEMS, GATEWAY_PROBLEMS
from psx import FUNCTIONS_DIR
from psx.embedded.runtime import EmbeddedRuntime

# API Gateway's own payload limit (the app answers 413 far below it, at 1 MiB).
MAX_GATEWAY_BODY_BYTES = 10 * 1024 * 1024
_MAX_LINE_BYTES = 65536  # as http.server allows for a header line
_MAX_TRAILER_LINES = 100
_CONTENT_LENGTH = re.compile(r"[0-9]{1,12}", re.ASCII)
_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,8})(?:;[^\r\n]*)?\r\n")


class FramingError(Exception):
    """The request's body cannot be read as HTTP/1.1 frames it: answered, never guessed."""

    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class GatewayProblemsHandler(ChaliceRequestHandler):
    """Chalice's local gateway, answering as API Gateway does with the stack's gateway
    responses (infra/api.py ``GATEWAY_PROBLEMS``): problem details, not Chalice's bodies.
    What this server refuses itself (a malformed request, a URL or header too long, an
    unknown method, a body it cannot frame) is a problem too, shaped as the stack's
    default gateway responses (``GATEWAY_DEFAULT_PROBLEMS``).

    Overrides Chalice's ``_send_error_response`` and ``_parse_payload`` (private
    methods; tests/api over HTTP check the answers they give).
    """

    _body: bytes | None = None

    def parse_request(self) -> bool:
        """The request line and headers (http.server), then the body: by Content-Length
        or chunked, before the request reaches the app."""
        if not super().parse_request():
            return False
        try:
            self._body = self._read_body()
        except FramingError as error:
            self.send_error(error.status, error.detail)
            return False
        return True

    def _parse_payload(self) -> tuple[dict[str, Any], bytes | None]:
        # Chalice's own trusts int(Content-Length) (-5 reads nothing) and drops a
        # chunked body; the body was read by parse_request.
        return dict(self.headers), self._body

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's refusals (400, 414, 431, 501, …) as problem details, not HTML."""
        detail = "; ".join(part for part in (message, explain) if part)
        problem = _default_problem(code, detail or HTTPStatus(code).description)
        self.log_error("code %d, message %s", code, message)
        # The rest of the connection's bytes cannot be trusted to start a new request.
        headers: dict[str, Any] = {"Content-Type": PROBLEM_JSON, "Connection": "close"}
        self._send_http_response(code, headers, json.dumps(problem).encode("utf-8"))

    def _send_error_response(self, error: LocalGatewayException) -> None:
        name = _gateway_response_name(error)
        if name is None:  # an authorizer that answered nothing: API Gateway's 500
            error_type = error.headers.get("x-amzn-ErrorType") or HTTPStatus(error.CODE).phrase
            problem = _default_problem(error.CODE, str(error_type))
        else:
            problem = GATEWAY_PROBLEMS[name]
        body = json.dumps(problem).encode("utf-8")
        headers = {"Content-Type": PROBLEM_JSON}
        self._send_http_response(problem["status"], headers, body)

    def _read_body(self) -> bytes | None:
        lengths = self.headers.get_all("Content-Length") or []
        codings = self.headers.get_all("Transfer-Encoding") or []
        if codings:
            if lengths:  # two framings: the way requests are smuggled past a proxy
                raise FramingError(
                    HTTPStatus.BAD_REQUEST, "send Transfer-Encoding or Content-Length, not both"
                )
            if [coding.strip().lower() for coding in ",".join(codings).split(",")] != ["chunked"]:
                raise FramingError(
                    HTTPStatus.NOT_IMPLEMENTED,
                    f"Transfer-Encoding {', '.join(codings)!r}: only chunked is supported",
                )
            return self._read_chunked() or None
        if not lengths:
            return None
        if len(set(lengths)) > 1 or not _CONTENT_LENGTH.fullmatch(lengths[0]):
            raise FramingError(
                HTTPStatus.BAD_REQUEST, "Content-Length must be one whole number of bytes"
            )
        length = int(lengths[0])
        _check_size(length)
        body = self.rfile.read(length)
        if len(body) < length:
            raise FramingError(HTTPStatus.BAD_REQUEST, "the body is shorter than Content-Length")
        return body or None

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            size_line = _CHUNK_SIZE_LINE.fullmatch(self.rfile.readline(_MAX_LINE_BYTES))
            if size_line is None:
                raise FramingError(HTTPStatus.BAD_REQUEST, "a chunk size line is malformed")
            size = int(size_line.group(1), 16)
            if size == 0:
                self._skip_trailer()
                return bytes(body)
            _check_size(len(body) + size)
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.read(2) != b"\r\n":
                raise FramingError(HTTPStatus.BAD_REQUEST, "a chunk is shorter than its size")
            body += chunk

    def _skip_trailer(self) -> None:
        for _ in range(_MAX_TRAILER_LINES):
            line = self.rfile.readline(_MAX_LINE_BYTES)
            if line == b"\r\n":
                return
            if not line.endswith(b"\r\n"):
                break
        raise FramingError(HTTPStatus.BAD_REQUEST, "the chunked body's trailer does not end")


def _default_problem(status: int, detail: str) -> dict[str, Any]:
    """The stack's default gateway response for ``status`` (``DEFAULT_4XX``/``DEFAULT_5XX``)."""
    problem_type, title = GATEWAY_DEFAULT_PROBLEMS[
        "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    ]
    return {"type": problem_type, "title": title, "status": status, "detail": detail}


def _check_size(length: int) -> None:
    if length > MAX_GATEWAY_BODY_BYTES:
        raise FramingError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"the body is over the gateway's limit of {MAX_GATEWAY_BODY_BYTES} bytes",
        )


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
            self._server.server.server_close()  # the listening socket
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
        for source in self.runtime.event_sources:
            name = f"psx-poll-{source.function_name}"
            self._start_thread(self.runtime.poll, name, source, self._stop)
        self._start_thread(self._run_schedules, "psx-schedules")

    def stop(self) -> None:
        self._stop.set()
        self._api.stop()
        self._moto.stop()

    def wait(self) -> None:
        self._stop.wait()

    def _start_thread(self, target: Callable[..., None], name: str, *args: Any) -> None:
        threading.Thread(target=target, name=name, args=args, daemon=True).start()

    def _run_schedules(self) -> None:
        while not self._stop.wait(self.schedule_seconds):
            self.runtime.run_schedules(datetime.now(UTC))
