"""Links in the parts of a page that differ per shopper are reversed once, and still follow the
URL configuration and the prefix the shop is served under."""

import pytest
from django.template import TemplateSyntaxError, engines
from django.test import override_settings
from django.urls import path, set_script_prefix

from home.templatetags.personal_tags import _reversed

LINK = engines["django"].from_string("{% load personal_tags %}{% fixed_url 'cart' %}")


def moved_cart(request):
    raise AssertionError("never called")


urlpatterns = [path("basket/", moved_cart, name="cart")]


def test_a_link_is_the_reversed_url():
    assert LINK.render({}) == "/cart/"


def test_a_link_is_reversed_once_for_every_page_that_shows_it():
    _reversed.cache_clear()

    for _ in range(3):
        LINK.render({})

    assert _reversed.cache_info().misses == 1
    assert _reversed.cache_info().hits == 2


def test_a_link_follows_another_url_configuration():
    LINK.render({})

    with override_settings(ROOT_URLCONF=__name__):
        assert LINK.render({}) == "/basket/"

    assert LINK.render({}) == "/cart/"


def test_a_link_carries_the_prefix_the_shop_is_served_under():
    LINK.render({})
    set_script_prefix("/store/")
    try:
        assert LINK.render({}) == "/store/cart/"
    finally:
        set_script_prefix("/")


def test_a_view_name_must_be_written_out_in_quotes():
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string("{% load personal_tags %}{% fixed_url view_name %}")
