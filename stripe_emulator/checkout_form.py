"""What a customer types on the payment page: name, address and phone, checked as Checkout does.

Shared by the hosted page and the test controls (which fill in a documented test
address when a test does not give one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stripe.params.checkout._session_create_params import (
    SessionCreateParamsShippingAddressCollection,
)

from stripe_emulator.checkout import CustomerInfo
from stripe_emulator.param_types import enum_values
from stripe_emulator.payments import PaymentRejected
from stripe_emulator.store import JsonObject

# Every country Checkout can take an address in, from the SDK's enum.
CHECKOUT_COUNTRIES = tuple(
    country
    for country in enum_values(SessionCreateParamsShippingAddressCollection, "allowed_countries")
    if country != "ZZ"
)
COUNTRY_NAMES = {
    "AU": "Australia",
    "CA": "Canada",
    "DE": "Germany",
    "ES": "Spain",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "IT": "Italy",
    "NL": "Netherlands",
    "US": "United States",
}
TEST_NAME = "Jenny Rosen"
# Stripe lists an address's fields alphabetically.
TEST_ADDRESS = {
    "city": "South San Francisco",
    "country": "US",
    "line1": "354 Oyster Point Blvd",
    "line2": None,
    "postal_code": "94080",
    "state": "CA",
}
TEST_PHONE = "+15555550100"
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
_PHONE = re.compile(r"^\+?\d{7,15}$")


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def collects_shipping(session: JsonObject) -> bool:
    return session["shipping_address_collection"] is not None


def collects_billing_country(session: JsonObject) -> bool:
    """Automatic tax needs a location; without a shipping address Checkout asks for billing."""
    return session["automatic_tax"]["enabled"] and not collects_shipping(session)


def countries_offered(session: JsonObject) -> tuple[str, ...]:
    if collects_shipping(session):
        return tuple(session["shipping_address_collection"]["allowed_countries"])
    return CHECKOUT_COUNTRIES


def chosen_country(session: JsonObject, form: Mapping[str, str]) -> str | None:
    """The country the form names, if it is one the session offers."""
    country = (form.get("country") or "").strip().upper()
    return country if country in countries_offered(session) else None


def customer_info(session: JsonObject, form: Mapping[str, str]) -> CustomerInfo:
    """The name, address and phone the session asks for; PaymentRejected when one is missing."""
    name = None
    address = None
    if collects_shipping(session) or collects_billing_country(session):
        address = _address(session, form)
    if collects_shipping(session):
        name = (form.get("name") or "").strip()
        if not name:
            raise PaymentRejected("Enter the name to ship to.")
    phone = None
    if session["phone_number_collection"]["enabled"]:
        phone = _phone(form.get("phone") or "")
    return CustomerInfo(name=name, address=address, phone=phone)


def test_customer_info(session: JsonObject) -> CustomerInfo:
    """A complete customer for a session paid by a test control: the documented test address."""
    address = dict(TEST_ADDRESS)
    offered = countries_offered(session)
    if address["country"] not in offered:
        address.update(country=offered[0], state=None)
    shipping = collects_shipping(session)
    return CustomerInfo(
        name=TEST_NAME if shipping else None,
        address=address if shipping or collects_billing_country(session) else None,
        phone=TEST_PHONE if session["phone_number_collection"]["enabled"] else None,
    )


def _address(session: JsonObject, form: Mapping[str, str]) -> JsonObject:
    values = {field: (form.get(field) or "").strip() or None for field in ADDRESS_FIELDS}
    country = chosen_country(session, form)
    if country is None:
        raise PaymentRejected("Choose a country from the list.")
    values["country"] = country
    if collects_shipping(session):
        for field, message in (
            ("line1", "Enter the first line of your address."),
            ("city", "Enter your city."),
            ("postal_code", "Enter your postal code."),
        ):
            if values[field] is None:
                raise PaymentRejected(message)
    else:
        # Checkout asks only for what tax needs when it does not ship anything.
        values.update(line1=None, line2=None, city=None, state=None)
    return dict(sorted(values.items()))


def _phone(text: str) -> str:
    phone = _PHONE_SEPARATORS.sub("", text)
    if not phone:
        raise PaymentRejected("Enter your phone number.")
    if not _PHONE.match(phone):
        raise PaymentRejected("Your phone number is invalid.")
    return phone
