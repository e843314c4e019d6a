"""Plain request/response values passed between the HTTP server and the routes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, indent=2).encode()
    return Response(status, body, "application/json", dict(headers or {}))


def html_response(status: int, markup: str) -> Response:
    return Response(status, markup.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Response:
    return Response(303, b"", "text/plain", {"Location": location})
