"""API keys and Idempotency-Key replays, as the SDK sees them."""

from __future__ import annotations

import base64

import pytest
import stripe

from stripe_emulator.testing import stripe_client
from stripe_emulator.tests.helpers import API_KEY, create_session, raw_json, session_params


@pytest.mark.parametrize("api_key", ["sk_live_0123456789abcdef", "pk_test_123456", "garbage"])
def test_keys_other_than_secret_test_keys_are_refused(emulator, api_key):
    client = stripe_client(emulator.base_url, api_key)

    with pytest.raises(stripe.AuthenticationError) as raised:
        client.v1.events.list()

    assert raised.value.http_status == 401
    assert raised.value.user_message.startswith("Invalid API Key provided: ")
    assert api_key not in raised.value.user_message


def test_missing_key_gets_stripes_401_body(emulator):
    status, _, body = raw_json(f"{emulator.base_url}/v1/events")

    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("You did not provide an API key.")


def test_basic_auth_as_curl_sends_it_is_accepted(emulator):
    credentials = base64.b64encode(f"{API_KEY}:".encode()).decode()

    status, _, body = raw_json(
        f"{emulator.base_url}/v1/events", headers={"Authorization": f"Basic {credentials}"}
    )

    assert (status, body["object"]) == (200, "list")


def test_unrecognized_url_is_stripes_404(client, emulator):
    status, _, body = raw_json(
        f"{emulator.base_url}/v1/customers", headers={"Authorization": f"Bearer {API_KEY}"}
    )

    assert status == 404
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/customers)")


def test_same_key_and_parameters_replay_the_saved_response(client):
    options = {"idempotency_key": "order-42-attempt-1"}

    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    replay = client.v1.checkout.sessions.create(params=session_params(), options=options)

    assert replay.id == first.id
    assert replay.to_dict() == first.to_dict()
    assert replay.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    assert [s.id for s in client.v1.checkout.sessions.list().data] == [first.id]


def test_same_key_with_other_parameters_is_an_idempotency_error(client):
    options = {"idempotency_key": "order-42-attempt-1"}
    client.v1.checkout.sessions.create(params=session_params(), options=options)

    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="order-43"), options=options
        )

    assert raised.value.http_status == 400
    assert raised.value.user_message.startswith(
        "Keys for idempotent requests can only be used with the same parameters they "
        "were first used with."
    )


def test_idempotency_keys_are_scoped_to_the_api_key(client, emulator):
    options = {"idempotency_key": "shared-key"}
    other_client = stripe_client(emulator.base_url, "sk_test_other_account")

    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    second = other_client.v1.checkout.sessions.create(params=session_params(), options=options)

    assert first.id != second.id


def test_a_request_refused_by_validation_saves_no_result(client):
    options = {"idempotency_key": "retry-after-fixing"}
    too_cheap = session_params(line_items=[{**session_params()["line_items"][0], "quantity": 0}])
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(params=too_cheap, options=options)

    session = client.v1.checkout.sessions.create(params=session_params(), options=options)

    assert session.status == "open"


def test_refund_replay_refunds_only_once(client, control):
    session = create_session(client)
    intent_id = control.complete_session(session.id)["session"]["payment_intent"]["id"]
    options = {"idempotency_key": "refund-order-42"}
    params = {"payment_intent": intent_id, "amount": 1000}

    first = client.v1.refunds.create(params=params, options=options)
    replay = client.v1.refunds.create(params=params, options=options)

    assert replay.id == first.id
    charge = client.v1.charges.retrieve(first.charge)
    assert charge.amount_refunded == 1000
