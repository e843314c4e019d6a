"""Signing and at-least-once delivery of webhook events."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header for `payload`, exactly as Stripe computes it.

    `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed with the endpoint's secret>`;
    signed now unless `timestamp` is given.
    """
    signed_at = int(time.time()) if timestamp is None else timestamp
    signed = f"{signed_at}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={signed_at},v1={digest}"


@dataclass(frozen=True)
class DeliveryAttempt:
    event_id: str
    event_type: str
    attempt: int
    url: str
    status: int | None
    error: str | None
    attempted_at: float

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.event_type,
            "attempt": self.attempt,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "succeeded": self.succeeded,
            "attempted_at": self.attempted_at,
        }


@dataclass
class _Delivery:
    event_id: str
    event_type: str
    payload: bytes
    attempts_made: int = 0


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # Stripe counts a redirect as a failed delivery rather than following it.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WebhookDispatcher:
    """Delivers events in the order they were queued, from one worker thread.

    A failed attempt (non-2xx answer, connection error, timeout) is queued again
    after the next delay in `retry_delays`; after the last one it is given up.
    """

    def __init__(
        self,
        *,
        retry_delays: Sequence[float],
        timeout: float,
        url: str | None,
        secret: str | None,
    ) -> None:
        self._retry_delays = tuple(retry_delays)
        self._timeout = timeout
        self._url = url
        self._secret = secret
        self._condition = threading.Condition()
        self._queue: list[tuple[float, int, _Delivery]] = []
        self._sequence = itertools.count()
        self._in_flight = 0
        # Bumped by clear() so attempts that were in flight are forgotten.
        self._generation = 0
        self._attempts: list[DeliveryAttempt] = []
        self._stopping = False
        self._worker: threading.Thread | None = None
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())

    @property
    def url(self) -> str | None:
        with self._condition:
            return self._url

    @property
    def secret(self) -> str | None:
        with self._condition:
            return self._secret

    def configure(self, *, url: str | None, secret: str | None) -> None:
        with self._condition:
            self._url = url
            self._secret = secret

    def start(self) -> None:
        with self._condition:
            self._stopping = False
        self._worker = threading.Thread(
            target=self._run, name="stripe-emulator-webhooks", daemon=True
        )
        self._worker.start()

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=self._timeout + 1)
            self._worker = None

    def enqueue(self, event_id: str, event_type: str, payload: bytes) -> None:
        with self._condition:
            delivery = _Delivery(event_id, event_type, payload)
            self._push(time.monotonic(), delivery)

    def attempts(self) -> list[DeliveryAttempt]:
        with self._condition:
            return list(self._attempts)

    def clear(self) -> None:
        with self._condition:
            self._queue.clear()
            self._attempts.clear()
            self._generation += 1
            self._condition.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until nothing is queued, waiting for a retry or in flight."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._queue or self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

    def _push(self, due: float, delivery: _Delivery) -> None:
        heapq.heappush(self._queue, (due, next(self._sequence), delivery))
        self._condition.notify_all()

    def _run(self) -> None:
        while True:
            with self._condition:
                delivery = self._next_due()
                if delivery is None:
                    return
                self._in_flight += 1
                url, secret, generation = self._url, self._secret, self._generation
            try:
                status, error = self._post(delivery, url, secret)
            finally:
                with self._condition:
                    self._in_flight -= 1
                    if generation == self._generation:
                        self._record(delivery, url, status, error)
                    self._condition.notify_all()

    def _next_due(self) -> _Delivery | None:
        """Wait (holding the condition) for the next delivery that is due."""
        while not self._stopping:
            if self._queue:
                wait = self._queue[0][0] - time.monotonic()
                if wait <= 0:
                    return heapq.heappop(self._queue)[2]
                self._condition.wait(wait)
            else:
                self._condition.wait()
        return None

    def _record(
        self, delivery: _Delivery, url: str | None, status: int | None, error: str | None
    ) -> None:
        delivery.attempts_made += 1
        attempt = DeliveryAttempt(
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            attempt=delivery.attempts_made,
            url=url or "",
            status=status,
            error=error,
            attempted_at=time.time(),
        )
        self._attempts.append(attempt)
        if attempt.succeeded or url is None:
            return
        if delivery.attempts_made > len(self._retry_delays):
            logger.warning("Giving up on %s after %d attempts", delivery.event_id, attempt.attempt)
            return
        delay = self._retry_delays[delivery.attempts_made - 1]
        self._push(time.monotonic() + delay, delivery)

    def _post(
        self, delivery: _Delivery, url: str | None, secret: str | None
    ) -> tuple[int | None, str | None]:
        if url is None:
            return None, "no webhook endpoint is configured"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Accept": "*/*; q=0.5, application/xml",
            "Cache-Control": "no-cache",
        }
        if secret:
            headers["Stripe-Signature"] = signature_header(delivery.payload, secret)
        request = urllib.request.Request(url, data=delivery.payload, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, None
        except (OSError, ValueError) as error:
            # URLError, refused connections and timeouts are all OSErrors.
            return None, f"{type(error).__name__}: {error}"
