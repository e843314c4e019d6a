"""The hosted Checkout page, over plain HTTP and in Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from stripe_emulator.testing import running_emulator, stripe_client
from stripe_emulator.tests.helpers import (
    API_KEY,
    CANCEL_URL,
    create_session,
    line_item,
    raw_request,
)


def post_form(url: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    status, headers, body = raw_request(
        url,
        method="POST",
        data=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    return status, headers, body.decode()


def get_page(url: str) -> tuple[int, str]:
    status, _, body = raw_request(url)
    return status, body.decode()


def test_page_shows_the_order_and_the_payment_form(client):
    session = create_session(
        client, line_items=[line_item(2500, quantity=2, name="Mug"), line_item(4999)]
    )

    status, html = get_page(session.url)

    assert status == 200
    assert "Wagtail Shop" in html
    assert "Mug" in html and "Qty 2" in html and "$50.00" in html
    assert "Teapot" in html and "$49.99" in html
    assert "$99.99" in html
    assert '<label for="email">Email</label>' in html
    assert 'value="buyer@example.com"' in html
    assert '<label for="cardnumber">Card number</label>' in html
    assert 'value="card" checked><label for="pm-card">Card</label>' in html
    assert '<label for="pm-bank">Bank transfer</label>' in html
    assert '<button type="submit">Pay</button>' in html
    assert f'href="{CANCEL_URL}">← Back to Wagtail Shop</a>' in html


def test_page_escapes_merchant_and_product_names():
    with running_emulator(merchant_name="<b>Shop</b>") as emulator:
        client = stripe_client(emulator.base_url, API_KEY)
        session = create_session(client, line_items=[line_item(name="<script>x</script>")])

        _, html = get_page(session.url)

    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<b>Shop" not in html and "&lt;b&gt;Shop&lt;/b&gt;" in html


GOOD_CARD = "4242424242424242"


@pytest.mark.parametrize(
    ("email", "card_number", "status", "message"),
    [
        ("", GOOD_CARD, 400, "Enter your email address to pay."),
        ("nobody", GOOD_CARD, 400, "Your email address is invalid."),
        ("a@example.com", "4242 4242 4242 4241", 400, "Your card number is incorrect."),
        ("a@example.com", "", 400, "Your card number is incomplete."),
        ("a@example.com", "4000 0000 0000 0002", 402, "Your card was declined."),
    ],
)
def test_refused_payments_rerender_with_a_message(client, email, card_number, status, message):
    session = create_session(client, customer_email=None)

    answer, _, html = post_form(
        session.url, {"payment_method": "card", "email": email, "cardnumber": card_number}
    )

    assert answer == status
    assert f'<p class="error" role="alert">{message}</p>' in html
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_bank_transfer_redirects_and_leaves_the_session_unpaid(client):
    session = create_session(client)

    status, headers, _ = post_form(
        session.url, {"email": "buyer@example.com", "payment_method": "us_bank_account"}
    )

    assert status == 303
    assert headers["Location"] == f"http://shop.test/checkout/success/?session_id={session.id}"
    completed = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent"]}
    )
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")
    assert completed.payment_intent.status == "processing"


def test_closed_and_unknown_sessions_say_so(client, control, emulator):
    paid, expired = create_session(client), create_session(client)
    control.complete_session(paid.id)
    client.v1.checkout.sessions.expire(expired.id)

    paid_status, paid_html = get_page(f"{emulator.base_url}/c/pay/{paid.id}")
    expired_status, expired_html = get_page(f"{emulator.base_url}/c/pay/{expired.id}")
    missing_status, missing_html = get_page(f"{emulator.base_url}/c/pay/cs_test_missing")
    posted_status, _, posted_html = post_form(
        f"{emulator.base_url}/c/pay/{expired.id}", {"email": "a@example.com"}
    )

    assert paid_status == 200 and "This checkout session is already complete." in paid_html
    assert f"session_id={paid.id}" in paid_html
    assert expired_status == 200 and "This checkout session has expired." in expired_html
    assert f'href="{CANCEL_URL}"' in expired_html
    assert posted_status == 200 and "This checkout session has expired." in posted_html
    assert missing_status == 404 and "This checkout session does not exist." in missing_html


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    # The shop's pages are not running here; answer its URLs with a stub.
    opened.route(
        "http://shop.test/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=_stub(route)),
    )
    yield opened
    context.close()


def _stub(route: Route) -> str:
    return f"<h1>Shop stub</h1><p>{route.request.url}</p>"


@pytest.mark.browser
def test_paying_with_the_success_card_lands_on_success_url(client, page, receiver, emulator):
    session = create_session(client)

    page.goto(session.url)
    expect(page.get_by_role("heading", name="Wagtail Shop")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("buyer@example.com")
    expect(page.get_by_label("Card", exact=True)).to_be_checked()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(f"http://shop.test/checkout/success/?session_id={session.id}")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    emulator.wait_for_deliveries()
    assert receiver.event_types() == ["payment_intent.succeeded", "checkout.session.completed"]


@pytest.mark.browser
def test_declined_card_shows_the_error_then_a_good_card_pays(client, page):
    session = create_session(client)
    page.goto(session.url)

    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("alert")).to_have_text("Your card was declined.")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    page.get_by_label("Card number").fill("4242424242424242")
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(re.compile(r"^http://shop\.test/checkout/success/"))
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


@pytest.mark.browser
def test_back_link_returns_to_the_cancel_url(client, page):
    session = create_session(client)
    page.goto(session.url)

    page.get_by_role("link", name="← Back to Wagtail Shop").click()

    page.wait_for_url(CANCEL_URL)
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
