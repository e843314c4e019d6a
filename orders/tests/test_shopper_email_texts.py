"""What each email to a shopper says, in plain text and HTML: the shop's name and footer, the
opening words staff edit, and the order's own facts, escaped in the HTML."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from orders import emails, fulfilment
from orders.models import Order
from orders.tests.factories import make_order
from orders.tests.helpers import run_queued_tasks
from orders.tests.shipping import SHIPMENT, paid_order
from shop.models import EmailSettings, ShopSettings

pytestmark = pytest.mark.django_db

# A real address a shopper can type on Stripe's page, with characters HTML must escape.
AWKWARD_ADDRESS = "o'neil&co@example.com"


@pytest.fixture
def site(seeded_shop):
    site = Site.objects.get(is_default_site=True)
    ShopSettings.objects.create(
        site=site,
        shop_name="Tom's Lamps & Lights",
        support_email="help@lamps.example",
        footer_text="Free returns within 30 days <always>.",
    )
    EmailSettings.objects.create(
        site=site,
        confirmation_intro="Thanks a lot & welcome!\nWe pack today.",
        shipped_intro="Your lamps are on the road.",
        refund_intro="Money is on its way back.",
        payment_failed_intro="Your bank said no.",
    )
    return site


def sent_message():
    run_queued_tasks()
    [message] = mail.outbox
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message, html


def assert_signed_by_the_shop(message, html):
    assert message.body.rstrip().endswith("Tom's Lamps & Lights")
    assert "Free returns within 30 days <always>." in message.body
    assert "Write to help@lamps.example." in message.body
    assert "Tom&#x27;s Lamps &amp; Lights" in html
    assert "Free returns within 30 days &lt;always&gt;." in html
    assert 'href="mailto:help@lamps.example"' in html


def test_confirmation_opens_with_the_edited_words_and_lists_the_order(site):
    order = make_order(
        status=Order.Status.PAID, paid_at=timezone.now(), customer_email=AWKWARD_ADDRESS
    )
    with transaction.atomic():
        emails.queue_confirmation(order)

    message, html = sent_message()

    assert message.subject == f"Your order {order.reference} is confirmed"
    assert message.to == [AWKWARD_ADDRESS]
    assert "Thanks a lot & welcome!\nWe pack today." in message.body
    assert "1 x Portable Power Bank  $99.99" in message.body
    assert "Total: $99.99" in message.body
    assert f"This email was sent to {AWKWARD_ADDRESS} about order" in message.body
    assert "<p>Thanks a lot &amp; welcome!<br>We pack today.</p>" in html
    assert "o&#x27;neil&amp;co@example.com" in html and AWKWARD_ADDRESS not in html
    assert_signed_by_the_shop(message, html)


def test_shipped_email_gives_the_carrier_tracking_number_and_link(site):
    order = paid_order(customer_email=AWKWARD_ADDRESS)
    fulfilment.mark_shipped(order, **SHIPMENT, by=None)

    message, html = sent_message()

    assert message.subject == f"Your order {order.reference} is on its way"
    assert "Your lamps are on the road." in message.body
    assert f"Order {order.reference} has left us with UPS." in message.body
    assert "Tracking number: 1Z999AA10123456784" in message.body
    assert f"Track your parcel: {SHIPMENT['tracking_url']}" in message.body
    assert "<p>Your lamps are on the road.</p>" in html
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    assert "<strong>1Z999AA10123456784</strong>" in html
    assert "o&#x27;neil&amp;co@example.com" in html
    assert_signed_by_the_shop(message, html)


def test_shipped_email_without_tracking_names_only_the_carrier(site):
    order = paid_order()
    fulfilment.mark_shipped(order, carrier="Local courier", by=None)

    message, html = sent_message()

    assert "has left us with Local courier." in message.body
    assert "Tracking number" not in message.body and "Track your parcel" not in message.body
    assert "Track your parcel" not in html


def test_partial_refund_email_says_what_was_refunded_and_what_stays_paid(site):
    order = paid_order(total="50.00", amount_refunded=Decimal("20.00"))
    with transaction.atomic():
        emails.queue_refund_notice(order, 2000)

    message, html = sent_message()

    assert message.subject == f"A refund on your order {order.reference}"
    assert "Money is on its way back." in message.body
    assert f"We have refunded $20.00 of order {order.reference}" in message.body
    assert "Refunded so far: $20.00 of the $50.00 you paid. The rest, $30.00, stays paid." in (
        message.body
    )
    assert "<strong>$20.00</strong>" in html and "The rest, $30.00, stays paid." in html
    assert_signed_by_the_shop(message, html)


def test_full_refund_email_says_the_order_is_refunded_in_full(site):
    order = paid_order(total="50.00", amount_refunded=Decimal("50.00"))
    with transaction.atomic():
        emails.queue_refund_notice(order, 5000)

    message, html = sent_message()

    assert message.subject == f"Your order {order.reference} has been refunded"
    assert f"We have refunded order {order.reference} in full: $50.00" in message.body
    assert "stays paid" not in message.body and "stays paid" not in html


def test_payment_failed_email_says_the_order_will_not_be_sent(site):
    order = make_order(status=Order.Status.FAILED, checkout_open=False)
    with transaction.atomic():
        emails.queue_payment_failed(order)

    message, html = sent_message()

    assert message.subject == f"The payment for your order {order.reference} did not go through"
    assert "Your bank said no." in message.body
    assert "was declined after checkout" in message.body
    assert "1 x Portable Power Bank  $99.99" in message.body
    assert "<p>Your bank said no.</p>" in html
    assert_signed_by_the_shop(message, html)


def test_a_new_shop_sends_the_default_opening_words(seeded_shop):
    order = make_order(status=Order.Status.PAID, paid_at=timezone.now())
    with transaction.atomic():
        emails.queue_confirmation(order)

    message, html = sent_message()

    assert EmailSettings().confirmation_intro in message.body
    assert not EmailSettings.objects.exists()


def test_a_product_name_with_markup_is_shown_not_obeyed_in_html(site, make_product):
    product = make_product("<b>Bold</b> Lamp", "12.50")
    order = make_order(
        status=Order.Status.PAID, paid_at=timezone.now(), product=product, total="12.50"
    )
    with transaction.atomic():
        emails.queue_confirmation(order)

    message, html = sent_message()

    assert "1 x <b>Bold</b> Lamp  $12.50" in message.body
    assert "&lt;b&gt;Bold&lt;/b&gt; Lamp" in html and "<b>Bold</b>" not in html
