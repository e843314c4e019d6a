"""The printable packing slip of an order, and the order page's timeline of who did what when."""

import html
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from wagtail.models import Site

from orders.fulfilment_views import shipping_address_lines
from orders.models import Order, OrderItem
from orders.tests.factories import charge_object, make_order, session_object
from orders.tests.helpers import admin_order_url, login
from orders.tests.shipping import (
    SHIPMENT,
    deliver_url,
    note_url,
    packing_slip_url,
    paid_order,
    ship_url,
)
from shop.models import ShopSettings

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_packing_slip_names_the_shop_the_order_and_what_to_pack(manager_client):
    ShopSettings.objects.create(
        site=Site.objects.get(is_default_site=True), shop_name="Tom's Lamps & Lights"
    )
    order = paid_order()
    OrderItem.objects.create(
        order=order, product_name="Desk Lamp", unit_price=Decimal("25.00"), quantity=3
    )

    response = manager_client.get(packing_slip_url(order))

    assert response.status_code == 200
    page = page_text(response)
    assert "<title>Packing slip " + order.reference + " · Tom's Lamps & Lights</title>" in page
    assert f"data-slip-reference>{order.reference}</span>" in page
    items = page[page.index("data-slip-items") :]
    assert "Portable Power Bank" in items and "Desk Lamp" in items
    assert '<td class="slip-quantity">3</td>' in items
    assert '<td class="slip-quantity">1</td>' in items
    # Prices and the admin's menus stay off the paper; the print stylesheet hides the links.
    assert "$" not in items and "sidebar" not in page
    assert "/static/css/packing-slip.css" in page
    assert "data-slip-address" not in page and "SKU" not in page


def test_the_order_page_links_to_its_packing_slip_once_paid(manager_client):
    paid, pending = paid_order(), make_order(owner_key="session:other")

    assert packing_slip_url(paid) in manager_client.get(admin_order_url(paid)).content.decode()
    assert (
        packing_slip_url(pending)
        not in manager_client.get(admin_order_url(pending)).content.decode()
    )


def test_the_slip_prints_the_address_and_skus_when_the_order_has_them():
    order = Order(reference="ABCDEFGH23456789")
    order.shipping_name = "Ada Lovelace"
    order.shipping_line1 = "12 St James's Square"
    order.shipping_city = "London"
    order.shipping_postal_code = "SW1Y 4JH"
    order.shipping_country = "GB"

    lines = shipping_address_lines(order)
    page = render_to_string(
        "orders/admin/packing_slip.html",
        {
            "order": Order(pk=1),
            "items": [SimpleNamespace(product_name="Desk Lamp", sku="LAMP-BLK", quantity=2)],
            "has_skus": True,
            "address_lines": lines,
        },
    )

    assert lines == ["Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB"]
    assert "data-slip-address" in page
    assert "Ada Lovelace<br>12 St James&#x27;s Square<br>London<br>SW1Y 4JH<br>GB<br>" in page
    assert '<th scope="col">SKU</th>' in page and "<td>LAMP-BLK</td>" in page


def test_the_print_stylesheet_keeps_the_links_off_the_paper():
    with open("static/css/packing-slip.css") as stylesheet:
        css = stylesheet.read()

    printed = css[css.index("@media print") :]
    assert ".slip-actions {\n        display: none;" in printed


def test_the_timeline_shows_each_moment_with_who_and_when(manager_client, manager, deliver):
    order = make_order()
    deliver(Client(), "checkout.session.completed", session_object(order))
    deliver(Client(), "charge.refunded", charge_object(order, 1000), "evt_partial_refund")
    Order.objects.filter(pk=order.pk).update(
        review_reasons="Looked odd.",
        reviewed_reasons="Looked odd.",
        reviewed_by=manager,
        reviewed_at=timezone.now(),
    )
    manager_client.post(note_url(order), {"text": "Gift: no prices in the box.\nThanks!"})
    manager_client.post(ship_url(order), SHIPMENT)
    manager_client.post(deliver_url(order))

    page = page_text(manager_client.get(admin_order_url(order)))

    timeline = page[
        page.index("data-order-timeline") : page.index(
            "</table>", page.index("data-order-timeline")
        )
    ]
    rows = timeline.split("<tr data-timeline-entry=")[1:]
    kinds = [row.split(">")[0].strip('"') for row in rows]
    assert kinds == ["created", "paid", "refund", "reviewed", "note", "shipped", "delivered"]
    by_kind = dict(zip(kinds, rows, strict=True))
    assert "Checkout started" in by_kind["created"] and "Shopper" in by_kind["created"]
    assert "Paid" in by_kind["paid"] and "Stripe" in by_kind["paid"]
    assert "$10.00 refunded in all." in by_kind["refund"]
    assert "Marked reviewed" in by_kind["reviewed"] and "margaret" in by_kind["reviewed"]
    assert "Gift: no prices in the box.<br>Thanks!" in by_kind["note"]
    assert "margaret" in by_kind["note"]
    assert f"With UPS, tracking number {SHIPMENT['tracking_number']}." in by_kind["shipped"]
    assert "Marked delivered" in by_kind["delivered"] and "margaret" in by_kind["delivered"]
    order.refresh_from_db()
    assert f"{timezone.localtime(order.shipped_at):%-d %b %Y, %H:%M}" in by_kind["shipped"]


def test_the_timeline_names_a_deleted_staff_account(manager_client, manager):
    order = paid_order()
    manager_client.post(note_url(order), {"text": "Checked stock."})
    manager.delete()

    page = page_text(
        login(Client(), User.objects.create_superuser("root", "r@example.com", "pw")).get(
            admin_order_url(order)
        )
    )

    assert "Checked stock." in page and "an account since deleted" in page
