"""Events and their signed, retried webhook deliveries."""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_emulator.testing import (
    EmulatorControl,
    EmulatorControlError,
    running_emulator,
    stripe_client,
)
from stripe_emulator.tests.helpers import API_KEY, WEBHOOK_SECRET, create_session
from stripe_emulator.tests.receiver import WebhookReceiver
from stripe_emulator.webhooks import USER_AGENT, signature_header


def test_paying_sends_signed_events_the_sdk_verifies(client, control, receiver, emulator):
    session = create_session(client)

    control.complete_session(session.id, email="payer@example.com")
    emulator.wait_for_deliveries()

    first, second = receiver.received
    events = [
        stripe.Webhook.construct_event(
            request.body, request.headers["Stripe-Signature"], WEBHOOK_SECRET
        )
        for request in receiver.received
    ]
    assert [event.type for event in events] == [
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = events[1]
    assert completed.id.startswith("evt_")
    assert completed.object == "event"
    assert completed.api_version == stripe.api_version
    assert (completed.livemode, completed.pending_webhooks) == (False, 1)
    assert completed.request.id is None
    assert completed.request.idempotency_key is None
    assert completed.data.object.id == session.id
    assert completed.data.object.payment_status == "paid"
    assert completed.data.object.customer_details.email == "payer@example.com"
    assert completed.data.object.payment_intent == events[0].data.object.id
    assert second.headers["Content-Type"] == "application/json; charset=utf-8"
    assert second.headers["User-Agent"] == USER_AGENT


def test_delivered_signature_is_the_shared_helpers_and_verifies_with_stripes_sdk(
    control, client, receiver, emulator
):
    control.fire_event(create_session(client).id, "checkout.session.completed")
    emulator.wait_for_deliveries()

    (request,) = receiver.received
    header = request.headers["Stripe-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))

    assert signature_header(request.body, WEBHOOK_SECRET, timestamp) == header
    assert stripe.WebhookSignature.verify_header(request.body.decode(), header, WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(request.body, header, "whsec_wrong")


def test_failed_delivery_is_retried_with_the_same_event(client, control, receiver, emulator):
    receiver.answer_next(500)

    control.fire_event(create_session(client).id, "checkout.session.completed")
    emulator.wait_for_deliveries()

    first, second = receiver.received
    assert first.body == second.body
    attempts = control.deliveries()
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 500), (2, 200)]
    assert attempts[0]["event_id"] == attempts[1]["event_id"] == first.event["id"]
    assert attempts[1]["succeeded"] is True


def test_delivery_gives_up_after_the_last_retry(client, control, receiver, emulator):
    receiver.answer_next(503, 503, 503, 503)

    control.fire_event(create_session(client).id, "checkout.session.completed")
    emulator.wait_for_deliveries()

    assert [a["status"] for a in control.deliveries()] == [503, 503, 503]
    assert len(receiver.received) == 3


def test_unreachable_endpoint_is_retried_and_recorded(client, control, emulator):
    with WebhookReceiver() as closed:
        url = closed.url
    emulator.configure(webhook_url=url)

    control.fire_event(create_session(client).id, "checkout.session.completed")
    emulator.wait_for_deliveries()

    attempts = control.deliveries()
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert all(a["status"] is None and a["error"] for a in attempts)


def test_redeliver_sends_a_duplicate(client, control, receiver, emulator):
    event = control.fire_event(create_session(client).id, "checkout.session.completed")
    emulator.wait_for_deliveries()

    control.redeliver(event["id"])
    emulator.wait_for_deliveries()

    assert [request.event["id"] for request in receiver.received] == [event["id"]] * 2


def test_events_held_back_are_delivered_in_the_order_asked(client, control, receiver, emulator):
    session = create_session(client)
    control.complete_session(session.id, deliver=False)
    completed, succeeded, refunded = (
        control.fire_event(session.id, event_type, deliver=False)["id"]
        for event_type in (
            "checkout.session.completed",
            "payment_intent.succeeded",
            "charge.refunded",
        )
    )
    emulator.wait_for_deliveries()
    assert receiver.received == []

    control.deliver([refunded, completed, succeeded])
    emulator.wait_for_deliveries()

    assert [request.event["id"] for request in receiver.received] == [
        refunded,
        completed,
        succeeded,
    ]
    assert receiver.received[0].event["data"]["object"]["object"] == "charge"


def test_fire_event_needs_the_object_to_exist(client, control):
    session = create_session(client)

    with pytest.raises(EmulatorControlError) as raised:
        control.fire_event(session.id, "payment_intent.succeeded")

    assert raised.value.status == 409


def test_without_a_webhook_url_events_are_recorded_only(client, control, emulator):
    session = create_session(client)
    paid = control.complete_session(session.id)

    with pytest.raises(EmulatorControlError) as raised:
        control.redeliver(paid["event_ids"][0])

    assert raised.value.status == 409
    assert control.deliveries() == []
    assert client.v1.events.retrieve(paid["event_ids"][0]).pending_webhooks == 0


def test_events_list_newest_first_with_type_filters(client, control):
    session = create_session(client)
    control.complete_session(session.id)
    client.v1.checkout.sessions.expire(create_session(client).id)

    everything = client.v1.events.list()
    sessions_only = client.v1.events.list(params={"type": "checkout.session.*"})
    chosen = client.v1.events.list(
        params={"types": ["payment_intent.succeeded", "checkout.session.expired"]}
    )

    assert [event.type for event in everything.data] == [
        "checkout.session.expired",
        "checkout.session.completed",
        "payment_intent.succeeded",
    ]
    assert [event.type for event in sessions_only.data] == [
        "checkout.session.expired",
        "checkout.session.completed",
    ]
    assert [event.type for event in chosen.data] == [
        "checkout.session.expired",
        "payment_intent.succeeded",
    ]
    fetched = client.v1.events.retrieve(everything.data[0].id)
    assert fetched.to_dict() == everything.data[0].to_dict()


def test_unknown_event_is_404(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.events.retrieve("evt_missing")

    assert raised.value.http_status == 404


def test_api_caused_events_name_the_request(client):
    session = create_session(client)

    client.v1.checkout.sessions.expire(session.id, options={"idempotency_key": "expire-1"})

    (event,) = client.v1.events.list().data
    assert event.request.id.startswith("req_")
    assert event.request.idempotency_key == "expire-1"


def test_expire_control_expires_every_open_session_once(client, control, receiver, emulator):
    first, second = create_session(client), create_session(client)
    control.complete_session(create_session(client).id, deliver=False)

    expired = control.expire_sessions()
    again = control.expire_sessions()
    emulator.wait_for_deliveries()

    assert sorted(expired) == sorted([first.id, second.id])
    assert again == []
    assert sorted(r.event["data"]["object"]["id"] for r in receiver.received) == sorted(expired)
    assert receiver.event_types() == ["checkout.session.expired"] * 2


def test_expire_control_refuses_a_closed_session(client, control):
    session = create_session(client)
    control.complete_session(session.id)

    with pytest.raises(EmulatorControlError) as raised:
        control.expire_sessions(session.id)

    assert raised.value.status == 409


def test_sessions_past_expires_at_expire_lazily_once():
    now = [time.time()]
    with running_emulator(clock=lambda: now[0]) as emulator:
        client = stripe_client(emulator.base_url, API_KEY)
        session = create_session(client, expires_at=int(now[0]) + 3600)
        now[0] += 3601

        first_look = client.v1.checkout.sessions.retrieve(session.id)
        second_look = client.v1.checkout.sessions.retrieve(session.id)

        assert (first_look.status, second_look.status) == ("expired", "expired")
        events = client.v1.events.list(params={"type": "checkout.session.expired"})
        assert [event.data.object.id for event in events.data] == [session.id]


def test_bank_transfer_completes_unpaid_then_settles(client, control, receiver, emulator):
    session = create_session(client)

    pending = control.complete_session(session.id, "async_pending")
    settled = control.complete_session(session.id, "async_succeeded")
    emulator.wait_for_deliveries()

    assert (pending["session"]["status"], pending["session"]["payment_status"]) == (
        "complete",
        "unpaid",
    )
    assert pending["session"]["payment_intent"]["status"] == "processing"
    assert settled["session"]["payment_status"] == "paid"
    assert settled["session"]["payment_intent"]["status"] == "succeeded"
    assert receiver.event_types() == [
        "checkout.session.completed",
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]
    assert receiver.received[0].event["data"]["object"]["payment_status"] == "unpaid"


def test_bank_transfer_can_fail(client, control, receiver, emulator):
    session = create_session(client)
    control.complete_session(session.id, "async_pending")

    failed = control.complete_session(session.id, "async_failed")
    emulator.wait_for_deliveries()

    assert failed["session"]["payment_status"] == "unpaid"
    assert failed["session"]["payment_intent"]["status"] == "requires_payment_method"
    assert receiver.event_types()[-2:] == [
        "payment_intent.payment_failed",
        "checkout.session.async_payment_failed",
    ]
    with pytest.raises(EmulatorControlError) as raised:
        control.complete_session(session.id, "async_succeeded")
    assert raised.value.status == 409


def test_bank_transfer_settles_by_itself():
    with (
        WebhookReceiver() as receiver,
        running_emulator(
            webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET, async_settle_seconds=0.2
        ) as emulator,
    ):
        client = stripe_client(emulator.base_url, API_KEY)
        session = create_session(client)

        EmulatorControl(emulator.base_url).complete_session(session.id, "async_pending")
        receiver.wait_for(3)

        assert receiver.event_types()[-1] == "checkout.session.async_payment_succeeded"
        assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_webhook_endpoint_can_be_configured_at_run_time(client, control, emulator):
    with WebhookReceiver() as receiver:
        answer = control.configure(webhook_url=receiver.url)
        control.fire_event(create_session(client).id, "checkout.session.completed")
        emulator.wait_for_deliveries()

        assert answer == {"webhook_url": receiver.url, "webhook_secret_set": True}
        assert len(receiver.received) == 1


def test_reset_forgets_everything(client, control, receiver, emulator):
    session = create_session(client)
    control.complete_session(session.id)
    emulator.wait_for_deliveries()

    control.reset()

    assert client.v1.events.list().data == []
    assert client.v1.checkout.sessions.list().data == []
    assert control.deliveries() == []
