"""A variant taxed differently from its product (a children's size, say) reaches Stripe Tax with
its own tax code; other variants take the product's."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import Order
from orders.tests.checkout_settings import STANDARD, save_checkout_settings
from orders.tests.helpers import check_out
from products.tests.factories import make_variant

pytestmark = pytest.mark.django_db


def test_each_line_carries_its_variants_tax_code_or_else_its_products(
    client, seeded_shop, sdk, make_product
):
    save_checkout_settings(
        [STANDARD], shipping_countries="GB", stripe_tax=True, default_tax_code="txcd_99999999"
    )
    tee = make_product("Linen Tee", "25.00")
    tee.tax_code = "txcd_20030000"
    tee.save()
    adult = make_variant(tee, "Adult M", "TEE-AD-M")
    child = make_variant(tee, "Child 8", "TEE-CH-8", tax_code="txcd_20030003")
    for variant in (adult, child):
        client.post(
            reverse("cart_add"), {"product_id": tee.pk, "variant_id": variant.pk, "quantity": 1}
        )

    assert check_out(client).status_code == 303

    order = Order.objects.get()
    lines = sdk.v1.checkout.sessions.line_items.list(
        order.stripe_checkout_session_id, params={"expand": ["data.price.product"]}
    )
    assert sorted((line.description, line.price.product.tax_code) for line in lines.data) == [
        ("Linen Tee (Adult M)", "txcd_20030000"),
        ("Linen Tee (Child 8)", "txcd_20030003"),
    ]


def test_a_variant_tax_code_that_is_not_stripes_is_refused_with_a_message(
    seeded_shop, make_product
):
    variant = make_variant(make_product("Linen Tee", "25.00"), "Child 8", "TEE-CH-8")
    variant.tax_code = "clothing"

    with pytest.raises(ValidationError) as refused:
        variant.full_clean()

    assert refused.value.message_dict["tax_code"] == [
        "A Stripe tax code is txcd_ and eight digits, for example txcd_99999999."
    ]
