"""A deleted category no longer finds the products that were in it."""

import json
import re

import pytest

from products.tests.catalogue import make_category, put_in_category

pytestmark = pytest.mark.django_db


def found(client, query) -> list[str]:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_products_of_a_deleted_category_are_no_longer_found_by_its_name(
    client, seeded_shop, make_product, django_capture_on_commit_callbacks
):
    garden = make_category("Garden tools")
    kitchen = make_category("Kitchen")
    put_in_category(make_product("Copper Trowel"), garden, kitchen)
    assert found(client, "garden") == ["Copper Trowel"]

    with django_capture_on_commit_callbacks(execute=True):
        garden.delete()

    assert found(client, "garden") == []
    assert found(client, "kitchen") == ["Copper Trowel"]
    assert json.loads(client.get("/search/suggestions/", {"q": "copp"}).content)["suggestions"]
