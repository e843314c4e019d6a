"""Starting a checkout against the offline Stripe emulator, through the real Stripe SDK."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order
from orders.tests.helpers import add_to_cart, check_out, check_out_with_json

pytestmark = pytest.mark.django_db

Status = Order.Status


def test_checkout_redirects_to_stripe_with_database_prices(client, shop, sdk):
    add_to_cart(client, shop["wireless-bluetooth-headphones"], 2)
    add_to_cart(client, shop["portable-power-bank"], 1)

    response = check_out(client)

    order = Order.objects.get()
    assert response.status_code == 303
    assert response.url == order.stripe_checkout_url
    session = sdk.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    assert session.amount_total == 2 * 9999 + 4999
    assert session.client_reference_id == order.reference
    assert session.metadata["order_reference"] == order.reference
    assert 29 * 60 < session.expires_at - time.time() <= 31 * 60 + 5
    assert session.success_url.endswith("/success/?session_id={CHECKOUT_SESSION_ID}")
    lines = sdk.v1.checkout.sessions.line_items.list(order.stripe_checkout_session_id)
    assert sorted((line.description, line.quantity, line.amount_total) for line in lines.data) == [
        ("Portable Power Bank", 1, 4999),
        ("Wireless Bluetooth Headphones", 2, 19998),
    ]
    assert order.status == Status.PENDING
    assert str(order.total) == "249.97"
    assert sorted((i.product_name, str(i.unit_price), i.quantity) for i in order.items.all()) == [
        ("Portable Power Bank", "49.99", 1),
        ("Wireless Bluetooth Headphones", "99.99", 2),
    ]


def test_stripe_sends_shoppers_back_to_the_configured_address_whatever_the_host_header(
    client, shop, sdk, settings
):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    add_to_cart(client, shop["portable-power-bank"])

    client.post(reverse("create_checkout_session"), HTTP_HOST="evil.example:8443")

    session = sdk.v1.checkout.sessions.retrieve(Order.objects.get().stripe_checkout_session_id)
    assert session.success_url == (
        "https://shop.example.com/success/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session.cancel_url == "https://shop.example.com/cancel/"


def test_without_a_configured_address_local_runs_use_the_requests_own(client, shop, sdk):
    add_to_cart(client, shop["portable-power-bank"])

    client.post(reverse("create_checkout_session"), HTTP_HOST="127.0.0.1:8000")

    session = sdk.v1.checkout.sessions.retrieve(Order.objects.get().stripe_checkout_session_id)
    assert session.cancel_url == "http://127.0.0.1:8000/cancel/"


def test_json_api_ignores_prices_and_extra_fields_from_the_client(client, shop, sdk):
    watch = shop["smart-fitness-watch"]

    response = check_out_with_json(
        client,
        [{"product_id": watch.pk, "quantity": 2, "price": 0.01, "unit_amount": 1, "name": "Free"}],
    )

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"id", "url"}
    session = sdk.v1.checkout.sessions.retrieve(body["id"])
    assert session.amount_total == 2 * 19999
    assert Order.objects.get().total == 2 * watch.price


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([{"product_id": 999999, "quantity": 1}], "not on sale"),
        ([{"product_id": "abc", "quantity": 1}], "could not be found"),
        ([{"product_id": 1, "quantity": 0}], "from 1 to 99"),
        ([{"product_id": 1, "quantity": 100}], "from 1 to 99"),
        ([{"product_id": 1, "quantity": "2.5"}], "from 1 to 99"),
        ([], "at least one product"),
        ("everything", "items"),
    ],
)
def test_json_api_refuses_bad_items_and_keeps_the_cart(client, shop, items, message):
    add_to_cart(client, shop["portable-power-bank"])

    response = check_out_with_json(client, items)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Order.objects.count() == 0
    assert client.session["cart"] == {str(shop["portable-power-bank"].pk): 1}


def test_json_api_refuses_a_body_that_is_not_json(client, shop):
    response = client.post(
        reverse("create_checkout_session"), "{oops", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_json_api_refuses_a_body_nested_thousands_deep_with_a_message(client, shop):
    body = '{"items": ' + "[" * 5000 + "]" * 5000 + "}"

    response = client.post(
        reverse("create_checkout_session"), body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    assert Order.objects.count() == 0


def test_empty_cart_cannot_check_out(client, shop):
    response = check_out(client)

    assert response.status_code == 400
    assert "Your cart is empty" in response.content.decode()
    assert Order.objects.count() == 0


def test_checkout_needs_csrf(shop):
    assert (
        Client(enforce_csrf_checks=True).post(reverse("create_checkout_session")).status_code == 403
    )


def test_double_click_returns_the_same_session_and_one_order(client, shop):
    add_to_cart(client, shop["portable-power-bank"])

    first, second = check_out(client), check_out(client)

    assert first.url == second.url
    assert Order.objects.count() == 1


def test_changed_cart_expires_the_old_session_before_making_a_new_one(client, shop, sdk):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    old = Order.objects.get()
    add_to_cart(client, shop["smart-fitness-watch"])

    check_out(client)

    old.refresh_from_db()
    new = Order.objects.exclude(pk=old.pk).get()
    assert sdk.v1.checkout.sessions.retrieve(old.stripe_checkout_session_id).status == "expired"
    assert old.status == Status.CANCELLED
    assert new.status == Status.PENDING and new.checkout_open
    assert new.stripe_checkout_session_id != old.stripe_checkout_session_id


def test_stripe_outage_shows_a_message_keeps_the_cart_and_leaves_nothing_payable(
    client, shop, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    add_to_cart(client, shop["portable-power-bank"])

    response = check_out(client)

    assert response.status_code == 503
    assert "We could not start the payment. Your cart is saved" in response.content.decode()
    assert client.session["cart"] == {str(shop["portable-power-bank"].pk): 1}
    order = Order.objects.get()
    # Kept for the next click, which asks Stripe again with the same idempotency key.
    assert order.status == Status.PENDING and order.checkout_open
    assert order.stripe_checkout_session_id is None and order.stripe_checkout_url == ""


def test_a_hanging_stripe_shows_the_shops_try_again_page_within_the_stripe_budget(
    client, shop, stripe_emulator, settings
):
    settings.STRIPE_TIME_BUDGET_SECONDS = 3.0
    add_to_cart(client, shop["portable-power-bank"])
    stripe_emulator.set_network_faults(delay_seconds=1.5)

    started = time.monotonic()
    response = check_out(client)
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert "We could not start the payment. Your cart is saved" in response.content.decode()
    assert waited < 3.0 + 0.5
    # Let the slowed requests finish before the emulator is reset for the next test.
    time.sleep(1.5)


def test_a_checkout_whose_every_answer_from_stripe_was_lost_gets_that_session_on_the_next_click(
    client, shop, stripe_emulator, sdk
):
    add_to_cart(client, shop["portable-power-bank"])
    # Stripe opens the session, then the answers to the first try and both retries are lost.
    stripe_emulator.set_network_faults(lost_answers=3)

    lost = check_out(client)
    again = check_out(client)

    assert lost.status_code == 503
    assert "We could not start the payment. Your cart is saved" in lost.content.decode()
    order = Order.objects.get()
    [session] = sdk.v1.checkout.sessions.list().data
    assert order.stripe_checkout_session_id == session.id
    assert again.status_code == 303 and again.url == session.url == order.stripe_checkout_url
    assert order.status == Status.PENDING and order.checkout_open


def test_coming_back_from_checkout_keeps_the_cart_and_the_checkout_open(client, shop, sdk):
    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    order = Order.objects.get()

    response = client.get(
        reverse("checkout_cancel"), follow=True, HTTP_REFERER="https://elsewhere.example/"
    )

    order.refresh_from_db()
    assert "Checkout was cancelled and you have not been charged" in response.content.decode()
    assert "Portable Power Bank" in response.content.decode()
    assert order.status == Status.PENDING and order.checkout_open
    assert sdk.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id).status == "open"
    assert check_out(client).url == order.stripe_checkout_url


def test_a_failed_second_stripe_call_keeps_the_session_the_first_call_opened(
    client, shop, settings
):
    from orders.checkout import CheckoutUrls, _ensure_stripe_session

    add_to_cart(client, shop["portable-power-bank"])
    check_out(client)
    opened = Order.objects.get()
    seen_before_it_opened = Order.objects.get(pk=opened.pk)
    seen_before_it_opened.stripe_checkout_url = ""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    urls = CheckoutUrls("http://testserver/success/", "http://testserver/cancel/")
    order = _ensure_stripe_session(seen_before_it_opened, [], urls)

    assert order.stripe_checkout_url == opened.stripe_checkout_url
    assert order.status == Status.PENDING and order.checkout_open
