"""Events: recording them, listing them, and queueing them for webhook delivery."""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Mapping
from typing import Any

from stripe_emulator import objects
from stripe_emulator.errors import conflict, invalid_parameter
from stripe_emulator.expansion import expanded_list, paginate, reject_unsupported_filters
from stripe_emulator.params import get_string, get_string_list
from stripe_emulator.store import JsonObject, RequestInfo, Store
from stripe_emulator.webhooks import WebhookDispatcher

EVENT_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
)


class Events:
    """Callers hold the store's lock."""

    def __init__(self, store: Store, dispatcher: WebhookDispatcher) -> None:
        self._store = store
        self._dispatcher = dispatcher

    def list_events(self, params: Mapping[str, Any]) -> JsonObject:
        reject_unsupported_filters(params, {"type", "types"})
        single = get_string(params, "type")
        several = get_string_list(params, "types")
        if single is not None and several:
            raise invalid_parameter(
                "You may only specify one of these parameters: type, types.",
                param="types",
            )
        patterns = [single] if single is not None else several
        events = [self._store.objects[event_id] for event_id in reversed(self._store.event_ids)]
        matching = [
            event
            for event in events
            if not patterns or any(fnmatch.fnmatchcase(event["type"], p) for p in patterns)
        ]
        page = paginate(matching, params, "/v1/events", "event")
        return expanded_list(self._store, page, get_string_list(params, "expand"))

    def emit(
        self,
        event_type: str,
        subject: JsonObject,
        *,
        deliver: bool,
        request: RequestInfo | None = None,
    ) -> JsonObject:
        """Record an event carrying a snapshot of the subject as it is now."""
        event = objects.event(
            event_type,
            copy.deepcopy(subject),
            created=self._store.now(),
            pending_webhooks=1 if self._dispatcher.url else 0,
            request_id=request.request_id if request else None,
            idempotency_key=request.idempotency_key if request else None,
        )
        self._store.add(event)
        self._store.event_ids.append(event["id"])
        if deliver:
            self._queue_delivery(event)
        return event

    def fire_event(self, session_id: str, event_type: str, *, deliver: bool) -> JsonObject:
        """Emit an event built from the session's current objects, as is."""
        if event_type not in EVENT_TYPES:
            raise invalid_parameter(
                f"Unsupported event type: {event_type}. Use one of " + ", ".join(EVENT_TYPES),
                param="type",
            )
        session = self._store.get("checkout.session", session_id, param="session")
        subject = session
        if not event_type.startswith("checkout.session."):
            if session["payment_intent"] is None:
                raise conflict(f"Checkout Session {session_id} has no PaymentIntent yet.")
            subject = self._store.objects[session["payment_intent"]]
        if event_type.startswith("charge."):
            if subject["latest_charge"] is None:
                raise conflict(f"PaymentIntent {subject['id']} has no charge.")
            subject = self._store.objects[subject["latest_charge"]]
        event = self.emit(event_type, subject, deliver=deliver)
        return copy.deepcopy(event)

    def deliver(self, event_ids: list[str]) -> None:
        """Queue existing events for delivery in exactly the given order."""
        if self._dispatcher.url is None:
            raise conflict("No webhook_url is configured, so nothing can be sent.")
        events = [self._store.get("event", event_id, param="id") for event_id in event_ids]
        for event in events:
            self._queue_delivery(event)

    def _queue_delivery(self, event: JsonObject) -> None:
        if self._dispatcher.url is None:
            return
        payload = json.dumps(event, indent=2).encode()
        self._dispatcher.enqueue(event["id"], event["type"], payload)
