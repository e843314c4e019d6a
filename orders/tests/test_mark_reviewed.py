"""Shop managers mark a flagged order as reviewed; a reason flagged later brings it back."""

import html
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from orders import payments
from orders.models import Order
from orders.tests.factories import charge_object, make_order, session_object
from orders.tests.helpers import ADMIN_ORDERS_URL, ORDERS_PANEL, admin_order_url, login

pytestmark = pytest.mark.django_db

SHORT_TOTAL = "Stripe's total is $0.01, but the order's items come to $99.99."
MARK_BUTTON = "Mark as reviewed</button>"


@pytest.fixture
def flagged(client, deliver, seeded_shop):
    """A paid order Stripe reported charging less for than its items come to."""
    order = make_order()
    deliver(Client(), "checkout.session.completed", session_object(order, amount_total=1))
    order.refresh_from_db()
    assert order.review_reasons.splitlines()[-1] == SHORT_TOTAL
    return order


def refund_in_euros(deliver, order: Order, event_id: str):
    """A charge.refunded for a charge in euros: the order is in dollars, so it is flagged."""
    charge = charge_object(order, 1, amount=1, currency="eur")
    deliver(Client(), "charge.refunded", charge, event_id)


def mark_url(order: Order) -> str:
    return reverse("orders:mark_reviewed", args=[order.pk])


def mark_reviewed(client, order: Order, reasons_seen: int | None = None):
    if reasons_seen is None:
        reasons_seen = len(order.review_reasons.splitlines())
    return client.post(mark_url(order), {"reasons_seen": reasons_seen}, follow=True)


def test_a_manager_marks_a_flagged_order_reviewed_and_the_page_says_who_and_when(flagged, manager):
    manager_client = login(Client(enforce_csrf_checks=True), manager)
    page = manager_client.get(admin_order_url(flagged)).content.decode()
    assert MARK_BUTTON in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    assert manager_client.post(mark_url(flagged), {"reasons_seen": 1}).status_code == 403
    response = manager_client.post(
        mark_url(flagged), {"reasons_seen": 1, "csrfmiddlewaretoken": token}, follow=True
    )

    page = html.unescape(response.content.decode())
    assert response.redirect_chain == [(admin_order_url(flagged), 302)]
    assert f"Order {flagged.reference} marked as reviewed." in page
    flagged.refresh_from_db()
    assert flagged.reviewed_by == manager
    assert f"Reviewed by margaret at {flagged.reviewed_at:%-d %b %Y, %H:%M}." in page
    assert "<strong>Reviewed.</strong>" in page and SHORT_TOTAL in page
    assert "Needs review." not in page and MARK_BUTTON not in page
    assert flagged.review_reasons.splitlines()[-1] == SHORT_TOTAL
    assert not Order.objects.needing_review().filter(pk=flagged.pk).exists()


def test_staff_who_may_only_view_orders_cannot_mark_an_order_reviewed(client, flagged):
    viewer = User.objects.create_user("victor", "victor@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    login(client, viewer)

    page = client.get(admin_order_url(flagged)).content.decode()
    response = mark_reviewed(client, flagged)

    assert "Needs review." in page and MARK_BUTTON not in page
    assert response.redirect_chain == [("/admin/", 302)]
    assert "Sorry, you do not have permission" in response.content.decode()
    flagged.refresh_from_db()
    assert (flagged.reviewed_by, flagged.reviewed_at) == (None, None)
    assert Order.objects.needing_review().filter(pk=flagged.pk).exists()


def test_a_new_reason_flagged_after_the_review_puts_the_order_back_in_review(
    manager_client, deliver, flagged
):
    mark_reviewed(manager_client, flagged)
    refund_in_euros(deliver, flagged, "evt_refund_in_euros")

    flagged.refresh_from_db()
    [new_reason] = flagged.reasons_since_review
    assert "EUR" in new_reason
    assert flagged.review_reasons.splitlines() == [SHORT_TOTAL, new_reason]
    assert Order.objects.needing_review().filter(pk=flagged.pk).exists()
    page = manager_client.get(admin_order_url(flagged)).content.decode()
    assert "Needs review." in page and MARK_BUTTON in page
    assert "Reviewed by margaret at" in page
    assert page.count("(new since the last review)") == 1

    mark_reviewed(manager_client, flagged)
    refund_in_euros(deliver, flagged, "evt_refund_in_euros_again")

    assert not Order.objects.needing_review().filter(pk=flagged.pk).exists()


def test_a_reason_that_came_in_while_the_page_was_open_is_not_marked_reviewed(
    manager_client, flagged
):
    page = manager_client.get(admin_order_url(flagged)).content.decode()
    assert 'name="reasons_seen" value="1"' in page
    with_new_reason = Order.objects.get(pk=flagged.pk)
    payments.flag_for_review(with_new_reason, "Stripe reported a dispute.", None)
    with_new_reason.save()

    response = mark_reviewed(manager_client, flagged, reasons_seen=1)

    assert "A new reason to review this order came in" in response.content.decode()
    assert Order.objects.needing_review().filter(pk=flagged.pk).exists()


@pytest.mark.parametrize("posted", [{}, {"reasons_seen": "many"}, {"reasons_seen": "0"}])
def test_a_mangled_mark_as_reviewed_request_changes_nothing_and_says_so(
    manager_client, flagged, posted
):
    response = manager_client.post(mark_url(flagged), posted, follow=True)

    assert response.status_code == 200
    assert "The order page was out of date" in response.content.decode()
    assert Order.objects.needing_review().filter(pk=flagged.pk).exists()


def test_reviewed_orders_leave_the_dashboard_count_and_the_needs_review_filter(
    manager_client, deliver, flagged
):
    other = make_order(owner_key="session:other")
    deliver(Client(), "checkout.session.completed", session_object(other, amount_total=1))
    other.refresh_from_db()

    mark_reviewed(manager_client, flagged)

    needing_review = manager_client.get(ADMIN_ORDERS_URL, {"needs_review": "true"})
    not_needing_review = manager_client.get(ADMIN_ORDERS_URL, {"needs_review": "false"})
    assert other.reference in needing_review.content.decode()
    assert flagged.reference not in needing_review.content.decode()
    assert flagged.reference in not_needing_review.content.decode()
    rows = manager_client.get(ADMIN_ORDERS_URL).content.decode().split("<tr")
    [flagged_row] = [row for row in rows if flagged.reference in row]
    assert "Needs review" not in flagged_row
    panel = manager_client.get("/admin/").content.decode()
    review_row = panel[panel.index(ORDERS_PANEL) :]
    review_row = review_row[review_row.index("Needs review") :]
    assert review_row.index("1 order") < review_row.index("</tr>")
