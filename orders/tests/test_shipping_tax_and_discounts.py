"""Shipping, phone, promotion codes and Stripe Tax: the checkout settings reach the Checkout
Session, and a paid order records what Stripe settled, checked against its total."""

import pytest

from orders.models import Order
from orders.tests.checkout_settings import EXPRESS, STANDARD, US_ADDRESS, save_checkout_settings
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import add_to_cart, check_out, status_of
from orders.tests.staff import stripe_events

pytestmark = pytest.mark.django_db

Status = Order.Status


def session_of(sdk, order: Order):
    return sdk.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)


def checked_out(client, *lines) -> Order:
    for product, quantity in lines:
        add_to_cart(client, product, quantity)
    assert check_out(client).status_code == 303
    return Order.objects.get(status=Status.PENDING)


def test_each_checkout_setting_reaches_the_checkout_session(client, shop, sdk):
    save_checkout_settings(
        [STANDARD, EXPRESS],
        shipping_countries="us, GB",
        collect_phone=True,
        allow_promotion_codes=True,
        stripe_tax=True,
        default_tax_code="txcd_99999999",
    )
    headphones = shop["wireless-bluetooth-headphones"]
    headphones.tax_code = "txcd_34020000"
    headphones.save()

    order = checked_out(client, (headphones, 1), (shop["portable-power-bank"], 1))

    session = session_of(sdk, order)
    assert session.shipping_address_collection.allowed_countries == ["US", "GB"]
    assert [option.shipping_amount for option in session.shipping_options] == [500, 1500]
    assert session.phone_number_collection.enabled is True
    assert session.allow_promotion_codes is True
    assert session.automatic_tax.enabled is True
    lines = sdk.v1.checkout.sessions.line_items.list(
        order.stripe_checkout_session_id, params={"expand": ["data.price.product"]}
    )
    assert sorted(
        (line.description, line.price.tax_behavior, line.price.product.tax_code)
        for line in lines.data
    ) == [
        ("Portable Power Bank", "exclusive", "txcd_99999999"),
        ("Wireless Bluetooth Headphones", "exclusive", "txcd_34020000"),
    ]


def test_without_checkout_settings_the_session_asks_for_no_address_phone_codes_or_tax(
    client, shop, sdk
):
    order = checked_out(client, (shop["portable-power-bank"], 1))

    session = session_of(sdk, order)
    assert session.shipping_address_collection is None
    assert session.shipping_options == []
    assert session.phone_number_collection.enabled is False
    assert not session.allow_promotion_codes
    assert session.automatic_tax.enabled is False


def test_a_cart_of_only_digital_goods_asks_for_no_shipping_address(client, shop, sdk, make_product):
    save_checkout_settings([STANDARD], shipping_countries="US", collect_phone=True)
    gift_card = make_product("Gift Card", "25.00", needs_shipping=False)

    digital_only = checked_out(client, (gift_card, 1))

    session = session_of(sdk, digital_only)
    assert session.shipping_address_collection is None
    assert session.shipping_options == []
    assert session.phone_number_collection.enabled is True


def test_one_physical_product_beside_digital_goods_asks_for_the_address(
    client, shop, sdk, make_product
):
    save_checkout_settings([STANDARD], shipping_countries="US")
    gift_card = make_product("Gift Card", "25.00", needs_shipping=False)

    order = checked_out(client, (gift_card, 1), (shop["portable-power-bank"], 1))

    assert session_of(sdk, order).shipping_address_collection.allowed_countries == ["US"]


@pytest.mark.parametrize(("quantity", "shipping_cents"), [(1, 500), (3, 0)])
def test_a_rate_is_free_once_the_items_reach_its_threshold(
    client, shop, sdk, quantity, shipping_cents
):
    save_checkout_settings([{**STANDARD, "free_above": "100.00"}], shipping_countries="US")

    order = checked_out(client, (shop["portable-power-bank"], quantity))

    assert [option.shipping_amount for option in session_of(sdk, order).shipping_options] == [
        shipping_cents
    ]


def test_paying_with_a_promotion_code_and_express_shipping_records_what_stripe_settled(
    client, shop, sdk, control, paying
):
    save_checkout_settings(
        [STANDARD, EXPRESS],
        shipping_countries="US, GB",
        collect_phone=True,
        allow_promotion_codes=True,
        stripe_tax=True,
    )
    order = checked_out(client, (shop["wireless-bluetooth-headphones"], 1))
    express = session_of(sdk, order).shipping_options[1].shipping_rate

    control.complete_session(
        order.stripe_checkout_session_id,
        shipping_rate=express,
        promotion_code="SAVE10",
        customer=US_ADDRESS,
        deliver=False,
    )
    paying(client, order.stripe_checkout_session_id)

    order.refresh_from_db()
    assert order.status == Status.PAID
    # $99.99 less 10% is $89.99; US test tax is 5% on it ($4.50) and on $15 shipping ($0.75).
    assert (
        order.charged_subtotal,
        order.charged_discount,
        order.promotion_code,
        order.shipping_rate_name,
        order.charged_shipping,
        order.charged_tax,
        order.charged_tax_included,
        order.charged_total,
        order.charged_currency,
    ) == (9999, 1000, "SAVE10", "Express", 1500, 525, 0, 8999 + 1500 + 525, "usd")
    assert (
        order.shipping_name,
        order.shipping_line1,
        order.shipping_line2,
        order.shipping_city,
        order.shipping_postal_code,
        order.shipping_state,
        order.shipping_country,
        order.shipping_phone,
    ) == (
        "Ada Lovelace",
        "12 Analytical Way",
        "Apt 3",
        "Springfield",
        "62701",
        "IL",
        "US",
        "+15550100199",
    )
    assert not order.needs_review


