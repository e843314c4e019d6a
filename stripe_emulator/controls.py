"""Test controls under `/_emulator/`: drive payments and webhooks from tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from stripe_emulator.account import (
    BANK_TRANSFER,
    CARD,
    CARD_DECLINED_MESSAGE,
    DECLINE_CARD,
    SUCCESS_CARD,
    Account,
    ChoiceRejected,
    PaymentRejected,
)
from stripe_emulator.checkout_form import (
    ADDRESS_FIELDS,
    chosen_country,
    customer_info,
    test_customer_info,
)
from stripe_emulator.errors import StripeError, invalid_parameter
from stripe_emulator.params import (
    Params,
    decode_form,
    get_bool,
    get_string,
    get_string_list,
)
from stripe_emulator.responses import Request, Response, json_response
from stripe_emulator.webhooks import WebhookDispatcher

DEFAULT_EMAIL = "customer@example.com"
OUTCOMES = ("paid", "declined", "async_pending", "async_succeeded", "async_failed")

Configure = Callable[..., None]


class Controls:
    def __init__(
        self,
        account: Account,
        dispatcher: WebhookDispatcher,
        *,
        reset: Callable[[], None],
        configure: Configure,
    ) -> None:
        self._account = account
        self._dispatcher = dispatcher
        self._reset = reset
        self._configure = configure
        session = r"/_emulator/sessions/(?P<session_id>[^/]+)"
        event = r"/_emulator/events/(?P<event_id>[^/]+)"
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            ("POST", re.compile(f"{session}/complete"), self._complete),
            ("POST", re.compile(f"{session}/events"), self._fire_event),
            (
                "POST",
                re.compile(f"{event}/redeliver"),
                self._redeliver,
            ),
            ("POST", re.compile(r"/_emulator/deliver"), self._deliver),
            ("POST", re.compile(r"/_emulator/expire"), self._expire),
            ("GET", re.compile(r"/_emulator/deliveries"), self._deliveries),
            ("POST", re.compile(r"/_emulator/reset"), self._reset_all),
            ("GET", re.compile(r"/_emulator/config"), self._show_config),
            ("POST", re.compile(r"/_emulator/config"), self._change_config),
        ]

    def handle(self, request: Request) -> Response:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                try:
                    answer = handler(_body(request), **match.groupdict())
                except StripeError as error:
                    return json_response(error.status, error.body())
                return json_response(200, answer)
        return json_response(
            404,
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"Unknown emulator control: {request.method} {request.path}",
                }
            },
        )

    def _complete(self, body: Params, session_id: str) -> dict[str, Any]:
        outcome = get_string(body, "outcome") or "paid"
        deliver = get_bool(body, "deliver", default=True)
        if outcome not in OUTCOMES:
            raise invalid_parameter(
                f"Unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}.",
                param="outcome",
            )
        if outcome in ("async_succeeded", "async_failed"):
            event_ids = self._account.settle(
                session_id, succeeded=outcome == "async_succeeded", deliver=deliver
            )
        else:
            event_ids = self._pay(body, session_id, outcome, deliver)
        session = self._account.session_state(session_id)
        return {"session": session, "event_ids": event_ids}

    def _pay(self, body: Params, session_id: str, outcome: str, deliver: bool) -> list[str]:
        session = self._account.session_state(session_id)
        email = get_string(body, "email") or session["customer_email"] or DEFAULT_EMAIL
        card = DECLINE_CARD if outcome == "declined" else SUCCESS_CARD
        # The customer's own details if the test gives any, else the test address.
        given = {
            name: str(body[name])
            for name in ("name", "phone", *ADDRESS_FIELDS)
            if body.get(name) not in (None, "")
        }
        try:
            info = customer_info(session, given) if given else test_customer_info(session)
            self._account.choose(
                session_id,
                shipping_rate_id=get_string(body, "shipping_rate"),
                promotion_code=get_string(body, "promotion_code"),
                tax_country=(
                    chosen_country(session, {"country": info.address["country"]})
                    if info.address
                    else None
                ),
            )
            return self._account.pay(
                session_id,
                method=BANK_TRANSFER if outcome == "async_pending" else CARD,
                email=email,
                card_number=card,
                deliver=deliver,
                info=info,
            )
        except (PaymentRejected, ChoiceRejected) as rejected:
            if rejected.message != CARD_DECLINED_MESSAGE:
                raise invalid_parameter(rejected.message) from None
            return rejected.event_ids

    def _fire_event(self, body: Params, session_id: str) -> dict[str, Any]:
        event_type = get_string(body, "type")
        if event_type is None:
            raise invalid_parameter("Missing required param: type.", param="type")
        deliver = get_bool(body, "deliver", default=True)
        return self._account.fire_event(session_id, event_type, deliver=deliver)

    def _redeliver(self, body: Params, event_id: str) -> dict[str, Any]:
        self._account.deliver([event_id])
        return {"queued": [event_id]}

    def _deliver(self, body: Params) -> dict[str, Any]:
        event_ids = get_string_list(body, "event_ids")
        self._account.deliver(event_ids)
        return {"queued": event_ids}

    def _expire(self, body: Params) -> dict[str, Any]:
        expired = self._account.expire_sessions(get_string(body, "session_id"))
        return {"expired": expired}

    def _deliveries(self, body: Params) -> dict[str, Any]:
        attempts = [attempt.as_json() for attempt in self._dispatcher.attempts()]
        return {"object": "list", "data": attempts}

    def _reset_all(self, body: Params) -> dict[str, Any]:
        self._reset()
        return {"reset": True}

    def _show_config(self, body: Params) -> dict[str, Any]:
        return {
            "webhook_url": self._dispatcher.url,
            "webhook_secret_set": bool(self._dispatcher.secret),
        }

    def _change_config(self, body: Params) -> dict[str, Any]:
        changes = {name: get_string(body, name) for name in ("webhook_url", "webhook_secret")}
        self._configure(**{name: value for name, value in changes.items() if name in body})
        return self._show_config(body)


def _body(request: Request) -> Params:
    if not request.body:
        return decode_form(request.query)
    if request.content_type == "application/json":
        try:
            decoded = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise invalid_parameter(f"Invalid JSON body: {error}") from None
        if not isinstance(decoded, dict):
            raise invalid_parameter("The JSON body must be an object.")
        return decoded
    return decode_form(request.body.decode(errors="replace"))
