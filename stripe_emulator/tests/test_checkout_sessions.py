"""Checkout Sessions through the real stripe SDK pointed at the emulator."""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_emulator.tests.helpers import (
    API_KEY,
    CANCEL_URL,
    SUCCESS_URL,
    create_session,
    line_item,
    raw_json,
    session_params,
)


def test_create_returns_an_open_session_with_its_hosted_page(client, emulator):
    before = int(time.time())
    session = create_session(
        client, line_items=[line_item(1999, quantity=2), line_item(500, name="Cup")]
    )

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"{emulator.base_url}/c/pay/{session.id}"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_subtotal, session.amount_total) == (4498, 4498)
    assert session.currency == "usd"
    assert session.mode == "payment"
    assert session.metadata.to_dict() == {"order_id": "42"}
    assert session.client_reference_id == "order-42"
    assert session.customer_email == "buyer@example.com"
    assert session.customer_details is None
    assert session.payment_intent is None
    assert session.success_url == SUCCESS_URL
    assert session.cancel_url == CANCEL_URL
    assert session.livemode is False
    assert before <= session.created <= int(time.time())
    assert session.expires_at == session.created + 24 * 60 * 60


def test_retrieve_expands_line_items_and_their_products(client):
    created = create_session(client, line_items=[line_item(1250, quantity=3, name="Mug")])

    session = client.v1.checkout.sessions.retrieve(
        created.id, params={"expand": ["line_items", "line_items.data.price.product"]}
    )

    assert session.id == created.id
    (item,) = session.line_items.data
    assert item.object == "item"
    assert item.id.startswith("li_")
    assert (item.description, item.quantity) == ("Mug", 3)
    assert (item.amount_subtotal, item.amount_total, item.currency) == (3750, 3750, "usd")
    assert (item.price.unit_amount, item.price.currency) == (1250, "usd")
    assert item.price.product.name == "Mug"
    assert item.price.product.description == "A fine mug"


def test_plain_retrieve_leaves_line_items_out(client):
    created = create_session(client)

    session = client.v1.checkout.sessions.retrieve(created.id)

    assert "line_items" not in session


def test_line_items_endpoint_lists_and_paginates(client):
    items = [line_item(100 * number, name=f"Item {number}") for number in range(1, 4)]
    session = create_session(client, line_items=items)

    first_page = client.v1.checkout.sessions.line_items.list(session.id, params={"limit": 2})
    everything = list(
        client.v1.checkout.sessions.line_items.list(
            session.id, params={"limit": 2}
        ).auto_paging_iter()
    )

    assert first_page.object == "list"
    assert first_page.has_more is True
    assert first_page.url == f"/v1/checkout/sessions/{session.id}/line_items"
    assert [item.description for item in first_page.data] == ["Item 1", "Item 2"]
    assert [item.price.unit_amount for item in everything] == [100, 200, 300]


def test_list_is_newest_first_and_filters_by_status_and_payment_intent(client, control):
    older = create_session(client)
    paid = create_session(client)
    newest = create_session(client)
    intent_id = control.complete_session(paid.id)["session"]["payment_intent"]["id"]

    listing = client.v1.checkout.sessions.list()
    open_ones = client.v1.checkout.sessions.list(params={"status": "open"})
    complete = client.v1.checkout.sessions.list(params={"status": "complete"})
    by_intent = client.v1.checkout.sessions.list(params={"payment_intent": intent_id})
    limited = client.v1.checkout.sessions.list(params={"limit": 1})

    assert [s.id for s in listing.data] == [newest.id, paid.id, older.id]
    assert (listing.object, listing.has_more, listing.url) == (
        "list",
        False,
        "/v1/checkout/sessions",
    )
    assert [s.id for s in open_ones.data] == [newest.id, older.id]
    assert [s.id for s in complete.data] == [paid.id]
    assert [s.id for s in by_intent.data] == [paid.id]
    assert ([s.id for s in limited.data], limited.has_more) == ([newest.id], True)


