"""The order list for shipping: a filter for paid orders not shipped yet (longest waiting
first), a dashboard count linking to it, and marking several orders shipped at once."""

import html

import pytest
from django.contrib.auth.models import Permission, User

from orders.models import Order, OrderEvent
from orders.tests.factories import make_order
from orders.tests.helpers import ADMIN_ORDERS_URL, ORDERS_PANEL, login, references_in
from orders.tests.shipping import bulk_ship_url, paid_order, ship_url

pytestmark = pytest.mark.django_db

Fulfilment = Order.FulfilmentStatus
AWAITING = {"awaiting_shipment": "true"}
DENIED = "Sorry, you do not have permission to access this area."


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_list_filters_paid_orders_not_shipped_yet_longest_waiting_first(manager_client):
    recent = paid_order(paid_hours_ago=1)
    oldest = paid_order(paid_hours_ago=48)
    shipped = paid_order(paid_hours_ago=72)
    manager_client.post(ship_url(shipped), {"carrier": "DHL"})
    pending, refunded = make_order(), make_order(status=Order.Status.REFUNDED)

    response = manager_client.get(ADMIN_ORDERS_URL, AWAITING)

    assert list(response.context["object_list"]) == [oldest, recent]
    everything = manager_client.get(ADMIN_ORDERS_URL).content
    assert references_in(everything, recent, oldest, shipped) == [
        recent.reference,
        oldest.reference,
        shipped.reference,
    ]
    newest_first = manager_client.get(ADMIN_ORDERS_URL, AWAITING | {"ordering": "-created_at"})
    assert list(newest_first.context["object_list"]) == [recent, oldest]
    by_status = manager_client.get(ADMIN_ORDERS_URL, {"fulfilment_status": "shipped"})
    assert list(by_status.context["object_list"]) == [shipped]
    not_awaiting = manager_client.get(ADMIN_ORDERS_URL, {"awaiting_shipment": "false"})
    assert set(not_awaiting.context["object_list"]) == {shipped, pending, refunded}


def test_the_dashboard_counts_orders_to_ship_and_links_to_them(manager_client):
    paid_order(paid_hours_ago=3)
    paid_order(paid_hours_ago=2)
    make_order(status=Order.Status.REFUNDED)

    page = manager_client.get("/admin/").content.decode()

    panel = page[page.index(ORDERS_PANEL) :]
    link = f'<a href="{ADMIN_ORDERS_URL}?awaiting_shipment=true">Paid, not shipped yet</a>'
    assert link in panel
    assert "<td>2 orders</td>" in panel[panel.index(link) :].split("</tr>")[0]


def test_the_list_shows_each_paid_orders_shipping_state(manager_client):
    order = paid_order()
    manager_client.post(ship_url(order), {"carrier": "DHL"})
    paid_order()

    page = page_text(manager_client.get(ADMIN_ORDERS_URL))

    assert "Shipping" in page and "Shipped" in page and "Not shipped" in page


def test_a_manager_ships_selected_orders_with_one_carrier(manager_client, manager):
    first, second = paid_order(paid_hours_ago=5), paid_order(paid_hours_ago=2)
    listing = page_text(manager_client.get(ADMIN_ORDERS_URL))
    assert "bulk-action-checkbox" in listing and "/admin/bulk/orders/order/ship/" in listing

    confirmation = manager_client.get(bulk_ship_url(first, second))
    response = manager_client.post(
        bulk_ship_url(first, second) + f"&next={ADMIN_ORDERS_URL}",
        {"carrier": "Royal Mail"},
        follow=True,
    )

    assert confirmation.status_code == 200
    page = page_text(confirmation)
    assert first.reference in page and second.reference in page
    assert response.redirect_chain == [(ADMIN_ORDERS_URL, 302)]
    assert "2 orders marked shipped." in page_text(response)
    for order in (first, second):
        order.refresh_from_db()
        assert (order.fulfilment_status, order.carrier) == (Fulfilment.SHIPPED, "Royal Mail")
    assert OrderEvent.objects.filter(kind="shipped", author=manager).count() == 2


def test_bulk_shipping_leaves_refunded_cancelled_and_shipped_orders_alone_and_says_so(
    manager_client,
):
    shippable = paid_order()
    refunded = make_order(status=Order.Status.REFUNDED)
    cancelled = make_order(status=Order.Status.CANCELLED)
    shipped = paid_order()
    manager_client.post(ship_url(shipped), {"carrier": "DHL"})
    selected = bulk_ship_url(shippable, refunded, cancelled, shipped)

    confirmation = page_text(manager_client.get(selected))
    response = manager_client.post(selected, {"carrier": "UPS"}, follow=True)

    assert "These cannot be shipped and will be left alone:" in confirmation
    assert f"Order {refunded.reference} is refunded: only paid orders" in confirmation
    page = page_text(response)
    assert "1 order marked shipped." in page
    assert f"Order {cancelled.reference} is cancelled: only paid orders can be shipped." in page
    assert f"Order {shipped.reference} is already shipped. It was not marked shipped." in page
    statuses = dict(Order.objects.values_list("pk", "fulfilment_status"))
    assert statuses == {
        shippable.pk: Fulfilment.SHIPPED,
        refunded.pk: Fulfilment.UNFULFILLED,
        cancelled.pk: Fulfilment.UNFULFILLED,
        shipped.pk: Fulfilment.SHIPPED,
    }
    shipped.refresh_from_db()
    assert shipped.carrier == "DHL"


def test_bulk_shipping_only_orders_that_cannot_go_out_offers_nothing_to_confirm(manager_client):
    refunded = make_order(status=Order.Status.REFUNDED)

    page = page_text(manager_client.get(bulk_ship_url(refunded)))

    assert f"Order {refunded.reference} is refunded" in page
    assert "Go back" in page and 'name="carrier"' not in page


@pytest.mark.parametrize("query", ["", "?id=abc", "?id=999999", "?id=1%27%3B--", "?id=" + "9" * 30])
def test_bulk_shipping_unknown_or_malformed_orders_is_not_found(manager_client, query):
    url = "/admin/bulk/orders/order/ship/" + query

    assert manager_client.get(url).status_code == 404
    assert manager_client.post(url, {"carrier": "UPS"}).status_code == 404


def test_bulk_shipping_without_a_carrier_or_with_a_long_one_is_refused(manager_client):
    order = paid_order()

    for carrier, message in (("", "Enter the carrier"), ("C" * 101, "at most 100 characters")):
        response = manager_client.post(bulk_ship_url(order), {"carrier": carrier})
        assert response.status_code == 400 and message in page_text(response)
    order.refresh_from_db()
    assert order.fulfilment_status == Fulfilment.UNFULFILLED


def test_editors_and_viewers_cannot_ship_in_bulk(editor_client):
    order = paid_order()

    response = editor_client.post(bulk_ship_url(order), {"carrier": "UPS"}, follow=True)

    assert response.redirect_chain == [("/admin/", 302)]
    assert DENIED in page_text(response)
    order.refresh_from_db()
    assert order.fulfilment_status == Fulfilment.UNFULFILLED


def test_staff_who_may_only_view_orders_get_no_boxes_to_tick(client):
    viewer = User.objects.create_user("victor", "victor@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    login(client, viewer)
    order = paid_order()

    listing = page_text(client.get(ADMIN_ORDERS_URL))
    response = client.post(bulk_ship_url(order), {"carrier": "UPS"}, follow=True)

    assert order.reference in listing and "bulk-action-checkbox" not in listing
    assert DENIED in page_text(response)
