"""Storefront search finds live products by what shoppers remember of them, and nothing else."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from products.models import Product
from products.tests.catalogue import make_category, put_in_category

pytestmark = pytest.mark.django_db


def found(client, query) -> list[str]:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def suggested(client, query) -> list[str]:
    response = client.get("/search/suggestions/", {"q": query})
    assert response.status_code == 200
    return [suggestion["name"] for suggestion in json.loads(response.content)["suggestions"]]


def test_search_finds_products_by_name_summary_description_and_category(
    client, seeded_shop, make_product
):
    garden = make_category("Garden tools")
    put_in_category(
        make_product(
            "Copper Trowel",
            summary="A hand tool for planting bulbs.",
            description="<p>Forged from solid copper, it never rusts.</p>",
        ),
        garden,
    )

    assert found(client, "trowel") == ["Copper Trowel"]
    assert found(client, "bulbs") == ["Copper Trowel"]
    assert found(client, "rusts") == ["Copper Trowel"]
    assert found(client, "garden") == ["Copper Trowel"]
    assert found(client, "copper bulbs") == ["Copper Trowel"]
    assert found(client, "copper headphones") == []


def test_drafts_scheduled_and_expired_products_are_never_found_nor_suggested(
    client, seeded_shop, make_product
):
    make_product("Marble Draft", live=False)
    scheduled = make_product("Marble Scheduled", live=False)
    scheduled.go_live_at = timezone.now() + timedelta(days=1)
    scheduled.save_revision().publish()
    expired = make_product("Marble Expired")
    Product.objects.filter(pk=expired.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    unpublished = make_product("Marble Withdrawn")
    unpublished.unpublish()
    make_product("Marble Live")

    assert not Product.objects.get(pk=scheduled.pk).live
    assert found(client, "marble") == ["Marble Live"]
    assert suggested(client, "marb") == ["Marble Live"]


def test_suggestions_complete_the_start_of_a_word(client, seeded_shop):
    assert suggested(client, "porta") == ["Portable Power Bank"]
    assert suggested(client, "head") == ["Wireless Bluetooth Headphones"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 5000,
        "power " * 500,
        "\x00\x01",
        "'\"<script>",
        "power & | ! ( ) : * ~",
        "ünïcødé ☃ 电源",
        "-power",
        "OR AND NOT",
    ],
)
def test_odd_searches_answer_without_failing(client, seeded_shop, query):
    assert client.get("/search/", {"q": query}).status_code == 200
    assert client.get("/search/suggestions/", {"q": query}).status_code == 200


def test_a_search_is_shown_back_escaped_and_cut_to_length(client, seeded_shop):
    html = client.get("/search/", {"q": "<b>power</b>" + "x" * 500}).content.decode()

    assert "<b>power</b>" not in html
    assert "&lt;b&gt;power&lt;/b&gt;" in html
    assert "x" * 101 not in html


def test_the_search_page_works_without_a_query(client, seeded_shop):
    response = client.get("/search/")

    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()