def test_list_refuses_filters_the_emulator_does_not_implement(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.list(params={"customer": "cus_123"})

    assert raised.value.param == "customer"


def test_expire_closes_an_open_session_once(client):
    session = create_session(client)

    expired = client.v1.checkout.sessions.expire(session.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    assert raised.value.http_status == 400
    assert "status of expired" in raised.value.user_message
    events = client.v1.events.list(params={"type": "checkout.session.expired"})
    assert [event.data.object.id for event in events.data] == [session.id]


def test_unknown_session_is_a_404_resource_missing(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve("cs_test_missing")

    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.user_message == "No such checkout.session: 'cs_test_missing'"


def test_payment_intent_is_expandable_once_paid(client, control):
    session = create_session(client)
    control.complete_session(session.id, email="payer@example.com")

    paid = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]})

    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.url is None
    assert paid.customer_details.email == "payer@example.com"
    assert paid.payment_intent.id.startswith("pi_")
    assert paid.payment_intent.status == "succeeded"
    assert paid.payment_intent.latest_charge.startswith("ch_")


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"favourite_colour": "blue"}, "favourite_colour"),
        (
            {"line_items": [{"price_data": {"unit_ammount": 5}, "quantity": 1}]},
            "line_items[0][price_data][unit_ammount]",
        ),
        ({"api_key": "sk_test_sneaky"}, "api_key"),
    ],
)
def test_parameters_unknown_to_the_sdk_are_refused(client, extra, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=session_params(**extra))

    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == param
    assert raised.value.user_message == f"Received unknown parameter: {param}"


@pytest.mark.parametrize(
    ("unit_amount", "quantity", "accepted"),
    [
        (49, 1, False),
        (50, 1, True),
        (25, 2, True),
        (99_999_999, 1, True),
        (50_000_000, 2, False),
    ],
)
def test_total_must_be_between_50_cents_and_99999999(client, unit_amount, quantity, accepted):
    params = session_params(line_items=[line_item(unit_amount, quantity)])

    if accepted:
        session = client.v1.checkout.sessions.create(params=params)
        assert session.amount_total == unit_amount * quantity
        return
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=params)
    assert raised.value.code in ("amount_too_small", "amount_too_large")


def test_minimum_amount_message_matches_stripe(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, line_items=[line_item(49)])

    assert raised.value.user_message == (
        "The Checkout Session's total amount due must add up to at least $0.50 usd"
    )


def test_at_most_100_line_items(client):
    accepted = create_session(client, line_items=[line_item(100)] * 100)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, line_items=[line_item(100)] * 101)

    assert accepted.amount_total == 10_000
    assert raised.value.param == "line_items"


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(29 * 60, False), (31 * 60, True), (23 * 60 * 60, True), (25 * 60 * 60, False)],
)
def test_expires_at_between_30_minutes_and_24_hours(client, offset, accepted):
    expires_at = int(time.time()) + offset

    if accepted:
        assert create_session(client, expires_at=expires_at).expires_at == expires_at
        return
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, expires_at=expires_at)
    assert raised.value.param == "expires_at"


@pytest.mark.parametrize(
    ("line", "param", "message"),
    [
        (
            {**line_item(), "quantity": 0},
            "line_items[0][quantity]",
            "This value must be greater than or equal to 1.",
        ),
        (
            line_item(unit_amount=-5),
            "line_items[0][price_data][unit_amount]",
            "This value must be greater than or equal to 0.",
        ),
        (
            line_item(unit_amount="ten"),
            "line_items[0][price_data][unit_amount]",
            "Invalid integer: ten",
        ),
        (
            {"price_data": line_item()["price_data"]},
            "line_items[0][quantity]",
            "Missing required param: line_items[0][quantity].",
        ),
        (
            {
                "price_data": {
                    **line_item()["price_data"],
                    "recurring": {"interval": "month"},
                },
                "quantity": 1,
            },
            "line_items[0][price_data][recurring]",
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
        ),
        (
            {"price": "price_123", "quantity": 1},
            "line_items[0][price]",
            "No such price: 'price_123'",
        ),
    ],
)
def test_malformed_line_items_are_400_with_the_param(client, line, param, message):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, line_items=[line])

    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert raised.value.user_message == message


def test_success_url_is_required_in_payment_mode(client):
    params = session_params()
    del params["success_url"]

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=params)

    assert (raised.value.code, raised.value.param) == ("parameter_missing", "success_url")


def test_only_payment_mode_is_emulated(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        create_session(client, mode="subscription")

    assert raised.value.param == "mode"


def test_bracket_expand_syntax_over_raw_http(client, emulator):
    session = create_session(client)

    status, _, body = raw_json(
        f"{emulator.base_url}/v1/checkout/sessions/{session.id}?expand[]=line_items",
        headers={"Authorization": f"Bearer {API_KEY}"},
    )

    assert status == 200
    assert body["line_items"]["data"][0]["description"] == "Teapot"


def test_expanding_a_plain_field_is_refused(client):
    session = create_session(client)

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["currency"]})

    assert raised.value.user_message == "This property cannot be expanded (currency)."
