"""Search results: what a shopper is shown for what they typed, a page at a time."""

import re

import pytest

pytestmark = pytest.mark.django_db


def search_page(client, query, page=None) -> str:
    data = {"q": query} if page is None else {"q": query, "page": page}
    response = client.get("/search/", data)
    assert response.status_code == 200
    return response.content.decode()


def names(html: str) -> list[str]:
    return re.findall(r'class="card__title"><a href="[^"]+">([^<]+)</a>', html)


def result_count(html: str) -> str:
    return re.search(r'<p class="listing-count" role="status">([^<]*)</p>', html)[1]


def test_a_query_of_punctuation_only_finds_nothing_and_says_so(client, seeded_shop):
    html = search_page(client, "?!.,;:'\"()&|*")

    assert names(html) == []
    assert result_count(html).startswith("0 results for")
    assert "No products match" in html
