"""Test helpers: sign webhook bodies as Stripe does and watch when the shop calls Stripe."""

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.urls import reverse

from conftest import WEBHOOK_SECRET
from orders import stripe_gateway


def stripe_signature(
    body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_webhook(client, event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    body = json.dumps(event).encode()
    return client.post(
        reverse("stripe_webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, secret, timestamp),
    )


def make_event(event_type: str, data_object: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_test_{time.time_ns()}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "api_version": "2026-10-28.endive",
        "livemode": False,
        "data": {"object": data_object},
    }


@contextmanager
def transactions_open_at_each_stripe_call(monkeypatch) -> Iterator[list[int]]:
    """Yield a list that gets, for every call the shop makes to Stripe (the real call still
    happens), how many transactions the shop had open beyond the test's own."""
    already_open = len(connection.atomic_blocks)
    counts = []
    call = stripe_gateway._call

    def counting_call(*args, **kwargs):
        counts.append(len(connection.atomic_blocks) - already_open)
        return call(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(stripe_gateway, "_call", counting_call)
        yield counts
