"""Building blocks shared by the emulator's tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import stripe

API_KEY = "sk_test_emulator_suite"
WEBHOOK_SECRET = "whsec_emulator_suite"
SUCCESS_URL = "http://shop.test/checkout/success/?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://shop.test/basket/"


def line_item(unit_amount: int = 9999, quantity: int = 1, name: str = "Teapot"):
    return {
        "price_data": {
            "currency": "usd",
            "unit_amount": unit_amount,
            "product_data": {"name": name, "description": f"A fine {name.lower()}"},
        },
        "quantity": quantity,
    }


def session_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [line_item()],
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "order-42",
        "customer_email": "buyer@example.com",
        "metadata": {"order_id": "42"},
    }
    params.update(overrides)
    return params


def create_session(client: stripe.StripeClient, **overrides: Any):
    return client.v1.checkout.sessions.create(params=session_params(**overrides))


def raw_request(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """An HTTP request that reports 4xx/5xx answers instead of raising."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def raw_json(url: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    status, headers, body = raw_request(url, **kwargs)
    return status, headers, json.loads(body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
