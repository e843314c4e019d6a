"""Shop managers refund paid orders from the admin; the order changes when Stripe confirms."""

import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.urls import reverse

from orders import refunds
from orders.models import Order
from orders.tests.factories import make_order
from orders.tests.helpers import (
    post_webhook,
    run_queued_tasks,
    start_checkout,
    transactions_open_at_each_stripe_call,
)
from orders.tests.staff import paid_order, refund_url, stripe_events
from stripe_emulator.testing import EmulatorControl, stripe_client

pytestmark = pytest.mark.django_db

Status = Order.Status


@pytest.fixture
def order(stripe_emulator, make_product):
    return paid_order(stripe_emulator, make_product("Desk Lamp", "25.00"))


def refund_form(client, order: Order, amount: str) -> dict:
    """What the refund page posts once confirmed: the amount and the token rendered into that
    page."""
    page = client.get(refund_url(order)).content.decode()
    [token] = re.findall(r'name="refund_token" value="([^"]+)"', page)
    return {"amount": amount, "refund_token": token, "confirmed": "true"}


def messages_on(response) -> list[str]:
    """The admin messages shown on the page, as the user reads them."""
    shown = [str(message).strip() for message in response.context["messages"]]
    page = html.unescape(response.content.decode())
    assert all(message in page for message in shown)
    return shown


def test_full_refund_reaches_stripe_and_its_webhook_marks_the_order_refunded(
    manager_client, stripe_emulator, order
):
    form = manager_client.get(refund_url(order))
    assert "$50.00" in form.content.decode()

    response = manager_client.post(
        refund_url(order), refund_form(manager_client, order, ""), follow=True
    )

    assert response.redirect_chain == [(reverse("orders:inspect", args=[order.pk]), 302)]
    assert messages_on(response) == [
        "Refund of $50.00 requested; the order will show Refunded when Stripe confirms."
    ]
    order.refresh_from_db()
    assert order.status == Status.PAID and order.amount_refunded == 0
    [refunded] = stripe_events(stripe_emulator, "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 5000

    assert post_webhook(manager_client, refunded).status_code == 200

    order.refresh_from_db()
    assert order.status == Status.REFUNDED and order.amount_refunded == Decimal("50.00")
    page = manager_client.get(reverse("orders:inspect", args=[order.pk])).content.decode()
    assert "Refunded" in page and refund_url(order) not in page


def test_partial_refund_keeps_the_order_paid_and_records_the_amount(
    manager_client, stripe_emulator, order
):
    response = manager_client.post(
        refund_url(order), refund_form(manager_client, order, "12.50"), follow=True
    )

    assert messages_on(response) == [
        "Refund of $12.50 requested; the refunded amount on the order updates when Stripe confirms."
    ]
    [refunded] = stripe_events(stripe_emulator, "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 1250
    post_webhook(manager_client, refunded)
    order.refresh_from_db()
    assert order.status == Status.PAID and order.amount_refunded == Decimal("12.50")
    assert "$37.50" in manager_client.get(refund_url(order)).content.decode()


def test_submitting_the_refund_form_twice_refunds_once(manager_client, stripe_emulator, order):
    form = refund_form(manager_client, order, "10.00")

    for _ in range(2):
        response = manager_client.post(refund_url(order), form)
        assert response.status_code == 302

    [refunded] = stripe_events(stripe_emulator, "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 1000


def test_two_refunds_of_the_same_amount_asked_before_stripe_confirms_are_both_made(
    manager_client, stripe_emulator, order
):
    for _ in range(2):
        response = manager_client.post(
            refund_url(order), refund_form(manager_client, order, "10.00")
        )
        assert response.status_code == 302

    refunded = stripe_events(stripe_emulator, "charge.refunded")
    assert [event["data"]["object"]["amount_refunded"] for event in refunded] == [1000, 2000]


def test_a_refund_form_without_its_token_is_refused_and_stripe_is_not_asked(
    manager_client, stripe_emulator, order
):
    response = manager_client.post(refund_url(order), {"amount": "10.00"})

    assert response.status_code == 200
    assert "This refund form is out of date" in response.content.decode()
    assert stripe_events(stripe_emulator, "charge.refunded") == []


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "Enter an amount of at least $0.01."),
        ("-5", "Enter an amount of at least $0.01."),
        ("50.01", "This order has $50.00 left to refund"),
        ("ten", "Enter a number."),
    ],
)
def test_amounts_outside_what_is_left_are_form_errors_and_stripe_is_not_asked(
    manager_client, stripe_emulator, order, amount, error
):
    response = manager_client.post(refund_url(order), refund_form(manager_client, order, amount))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert stripe_events(stripe_emulator, "charge.refunded") == []


