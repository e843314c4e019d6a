from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from orders import emails
from orders.models import Order
from orders.shoppers import SHOPPER_SESSION_KEY
from orders.tests.factories import make_order
from orders.tests.helpers import run_queued_tasks
from shop.money import format_money


@pytest.mark.parametrize(
    ("currency", "shown"),
    [
        ("usd", "$1,234.50"),
        ("USD", "$1,234.50"),
        ("eur", "€1,234.50"),
        ("gbp", "£1,234.50"),
        ("jpy", "¥1,235"),
        ("chf", "1,234.50 CHF"),
        ("krw", "1,235 KRW"),
        ("kwd", "1,234.500 KWD"),
    ],
)
def test_amounts_are_written_in_their_currency(currency, shown):
    assert format_money(Decimal("1234.50"), currency) == shown


@pytest.mark.parametrize("amount", ["0", "0.5", "12.5", "99.99", "1000", "999999.99", "-3.25"])
def test_dollar_amounts_read_exactly_as_they_always_have(amount):
    assert format_money(Decimal(amount), "usd") == f"${Decimal(amount):,.2f}"


def test_no_amount_is_shown_as_nothing():
    assert format_money(None, "usd") == ""


def test_template_filter_uses_the_shops_currency_unless_given_one(settings):
    settings.SHOP_CURRENCY = "gbp"
    template = Template("{% load money %}{{ price|money }} {{ total|money:currency }}")

    shown = template.render(Context({"price": Decimal("5"), "total": 7, "currency": "eur"}))

    assert shown == "£5.00 €7.00"


@pytest.mark.django_db
def test_an_order_in_euros_shows_euros_on_its_page_and_in_its_email(client, seeded_shop):
    session = client.session
    session[SHOPPER_SESSION_KEY] = "regular"
    session.save()
    order = make_order(
        owner_key="session:regular",
        status=Order.Status.PAID,
        paid_at=timezone.now(),
        checkout_open=False,
        currency="eur",
        total="1250.00",
    )

    page = client.get(order.get_absolute_url()).content.decode()
    orders_page = client.get("/orders/").content.decode()
    with transaction.atomic():
        emails.queue_confirmation(order)
    run_queued_tasks()

    assert "€1,250.00" in page and "$" not in page
    assert "€1,250.00" in orders_page
    assert "Total: €1,250.00" in mail.outbox[0].body


@pytest.mark.django_db
def test_staff_see_an_order_in_euros_in_euros(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.com", "pw"))
    order = make_order(status=Order.Status.PAID, currency="eur", total="42.50")

    listing = client.get(reverse("orders:index")).content.decode()
    page = client.get(reverse("orders:inspect", args=[order.pk])).content.decode()

    assert "€42.50" in listing
    assert page.count("<td>€42.50</td>") == 2
    assert "$42.50" not in page
