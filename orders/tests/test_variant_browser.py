"""A shopper in Chromium picks a size and colour, with and without JavaScript, and meets sold-out
products and variants with nothing to add."""

import pytest
from playwright.sync_api import expect

from orders.models import Order, OrderItem
from orders.tests.browsing import pay, serious_accessibility_violations
from products.models import Product
from products.tests.factories import track_stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

TEE = "/products/everyday-cotton-t-shirt/"


@pytest.mark.parametrize("javascript", [True, False], ids=["with JavaScript", "without"])
def test_a_shopper_picks_a_size_and_colour_and_pays_for_that_variant(
    open_context, stripe_emulator, javascript
):
    page = open_context(java_script_enabled=javascript).new_page()
    page.goto(TEE)

    page.get_by_label("Size M, Black").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(
        page.get_by_text("Everyday Cotton T-Shirt (Size M, Black) was added to your cart.")
    ).to_be_visible()
    page.goto("/cart/")
    expect(page.get_by_role("link", name="Everyday Cotton T-Shirt (Size M, Black)")).to_be_visible()
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_text("Everyday Cotton T-Shirt (Size M, Black)")).to_be_visible()
    pay(page, "4242 4242 4242 4242")

    expect(page.get_by_role("heading", name="Thank you! Your payment was received")).to_be_visible()
    item = OrderItem.objects.get()
    assert (item.sku, item.options, item.order.status) == (
        "TEE-BLK-M",
        "Size M, Black",
        Order.Status.PAID,
    )


def test_a_sold_out_variant_cannot_be_picked_and_says_so(page):
    page.goto(TEE)

    sold_out = page.get_by_label("Size L, Black")
    expect(sold_out).to_be_disabled()
    expect(page.locator("label", has=page.get_by_text("Size L, Black"))).to_contain_text("Sold out")
    expect(page.get_by_label("Size S, Black")).to_be_checked()


def test_a_sold_out_product_shows_sold_out_and_no_add_to_cart(page):
    track_stock(Product.objects.get(slug="portable-power-bank"), on_hand=0)

    page.goto("/products/portable-power-bank/")
    expect(page.locator("main").get_by_text("Sold out")).to_be_visible()
    expect(page.get_by_role("button", name="Add to cart")).to_have_count(0)

    page.goto("/")
    card = page.locator("article.card", has_text="Portable Power Bank")
    expect(card.get_by_text("Sold out")).to_be_visible()
    expect(card.get_by_role("button", name="Add to cart")).to_have_count(0)


def test_the_variant_picker_has_no_serious_accessibility_problems(open_context):
    page = open_context(bypass_csp=True).new_page()
    page.goto(TEE)

    assert serious_accessibility_violations(page) == []
