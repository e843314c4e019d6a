"""Test helpers: sign webhook bodies as Stripe does and talk to the emulator's controls."""

import hashlib
import hmac
import json
import time

from django.urls import reverse

from conftest import WEBHOOK_SECRET


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
