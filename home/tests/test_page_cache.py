"""First-time visitors get CMS pages from the cache, each with a CSRF token of their own."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from home.tests.helpers import csrf_token_in
from products.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def test_second_new_visitor_is_served_without_database_queries(seeded_shop):
    Client().get("/")

    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/")

    assert response.status_code == 200
    assert "Portable Power Bank" in response.content.decode()
    assert len(queries) == 0


def test_each_visitor_gets_a_working_csrf_token_of_their_own(seeded_shop):
    Client().get("/")
    visitor = Client(enforce_csrf_checks=True)

    page = visitor.get("/").content.decode()
    bank = Product.objects.get(slug="portable-power-bank")
    added = visitor.post(
        "/cart/add/",
        {"csrfmiddlewaretoken": csrf_token_in(page), "product_id": bank.pk, "quantity": 1},
    )

    assert "__csrf_token_placeholder__" not in page
    assert added.status_code == 302
    assert visitor.session["cart"] == {str(bank.pk): 1}


def test_publishing_a_product_refreshes_the_cached_page(seeded_shop, make_product):
    Client().get("/")

    make_product(name="Travel Adapter", price="19.50")

    assert "Travel Adapter" in Client().get("/").content.decode()


def test_unpublishing_a_product_refreshes_the_cached_page(seeded_shop):
    Client().get("/")

    Product.objects.get(slug="smart-fitness-watch").unpublish()

    assert "Smart Fitness Watch" not in Client().get("/").content.decode()


def test_visitors_with_a_session_are_never_served_a_shared_page(seeded_shop):
    Client().get("/")
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 3})

    page = shopper.get("/").content.decode()

    assert 'aria-label="3 items in cart"' in page


def test_pages_with_a_query_string_are_not_cached(seeded_shop):
    Client().get("/?utm=1")

    with CaptureQueriesContext(connection) as queries:
        Client().get("/?utm=1")

    assert len(queries) > 0


def test_returning_shopper_gets_the_cached_page_with_their_own_cart_and_orders(seeded_shop):
    from orders.models import Order
    from orders.tests.factories import make_order

    Client().get("/")
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 2})
    shopper.get("/cart/")
    session = shopper.session
    session["shopper_id"] = "regular"
    session.save()
    mine = make_order(owner_key="session:regular", status=Order.Status.PAID, checkout_open=False)
    theirs = make_order(
        owner_key="session:someone-else", status=Order.Status.PAID, checkout_open=False
    )

    shopper.get("/")

    with CaptureQueriesContext(connection) as queries:
        page = shopper.get("/").content.decode()

    assert 'aria-label="2 items in cart"' in page
    assert mine.reference in page
    assert theirs.reference not in page
    assert "Portable Power Bank" in page
    assert "<!--personal:" not in page
    assert len(queries) == 2


def test_signed_in_shopper_sees_their_account_links_on_a_cached_page(
    seeded_shop, django_user_model
):
    Client().get("/")
    shopper = Client()
    shopper.force_login(django_user_model.objects.create_user("pat", "pat@example.com", "pw"))

    page = shopper.get("/").content.decode()

    assert "Log out" in page
    assert "Sign up" not in page


def test_editors_always_get_a_fresh_page_with_the_editing_bar(seeded_shop, django_user_model):
    Client().get("/")
    editor = Client()
    editor.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))

    page = editor.get("/").content.decode()

    assert "wagtail-userbar" in page
    assert "wagtail-userbar" not in Client().get("/").content.decode()


def test_a_waiting_message_is_shown_on_a_fresh_page(seeded_shop):
    Client().get("/")
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 1})

    page = shopper.get("/").content.decode()

    assert "Portable Power Bank was added to your cart." in page


def test_pages_are_not_stored_while_any_page_has_a_view_restriction(seeded_shop):
    from wagtail.models import Page, PageViewRestriction

    secret = Page.objects.get(depth=2)
    PageViewRestriction.objects.create(page=secret, restriction_type="login")
    Client().get("/")

    with CaptureQueriesContext(connection) as queries:
        Client().get("/")

    assert len(queries) > 0


def test_a_paid_order_shows_as_paid_at_once_on_a_cached_page(seeded_shop):
    from orders.models import Order
    from orders.tests.factories import make_order

    Client().get("/")
    shopper = Client()
    session = shopper.session
    session["shopper_id"] = "regular"
    session.save()
    order = make_order(owner_key="session:regular")
    assert "Pending" in shopper.get("/").content.decode()

    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, checkout_open=False)

    page = shopper.get("/").content.decode()
    assert "status--paid" in page and "Pending" not in page


CONTEXT_PROCESSOR_CALLS = []


def counted_context_processor(request):
    CONTEXT_PROCESSOR_CALLS.append(request.path)
    return {}


def test_personal_parts_of_a_cached_page_run_no_context_processor(seeded_shop, settings):
    """They see the request, the user, the cart's count and the CSRF token, nothing else: the
    menu and the shop's settings the processors make are on the stored page already."""
    engine = settings.TEMPLATES[0]
    processors = [*engine["OPTIONS"]["context_processors"], f"{__name__}.counted_context_processor"]
    settings.TEMPLATES = [
        {**engine, "OPTIONS": {**engine["OPTIONS"], "context_processors": processors}}
    ]
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 2})
    shopper.get("/cart/")
    shopper.get("/")
    CONTEXT_PROCESSOR_CALLS.clear()

    page = shopper.get("/").content.decode()

    assert 'aria-label="2 items in cart"' in page
    assert "<!--personal:" not in page
    assert CONTEXT_PROCESSOR_CALLS == []


def test_a_fresh_page_and_a_cached_page_show_the_same_personal_parts(seeded_shop, settings):
    shopper = Client()
    bank = Product.objects.get(slug="portable-power-bank")
    shopper.post("/cart/add/", {"product_id": bank.pk, "quantity": 2})
    shopper.get("/cart/")
    settings.SHOP_PAGE_CACHE_SECONDS = 0
    fresh = shopper.get("/").content.decode()
    settings.SHOP_PAGE_CACHE_SECONDS = 300
    Client().get("/")

    cached = shopper.get("/").content.decode()

    assert header_links(cached) == header_links(fresh)
    assert 'aria-label="2 items in cart"' in header_links(cached)


def header_links(html: str) -> str:
    return html[html.index('<ul class="nav">') : html.index("</nav>")]
