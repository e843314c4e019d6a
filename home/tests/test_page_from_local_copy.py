"""A page this process holds a copy of is answered before its address is resolved; everything
else goes the usual way."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from home import page_cache
from home.tests.helpers import csrf_token_in

pytestmark = pytest.mark.django_db


def visit(path: str):
    response = Client().get(path)
    assert response.status_code == 200
    return response


def test_a_page_seen_lately_is_answered_without_resolving_its_address(page_cache_on, seeded_shop):
    visit("/")

    first, second = visit("/"), visit("/")

    assert first.wsgi_request.resolver_match is None
    assert "Good things, shipped fast" in first.content.decode()
    assert csrf_token_in(first.content.decode()) != csrf_token_in(second.content.decode())
    assert first.cookies["csrftoken"].value


def test_a_sorted_listing_and_a_search_seen_lately_are_answered_the_same_way(
    page_cache_on, seeded_shop
):
    for path in ["/shop/?sort=price", "/search/?q=watch"]:
        visit(path)

        answered = visit(path)

        assert answered.wsgi_request.resolver_match is None, path


def test_an_address_no_page_answered_is_resolved_as_always(page_cache_on, seeded_shop):
    visit(reverse("cart"))

    answered = visit(reverse("cart"))

    assert answered.wsgi_request.resolver_match.url_name == "cart"


def test_the_first_request_after_the_cache_was_emptied_is_resolved(page_cache_on, seeded_shop):
    visit("/")
    cache.clear()
    page_cache.local_copies.forget()

    answered = visit("/")

    assert answered.wsgi_request.resolver_match.url_name == "wagtail_serve"
