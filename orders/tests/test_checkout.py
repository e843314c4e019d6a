"""Checkout against the offline Stripe emulator over HTTP, through the real Stripe SDK."""

import json
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from orders.models import Order
from products.models import Product
from stripe_emulator.testing import EmulatorControl, stripe_client

pytestmark = pytest.mark.django_db

Status = Order.Status


@pytest.fixture
def shop(seeded_shop, stripe_emulator):
    return {product.slug: product for product in Product.objects.all()}


@pytest.fixture
def control(stripe_emulator):
    return EmulatorControl(stripe_emulator.base_url)


@pytest.fixture
def sdk(stripe_emulator):
    return stripe_client(stripe_emulator.base_url, "sk_test_suite")


def add(client, product, quantity=1):
    client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})


def checkout(client):
    return client.post(reverse("create_checkout_session"))


def checkout_json(client, items):
    return client.post(
        reverse("create_checkout_session"),
        json.dumps({"items": items}),
        content_type="application/json",
    )


@pytest.fixture
def paying(django_capture_on_commit_callbacks):
    """Visit the success page the way the browser does after paying, running on_commit work."""

    def visit(client, session_id):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(reverse("checkout_success"), {"session_id": session_id})

    return visit


def test_checkout_redirects_to_stripe_with_database_prices(client, shop, sdk):
    add(client, shop["wireless-bluetooth-headphones"], 2)
    add(client, shop["portable-power-bank"], 1)

    response = checkout(client)

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
    add(client, shop["portable-power-bank"])

    client.post(reverse("create_checkout_session"), HTTP_HOST="evil.example:8443")

    session = sdk.v1.checkout.sessions.retrieve(Order.objects.get().stripe_checkout_session_id)
    assert session.success_url == (
        "https://shop.example.com/success/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session.cancel_url == "https://shop.example.com/cancel/"


def test_without_a_configured_address_local_runs_use_the_requests_own(client, shop, sdk):
    add(client, shop["portable-power-bank"])

    client.post(reverse("create_checkout_session"), HTTP_HOST="127.0.0.1:8000")

    session = sdk.v1.checkout.sessions.retrieve(Order.objects.get().stripe_checkout_session_id)
    assert session.cancel_url == "http://127.0.0.1:8000/cancel/"


def test_json_api_ignores_prices_and_extra_fields_from_the_client(client, shop, sdk):
    watch = shop["smart-fitness-watch"]

    response = checkout_json(
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
    add(client, shop["portable-power-bank"])

    response = checkout_json(client, items)

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
    response = checkout(client)

    assert response.status_code == 400
    assert "Your cart is empty" in response.content.decode()
    assert Order.objects.count() == 0


def test_checkout_needs_csrf(shop):
    assert (
        Client(enforce_csrf_checks=True).post(reverse("create_checkout_session")).status_code == 403
    )


def test_double_click_returns_the_same_session_and_one_order(client, shop):
    add(client, shop["portable-power-bank"])

    first, second = checkout(client), checkout(client)

    assert first.url == second.url
    assert Order.objects.count() == 1


def test_changed_cart_expires_the_old_session_before_making_a_new_one(client, shop, sdk):
    add(client, shop["portable-power-bank"])
    checkout(client)
    old = Order.objects.get()
    add(client, shop["smart-fitness-watch"])

    checkout(client)

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
    add(client, shop["portable-power-bank"])

    response = checkout(client)

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
    add(client, shop["portable-power-bank"])
    stripe_emulator.set_network_faults(delay_seconds=1.5)

    started = time.monotonic()
    response = checkout(client)
    waited = time.monotonic() - started

    assert response.status_code == 503
    assert "We could not start the payment. Your cart is saved" in response.content.decode()
    assert waited < 3.0 + 0.5
    # Let the slowed requests finish before the emulator is reset for the next test.
    time.sleep(1.5)


def test_a_checkout_whose_every_answer_from_stripe_was_lost_gets_that_session_on_the_next_click(
    client, shop, stripe_emulator, sdk
):
    add(client, shop["portable-power-bank"])
    # Stripe opens the session, then the answers to the first try and both retries are lost.
    stripe_emulator.set_network_faults(lost_answers=3)

    lost = checkout(client)
    again = checkout(client)

    assert lost.status_code == 503
    assert "We could not start the payment. Your cart is saved" in lost.content.decode()
    order = Order.objects.get()
    [session] = sdk.v1.checkout.sessions.list().data
    assert order.stripe_checkout_session_id == session.id
    assert again.status_code == 303 and again.url == session.url == order.stripe_checkout_url
    assert order.status == Status.PENDING and order.checkout_open


def test_success_page_marks_paid_only_when_stripe_says_paid(client, shop, control, paying):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()

    before = paying(client, order.stripe_checkout_session_id)
    assert "We have not received your payment yet" in before.content.decode()
    order.refresh_from_db()
    assert order.status == Status.PENDING

    control.complete_session(order.stripe_checkout_session_id, "paid", email="pat@example.com")
    after = paying(client, order.stripe_checkout_session_id)

    order.refresh_from_db()
    assert order.status == Status.PAID
    assert "Thank you! Your payment was received" in after.content.decode()
    assert order.customer_email == "pat@example.com"
    assert client.session["cart"] == {}


def test_success_page_records_a_payment_made_with_a_300_character_email(
    client, shop, control, paying
):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()
    email = "pat." + "x" * 300 + "@example.com"
    control.complete_session(order.stripe_checkout_session_id, "paid", email=email)

    page = paying(client, order.stripe_checkout_session_id)

    assert page.status_code == 200
    assert "Thank you! Your payment was received" in page.content.decode()
    order.refresh_from_db()
    assert order.status == Status.PAID and order.customer_email == email
    assert not order.needs_review
    assert [message.to for message in mail.outbox] == [[email]]


def test_paying_empties_the_cart_even_if_a_price_changed_since_checkout(
    client, shop, control, paying
):
    bank = shop["portable-power-bank"]
    add(client, bank, 2)
    checkout(client)
    order = Order.objects.get()
    Product.objects.filter(pk=bank.pk).update(price="59.99")
    control.complete_session(order.stripe_checkout_session_id, "paid")

    page = paying(client, order.stripe_checkout_session_id)

    assert "Thank you! Your payment was received" in page.content.decode()
    assert client.session["cart"] == {}


def test_paying_keeps_what_was_added_to_the_cart_after_checkout(client, shop, control, paying):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()
    add(client, shop["smart-fitness-watch"])
    control.complete_session(order.stripe_checkout_session_id, "paid")

    paying(client, order.stripe_checkout_session_id)

    assert client.session["cart"] == {
        str(shop["portable-power-bank"].pk): 1,
        str(shop["smart-fitness-watch"].pk): 1,
    }


def test_refreshing_success_page_does_not_fulfil_twice(client, shop, control, paying):
    add(client, shop["portable-power-bank"])
    checkout(client)
    session_id = Order.objects.get().stripe_checkout_session_id
    control.complete_session(session_id, "paid", email="pat@example.com")

    pages = [paying(client, session_id) for _ in range(3)]

    assert all("Thank you!" in page.content.decode() for page in pages)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("outcome", "heading"),
    [
        (["paid"], "Thank you! Your payment was received"),
        (["async_pending", "async_failed"], "Your payment did not go through"),
    ],
    ids=["paid", "failed"],
)
def test_revisiting_the_success_page_of_a_settled_order_does_not_ask_stripe_again(
    client, shop, control, paying, stripe_emulator, outcome, heading
):
    add(client, shop["portable-power-bank"])
    checkout(client)
    session_id = Order.objects.get().stripe_checkout_session_id
    for step in outcome:
        control.complete_session(session_id, step)
    assert heading in paying(client, session_id).content.decode()
    # From here on every answer from Stripe is lost, so asking it would show the apology.
    stripe_emulator.set_network_faults(lost_answers=3)

    again = paying(client, session_id).content.decode()

    assert heading in again
    assert "We could not confirm your payment with Stripe just now" not in again


def test_success_page_of_a_cancelled_order_asks_stripe_and_shows_a_payment_made_meanwhile(
    client, shop, control, paying
):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "paid")
    # The shop closed the checkout at the moment Stripe took the payment.
    Order.objects.filter(pk=order.pk).update(status=Status.CANCELLED, checkout_open=False)

    page = paying(client, order.stripe_checkout_session_id).content.decode()

    assert "Thank you! Your payment was received" in page
    order.refresh_from_db()
    assert order.status == Status.PAID