def test_with_prices_including_tax_the_tax_is_recorded_but_not_added_to_the_total(
    client, shop, sdk, control, paying
):
    save_checkout_settings(
        [STANDARD],
        shipping_countries="GB",
        allow_promotion_codes=True,
        stripe_tax=True,
        prices_include_tax=True,
    )
    order = checked_out(client, (shop["portable-power-bank"], 2))
    standard = session_of(sdk, order).shipping_options[0].shipping_rate

    control.complete_session(
        order.stripe_checkout_session_id,
        shipping_rate=standard,
        promotion_code="5OFF",
        customer={**US_ADDRESS, "country": "GB", "state": ""},
        deliver=False,
    )
    paying(client, order.stripe_checkout_session_id)

    order.refresh_from_db()
    assert order.status == Status.PAID
    assert (order.charged_discount, order.promotion_code, order.charged_shipping) == (
        500,
        "5OFF",
        500,
    )
    assert order.charged_tax > 0
    assert order.charged_tax_included == order.charged_tax
    assert order.charged_total == 9998 - 500 + 500
    assert not order.needs_review


def test_the_webhook_records_the_rate_and_promotion_code_its_event_leaves_unexpanded(
    client, shop, sdk, control, deliver, stripe_emulator
):
    save_checkout_settings([STANDARD], shipping_countries="US", allow_promotion_codes=True)
    order = checked_out(client, (shop["portable-power-bank"], 1))
    standard = session_of(sdk, order).shipping_options[0].shipping_rate
    control.complete_session(
        order.stripe_checkout_session_id,
        shipping_rate=standard,
        promotion_code="SAVE10",
        customer=US_ADDRESS,
        deliver=False,
    )
    [completed] = stripe_events(stripe_emulator, "checkout.session.completed")
    assert isinstance(completed["data"]["object"]["shipping_cost"]["shipping_rate"], str)

    deliver(client, completed["type"], completed["data"]["object"], completed["id"])

    order.refresh_from_db()
    assert order.status == Status.PAID
    assert (order.shipping_rate_name, order.promotion_code, order.charged_discount) == (
        "Standard",
        "SAVE10",
        500,
    )
    assert order.shipping_city == "Springfield"
    assert not order.needs_review


def settled(order: Order, total: int, **details) -> dict:
    """The order's session as a webhook carries it, with these total_details."""
    return session_object(
        order,
        amount_subtotal=order.total_in_cents,
        amount_total=total,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0, **details},
    )


def tax_breakdown(amount: int, inclusive: bool) -> dict:
    return {"discounts": [], "taxes": [{"amount": amount, "rate": {"inclusive": inclusive}}]}


@pytest.mark.parametrize(
    ("total", "details"),
    [
        (10999 - 1000 + 700, {"amount_discount": 1000, "amount_shipping": 700}),
        (10999 + 550, {"amount_tax": 550, "breakdown": tax_breakdown(550, inclusive=False)}),
        (10999, {"amount_tax": 1833, "breakdown": tax_breakdown(1833, inclusive=True)}),
    ],
    ids=["discount-and-shipping", "exclusive-tax", "inclusive-tax"],
)
def test_a_total_that_adds_up_with_shipping_tax_and_discount_is_not_flagged(
    client, deliver, total, details
):
    order = make_order(total="109.99")

    deliver(client, "checkout.session.completed", settled(order, total, **details))

    assert status_of(order) == Status.PAID
    assert order.review_reasons == ""


def test_a_total_that_does_not_add_up_marks_the_order_paid_and_flags_it(client, deliver):
    order = make_order(total="109.99")

    deliver(
        client,
        "checkout.session.completed",
        settled(order, 10999, amount_shipping=700, amount_discount=200),
    )

    assert status_of(order) == Status.PAID
    assert order.review_reasons == (
        "Stripe's total is $109.99, but the items less discount plus shipping and added tax "
        "come to $114.99."
    )


def test_inclusive_tax_counted_as_added_is_flagged(client, deliver):
    order = make_order(total="109.99")

    deliver(
        client,
        "checkout.session.completed",
        settled(order, 10999 + 1833, amount_tax=1833, breakdown=tax_breakdown(1833, True)),
    )

    assert status_of(order) == Status.PAID
    assert order.needs_review
    assert "Stripe's total is $128.32" in order.review_reasons


def test_over_long_address_values_from_stripe_are_dropped_and_flagged_never_the_payment(
    client, deliver
):
    order = make_order(total="20.00")
    shipping = {
        "name": "Ada Lovelace",
        "address": {"line1": "1 Main St", "city": "C" * 300, "country": "United States"},
    }
    details = {"email": "ada@example.com", "phone": "5" * 60}

    response = deliver(
        client,
        "checkout.session.completed",
        session_object(
            order,
            collected_information={"shipping_details": shipping},
            customer_details=details,
        ),
    )

    assert response.status_code == 200
    assert status_of(order) == Status.PAID
    assert (order.shipping_name, order.shipping_line1, order.shipping_city) == (
        "Ada Lovelace",
        "1 Main St",
        "",
    )
    assert (order.shipping_country, order.shipping_phone) == ("", "")
    assert order.review_reasons.splitlines() == [
        "Stripe's city is longer than the shop can keep (300 characters, at most 255); "
        "read it on the Checkout Session.",
        "Stripe's country is longer than the shop can keep (13 characters, at most 2); "
        "read it on the Checkout Session.",
        "Stripe's phone is longer than the shop can keep (60 characters, at most 40); "
        "read it on the Checkout Session.",
    ]
