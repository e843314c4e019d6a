"""Shoppers on a narrow phone screen and on a keyboard: pages fit, and the cart stays put."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from orders.shoppers import ANONYMOUS_PREFIX, COOKIE_NAME
from orders.tests.factories import make_order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

LONG_NAME = "Extra-Long-Lasting Rechargeable Noise-Cancelling Over-Ear Headphones With Travel Case"
PHONE_HEIGHT = 800


@pytest.fixture
def long_named_product(make_product):
    return make_product(name=LONG_NAME, price="1234.56", slug="long-headphones")


def keep_a_marker(page):
    """Mark the loaded document: the marker is gone once the browser loads another page."""
    page.evaluate("window.stillTheSamePage = true")


def is_the_same_page(page) -> bool:
    return page.evaluate("window.stillTheSamePage === true")


def on_one_line(page, label, value) -> bool:
    label_box, value_box = label.bounding_box(), value.bounding_box()
    overlaps_vertically = (
        label_box["y"] < value_box["y"] + value_box["height"]
        and value_box["y"] < label_box["y"] + label_box["height"]
    )
    return overlaps_vertically and label_box["x"] + label_box["width"] <= value_box["x"]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", [360, 390])
def test_cart_orders_and_order_page_fit_a_phone_with_totals_beside_their_labels(
    open_context, long_named_product, width
):
    page = open_context(viewport={"width": width, "height": PHONE_HEIGHT}).new_page()
    page.goto(long_named_product.get_absolute_url())
    page.get_by_label(f"Quantity of {LONG_NAME}").fill("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("3")
    shopper = next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE_NAME)
    order = make_order(
        owner_key=f"{ANONYMOUS_PREFIX}{shopper}",
        status=Order.Status.PAID,
        total="1234.56",
        product=long_named_product,
    )

    page.goto("/cart/")
    cart_total = page.locator("[data-cart-total]")
    expect(cart_total).to_have_text("$3,703.68")
    assert horizontal_overflow(page) <= 0
    assert on_one_line(page, page.locator("tfoot th", has_text="Total"), cart_total)

    page.goto("/orders/")
    expect(page.locator(f'tr[data-order-reference="{order.reference}"]')).to_contain_text(LONG_NAME)
    assert horizontal_overflow(page) <= 0

    page.goto(order.get_absolute_url())
    order_total = page.locator("tfoot td", has_text="$1,234.56")
    expect(order_total).to_be_visible()
    assert horizontal_overflow(page) <= 0
    assert on_one_line(page, page.locator("tfoot th", has_text="Total"), order_total)


def test_arrow_keys_in_a_cart_quantity_stay_on_the_page_and_the_update_is_announced(page):
    page.goto("/products/portable-power-bank/")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto("/cart/")
    keep_a_marker(page)
    quantity = page.get_by_label("Quantity of Portable Power Bank")

    quantity.press("ArrowUp")
    quantity.press("ArrowUp")
    expect(quantity).to_have_value("3")
    assert is_the_same_page(page)
    quantity.press("Enter")

    expect(page.get_by_role("status").filter(has_text="Your cart was updated.")).to_be_visible()
    expect(page.locator("[data-cart-total]")).to_have_text("$149.97")
    expect(page.locator("[data-cart-count]")).to_have_text("3")
    expect(quantity).to_be_focused()
    expect(quantity).to_have_value("3")
    assert is_the_same_page(page)


def test_adding_to_cart_with_the_keyboard_keeps_the_shopper_on_the_product_page(page):
    page.goto("/products/portable-power-bank/")
    keep_a_marker(page)
    page.get_by_label("Quantity of Portable Power Bank").focus()
    page.keyboard.press("Tab")
    add = page.get_by_role("button", name="Add to cart")
    expect(add).to_be_focused()

    page.keyboard.press("Enter")

    confirmation = page.get_by_role("status").filter(
        has_text="Portable Power Bank was added to your cart."
    )
    expect(confirmation).to_be_visible()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    expect(page.locator("[data-cart-count]")).to_have_attribute("aria-label", "1 item in cart")
    expect(add).to_be_focused()
    assert page.url.endswith("/products/portable-power-bank/") and is_the_same_page(page)


def test_adding_to_cart_without_javascript_opens_the_cart_with_the_product(open_context):
    page = open_context(java_script_enabled=False).new_page()
    page.goto("/products/portable-power-bank/")

    page.get_by_role("button", name="Add to cart").click()

    assert page.url.endswith("/cart/")
    expect(page.get_by_text("Portable Power Bank was added to your cart.")).to_be_visible()
    expect(page.get_by_role("link", name="Portable Power Bank")).to_be_visible()
    expect(page.locator("[data-cart-count]")).to_have_text("1")
