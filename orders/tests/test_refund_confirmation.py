"""A refund is asked of Stripe only once the shop manager has confirmed what it will do."""

import html
import re
from decimal import Decimal

import pytest
from django.core import mail

from orders.models import Order
from orders.tests.helpers import post_webhook, run_queued_tasks
from orders.tests.staff import paid_order, refund_url, stripe_events

pytestmark = pytest.mark.django_db

CONFIRMATION = "data-refund-confirmation"


@pytest.fixture
def order(stripe_emulator, make_product):
    paid = paid_order(stripe_emulator, make_product("Desk Lamp", "25.00"))
    # Its confirmation goes out first; the tests here read the refund emails after it.
    run_queued_tasks()
    mail.outbox.clear()
    return paid


def text_of(response) -> str:
    """The page as a manager reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def hidden_fields(response) -> dict[str, str]:
    """What the confirmation form sends back when its Confirm button is pressed."""
    page = response.content.decode()
    form = page[page.index(CONFIRMATION) : page.index("</form>", page.index(CONFIRMATION))]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def ask_for_refund(client, order: Order, amount: str):
    """Open the refund page, enter the amount and press Refund: the confirmation step."""
    page = client.get(refund_url(order)).content.decode()
    [token] = re.findall(r'name="refund_token" value="([^"]+)"', page)
    return client.post(refund_url(order), {"amount": amount, "refund_token": token})


def refunded_amounts_at_stripe(emulator) -> list[int]:
    return [
        event["data"]["object"]["amount_refunded"]
        for event in stripe_events(emulator, "charge.refunded")
    ]


def test_refunding_shows_the_amount_and_what_will_happen_before_asking_stripe(
    manager_client, stripe_emulator, order
):
    response = ask_for_refund(manager_client, order, "12.50")

    assert response.status_code == 200
    page = text_of(response)
    assert f"Refund $12.50 of order {order.reference} to the shopper's card?" in page
    assert "Stripe sends the money back to the card or account the shopper paid with." in page
    assert "The order shows the refunded amount once Stripe confirms" in page
    assert f"The shopper gets an email at {order.customer_email}." in page
    assert "Confirm refund of $12.50" in page and "Back" in page
    assert refunded_amounts_at_stripe(stripe_emulator) == []
    order.refresh_from_db()
    assert order.amount_refunded == 0


def test_an_empty_amount_is_confirmed_as_the_whole_amount_left(
    manager_client, stripe_emulator, order
):
    response = ask_for_refund(manager_client, order, "")

    page = text_of(response)
    assert f"Refund $50.00 of order {order.reference} to the shopper's card?" in page
    assert "The order shows Refunded once Stripe confirms" in page
    assert hidden_fields(response)["amount"] == "50.00"


def test_confirming_asks_stripe_once_and_the_shopper_is_emailed_when_stripe_confirms(
    manager_client, client, stripe_emulator, order, django_capture_on_commit_callbacks
):
    confirmation = hidden_fields(ask_for_refund(manager_client, order, "12.50"))

    first = manager_client.post(refund_url(order), confirmation, follow=True)
    again = manager_client.post(refund_url(order), confirmation)

    assert "Refund of $12.50 requested" in text_of(first)
    assert again.status_code == 302
    assert refunded_amounts_at_stripe(stripe_emulator) == [1250]
    [refunded] = stripe_events(stripe_emulator, "charge.refunded")
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, refunded)
    run_queued_tasks()
    [email] = mail.outbox
    assert email.to == [order.customer_email]
    assert "We have refunded $12.50 of order" in email.body


def test_back_returns_to_the_form_with_the_amount_and_asks_stripe_nothing(
    manager_client, stripe_emulator, order
):
    confirmation = hidden_fields(ask_for_refund(manager_client, order, "12.50"))

    back = manager_client.post(refund_url(order), {**confirmation, "back": "true"})

    assert back.status_code == 200
    assert CONFIRMATION not in back.content.decode()
    assert re.search(r'name="amount" value="12.50"', back.content.decode())
    assert refunded_amounts_at_stripe(stripe_emulator) == []


def test_an_amount_no_longer_left_is_refused_at_confirmation_without_asking_stripe(
    manager_client, stripe_emulator, order
):
    confirmation = hidden_fields(ask_for_refund(manager_client, order, "50.00"))
    Order.objects.filter(pk=order.pk).update(amount_refunded=Decimal("45.00"))

    response = manager_client.post(refund_url(order), confirmation)

    assert "This order has $5.00 left to refund" in text_of(response)
    assert refunded_amounts_at_stripe(stripe_emulator) == []


def test_an_order_without_an_email_address_says_the_shopper_gets_no_email(
    manager_client, stripe_emulator, order
):
    Order.objects.filter(pk=order.pk).update(customer_email="")

    page = text_of(ask_for_refund(manager_client, order, "5.00"))

    assert "The order has no email address, so the shopper gets no email." in page
