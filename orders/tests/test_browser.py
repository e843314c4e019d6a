"""A shopper in Chromium: cart, Stripe Checkout on the emulator, the success page, their orders."""

import pytest
from django.core import mail
from playwright.sync_api import expect

from orders.models import Order
from orders.tests.browsing import add_to_cart, pay
from orders.tests.helpers import run_queued_tasks
from stripe_emulator.testing import stripe_client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_shopper_pays_with_4242_and_sees_the_paid_order(page, stripe_emulator):
    add_to_cart(page, "Portable Power Bank")
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_text("$49.99").first).to_be_visible()

    pay(page, "4242 4242 4242 4242")

    expect(page.get_by_role("heading", name="Thank you! Your payment was received")).to_be_visible()
    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    page.get_by_role("link", name="See all your orders").click()
    row = page.locator(f'tr[data-order-reference="{order.reference}"]')
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text("1 × Portable Power Bank")
    expect(page.locator("[data-cart-count]")).to_have_text("0")


def test_declined_card_then_retry_then_pay(page):
    add_to_cart(page, "Smart Fitness Watch")
    page.get_by_role("button", name="Checkout").click()

    pay(page, "4000 0000 0000 0002")
    expect(page.get_by_text("Your card was declined.")).to_be_visible()
    assert Order.objects.get().status == Order.Status.PENDING

    pay(page, "4242424242424242")
    expect(page.get_by_role("heading", name="Thank you! Your payment was received")).to_be_visible()
    assert Order.objects.get().status == Order.Status.PAID


def test_double_clicking_checkout_makes_one_order(page, stripe_emulator):
    add_to_cart(page, "Portable Power Bank")
    page.goto("/cart/")

    page.get_by_role("button", name="Checkout").dblclick()

    expect(page.get_by_role("button", name="Pay")).to_be_visible()
    assert Order.objects.count() == 1


def test_two_tabs_checking_out_the_same_cart_share_one_order(page):
    add_to_cart(page, "Portable Power Bank")
    second_tab = page.context.new_page()
    page.goto("/cart/")
    second_tab.goto("/cart/")

    page.get_by_role("button", name="Checkout").click()
    second_tab.get_by_role("button", name="Checkout").click()

    assert page.url == second_tab.url
    assert Order.objects.count() == 1


def test_refreshing_the_success_page_keeps_one_paid_order_and_one_email(page, stripe_emulator):
    add_to_cart(page, "Portable Power Bank")
    page.get_by_role("button", name="Checkout").click()
    pay(page, "4242 4242 4242 4242")
    heading = page.get_by_role("heading", name="Thank you! Your payment was received")
    expect(heading).to_be_visible()

    for _ in range(3):
        page.reload()
        expect(heading).to_be_visible()
    page.go_back()
    page.go_forward()

    stripe_emulator.wait_for_deliveries(timeout=10)
    assert Order.objects.get().status == Order.Status.PAID
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1


def test_back_link_on_checkout_returns_to_the_cart_and_checkout_resumes(page):
    add_to_cart(page, "Portable Power Bank")
    page.get_by_role("button", name="Checkout").click()
    checkout_url = page.url

    page.get_by_role("link", name="Back").click()

    expect(
        page.get_by_text("Checkout was cancelled and you have not been charged.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Portable Power Bank")).to_be_visible()
    assert Order.objects.get().status == Order.Status.PENDING
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("button", name="Pay")).to_be_visible()
    assert page.url == checkout_url


def test_two_tabs_clicking_checkout_at_the_same_moment_open_one_checkout(page, stripe_emulator):
    add_to_cart(page, "Portable Power Bank")
    second_tab = page.context.new_page()
    page.goto("/cart/")
    second_tab.goto("/cart/")
    stripe_emulator.set_network_faults(delay_seconds=0.5)

    page.get_by_role("button", name="Checkout").click(no_wait_after=True)
    second_tab.get_by_role("button", name="Checkout").click(no_wait_after=True)

    expect(page.get_by_role("button", name="Pay")).to_be_visible()
    expect(second_tab.get_by_role("button", name="Pay")).to_be_visible()
    order = Order.objects.get()
    assert page.url == second_tab.url == order.stripe_checkout_url
    open_sessions = stripe_client(stripe_emulator.base_url, "sk_test_suite").v1.checkout.sessions
    assert [s.id for s in open_sessions.list({"status": "open"}).data] == [
        order.stripe_checkout_session_id
    ]
