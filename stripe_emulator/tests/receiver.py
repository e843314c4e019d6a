"""A tiny webhook endpoint for the tests: records requests, answers as scripted."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class ReceivedWebhook:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[ReceivedWebhook] = []
        self._statuses: deque[int] = deque()
        self._condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver._record(ReceivedWebhook(dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/webhook/"

    def answer_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then 200 again."""
        with self._condition:
            self._statuses.extend(statuses)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedWebhook]:
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} webhooks, got {len(self.received)}")
                self._condition.wait(remaining)
            return list(self.received)

    def event_types(self) -> list[str]:
        with self._condition:
            return [request.event["type"] for request in self.received]

    def _record(self, request: ReceivedWebhook) -> int:
        with self._condition:
            self.received.append(request)
            self._condition.notify_all()
            return self._statuses.popleft() if self._statuses else 200

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
