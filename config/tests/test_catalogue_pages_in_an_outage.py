"""With Redis stopped, sorted listings and searches that were cached are rendered afresh."""

import re

import pytest
from django.test import Client

from products.tests.catalogue import make_category, make_product_index, put_in_category

pytestmark = pytest.mark.django_db


def listed_names(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_a_product_published_while_redis_is_down_shows_on_sorted_listings_and_searches(
    page_cache_on_redis, make_product
):
    lamps = make_category("Lamps", parent=make_product_index())
    put_in_category(make_product("Desk Lamp", price="30.00"), lamps)
    sorted_lamps = lamps.url + "?sort=price"
    for address in [sorted_lamps, "/search/?q=lamp"]:
        Client().get(address)
    page_cache_on_redis.stop()

    put_in_category(make_product("Table Lamp", price="1.00"), lamps)

    assert listed_names(Client().get(sorted_lamps)) == ["Table Lamp", "Desk Lamp"]
    assert sorted(listed_names(Client().get("/search/?q=lamp"))) == ["Desk Lamp", "Table Lamp"]
