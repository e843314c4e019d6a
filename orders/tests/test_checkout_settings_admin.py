"""Staff edit the checkout settings in the admin: what is saved, and what the form refuses."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import Site

from orders.models import CheckoutSettings, ShippingRate
from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def settings_url(seeded_shop):
    site = Site.objects.get(is_default_site=True)
    return reverse("wagtailsettings:edit", args=["orders", "checkoutsettings", site.pk])


def rate_forms(*rates) -> dict:
    """The shipping rate rows of the inline formset, as the admin form posts them."""
    data = {
        "shipping_rates-TOTAL_FORMS": str(len(rates)),
        "shipping_rates-INITIAL_FORMS": "0",
        "shipping_rates-MIN_NUM_FORMS": "0",
        "shipping_rates-MAX_NUM_FORMS": "5",
    }
    for index, rate in enumerate(rates):
        fields = {"ORDER": str(index + 1), "id": "", "DELETE": "", **rate}
        data.update({f"shipping_rates-{index}-{name}": value for name, value in fields.items()})
    return data


def checkout_form(rates=(), **fields) -> dict:
    return {
        "shipping_countries": "",
        "default_tax_code": "",
        **fields,
        **rate_forms(*rates),
    }


STANDARD_ROW = {
    "name": "Standard",
    "price": "4.95",
    "min_business_days": "3",
    "max_business_days": "5",
    "free_above": "75.00",
}


def test_staff_save_countries_rates_phone_codes_and_tax(superuser_client, settings_url):
    response = superuser_client.post(
        settings_url,
        checkout_form(
            [STANDARD_ROW, {"name": "Express", "price": "12", "min_business_days": "1"}],
            shipping_countries="us, gb,US",
            collect_phone="on",
            allow_promotion_codes="on",
            stripe_tax="on",
            default_tax_code="txcd_99999999",
            prices_include_tax="on",
        ),
    )

    assert response.status_code == 302
    saved = CheckoutSettings.objects.get()
    assert saved.shipping_countries == "US, GB"
    assert (saved.collect_phone, saved.allow_promotion_codes, saved.stripe_tax) == (
        True,
        True,
        True,
    )
    assert (saved.default_tax_code, saved.prices_include_tax) == ("txcd_99999999", True)
    assert [
        (rate.name, rate.price, rate.min_business_days, rate.max_business_days, rate.free_above)
        for rate in saved.shipping_rates.all()
    ] == [
        ("Standard", Decimal("4.95"), 3, 5, Decimal("75.00")),
        ("Express", Decimal("12.00"), 1, None, None),
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            checkout_form(shipping_countries="US, XX, usa"),
            "Stripe cannot ship to USA, XX: use two-letter ISO country codes such as US, GB.",
        ),
        (
            checkout_form(default_tax_code="txcd_123"),
            "A Stripe tax code is txcd_ and eight digits, for example txcd_99999999.",
        ),
        (
            checkout_form([{**STANDARD_ROW, "min_business_days": "6"}]),
            "The longest delivery cannot be shorter than the shortest.",
        ),
        (
            checkout_form([{**STANDARD_ROW, "price": "-1"}]),
            "Ensure this value is greater than or equal to 0.",
        ),
        (
            checkout_form([{**STANDARD_ROW, "name": f"Rate {n}"} for n in range(6)]),
            "Please submit at most 5 forms.",
        ),
    ],
    ids=["unknown-country", "tax-code", "delivery-days", "negative-price", "six-rates"],
)
def test_bad_settings_are_refused_with_a_message_and_nothing_saved(
    superuser_client, settings_url, form, message
):
    response = superuser_client.post(settings_url, form)

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    # Wagtail creates the site's settings row on opening the form; it keeps its defaults.
    assert [
        (saved.shipping_countries, saved.default_tax_code)
        for saved in CheckoutSettings.objects.all()
    ] in ([], [("", "")])
    assert not ShippingRate.objects.exists()


def test_a_product_tax_code_must_be_a_stripe_tax_code(seeded_shop):
    product = Product.objects.first()
    product.tax_code = "general goods"

    with pytest.raises(ValidationError, match="txcd_ and eight digits"):
        product.full_clean()
