"""Selling the last unit, and getting units back, shows on cached pages at once."""

import re

import pytest
from django.test import Client

from products import stock
from products.models import StockLevel
from products.tests.factories import track_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def card_of(html: str, product) -> str:
    return re.search(rf'data-product-id="{product.pk}".*?</article>', html, re.S).group(0)


def home_card(product) -> str:
    return card_of(Client().get("/").content.decode(), product)


def test_the_cached_home_page_shows_a_product_sold_out_and_back_in_stock(
    seeded_shop, make_product, django_capture_on_commit_callbacks
):
    mug = track_stock(make_product("Last Mug", "9.00"), on_hand=1)
    level = StockLevel.objects.get(product=mug)
    assert "Sold out" not in home_card(mug)

    with django_capture_on_commit_callbacks(execute=True):
        stock.hold([stock.Hold(level.pk, 1, "Last Mug")])
    assert "Sold out" in home_card(mug)

    with django_capture_on_commit_callbacks(execute=True):
        stock.release({level.pk: 1})
    assert "Sold out" not in home_card(mug)


def test_selling_what_is_not_the_last_unit_keeps_the_cached_page(
    seeded_shop, make_product, django_capture_on_commit_callbacks
):
    mug = track_stock(make_product("Plenty Mug", "9.00"), on_hand=5)
    level = StockLevel.objects.get(product=mug)
    Client().get("/")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stock.hold([stock.Hold(level.pk, 2, "Plenty Mug")])
        stock.sell_held({level.pk: 2})

    assert callbacks == []
