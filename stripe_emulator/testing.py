"""Helpers for tests that run against the emulator (the shop's and its own)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import stripe

from stripe_emulator.server import UNSET, StripeEmulator

__all__ = [
    "EmulatorControl",
    "EmulatorControlError",
    "emulator_fixture",
    "running_emulator",
    "stripe_client",
]


@contextmanager
def running_emulator(**kwargs: Any) -> Iterator[StripeEmulator]:
    """Start a StripeEmulator(**kwargs) for the duration of the block."""
    emulator = StripeEmulator(**kwargs)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


def emulator_fixture(scope: str = "function", **kwargs: Any) -> Callable[..., Any]:
    """A pytest fixture yielding a running emulator, for a conftest.py:

    `stripe_emulator = emulator_fixture(scope="session", merchant_name="Shop")`
    """
    import pytest

    @pytest.fixture(scope=scope)
    def fixture() -> Iterator[StripeEmulator]:
        with running_emulator(**kwargs) as emulator:
            yield emulator

    return fixture


def stripe_client(base_url: str, api_key: str = "sk_test_emulator") -> stripe.StripeClient:
    """A real SDK client whose API calls go to the emulator at `base_url`."""
    return stripe.StripeClient(api_key, base_addresses={"api": base_url})


class EmulatorControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class EmulatorControl:
    """A small client for the emulator's `/_emulator/` test controls."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def complete_session(
        self,
        session_id: str,
        outcome: str = "paid",
        *,
        email: str | None = None,
        deliver: bool = True,
        shipping_rate: str | None = None,
        promotion_code: str | None = None,
        customer: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Pay (or decline, or settle) a session as the hosted page would.

        `shipping_rate` (an id from the session's `shipping_options`) and `promotion_code`
        (`SAVE10`, `5OFF`) are chosen as on the page; `customer` gives `name`, `phone` and
        the address fields (`line1`, `line2`, `city`, `state`, `postal_code`, `country`),
        else the test address is used where the session asks for one.
        Answers `{"session": {... payment_intent expanded ...}, "event_ids": [...]}`.
        """
        payload: dict[str, Any] = {"outcome": outcome, "deliver": deliver}
        if email is not None:
            payload["email"] = email
        if shipping_rate is not None:
            payload["shipping_rate"] = shipping_rate
        if promotion_code is not None:
            payload["promotion_code"] = promotion_code
        payload.update(customer or {})
        return self._post(f"/_emulator/sessions/{session_id}/complete", payload)

    def fire_event(self, session_id: str, type: str, deliver: bool = True) -> dict[str, Any]:
        """Emit an event of `type` from the session's current objects."""
        payload = {"type": type, "deliver": deliver}
        return self._post(f"/_emulator/sessions/{session_id}/events", payload)

    def redeliver(self, event_id: str) -> dict[str, Any]:
        return self._post(f"/_emulator/events/{event_id}/redeliver", {})

    def deliver(self, event_ids: Sequence[str]) -> dict[str, Any]:
        """Deliver existing events in exactly this order."""
        return self._post("/_emulator/deliver", {"event_ids": list(event_ids)})

    def expire_sessions(self, session_id: str | None = None) -> list[str]:
        """Expire one open session, or every open one; answers the expired ids."""
        payload = {} if session_id is None else {"session_id": session_id}
        return self._post("/_emulator/expire", payload)["expired"]

    def deliveries(self) -> list[dict[str, Any]]:
        return self._request("GET", "/_emulator/deliveries")["data"]

    def reset(self) -> None:
        self._post("/_emulator/reset", {})

    def configure(
        self,
        *,
        webhook_url: str | None | object = UNSET,
        webhook_secret: str | None | object = UNSET,
    ) -> dict[str, Any]:
        changes = {"webhook_url": webhook_url, "webhook_secret": webhook_secret}
        payload = {name: value for name, value in changes.items() if value is not UNSET}
        return self._post("/_emulator/config", payload)

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._request("POST", path, payload)

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                body = error.read()
            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = body.decode(errors="replace")
            raise EmulatorControlError(error.code, message) from None
