"""A search holding no words to look for (only punctuation) shows that nothing matched."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["!!!", "-- ?", "“”"])
def test_a_search_of_punctuation_alone_says_nothing_matched(seeded_shop, query):
    response = Client().get("/search/", {"q": query})

    assert response.status_code == 200
    assert "No products match" in response.content.decode()
