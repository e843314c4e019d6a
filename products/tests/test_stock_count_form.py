"""Staff counting stock are told when a count cannot be right, and nothing changes."""

import pytest
from django.urls import reverse

from orders.tests.helpers import login, staff_member
from products.models import StockLevel
from products.tests.factories import make_variant, stock_of

pytestmark = pytest.mark.django_db


def test_a_negative_count_on_hand_is_refused_with_a_message(seeded_shop, make_product, client):
    variant = make_variant(make_product("Linen Tee", "25.00"), "Size S", "TEE-S", on_hand=3)
    level = StockLevel.objects.get(variant=variant)
    editor_client = login(client, staff_member("edith", "Editors"))

    response = editor_client.post(reverse("stock_levels:edit", args=[level.pk]), {"on_hand": "-4"})

    assert response.status_code == 400
    assert "Count what is on the shelf: zero or more units." in response.content.decode()
    assert stock_of(variant) == (3, 0)
