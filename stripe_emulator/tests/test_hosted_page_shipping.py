"""The payment page asks for an address, a phone and a shipping rate, takes test promotion
codes and shows tax, over plain HTTP and in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, expect

from stripe_emulator.tests.helpers import create_session, line_item, raw_request

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
GOOD_CARD = "4242 4242 4242 4242"
ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "020 7946 0000",
}


def taxed_item(unit_amount: int = 4000):
    item = line_item(unit_amount)
    item["price_data"]["tax_behavior"] = "exclusive"
    return item


def rate(name: str, amount: int, days: tuple[int, int] | None = None):
    data = {
        "display_name": name,
        "fixed_amount": {"amount": amount, "currency": "usd"},
        "tax_behavior": "exclusive",
    }
    if days:
        data["delivery_estimate"] = {
            "minimum": {"unit": "business_day", "value": days[0]},
            "maximum": {"unit": "business_day", "value": days[1]},
        }
    return {"shipping_rate_data": data}


def physical_session(client, **params):
    return create_session(
        client,
        line_items=[taxed_item()],
        shipping_address_collection={"allowed_countries": ["GB", "US"]},
        shipping_options=[rate("Standard", 500, (3, 5)), rate("Express", 1500, (1, 1))],
        phone_number_collection={"enabled": True},
        allow_promotion_codes=True,
        automatic_tax={"enabled": True},
        **params,
    )


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    status, headers, body = raw_request(
        url,
        method="POST",
        data=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status, headers, body.decode()


def amount(html: str, test_id: str) -> str:
    found = re.search(rf'data-testid="{test_id}">([^<]*)<', html)
    assert found, f"no {test_id} on the page"
    return found.group(1)


def test_the_page_asks_for_what_the_session_collects_with_a_label_on_every_field(client):
    session = physical_session(client)

    _, _, html = raw_request(session.url)
    page = html.decode()

    for field, label in [
        ("name", "Full name"),
        ("line1", "Address line 1"),
        ("line2", "Address line 2 (optional)"),
        ("city", "City"),
        ("state", "State, county or region (optional)"),
        ("postal_code", "Postal code"),
        ("country", "Country"),
        ("phone", "Phone number"),
        ("promotion_code", "Promotion code"),
    ]:
        assert f'<label for="{field}">{label}</label>' in page
        assert f'id="{field}" name="{field}"' in page
    assert '<option value="GB">United Kingdom</option>' in page
    assert '<option value="US" selected>United States</option>' in page
    assert '<option value="DE"' not in page
    assert re.search(r'id="shipping-rate-0"[^>]* checked>', page)
    assert "Standard, $5.00, 3–5 business days" in page
    assert "Express, $15.00, 1 business day" in page
    assert amount(page, "subtotal") == "$40.00"
    assert amount(page, "shipping") == "$5.00"
    assert amount(page, "tax") == "Enter your address to see tax"
    assert amount(page, "total") == "$45.00"


def test_a_plain_session_asks_for_no_address_phone_shipping_or_code(client):
    session = create_session(client)

    _, _, html = raw_request(session.url)
    page = html.decode()

    for absent in ('id="line1"', 'id="phone"', 'name="shipping_rate"', 'id="promotion_code"'):
        assert absent not in page
    assert 'data-testid="subtotal"' not in page


def test_applying_a_code_and_another_rate_updates_the_total_and_the_session(client):
    session = physical_session(client)

    status, _, page = post_form(
        session.url,
        {
            **ADDRESS,
            "shipping_rate": session.shipping_options[1].shipping_rate,
            "promotion_code": "save10",
            "action": "update",
        },
    )

    assert status == 200
    assert '<p class="applied" role="status">SAVE10 applied.</p>' in page
    assert amount(page, "discount") == "−$4.00"
    assert amount(page, "shipping") == "$15.00"
    assert amount(page, "tax") == "$10.20"  # 20% of 36.00 and of 15.00
    assert amount(page, "total") == "$61.20"
    assert re.search(r'id="shipping-rate-1"[^>]* checked>', page)
    updated = client.v1.checkout.sessions.retrieve(session.id)
    assert (updated.status, updated.amount_total) == ("open", 6120)


def test_a_fixed_amount_code_takes_five_of_the_sessions_currency(client):
    session = physical_session(client)

    _, _, page = post_form(session.url, {"promotion_code": "5OFF", "action": "update"})

    assert amount(page, "discount") == "−$5.00"
    assert amount(page, "total") == "$40.00"


def test_an_unknown_code_is_refused_on_the_page(client):
    session = physical_session(client)

    status, _, page = post_form(session.url, {"promotion_code": "FREESTUFF", "action": "update"})

    assert status == 400
    assert '<p class="error" role="alert">This code is invalid.</p>' in page
    assert client.v1.checkout.sessions.retrieve(session.id).total_details.amount_discount == 0


@pytest.mark.parametrize(
    ("missing", "changes", "message"),
    [
        ("name", {"name": ""}, "Enter the name to ship to."),
        ("line1", {"line1": ""}, "Enter the first line of your address."),
        ("city", {"city": ""}, "Enter your city."),
        ("postal_code", {"postal_code": ""}, "Enter your postal code."),
        ("country", {"country": "DE"}, "Choose a country from the list."),
        ("phone", {"phone": ""}, "Enter your phone number."),
        ("phone", {"phone": "call me"}, "Your phone number is invalid."),
    ],
)
def test_paying_without_what_the_session_collects_is_refused(client, missing, changes, message):
    session = physical_session(client)
    fields = {**ADDRESS, "email": "ada@example.com", "cardnumber": GOOD_CARD, **changes}

    status, _, page = post_form(session.url, fields)

    assert status == 400
    assert f'<p class="error" role="alert">{message}</p>' in page
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_paying_records_the_address_phone_rate_code_and_tax_on_the_session(client):
    session = physical_session(client)
    express = session.shipping_options[1].shipping_rate

    status, headers, _ = post_form(
        session.url,
        {
            **ADDRESS,
            "email": "ada@example.com",
            "shipping_rate": express,
            "promotion_code": "SAVE10",
            "payment_method": "card",
            "cardnumber": GOOD_CARD,
        },
    )

    assert status == 303
    assert headers["Location"].endswith(f"session_id={session.id}")
    paid = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent", "total_details.breakdown"]}
    )
    assert (paid.status, paid.payment_status, paid.amount_total) == ("complete", "paid", 6120)
    assert paid.payment_intent.amount == 6120
    assert paid.shipping_cost.shipping_rate == express
    assert paid.total_details.breakdown.discounts[0].discount.promotion_code == (
        "promo_test_save10"
    )
    shipping = paid.collected_information.shipping_details
    assert (shipping.name, shipping.address.line1, shipping.address.country) == (
        "Ada Lovelace",
        "12 St James's Square",
        "GB",
    )
    assert paid.customer_details.phone == "02079460000"


def test_tax_without_shipping_asks_only_for_the_billing_country_and_postal_code(client):
    session = create_session(client, line_items=[taxed_item()], automatic_tax={"enabled": True})

    _, _, html = raw_request(session.url)
    status, _, _ = post_form(
        session.url,
        {
            "email": "ada@example.com",
            "country": "DE",
            "postal_code": "10115",
            "cardnumber": GOOD_CARD,
        },
    )

    assert "<legend>Billing address</legend>" in html.decode()
    assert 'id="line1"' not in html.decode()
    assert status == 303
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.total_details.amount_tax, paid.amount_total) == (760, 4760)
    assert paid.customer_details.address.to_dict() == {
        "city": None,
        "country": "DE",
        "line1": None,
        "line2": None,
        "postal_code": "10115",
        "state": None,
    }
    assert paid.collected_information.shipping_details is None


@pytest.fixture(params=[(360, 740), (1280, 800)], ids=["phone", "desktop"])
def page(browser: Browser, request) -> Iterator[Page]:
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    opened = context.new_page()
    opened.route(
        "http://shop.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>Shop</h1>"),
    )
    yield opened
    context.close()


def serious_accessibility_violations(page: Page) -> list[str]:
    page.add_script_tag(path=AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']}: {violation['help']}"
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.browser
def test_a_shopper_fills_the_address_picks_express_applies_a_code_and_pays(client, page):
    session = physical_session(client)
    page.goto(session.url)
    assert serious_accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address line 1").fill("12 St James's Square")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("SW1Y 4JH")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Phone number").fill("+44 20 7946 0000")
    page.get_by_label("Express, $15.00, 1 business day").check()
    page.get_by_label("Promotion code").fill("SAVE10")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("status")).to_have_text("SAVE10 applied.")
    expect(page.get_by_test_id("discount")).to_have_text("−$4.00")
    expect(page.get_by_test_id("tax")).to_have_text("$10.20")
    expect(page.get_by_test_id("total")).to_have_text("$61.20")
    expect(page.get_by_label("Express, $15.00, 1 business day")).to_be_checked()
    expect(page.get_by_label("City")).to_have_value("London")
    assert serious_accessibility_violations(page) == []

    page.get_by_label("Card number").fill(GOOD_CARD)
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(re.compile(r"^http://shop\.test/checkout/success/"))
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.payment_status, paid.amount_total) == ("paid", 6120)
    assert paid.collected_information.shipping_details.address.city == "London"
    assert paid.customer_details.phone == "+442079460000"
