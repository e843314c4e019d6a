"""Shop managers ship orders from the order page, mark them delivered and keep notes on them;
whoever may not is turned away, and bad input gets a message, never an error page."""

import html

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from orders import shoppers
from orders.models import Order, OrderEvent
from orders.tests.factories import make_order
from orders.tests.helpers import admin_order_url, login
from orders.tests.shipping import (
    SHIPMENT,
    deliver_url,
    note_url,
    packing_slip_url,
    paid_order,
    partly_refunded_order,
    ship_url,
)

pytestmark = pytest.mark.django_db

Fulfilment = Order.FulfilmentStatus
DENIED = "Sorry, you do not have permission to access this area."


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def assert_not_shipped(order: Order) -> None:
    order.refresh_from_db()
    assert (order.fulfilment_status, order.carrier, order.tracking_url, order.shipped_at) == (
        Fulfilment.UNFULFILLED,
        "",
        "",
        None,
    )
    assert not OrderEvent.objects.filter(order=order).exists()


def test_a_manager_ships_an_order_from_its_page_and_sees_the_shipment(manager_client, manager):
    order = paid_order()
    page = page_text(manager_client.get(admin_order_url(order)))
    assert f'href="{ship_url(order)}"' in page and "Not shipped yet." in page

    form = manager_client.get(ship_url(order))
    response = manager_client.post(ship_url(order), SHIPMENT, follow=True)

    assert form.status_code == 200 and "Tracking link" in page_text(form)
    assert response.redirect_chain == [(admin_order_url(order), 302)]
    page = page_text(response)
    assert f"Order {order.reference} marked shipped." in page
    assert f'href="{SHIPMENT["tracking_url"]}"' in page
    assert SHIPMENT["tracking_number"] in page and f'href="{ship_url(order)}"' not in page
    assert "Mark delivered" in page
    order.refresh_from_db()
    assert order.fulfilment_status == Fulfilment.SHIPPED
    assert OrderEvent.objects.get(order=order).author == manager


def test_a_partly_refunded_order_can_be_shipped_from_its_page(manager_client):
    order = partly_refunded_order()

    manager_client.post(ship_url(order), {"carrier": "Royal Mail"})

    order.refresh_from_db()
    assert (order.fulfilment_status, order.carrier) == (Fulfilment.SHIPPED, "Royal Mail")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tracking_url", "javascript:alert(document.cookie)", "starting with https:// or http://"),
        ("tracking_url", "ftp://files.example.com/parcel", "starting with https:// or http://"),
        ("tracking_url", "https://ups.com/" + "t" * 500, "at most 500 characters"),
        ("tracking_number", "1Z" * 60, "at most 100 characters (it has 120)"),
        ("carrier", "C" * 101, "at most 100 characters (it has 101)"),
        ("carrier", "", "Enter the carrier the order went out with."),
    ],
)
def test_bad_shipment_details_are_refused_with_a_message_and_change_nothing(
    manager_client, field, value, message
):
    order = paid_order()

    response = manager_client.post(ship_url(order), SHIPMENT | {field: value})

    assert response.status_code == 400
    assert message in page_text(response)
    assert_not_shipped(order)


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (Order.Status.CANCELLED, "is cancelled: only paid orders can be shipped."),
        (Order.Status.REFUNDED, "is refunded: only paid orders can be shipped."),
        (Order.Status.PENDING, "is pending: only paid orders can be shipped."),
    ],
)
def test_shipping_an_order_that_is_not_paid_says_why_and_changes_nothing(
    manager_client, status, said
):
    order = make_order(status=status)

    page = page_text(manager_client.get(admin_order_url(order)))
    opened = manager_client.get(ship_url(order), follow=True)
    posted = manager_client.post(ship_url(order), SHIPMENT, follow=True)

    assert f'href="{ship_url(order)}"' not in page
    assert f"Not shipped: Order {order.reference} {said}" in page
    for response in (opened, posted):
        assert response.redirect_chain == [(admin_order_url(order), 302)]
        assert f"Order {order.reference} {said}" in page_text(response)
    assert "Nothing was changed." in page_text(posted)
    assert_not_shipped(order)


def test_shipping_an_order_twice_keeps_the_first_shipment(manager_client):
    order = paid_order()
    manager_client.post(ship_url(order), SHIPMENT)

    response = manager_client.post(ship_url(order), {"carrier": "FedEx"}, follow=True)

    assert f"Order {order.reference} is already shipped. Nothing was changed." in page_text(
        response
    )
    order.refresh_from_db()
    assert order.carrier == "UPS"