def test_delayed_payment_shows_processing_then_paid(client, shop, control, paying):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "async_pending")

    processing = paying(client, order.stripe_checkout_session_id).content.decode()
    order.refresh_from_db()
    assert "Your payment is processing" in processing
    assert order.status == Status.PENDING and order.is_payment_processing

    control.complete_session(order.stripe_checkout_session_id, "async_succeeded")
    assert "Thank you!" in paying(client, order.stripe_checkout_session_id).content.decode()


def test_success_page_shows_nothing_to_another_visitor(client, shop, control, paying):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()
    control.complete_session(order.stripe_checkout_session_id, "paid")

    response = paying(Client(), order.stripe_checkout_session_id)

    assert response.status_code == 404
    assert order.reference not in response.content.decode()


@pytest.mark.parametrize(
    "session_id", ["", "nonsense", "cs_test_unknown", "cs_' OR 1=1", "x" * 5000]
)
def test_bad_or_unknown_session_id_is_a_404_page(client, shop, paying, session_id):
    response = paying(client, session_id)

    assert response.status_code == 404
    assert "find" in response.content.decode()


def test_coming_back_from_checkout_keeps_the_cart_and_the_checkout_open(client, shop, sdk):
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()

    response = client.get(
        reverse("checkout_cancel"), follow=True, HTTP_REFERER="https://elsewhere.example/"
    )

    order.refresh_from_db()
    assert "Checkout was cancelled and you have not been charged" in response.content.decode()
    assert "Portable Power Bank" in response.content.decode()
    assert order.status == Status.PENDING and order.checkout_open
    assert sdk.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id).status == "open"
    assert checkout(client).url == order.stripe_checkout_url


