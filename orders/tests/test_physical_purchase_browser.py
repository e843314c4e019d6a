"""A physical purchase end to end in Chromium: the address, a shipping choice and a promotion
code on Stripe's page, the breakdown and address back in the shop and in the confirmation,
then staff ship it and the shopper is told once."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from orders.models import Order
from orders.tests.checkout_settings import EXPRESS, STANDARD, save_checkout_settings
from orders.tests.helpers import login, run_queued_tasks, staff_member
from orders.tests.staff import text_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

HEADPHONES = "/products/wireless-bluetooth-headphones/"
BREAKDOWN = (
    "Items $99.99 Discount (SAVE10) -$10.00 Shipping (Express) $15.00 Tax $5.25 Total $110.24"
)


def test_a_shopper_buys_headphones_shipped_express_with_a_code_and_hears_when_they_ship(
    page, client
):
    save_checkout_settings(
        [STANDARD, EXPRESS],
        shipping_countries="US, GB",
        collect_phone=True,
        allow_promotion_codes=True,
        stripe_tax=True,
    )
    page.goto(HEADPHONES)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("was added to your cart.")).to_be_visible()
    page.goto("/cart/")
    page.get_by_role("button", name="Checkout").click()

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address line 1").fill("12 Analytical Way")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Phone number").fill("+15550100199")
    page.get_by_label(re.compile(r"^Express, \$15\.00")).check()
    page.get_by_label("Promotion code").fill("SAVE10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_have_text("SAVE10 applied.")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("heading", name="Thank you! Your payment was received")).to_be_visible()
    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    page.goto(order.get_absolute_url())
    shown = " ".join(page.locator("main").inner_text().split())
    assert BREAKDOWN in shown
    assert "Shipping to Ada Lovelace 12 Analytical Way" in shown

    run_queued_tasks()
    [confirmation] = mail.outbox
    assert confirmation.to == ["ada@example.com"]
    assert "Shipping (Express): $15.00" in confirmation.body
    assert "Ada Lovelace" in confirmation.body

    manager = login(client, staff_member("margaret", "Shop managers"))
    shipment = {
        "carrier": "UPS",
        "tracking_number": "1Z999",
        "tracking_url": "https://ups.test/1Z999",
    }
    manager.post(reverse("orders:ship", args=[order.pk]), shipment)
    manager.post(reverse("orders:ship", args=[order.pk]), shipment)
    run_queued_tasks()
    run_queued_tasks()

    shipped = [message for message in mail.outbox if message is not confirmation]
    assert len(shipped) == 1
    assert shipped[0].to == ["ada@example.com"]
    assert "1Z999" in shipped[0].body
    staff_page = text_of(manager.get(reverse("orders:inspect", args=[order.pk])).content.decode())
    assert "Shipped" in staff_page and "UPS" in staff_page
