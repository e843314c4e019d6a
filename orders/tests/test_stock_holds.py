"""A checkout holds tracked stock for as long as its Checkout Session can be paid: taken with the
order, released when the session expires, fails or is closed, sold when it is paid, once."""

import json
import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone

from orders import checkout, payments
from orders.cart import Cart
from orders.models import Order
from orders.reconciliation import reconcile_orders
from orders.tests.factories import session_object
from orders.tests.helpers import CHECKOUT_URLS, pay_at_stripe, post_webhook, status_of
from products.tests.factories import make_variant, stock_of, track_stock
from stripe_emulator import objects

pytestmark = pytest.mark.django_db


@pytest.fixture
def lantern(shop, make_product):
    return track_stock(make_product("Storm Lantern", "30.00"), on_hand=5)


@pytest.fixture
def tee(shop, make_product):
    product = make_product("Linen Tee", "25.00")
    return {
        "product": product,
        "small": make_variant(product, "Size S", "TEE-S", on_hand=3),
        "large": make_variant(product, "Size L", "TEE-L", price="27.00", on_hand=1),
    }


def checkout_of(*lines) -> Order:
    """An anonymous shopper's checkout of (product, quantity[, variant]) lines."""
    cart = Cart(SessionStore())
    for product, quantity, *variant in lines:
        cart.add(product.pk, quantity, variant[0].pk if variant else None)
    return checkout.create_checkout(cart, f"session:{uuid.uuid4().hex}", None, CHECKOUT_URLS)


def stripe_events(sdk, event_type: str) -> list[dict]:
    return [event.to_dict() for event in sdk.v1.events.list({"type": event_type}).data]


def test_a_checkout_holds_what_it_asks_for_and_copies_the_variant(lantern, tee):
    order = checkout_of((lantern, 2), (tee["product"], 1, tee["large"]))

    items = {item.product_name: item for item in order.items.all()}
    assert order.stock_hold == Order.StockHold.HELD
    assert stock_of(lantern) == (5, 2)
    assert stock_of(tee["large"]) == (1, 1)
    assert stock_of(tee["small"]) == (3, 0)
    assert items["Linen Tee"].sku == "TEE-L"
    assert items["Linen Tee"].options == "Size L"
    assert str(items["Linen Tee"].unit_price) == "27.00"


def test_paying_turns_the_hold_into_a_sale(lantern, stripe_emulator):
    order = checkout_of((lantern, 2))
    pay_at_stripe(stripe_emulator, order)

    payments.fulfill_checkout(order)

    assert status_of(order) == Order.Status.PAID
    assert stock_of(lantern) == (3, 0)


def test_stripe_expiring_the_session_releases_the_hold_through_its_webhook(
    lantern, client, control, sdk
):
    order = checkout_of((lantern, 2))

    control.expire_sessions(order.stripe_checkout_session_id)
    (expired,) = stripe_events(sdk, "checkout.session.expired")
    response = post_webhook(client, expired)

    assert response.status_code == 200
    assert status_of(order) == Order.Status.CANCELLED
    assert stock_of(lantern) == (5, 0)


def test_a_failed_bank_transfer_releases_the_hold(lantern, client, control, sdk):
    order = checkout_of((lantern, 2))

    session_id = order.stripe_checkout_session_id
    control.complete_session(session_id, "async_pending", deliver=False)
    control.complete_session(session_id, "async_failed", deliver=False)
    for event_type in ["checkout.session.completed", "checkout.session.async_payment_failed"]:
        for event in stripe_events(sdk, event_type):
            post_webhook(client, event)

    assert status_of(order) == Order.Status.FAILED
    assert stock_of(lantern) == (5, 0)


def test_an_abandoned_checkout_expired_by_the_shop_releases_its_hold(lantern):
    order = checkout_of((lantern, 2))
    Order.objects.filter(pk=order.pk).update(checkout_expires_at=timezone.now())

    reconcile_orders()

    assert status_of(order) == Order.Status.CANCELLED
    assert stock_of(lantern) == (5, 0)


def test_a_checkout_whose_session_never_opened_releases_its_hold_when_cancelled(lantern):
    order = checkout_of((lantern, 2))
    Order.objects.filter(pk=order.pk).update(
        stripe_checkout_session_id=None, checkout_expires_at=timezone.now() - timedelta(minutes=1)
    )

    reconcile_orders()

    assert status_of(order) == Order.Status.CANCELLED
    assert stock_of(lantern) == (5, 0)