def test_unknown_orders_are_not_found(manager_client):
    for url in (ship_url(999999), note_url(999999), packing_slip_url(999999)):
        assert manager_client.get(url).status_code == 404
    assert manager_client.post(ship_url(999999), SHIPMENT).status_code == 404
    assert manager_client.post("/admin/orders/deliver/999999/").status_code == 404


def test_a_manager_marks_a_shipped_order_delivered(manager_client):
    order = paid_order()
    manager_client.post(ship_url(order), SHIPMENT)

    response = manager_client.post(deliver_url(order), follow=True)

    assert f"Order {order.reference} marked delivered." in page_text(response)
    order.refresh_from_db()
    assert order.fulfilment_status == Fulfilment.DELIVERED
    again = manager_client.post(deliver_url(order), follow=True)
    assert "already marked delivered. Nothing was changed." in page_text(again)


def test_an_order_not_shipped_cannot_be_marked_delivered(manager_client):
    order = paid_order()

    response = manager_client.post(deliver_url(order), follow=True)

    assert "has not been shipped: mark it shipped first." in page_text(response)
    assert_not_shipped(order)


def test_a_manager_adds_a_note_that_the_shopper_never_sees(manager_client, manager):
    order = paid_order()
    assert 'name="text"' in page_text(manager_client.get(admin_order_url(order)))

    response = manager_client.post(
        note_url(order), {"text": "Leave with the neighbour at no. 4."}, follow=True
    )

    assert response.redirect_chain == [(admin_order_url(order), 302)]
    page = page_text(response)
    assert "Note added. Only staff see it." in page
    assert "Leave with the neighbour at no. 4." in page
    note = OrderEvent.objects.get(order=order)
    assert (note.kind, note.author) == (OrderEvent.Kind.NOTE, manager)
    shopper = User.objects.create_user("ada", "ada@example.com", "pw")
    Order.objects.filter(pk=order.pk).update(owner_key=shoppers.user_key(shopper), user=shopper)
    shopper_page = login(Client(), shopper).get(order.get_absolute_url())
    assert shopper_page.status_code == 200 and order.reference in page_text(shopper_page)
    assert "neighbour" not in page_text(shopper_page)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write the note before adding it."),
        ("   ", "Write the note before adding it."),
        ("x" * 2001, "at most 2000 characters (it has 2001)"),
    ],
)
def test_an_empty_or_over_long_note_is_refused_with_a_message(manager_client, text, message):
    order = paid_order()

    response = manager_client.post(note_url(order), {"text": text})

    assert response.status_code == 400
    assert message in page_text(response)
    assert not OrderEvent.objects.exists()


def test_editors_are_turned_away_from_shipping_notes_and_packing_slips(editor_client):
    order = paid_order()

    for url in (ship_url(order), note_url(order), packing_slip_url(order)):
        response = editor_client.get(url, follow=True)
        assert response.redirect_chain == [("/admin/", 302)]
        assert DENIED in page_text(response)
        assert editor_client.get(url, HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 403
    for url, data in ((ship_url(order), SHIPMENT), (note_url(order), {"text": "hi"})):
        assert DENIED in page_text(editor_client.post(url, data, follow=True))
    assert DENIED in page_text(editor_client.post(deliver_url(order), follow=True))
    assert_not_shipped(order)


def test_staff_who_may_only_view_orders_see_the_shipment_but_cannot_ship_or_note(client):
    viewer = User.objects.create_user("victor", "victor@example.com", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_order"),
    )
    login(client, viewer)
    order = paid_order()

    page = page_text(client.get(admin_order_url(order)))
    shipped = client.post(ship_url(order), SHIPMENT, follow=True)
    noted = client.post(note_url(order), {"text": "hi"}, follow=True)

    assert "Not shipped yet." in page and "Packing slip" in page
    assert f'href="{ship_url(order)}"' not in page and 'name="text"' not in page
    assert client.get(packing_slip_url(order)).status_code == 200
    for response in (shipped, noted):
        assert response.redirect_chain == [("/admin/", 302)]
        assert DENIED in page_text(response)
    assert_not_shipped(order)


def test_superusers_may_ship(superuser_client):
    order = paid_order()

    superuser_client.post(ship_url(order), {"carrier": "DHL"})

    order.refresh_from_db()
    assert order.fulfilment_status == Fulfilment.SHIPPED
