"""Where shoppers and staff read what Stripe settled: the success and order pages, the
confirmation email, the admin order page, list and exports, and prices with their tax note."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from orders.models import Order
from orders.tests.checkout_settings import EXPRESS, STANDARD, US_ADDRESS, save_checkout_settings
from orders.tests.helpers import add_to_cart, check_out, run_queued_tasks
from orders.tests.staff import export, listing_rows, text_of

pytestmark = pytest.mark.django_db

INDEX_URL = "/admin/orders/"
BREAKDOWN = (
    "Items $99.99 Discount (SAVE10) -$10.00 Shipping (Express) $15.00 Tax $5.25 Total $110.24"
)
ADDRESS = "Ada Lovelace 12 Analytical Way Apt 3 62701 Springfield IL US Phone: +15550100199"


@pytest.fixture
def paid_with_shipping(client, shop, sdk, control, paying):
    """Headphones paid with SAVE10 and express shipping to the US, tax added; the client is
    the shopper's, back on the success page, whose response is returned with the order."""
    save_checkout_settings(
        [STANDARD, EXPRESS],
        shipping_countries="US",
        collect_phone=True,
        allow_promotion_codes=True,
        stripe_tax=True,
    )
    add_to_cart(client, shop["wireless-bluetooth-headphones"])
    check_out(client)
    order = Order.objects.get()
    session = sdk.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id)
    control.complete_session(
        order.stripe_checkout_session_id,
        shipping_rate=session.shipping_options[1].shipping_rate,
        promotion_code="SAVE10",
        customer=US_ADDRESS,
        deliver=False,
    )
    response = paying(client, order.stripe_checkout_session_id)
    order.refresh_from_db()
    return order, response


def test_success_page_shows_the_breakdown_and_the_shipping_address(paid_with_shipping):
    order, response = paid_with_shipping

    page = text_of(response.content.decode())
    assert order.status == Order.Status.PAID
    assert BREAKDOWN in page
    assert f"Shipping to {ADDRESS}" in page


def test_order_page_shows_the_breakdown_and_the_shipping_address(client, paid_with_shipping):
    order, _ = paid_with_shipping

    page = text_of(client.get(order.get_absolute_url()).content.decode())

    assert BREAKDOWN in page
    assert f"Shipping to {ADDRESS}" in page


def test_confirmation_email_shows_the_breakdown_and_the_shipping_address(paid_with_shipping):
    run_queued_tasks()
    [email] = mail.outbox

    lines = email.body.splitlines()
    assert [line for line in lines if line.startswith(("Items", "Discount", "Shipping ("))] == [
        "Items: $99.99",
        "Discount (SAVE10): -$10.00",
        "Shipping (Express): $15.00",
    ]
    assert "Tax: $5.25" in lines
    assert "Total: $110.24" in lines
    address = lines[lines.index("Shipping to:") + 1 :][:5]
    assert address == ["Ada Lovelace", "12 Analytical Way", "Apt 3", "62701 Springfield", "IL"]


def test_staff_see_the_charges_and_address_on_the_order_page(superuser_client, paid_with_shipping):
    order, _ = paid_with_shipping

    page = text_of(
        superuser_client.get(reverse("orders:inspect", args=[order.pk])).content.decode()
    )

    assert (
        "Charged by Stripe Items $99.99 Discount (SAVE10) -$10.00 Shipping (Express) $15.00 "
        "Tax $5.25 Total $110.24"
    ) in page
    assert f"Shipping address {ADDRESS}" in page


def test_order_list_shows_and_filters_by_country_and_shipping_rate(
    superuser_client, paid_with_shipping
):
    order, _ = paid_with_shipping
    unshipped = Order.objects.create(
        owner_key="session:other",
        total="10.00",
        cart_fingerprint="e" * 64,
        checkout_expires_at=order.checkout_expires_at,
    )

    rows = listing_rows(superuser_client.get(INDEX_URL))
    by_country = listing_rows(superuser_client.get(INDEX_URL, {"shipping_country": "US"}))
    by_rate = listing_rows(superuser_client.get(INDEX_URL, {"shipping_rate_name": "Express"}))

    assert (rows[order.reference]["Country"], rows[order.reference]["Shipping rate"]) == (
        "US",
        "Express",
    )
    assert unshipped.reference in rows
    assert list(by_country) == list(by_rate) == [order.reference]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_exports_carry_the_charges_and_the_shipping_address(
    superuser_client, paid_with_shipping, export_format
):
    header, row = export(superuser_client, export_format)

    exported = dict(zip(header, row, strict=True))
    amounts = ("Items charged", "Discount", "Shipping", "Tax added", "Total charged")
    assert [Decimal(str(exported[heading])) for heading in amounts] == [
        Decimal(amount) for amount in ("99.99", "10.00", "15.00", "5.25", "110.24")
    ]
    texts = (
        "Promotion code",
        "Shipping rate",
        "Ship to",
        "Address line 1",
        "City",
        "Postal code",
        "Country",
        "Phone",
    )
    phone = "'+15550100199" if export_format == "csv" else "+15550100199"
    assert [exported[heading] for heading in texts] == [
        "SAVE10",
        "Express",
        "Ada Lovelace",
        "12 Analytical Way",
        "Springfield",
        "62701",
        "US",
        phone,
    ]


@pytest.mark.parametrize(
    ("tax_settings", "note"),
    [
        ({}, None),
        ({"stripe_tax": True}, "+ tax"),
        ({"stripe_tax": True, "prices_include_tax": True}, "incl. tax"),
    ],
)
def test_prices_on_the_product_page_and_in_the_cart_say_how_tax_is_charged(
    client, shop, tax_settings, note
):
    save_checkout_settings(**tax_settings)
    watch = shop["smart-fitness-watch"]
    add_to_cart(client, watch)

    product_page = text_of(client.get(watch.get_absolute_url()).content.decode())
    cart_page = text_of(client.get(reverse("cart")).content.decode())

    for page in (product_page, cart_page):
        if note:
            assert f"$199.99 {note}" in page
        else:
            assert "tax" not in page.replace("Your tax", "")
