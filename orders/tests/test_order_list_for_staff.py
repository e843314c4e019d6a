"""What a shop manager reads in the order list, on the order page and in the exports."""

import html
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderItem
from orders.tests.factories import make_order
from orders.tests.staff import export, listing_rows, paid_order, text_of

pytestmark = pytest.mark.django_db

Status = Order.Status
INDEX_URL = "/admin/orders/"


def order_page(client, order: Order) -> str:
    return client.get(reverse("orders:inspect", args=[order.pk])).content.decode()


def order_of(quantities: list[int], **fields) -> Order:
    """An order with a line of each of these quantities, at $2.50 a unit."""
    order = make_order(**fields)
    order.items.all().delete()
    for number, quantity in enumerate(quantities, start=1):
        OrderItem.objects.create(
            order=order, product_name=f"Product {number}", unit_price="2.50", quantity=quantity
        )
    return order


def test_the_items_column_counts_units_not_lines(manager_client):
    three_and_two = order_of([3, 2])
    one = order_of([1], owner_key="session:someone-else")

    rows = listing_rows(manager_client.get(INDEX_URL))

    assert rows[three_and_two.reference]["Items"] == "5"
    assert rows[one.reference]["Items"] == "1"
    by_units = manager_client.get(INDEX_URL, {"ordering": "-unit_count"})
    assert list(listing_rows(by_units)) == [three_and_two.reference, one.reference]


def test_a_paid_order_page_does_not_say_when_its_checkout_expires(manager_client):
    paid = make_order(status=Status.PAID, payment_intent_id="pi_paid", checkout_open=False)
    open_checkout = make_order(owner_key="session:someone-else")

    assert "Checkout expires at" not in order_page(manager_client, paid)
    assert "Checkout expires at" in order_page(manager_client, open_checkout)


def test_the_status_filter_chip_reads_the_status_in_words(manager_client):
    make_order(status=Status.PAID)

    response = manager_client.get(INDEX_URL, {"status": "paid"})

    chips = re.findall(
        r'class="w-pill__content"[^>]*>(.*?)</button>', response.content.decode(), flags=re.DOTALL
    )
    assert [text_of(chip) for chip in chips] == ["Status: Paid"]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_exports_show_statuses_in_words_and_dates_in_the_site_time_zone(
    manager_client, settings, export_format
):
    settings.TIME_ZONE = "Europe/Berlin"
    order = make_order(
        status=Status.PAID,
        payment_intent_id="pi_paid",
        paid_at=datetime(2026, 11, 29, 13, 5, 59, tzinfo=UTC),
    )
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2026, 11, 29, 12, 58, tzinfo=UTC))

    header, row = export(manager_client, export_format)

    cells = dict(zip(header, row, strict=True))
    assert cells["Status"] == "Paid"
    assert (cells["Created"], cells["Paid"]) == ("2026-11-29 13:58", "2026-11-29 14:05")


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_line_item_export_gives_a_row_per_line_of_the_filtered_orders(
    manager_client, export_format
):
    older = order_of([3, 2], status=Status.PAID)
    Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    newer = order_of([1], owner_key="session:second", status=Status.PAID)
    order_of([4], owner_key="session:third")

    header, *rows = export(manager_client, export_format, status="paid", with_items="true")

    assert header == ["Order", "Order status", "Product", "Quantity", "Unit price"]
    # A CSV holds text, a spreadsheet numbers: compare what either shows.
    assert [[*row[:3], int(row[3]), Decimal(str(row[4]))] for row in rows] == [
        [newer.reference, "Paid", "Product 1", 1, Decimal("2.50")],
        [older.reference, "Paid", "Product 1", 3, Decimal("2.50")],
        [older.reference, "Paid", "Product 2", 2, Decimal("2.50")],
    ]


def test_the_order_list_offers_the_line_item_export_of_what_is_filtered(manager_client):
    page = manager_client.get(INDEX_URL, {"status": "paid"}).content.decode()

    for export_format in ("CSV", "XLSX"):
        [url] = re.findall(
            rf'<a href="([^"]+)"[^>]*>(?:(?!<a ).)*?Download line items {export_format}\s*<',
            page,
            flags=re.DOTALL,
        )
        assert html.unescape(url) == (
            f"{INDEX_URL}?status=paid&with_items=true&export={export_format.lower()}"
        )


def fetch(url: str) -> tuple[int, str]:
    """Open a link as the manager's browser would: no Stripe key."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_on_the_emulator_stripe_links_open_the_emulators_page_of_the_checkout(
    manager_client, stripe_emulator, make_product
):
    order = paid_order(stripe_emulator, make_product("Desk Lamp", "25.00"))

    page = order_page(manager_client, order)

    stripe_section = page[page.index(">Stripe</h2>") : page.index(">Stripe events</h2>")]
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', stripe_section)
    session_page = f"{stripe_emulator.base_url}/c/pay/{order.stripe_checkout_session_id}"
    assert links == [
        (session_page, order.stripe_checkout_session_id),
        (session_page, order.stripe_payment_intent_id),
    ]
    status, shown = fetch(session_page)
    assert status == 200 and "This checkout session is already complete." in shown
    # Why the payment links there too: the emulator's API shows nothing without a secret key.
    api_status, _ = fetch(
        f"{stripe_emulator.base_url}/v1/payment_intents/{order.stripe_payment_intent_id}"
    )
    assert api_status == 401
    assert "dashboard.stripe.com" not in page
    assert "The shop runs on the Stripe emulator" in text_of(stripe_section)