def test_stripe_refusing_the_refund_is_shown_as_a_message(manager_client, stripe_emulator, order):
    manager_client.post(refund_url(order), refund_form(manager_client, order, "30.00"))

    # Stripe's charge.refunded has not arrived, so the shop still thinks $50.00 is left.
    response = manager_client.post(refund_url(order), refund_form(manager_client, order, "25.00"))

    assert response.status_code == 200
    [message] = messages_on(response)
    assert message.startswith("Stripe refused the refund: Refund amount ($25.00) is greater")
    [refunded] = stripe_events(stripe_emulator, "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 3000


def test_unreachable_stripe_is_shown_as_a_message_not_a_server_error(
    manager_client, stripe_emulator, order, settings
):
    form = refund_form(manager_client, order, "")
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_TIME_BUDGET_SECONDS = 3.0

    response = manager_client.post(refund_url(order), form)

    assert response.status_code == 200
    [message] = messages_on(response)
    assert message.startswith("We could not reach our payment provider.")
    assert "Submitting again is safe" in message
    order.refresh_from_db()
    assert order.status == Status.PAID and order.amount_refunded == 0


def test_refund_page_offers_no_refund_for_an_unpaid_order(
    manager_client, stripe_emulator, make_product
):
    pending = start_checkout((make_product("Desk Lamp", "25.00"), 1))

    page = manager_client.get(refund_url(pending)).content.decode()
    # A form opened while the order was still paid, say, in another tab.
    response = manager_client.post(
        refund_url(pending), {"amount": "", "refund_token": "opened-in-another-tab-1"}
    )

    assert "Only paid orders with money left to refund can be refunded." in page
    assert messages_on(response) == [
        f"Order {pending.reference} is pending; only paid orders can be refunded."
    ]
    assert stripe_events(stripe_emulator, "charge.refunded") == []


def test_staff_who_may_only_view_orders_cannot_refund(client, stripe_emulator, order):
    viewer = User.objects.create_user("victor", "victor@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    client.force_login(viewer)

    turned_away = client.post(refund_url(order), {"amount": ""}, follow=True)
    forbidden = client.post(
        refund_url(order), {"amount": ""}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )

    assert messages_on(turned_away) == ["Sorry, you do not have permission to access this area."]
    assert forbidden.status_code == 403
    assert stripe_events(stripe_emulator, "charge.refunded") == []


def test_refund_order_never_asks_stripe_for_more_than_is_left(order, stripe_emulator):
    with pytest.raises(refunds.RefundError) as refused:
        refunds.refund_order(order, Decimal("50.01"), request_token="one-refund-request")

    assert refused.value.user_message == "Choose an amount from $0.01 to $50.00."
    assert stripe_events(stripe_emulator, "charge.refunded") == []


def test_refund_order_returns_the_stripe_refund_id(order, stripe_emulator):
    refund_id = refunds.refund_order(order, None, request_token="one-refund-request")

    [refunded] = stripe_events(stripe_emulator, "charge.refunded")
    assert refund_id.startswith("re_")
    assert refunded["data"]["object"]["amount_refunded"] == 5000


def refund_made_at_stripe(emulator, order: Order) -> dict:
    """Refund the order's payment in Stripe's dashboard; answer the charge.refunded event."""
    intent = EmulatorControl(emulator.base_url).complete_session(
        order.stripe_checkout_session_id, deliver=False
    )["session"]["payment_intent"]["id"]
    stripe_client(emulator.base_url, "sk_test_suite").v1.refunds.create(
        params={"payment_intent": intent}
    )
    [refunded] = stripe_events(emulator, "charge.refunded")
    return refunded


def test_a_paid_order_records_what_stripe_charged(order):
    assert (order.charged_currency, order.charged_subtotal, order.charged_total) == (
        "usd",
        5000,
        5000,
    )
    assert not order.needs_review


def test_a_refund_arriving_before_the_payment_event_sends_no_order_confirmation(
    client, stripe_emulator, make_product, django_capture_on_commit_callbacks
):
    order = start_checkout((make_product("Desk Lamp", "25.00"), 2))
    refunded = refund_made_at_stripe(stripe_emulator, order)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, refunded)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.REFUNDED and order.amount_refunded == Decimal("50.00")
    run_queued_tasks()
    # The shopper hears only of the refund.
    assert [message.subject for message in mail.outbox] == [
        f"Your order {order.reference} has been refunded"
    ]


def test_a_refund_arriving_before_the_payment_event_asks_stripe_outside_any_transaction(
    client, stripe_emulator, make_product, monkeypatch
):
    order = start_checkout((make_product("Desk Lamp", "25.00"), 2))
    refunded = refund_made_at_stripe(stripe_emulator, order)

    with transactions_open_at_each_stripe_call(monkeypatch) as open_transactions:
        response = post_webhook(client, refunded)

    assert response.status_code == 200
    assert open_transactions == [0]
    order.refresh_from_db()
    assert order.status == Status.REFUNDED


def test_a_refund_is_offered_only_up_to_what_stripe_charged(manager_client, stripe_emulator, order):
    Order.objects.filter(pk=order.pk).update(charged_total=1000, review_reasons="Charged less.")

    page = manager_client.get(refund_url(order)).content.decode()
    response = manager_client.post(refund_url(order), refund_form(manager_client, order, "10.01"))

    assert "$10.00" in page
    assert "This order has $10.00 left to refund" in response.content.decode()
    assert stripe_events(stripe_emulator, "charge.refunded") == []


def test_an_order_stripe_charged_in_another_currency_is_refunded_from_stripes_dashboard(
    manager_client, stripe_emulator, order
):
    Order.objects.filter(pk=order.pk).update(charged_currency="eur", review_reasons="In EUR.")

    # The page offers no form for such an order; a form opened before Stripe's word arrived can
    # still be submitted.
    response = manager_client.post(
        refund_url(order), {"amount": "", "refund_token": "opened-before-the-charge-was-known"}
    )

    assert messages_on(response) == [
        f"Stripe charged order {order.reference} in a currency other than the shop currency; "
        "refund it from the Stripe dashboard."
    ]
    assert stripe_events(stripe_emulator, "charge.refunded") == []


def test_the_refundable_set_holds_exactly_the_orders_that_say_they_are_refundable(db):
    cases = [
        {"status": Status.PAID, "payment_intent_id": "pi_1"},
        {"status": Status.PAID, "payment_intent_id": ""},
        {"status": Status.PENDING, "payment_intent_id": "pi_1"},
        {"status": Status.REFUNDED, "payment_intent_id": "pi_1"},
        {"status": Status.PAID, "payment_intent_id": "pi_1", "amount_refunded": Decimal("99.98")},
        {"status": Status.PAID, "payment_intent_id": "pi_1", "amount_refunded": Decimal("99.99")},
        {"status": Status.PAID, "payment_intent_id": "pi_1", "charged_currency": "usd"},
        {"status": Status.PAID, "payment_intent_id": "pi_1", "charged_currency": "eur"},
        {
            "status": Status.PAID,
            "payment_intent_id": "pi_1",
            "charged_currency": "usd",
            "charged_total": 1000,
            "amount_refunded": Decimal("10.00"),
        },
        {
            "status": Status.PAID,
            "payment_intent_id": "pi_1",
            "charged_currency": "usd",
            "charged_total": 1000,
            "amount_refunded": Decimal("9.99"),
        },
        {"status": Status.PAID, "payment_intent_id": "pi_1", "charged_total": 500},
    ]
    orders = [make_order(**case) for case in cases]

    refundable = set(Order.objects.refundable())

    assert refundable == {order for order in orders if order.is_refundable}
    assert len(refundable) == 4
