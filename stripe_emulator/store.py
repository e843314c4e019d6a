"""What every part of the emulated account shares: ids, the clock and the object store.

The store holds every object as the JSON dict Stripe would answer with, plus the
orderings Stripe's lists follow. It has one lock; whoever reads or changes the
store holds it (see `Account`).
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

from stripe_emulator.errors import no_such

# Captured once: the shop may later assign stripe.api_version for its own calls.
API_VERSION: str = stripe.api_version

_ID_ALPHABET = string.ascii_letters + string.digits

JsonObject = dict[str, Any]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused an event, echoed in the event's `request`."""

    request_id: str
    idempotency_key: str | None


class Store:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.lock = threading.RLock()
        self.base_url = ""
        self._clock = clock
        self.clear()

    def clear(self) -> None:
        self.objects: dict[str, JsonObject] = {}
        self.session_ids: list[str] = []
        self.event_ids: list[str] = []
        self.line_items: dict[str, list[JsonObject]] = {}
        self.payment_intent_templates: dict[str, JsonObject] = {}
        # Parts of objects Stripe shows only when expanded (`total_details.breakdown`,
        # a line item's `discounts` and `taxes`), by the id of the object they belong to.
        self.includable: dict[str, JsonObject] = {}
        # The country whose tax applies to a session, once its customer gave an address.
        self.tax_countries: dict[str, str] = {}
        # The discount object applied to a session, by session id.
        self.discount_ids: dict[str, str] = {}
        self.tax_rate_ids: dict[tuple[str, bool], str] = {}

    def now(self) -> int:
        return int(self._clock())

    def add(self, found: JsonObject) -> JsonObject:
        self.objects[found["id"]] = found
        return found

    def get(self, object_name: str, object_id: str, *, param: str, status: int = 404) -> JsonObject:
        found = self.objects.get(object_id)
        if found is None or found["object"] != object_name:
            raise no_such(object_name, object_id, param=param, status=status)
        return found
