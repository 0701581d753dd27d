"""A scriptable local Recur: a threaded HTTP/1.1 server that records what it receives.

Tests queue responses with ``recur_server.reply(...)`` and inspect
``recur_server.received`` afterwards. Unscripted requests get ``{}`` with 200.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from recur_django.client import RecurClient

SECRET = "sk_test_51SecretValueNeverLogged9f3c"


class _QuietServer(ThreadingHTTPServer):
    """Timeout tests hang up on purpose; the resulting broken pipes are not errors."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


class FakeRecur:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.release = threading.Event()  # set at teardown to free hanging handlers
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def reply(
        self,
        status: int = 200,
        json_body: Any = None,
        *,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int = 1,
    ) -> None:
        """Queue the next response(s)."""
        if body is None:
            raw = b"" if json_body is None and status == 204 else json.dumps(json_body).encode()
            hdrs = {"Content-Type": "application/json"}
        else:
            raw = body.encode() if isinstance(body, str) else body
            hdrs = {}
        hdrs.update(headers or {})
        for _ in range(times):
            self._script.append(Reply(status, raw, hdrs, delay, drop))

    @property
    def last(self) -> Received:
        return self.received[-1]

    def _next(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else Reply()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus the
            # peer's delayed ACK stall every keep-alive reply by ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                fake.received.append(
                    Received(self.command, parts.path, query, dict(self.headers.items()), body)
                )
                reply = fake._next()
                if reply.delay:
                    fake.release.wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        return Handler

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recur_server() -> Iterator[FakeRecur]:
    fake = FakeRecur()
    yield fake
    fake.close()


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff waits requested by clients made with ``make_client`` (never slept)."""
    return []


@pytest.fixture
def make_client(recur_server: FakeRecur, sleeps: list[float]) -> Iterator[Any]:
    clients: list[RecurClient] = []

    def make(**kwargs: Any) -> RecurClient:
        kwargs.setdefault("base_url", recur_server.url)
        kwargs.setdefault("timeout", (2.0, 5.0))
        client = RecurClient(kwargs.pop("secret_key", SECRET), **kwargs)
        client._transport.sleep = sleeps.append
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Any) -> RecurClient:
    return make_client()


def unused_port() -> int:
    """A local port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Any, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False