def test_orders_page_lists_the_visitors_orders_newest_first(client, shop, control, paying):
    add(client, shop["portable-power-bank"])
    checkout(client)
    first = Order.objects.get()
    control.complete_session(first.stripe_checkout_session_id, "paid")
    paying(client, first.stripe_checkout_session_id)
    add(client, shop["smart-fitness-watch"])
    checkout(client)
    second = Order.objects.exclude(pk=first.pk).get()

    page = client.get(reverse("order_list")).content.decode()
    home = client.get("/").content.decode()

    assert page.index(second.reference) < page.index(first.reference)
    assert "Paid" in page and "Pending" in page
    assert first.reference in home and second.reference in home
    assert first.reference not in Client().get(reverse("order_list")).content.decode()
    assert client.get(first.get_absolute_url()).status_code == 200
    assert Client().get(first.get_absolute_url()).status_code == 404


def test_logging_in_keeps_the_cart_and_claims_anonymous_orders(client, shop, django_user_model):
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()

    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})

    order.refresh_from_db()
    assert order.user.username == "pat"
    assert client.session["cart"] == {str(shop["portable-power-bank"].pk): 1}
    assert order.reference in client.get(reverse("order_list")).content.decode()


def test_logging_out_does_not_leak_orders_to_the_next_person(client, shop, django_user_model):
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})
    add(client, shop["portable-power-bank"])
    checkout(client)
    order = Order.objects.get()

    client.post(reverse("logout"))

    assert order.reference not in client.get(reverse("order_list")).content.decode()
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.session.get("cart") is None


def open_sessions(sdk) -> list[str]:
    return [session.id for session in sdk.v1.checkout.sessions.list({"status": "open"}).data]


@pytest.fixture
def account_with_an_open_checkout(shop, django_user_model):
    """Pat started a checkout while signed in on another device and left it open."""
    django_user_model.objects.create_user("pat", "pat@example.com", "a-long-password-1")
    elsewhere = Client()
    elsewhere.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})
    add(elsewhere, shop["smart-fitness-watch"])
    checkout(elsewhere)
    return Order.objects.get()


def test_signing_in_with_an_open_checkout_on_each_side_keeps_only_the_newer_one_payable(
    client, shop, sdk, account_with_an_open_checkout
):
    older = account_with_an_open_checkout
    add(client, shop["portable-power-bank"])
    checkout(client)
    newer = Order.objects.exclude(pk=older.pk).get()

    client.post(reverse("login"), {"username": "pat", "password": "a-long-password-1"})

    older.refresh_from_db()
    newer.refresh_from_db()
    page = client.get(reverse("order_list")).content.decode()
    assert older.status == Status.CANCELLED
    assert newer.status == Status.PENDING and newer.checkout_open
    assert open_sessions(sdk) == [newer.stripe_checkout_session_id]
    assert older.reference not in page and newer.reference in page
    assert "Payment processing" not in page
    assert checkout(client).url == newer.stripe_checkout_url


def test_signing_in_while_stripe_is_down_still_shows_no_false_status(
    client, shop, settings, account_with_an_open_checkout
):
    older = account_with_an_open_checkout
    add(client, shop["portable-power-bank"])
    checkout(client)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = client.post(
        reverse("login"), {"username": "pat", "password": "a-long-password-1"}, follow=True
    )

    older.refresh_from_db()
    newer = Order.objects.exclude(pk=older.pk).get()
    assert response.status_code == 200
    assert older.status == Status.CANCELLED
    assert newer.user.username == "pat" and newer.checkout_open
    assert "Payment processing" not in response.content.decode()


def test_signing_up_claims_the_browsers_orders(client, shop):
    add(client, shop["portable-power-bank"])
    checkout(client)

    client.post(
        reverse("signup"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )

    assert Order.objects.get().user.username == "newbie"


def test_a_failed_second_stripe_call_keeps_the_session_the_first_call_opened(
    client, shop, settings
):
    from orders.checkout import CheckoutUrls, _ensure_stripe_session

    add(client, shop["portable-power-bank"])
    checkout(client)
    opened = Order.objects.get()
    seen_before_it_opened = Order.objects.get(pk=opened.pk)
    seen_before_it_opened.stripe_checkout_url = ""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    urls = CheckoutUrls("http://testserver/success/", "http://testserver/cancel/")
    order = _ensure_stripe_session(seen_before_it_opened, [], urls)

    assert order.stripe_checkout_url == opened.stripe_checkout_url
    assert order.status == Status.PENDING and order.checkout_open
