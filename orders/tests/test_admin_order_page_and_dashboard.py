"""An order's page in the Wagtail admin, and the orders panel on the admin dashboard."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderItem, StripeEvent
from orders.tests.factories import make_order
from orders.tests.helpers import ADMIN_ORDERS_URL, ORDERS_PANEL, admin_order_url, login

pytestmark = pytest.mark.django_db

Status = Order.Status


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

    response = manager_client.get(admin_order_url(order))

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

    page = manager_client.get(admin_order_url(order)).content.decode()

    assert "https://dashboard.stripe.com/payments/pi_live" in page
    assert "dashboard.stripe.com/test/" not in page


def test_refund_button_appears_only_on_paid_orders(manager_client):
    paid = make_order(status=Status.PAID, payment_intent_id="pi_paid")
    pending = make_order(owner_key="session:someone-else")

    assert (
        reverse("orders:refund", args=[paid.pk])
        in manager_client.get(admin_order_url(paid)).content.decode()
    )
    assert (
        reverse("orders:refund", args=[pending.pk])
        not in manager_client.get(admin_order_url(pending)).content.decode()
    )


def test_staff_who_may_only_view_orders_get_no_refund_button(client, seeded_shop):
    viewer = User.objects.create_user("victor", "victor@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    order = make_order(status=Status.PAID, payment_intent_id="pi_paid")

    page = login(client, viewer).get(admin_order_url(order))

    assert page.status_code == 200
    assert reverse("orders:refund", args=[order.pk]) not in page.content.decode()


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

    panel = page[page.index(ORDERS_PANEL) :]
    today = timezone.localdate().isoformat()
    assert f"{ADMIN_ORDERS_URL}?paid_at_from={today}&amp;paid_at_to={today}" in panel
    assert "2 orders" in panel and "$45.00 after refunds" in panel
    assert f"{ADMIN_ORDERS_URL}?stale=true" in panel
    assert "1 order" in panel
    assert "1 event" in panel and admin_order_url(paid) in panel and "Stripe is down" in panel
    paid_today = manager_client.get(ADMIN_ORDERS_URL, {"paid_at_from": today, "paid_at_to": today})
    assert len(paid_today.context["object_list"]) == 2
    assert list(manager_client.get(ADMIN_ORDERS_URL, {"stale": "true"}).context["object_list"]) == [
        stuck
    ]


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

    assert ORDERS_PANEL not in page.content.decode()
    # Today's and this week's figures, stale checkouts, failed events and the sparkline; then
    # the emails and tasks needing attention (the background work panel).
    assert len(with_panel) - len(without_panel) <= 6


def test_editors_get_no_orders_panel_on_the_dashboard(editor_client):
    assert ORDERS_PANEL not in editor_client.get("/admin/").content.decode()
