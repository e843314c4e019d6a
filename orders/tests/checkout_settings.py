"""Checkout settings as staff save them in the admin, for tests of shipping, tax, discounts."""

from decimal import Decimal

from wagtail.models import Site

from orders.models import CheckoutSettings, ShippingRate

STANDARD = {"name": "Standard", "price": Decimal("5.00"), "min_business_days": 3}
EXPRESS = {
    "name": "Express",
    "price": Decimal("15.00"),
    "min_business_days": 1,
    "max_business_days": 2,
}
US_ADDRESS = {
    "name": "Ada Lovelace",
    "phone": "+15550100199",
    "line1": "12 Analytical Way",
    "line2": "Apt 3",
    "city": "Springfield",
    "postal_code": "62701",
    "state": "IL",
    "country": "US",
}


def save_checkout_settings(rates=(), **fields) -> CheckoutSettings:
    """The default site's checkout settings with these shipping rates, in this order."""
    checkout_settings = CheckoutSettings.objects.create(
        site=Site.objects.get(is_default_site=True), **fields
    )
    for position, rate in enumerate(rates):
        ShippingRate.objects.create(settings=checkout_settings, sort_order=position, **rate)
    return checkout_settings
