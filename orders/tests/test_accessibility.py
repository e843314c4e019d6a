"""axe-core finds nothing serious or critical on the pages a shopper goes through."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from orders.tests.browsing import add_to_cart, pay, serious_accessibility_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def page(open_context, request):
    width, height = request.param
    return open_context(bypass_csp=True, viewport={"width": width, "height": height}).new_page()


def test_home_product_and_login_pages_have_no_serious_accessibility_violations(page):
    found = {}
    for path in ["/", "/products/portable-power-bank/", "/account/login/"]:
        page.goto(path)
        found[path] = serious_accessibility_violations(page)

    assert found == {path: [] for path in found}


def test_cart_payment_and_order_pages_have_no_serious_accessibility_violations(page):
    found = {}
    add_to_cart(page, "Portable Power Bank")
    found["cart"] = serious_accessibility_violations(page)
    page.get_by_role("button", name="Checkout").click()
    expect(page.get_by_role("button", name="Pay")).to_be_visible()
    found["payment page"] = serious_accessibility_violations(page)
    pay(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Thank you! Your payment was received")).to_be_visible()
    found["success page"] = serious_accessibility_violations(page)
    page.goto("/orders/")
    found["orders"] = serious_accessibility_violations(page)
    page.goto(Order.objects.get().get_absolute_url())
    found["order page"] = serious_accessibility_violations(page)

    assert found == {name: [] for name in found}
