"""The `/v1/` Stripe API: authentication, routing and idempotent replays."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import stripe.params as params_types
import stripe.params.checkout as checkout_params_types

from stripe_emulator.account import (
    API_VERSION,
    IMPLEMENTED_REFUND_PARAMS,
    IMPLEMENTED_SESSION_PARAMS,
    Account,
    RequestInfo,
    new_id,
)
from stripe_emulator.errors import StripeError, invalid_parameter
from stripe_emulator.param_types import check_values
from stripe_emulator.params import (
    REQUEST_OPTION_NAMES,
    Implemented,
    Params,
    ParamSchema,
    decode_form,
    reject_unimplemented,
    reject_unknown,
    request_schema,
)
from stripe_emulator.responses import Request, Response, json_response

_TEST_SECRET_KEY = re.compile(r"^sk_test_\w+$")

Handler = Callable[[Account, dict[str, str], Params, RequestInfo], dict[str, Any]]


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    schema: ParamSchema
    handler: Handler
    # None: the handler reads every parameter it accepts, or refuses it itself.
    implemented: Implemented | None

    def check(self, params: Params) -> None:
        """Stripe's checks of names and value types, then the emulator's own limits."""
        reject_unknown(params, self.schema)
        check_values(params, self.schema.typed_dict, REQUEST_OPTION_NAMES)
        if self.implemented is not None:
            reject_unimplemented(params, self.implemented)


def _route(
    method: str,
    pattern: str,
    typed_dict: type,
    handler: Handler,
    implemented: Implemented | None = None,
) -> _Route:
    return _Route(method, re.compile(pattern), request_schema(typed_dict), handler, implemented)


_ID = r"(?P<id>[^/]+)"

ROUTES = (
    _route(
        "POST",
        "/v1/checkout/sessions",
        checkout_params_types.SessionCreateParams,
        lambda account, _, params, info: account.create_session(params, info),
        IMPLEMENTED_SESSION_PARAMS,
    ),
    _route(
        "GET",
        "/v1/checkout/sessions",
        checkout_params_types.SessionListParams,
        lambda account, _, params, info: account.list_sessions(params),
    ),
    _route(
        "GET",
        f"/v1/checkout/sessions/{_ID}",
        checkout_params_types.SessionRetrieveParams,
        lambda account, path, params, info: account.retrieve_session(path["id"], params),
    ),
    _route(
        "GET",
        f"/v1/checkout/sessions/{_ID}/line_items",
        checkout_params_types.SessionLineItemListParams,
        lambda account, path, params, info: account.list_line_items(path["id"], params),
    ),
    _route(
        "POST",
        f"/v1/checkout/sessions/{_ID}/expire",
        checkout_params_types.SessionExpireParams,
        lambda account, path, params, info: account.expire_session(path["id"], params, info),
    ),
    _route(
        "GET",
        f"/v1/payment_intents/{_ID}",
        params_types.PaymentIntentRetrieveParams,
        lambda account, path, params, info: account.retrieve(
            "payment_intent", path["id"], params, "intent"
        ),
    ),
    _route(
        "GET",
        f"/v1/charges/{_ID}",
        params_types.ChargeRetrieveParams,
        lambda account, path, params, info: account.retrieve(
            "charge", path["id"], params, "charge"
        ),
    ),
    _route(
        "POST",
        "/v1/refunds",
        params_types.RefundCreateParams,
        lambda account, _, params, info: account.create_refund(params, info),
        IMPLEMENTED_REFUND_PARAMS,
    ),
    _route(
        "GET",
        f"/v1/refunds/{_ID}",
        params_types.RefundRetrieveParams,
        lambda account, path, params, info: account.retrieve(
            "refund", path["id"], params, "refund"
        ),
    ),
    _route(
        "GET",
        "/v1/events",
        params_types.EventListParams,
        lambda account, _, params, info: account.list_events(params),
    ),
    _route(
        "GET",
        f"/v1/events/{_ID}",
        params_types.EventRetrieveParams,
        lambda account, path, params, info: account.retrieve("event", path["id"], params, "id"),
    ),
)


@dataclass(frozen=True)
class _SavedResponse:
    fingerprint: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


class StripeApi:
    def __init__(self, account: Account) -> None:
        self._account = account
        # Keyed by (API key, Idempotency-Key): Stripe scopes keys per account.
        self._saved: dict[tuple[str, str], _SavedResponse] = {}

    def reset(self) -> None:
        with self._account.lock:
            self._saved.clear()

    def handle(self, request: Request) -> Response:
        request_id = new_id("req_", 14)
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("Stripe-Version") or API_VERSION,
        }
        try:
            api_key = _authenticate(request.headers.get("Authorization", ""))
            route, path_params = _match(request)
            params = _decode(request)
        except StripeError as error:
            return json_response(error.status, error.body(), headers)

        idempotency_key = None
        if request.method == "POST":
            idempotency_key = request.headers.get("Idempotency-Key") or None
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        info = RequestInfo(request_id, idempotency_key)
        fingerprint = json.dumps([request.method, request.path, params], sort_keys=True)

        with self._account.lock:
            saved_key = (api_key, idempotency_key) if idempotency_key else None
            saved = self._saved.get(saved_key) if saved_key else None
            if saved is not None:
                if saved.fingerprint != fingerprint:
                    error = StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other "
                        f"than '{idempotency_key}' if you meant to execute a "
                        "different request.",
                        error_type="idempotency_error",
                    )
                    return json_response(error.status, error.body(), headers)
                replay_headers = {**saved.headers, "Idempotent-Replayed": "true"}
                return json_response(saved.status, saved.body, replay_headers)

            status, body, replayable = _execute(self._account, route, path_params, params, info)
            if saved_key and replayable:
                self._saved[saved_key] = _SavedResponse(fingerprint, status, body, dict(headers))
        return json_response(status, body, headers)


def _execute(
    account: Account,
    route: _Route,
    path_params: dict[str, str],
    params: Params,
    info: RequestInfo,
) -> tuple[int, dict[str, Any], bool]:
    try:
        route.check(params)
        return 200, route.handler(account, path_params, params, info), True
    except StripeError as error:
        return error.status, error.body(), error.replayable


def _authenticate(authorization: str) -> str:
    scheme, _, credentials = authorization.strip().partition(" ")
    api_key = ""
    if scheme.lower() == "bearer":
        api_key = credentials.strip()
    elif scheme.lower() == "basic":
        # `curl -u sk_test_...:` sends the key as the Basic user name.
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        api_key = decoded.partition(":")[0]
    if not api_key:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in "
            "the Authorization header, using Bearer auth (e.g. 'Authorization: "
            "Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
            "for details, or we can help at https://support.stripe.com/.",
        )
    if not _TEST_SECRET_KEY.match(api_key):
        raise StripeError(401, f"Invalid API Key provided: {_redact(api_key)}")
    return api_key


def _redact(api_key: str) -> str:
    if len(api_key) <= 12:
        return "*" * len(api_key)
    return api_key[:8] + "*" * (len(api_key) - 12) + api_key[-4:]


def _match(request: Request) -> tuple[_Route, dict[str, str]]:
    path = unquote(request.path)
    for route in ROUTES:
        match = route.pattern.fullmatch(path)
        if match and route.method == request.method:
            return route, match.groupdict()
    raise unrecognized_url(request)


def unrecognized_url(request: Request) -> StripeError:
    return StripeError(
        404,
        f"Unrecognized request URL ({request.method}: {request.path}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )


def _decode(request: Request) -> Params:
    raw = request.query if request.method != "POST" else request.body
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise invalid_parameter("The request body is not valid UTF-8.") from None
    return decode_form(text)