def test_changing_the_cart_releases_the_old_hold_and_takes_the_new_one(lantern, client):
    client.post(reverse("cart_add"), {"product_id": lantern.pk, "quantity": 2})
    client.post(reverse("create_checkout_session"))
    first = Order.objects.get()
    client.post(reverse("cart_update"), {"product_id": lantern.pk, "quantity": 3})

    client.post(reverse("create_checkout_session"))

    assert status_of(first) == Order.Status.CANCELLED
    assert stock_of(lantern) == (5, 3)


def test_the_same_cart_checked_out_twice_holds_once(lantern, client):
    client.post(reverse("cart_add"), {"product_id": lantern.pk, "quantity": 2})

    client.post(reverse("create_checkout_session"))
    client.post(reverse("create_checkout_session"))

    assert Order.objects.count() == 1
    assert stock_of(lantern) == (5, 2)


def test_asking_for_more_than_is_left_names_the_line_and_what_is_left(lantern, tee, client):
    client.post(reverse("cart_add"), {"product_id": lantern.pk, "quantity": 2})
    client.post(
        reverse("cart_add"),
        {"product_id": tee["product"].pk, "variant_id": tee["small"].pk, "quantity": 3},
    )
    checkout_of((tee["product"], 2, tee["small"]))

    response = client.post(reverse("create_checkout_session"))

    assert response.status_code == 409
    assert "Only 1 of Linen Tee (Size S) left, and your cart has 3" in response.content.decode()
    assert Order.objects.count() == 1
    assert stock_of(lantern) == (5, 0)
    assert stock_of(tee["small"]) == (3, 2)


def test_a_sold_out_line_is_named_as_sold_out_in_a_json_checkout(tee, client):
    checkout_of((tee["product"], 1, tee["large"]))

    response = client.post(
        reverse("create_checkout_session"),
        json.dumps(
            {
                "items": [
                    {"product_id": tee["product"].pk, "variant_id": tee["large"].pk, "quantity": 1}
                ]
            }
        ),
        content_type="application/json",
    )

    assert response.status_code == 409
    assert "Linen Tee (Size L) is sold out" in response.json()["error"]


def test_paid_and_expired_events_delivered_twice_and_out_of_order_sell_once(
    lantern, client, stripe_emulator
):
    order = checkout_of((lantern, 2))
    paid = session_object(order)
    expired = session_object(order, status="expired", payment_status="unpaid")
    pay_at_stripe(stripe_emulator, order)

    for data, event_id in [(paid, "evt_paid"), (paid, "evt_paid"), (paid, "evt_paid_again")]:
        post_webhook(client, objects.event("checkout.session.completed", data, event_id))
    post_webhook(client, objects.event("checkout.session.expired", expired, "evt_expired"))
    payments.fulfill_checkout(order)

    assert status_of(order) == Order.Status.PAID
    assert stock_of(lantern) == (3, 0)


def test_expired_events_delivered_twice_release_once(lantern, client):
    order = checkout_of((lantern, 2))
    checkout_of((lantern, 1))
    expired = session_object(order, status="expired", payment_status="unpaid")

    for event_id in ["evt_expired", "evt_expired", "evt_expired_again"]:
        post_webhook(client, objects.event("checkout.session.expired", expired, event_id))

    assert status_of(order) == Order.Status.CANCELLED
    assert stock_of(lantern) == (5, 1)


def test_a_payment_after_the_hold_was_released_is_sold_if_the_stock_is_still_there(lantern, client):
    order = checkout_of((lantern, 2))
    post_webhook(
        client,
        objects.event(
            "checkout.session.expired",
            session_object(order, status="expired", payment_status="unpaid"),
        ),
    )

    post_webhook(client, objects.event("checkout.session.completed", session_object(order)))

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert stock_of(lantern) == (3, 0)
    assert not order.needs_review


def test_a_payment_after_the_hold_was_released_and_the_stock_sold_is_flagged_oversold(
    shop, make_product, client, stripe_emulator
):
    last_one = track_stock(make_product("Last Lantern", "30.00"), on_hand=1)
    late = checkout_of((last_one, 1))
    post_webhook(
        client,
        objects.event(
            "checkout.session.expired",
            session_object(late, status="expired", payment_status="unpaid"),
        ),
    )
    sold_elsewhere = checkout_of((last_one, 1))
    pay_at_stripe(stripe_emulator, sold_elsewhere)
    payments.fulfill_checkout(sold_elsewhere)

    post_webhook(client, objects.event("checkout.session.completed", session_object(late)))

    late.refresh_from_db()
    assert late.status == Order.Status.PAID
    assert late.needs_review
    assert "Oversold" in late.review_reasons
    assert "Last Lantern" in late.review_reasons
    assert stock_of(last_one) == (-1, 0)
