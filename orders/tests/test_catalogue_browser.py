"""In Chromium: search suggestions appear as the shopper types, and the catalogue's pages have
nothing serious for axe-core to report."""

import pytest
from playwright.sync_api import expect

from orders.tests.browsing import serious_accessibility_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_suggestions_appear_as_the_shopper_types_and_lead_to_the_product(page):
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search products")

    search.press_sequentially("porta", delay=30)
    suggestion = page.get_by_role("link", name="Portable Power Bank").first
    expect(suggestion).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 suggestion below")).to_have_count(1)
    search.press("Escape")
    expect(page.locator(".site-search__suggestions")).to_be_hidden()

    search.press_sequentially("power", delay=30)
    page.locator(".site-search__suggestions").get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Portable Power Bank", level=1)).to_be_visible()


def test_searching_without_javascript_shows_the_results_page(open_context):
    page = open_context(java_script_enabled=False).new_page()
    page.goto("/")

    page.get_by_role("searchbox", name="Search products").fill("headphones")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.get_by_text("1 result for “headphones”")).to_be_visible()
    expect(page.get_by_role("link", name="Wireless Bluetooth Headphones")).to_be_visible()


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def axe_page(open_context, request):
    width, height = request.param
    return open_context(bypass_csp=True, viewport={"width": width, "height": height}).new_page()


def test_shop_category_and_search_pages_have_no_serious_accessibility_violations(axe_page):
    found = {}
    for path in ["/shop/", "/shop/travel/", "/shop/?sort=price&in_stock=1", "/search/?q=power"]:
        axe_page.goto(path)
        found[path] = serious_accessibility_violations(axe_page)
    axe_page.goto("/")
    axe_page.get_by_role("searchbox", name="Search products").press_sequentially("po", delay=30)
    expect(axe_page.locator(".site-search__suggestions")).to_be_visible()
    found["suggestions"] = serious_accessibility_violations(axe_page)

    assert found == {path: [] for path in found}
