"""PaymentIntents, charges and refunds created by paying a session."""

from __future__ import annotations

import pytest
import stripe

from stripe_emulator.tests.helpers import create_session, line_item


@pytest.fixture
def paid_intent(client, control):
    session = create_session(
        client,
        line_items=[line_item(2500, quantity=2)],
        payment_intent_data={"metadata": {"order_id": "42"}},
    )
    intent_id = control.complete_session(session.id)["session"]["payment_intent"]["id"]
    return client.v1.payment_intents.retrieve(intent_id)


def test_paid_session_has_a_succeeded_payment_intent_and_charge(client, paid_intent):
    charge = client.v1.charges.retrieve(paid_intent.latest_charge)

    assert paid_intent.object == "payment_intent"
    assert (paid_intent.amount, paid_intent.amount_received) == (5000, 5000)
    assert (paid_intent.currency, paid_intent.status) == ("usd", "succeeded")
    assert paid_intent.metadata.to_dict() == {"order_id": "42"}
    assert charge.object == "charge"
    assert (charge.amount, charge.amount_refunded, charge.refunded) == (5000, 0, False)
    assert (charge.status, charge.paid, charge.payment_intent) == (
        "succeeded",
        True,
        paid_intent.id,
    )


def test_declined_then_paid_reuses_the_payment_intent(client, control):
    session = create_session(client)

    declined = control.complete_session(session.id, "declined")
    paid = control.complete_session(session.id, "paid")

    failed_intent = declined["session"]["payment_intent"]
    assert declined["session"]["status"] == "open"
    assert failed_intent["status"] == "requires_payment_method"
    assert failed_intent["last_payment_error"]["code"] == "card_declined"
    assert paid["session"]["payment_intent"]["id"] == failed_intent["id"]
    assert paid["session"]["payment_intent"]["status"] == "succeeded"
    types = [client.v1.events.retrieve(event_id).type for event_id in declined["event_ids"]]
    assert types == ["payment_intent.payment_failed"]


def test_unknown_payment_intent_is_404(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.retrieve("pi_missing")

    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_full_refund_marks_the_charge_refunded_and_sends_charge_refunded(
    client, paid_intent, receiver, emulator
):
    refund = client.v1.refunds.create(params={"payment_intent": paid_intent.id})

    assert refund.id.startswith("re_")
    assert (refund.object, refund.status, refund.amount) == ("refund", "succeeded", 5000)
    assert (refund.payment_intent, refund.charge) == (paid_intent.id, paid_intent.latest_charge)
    emulator.wait_for_deliveries()
    charge = receiver.received[-1].event["data"]["object"]
    assert receiver.event_types()[-1] == "charge.refunded"
    assert charge["object"] == "charge"
    assert (charge["id"], charge["payment_intent"]) == (refund.charge, paid_intent.id)
    assert (charge["amount"], charge["amount_refunded"], charge["refunded"]) == (5000, 5000, True)
    assert (charge["currency"], charge["status"]) == ("usd", "succeeded")


def test_partial_refunds_up_to_the_charge_then_already_refunded(client, paid_intent):
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 1500})
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 3501})
    client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 3500})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id})

    assert over.value.param == "amount"
    assert over.value.user_message == (
        "Refund amount ($35.01) is greater than unrefunded amount on charge ($35.00)"
    )
    assert again.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(paid_intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (5000, True)


def test_refund_by_charge_and_retrieve_it(client, paid_intent):
    refund = client.v1.refunds.create(
        params={"charge": paid_intent.latest_charge, "amount": 100, "reason": "duplicate"}
    )

    fetched = client.v1.refunds.retrieve(refund.id, params={"expand": ["charge"]})

    assert (fetched.amount, fetched.reason) == (100, "duplicate")
    assert fetched.charge.amount_refunded == 100


def test_refund_for_an_unknown_payment_intent(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": "pi_missing"})

    assert (raised.value.code, raised.value.param) == ("resource_missing", "payment_intent")
    assert raised.value.user_message == "No such payment_intent: 'pi_missing'"


@pytest.mark.parametrize("outcome", ["declined", "async_pending"])
def test_refund_for_an_unpaid_payment_intent(client, control, outcome):
    session = create_session(client)
    intent_id = control.complete_session(session.id, outcome)["session"]["payment_intent"]["id"]

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": intent_id})

    assert raised.value.user_message == (
        f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
    )


def test_refund_amount_must_be_a_positive_integer(client, paid_intent):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(params={"payment_intent": paid_intent.id, "amount": 0})

    assert raised.value.param == "amount"
