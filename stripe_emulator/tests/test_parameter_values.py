"""Values are checked as the installed SDK types them, and what the emulator does not
implement is refused instead of ignored."""

from __future__ import annotations

import time

import pytest
import stripe

from stripe_emulator.tests.helpers import create_session, line_item, session_params


def shipping_option(amount: int = 500, **rate_data):
    data = {
        "display_name": "Standard",
        "type": "fixed_amount",
        "fixed_amount": {"amount": amount, "currency": "usd"},
        **rate_data,
    }
    return {"shipping_rate_data": data}


def refusal(client, **params) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=session_params(**params))
    assert raised.value.http_status == 400
    assert raised.value.error.type == "invalid_request_error"
    return raised.value


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            {"automatic_tax": {"enabled": "maybe"}},
            "automatic_tax[enabled]",
            "Invalid boolean: maybe",
        ),
        ({"allow_promotion_codes": "1"}, "allow_promotion_codes", "Invalid boolean: 1"),
        (
            {"phone_number_collection": {"enabled": "yes"}},
            "phone_number_collection[enabled]",
            "Invalid boolean: yes",
        ),
        (
            {"shipping_options": [shipping_option(type="weight_based")]},
            "shipping_options[0][shipping_rate_data][type]",
            "Invalid type: must be one of fixed_amount",
        ),
        (
            {
                "shipping_options": [
                    shipping_option(
                        delivery_estimate={"minimum": {"unit": "fortnight", "value": 1}}
                    )
                ]
            },
            "shipping_options[0][shipping_rate_data][delivery_estimate][minimum][unit]",
            "Invalid unit: must be one of business_day, day, hour, month, or week",
        ),
        (
            {"shipping_options": [shipping_option(tax_behavior="included")]},
            "shipping_options[0][shipping_rate_data][tax_behavior]",
            "Invalid tax_behavior: must be one of exclusive, inclusive, or unspecified",
        ),
        (
            {"shipping_options": [shipping_option(amount="5.00")]},
            "shipping_options[0][shipping_rate_data][fixed_amount][amount]",
            "Invalid integer: 5.00",
        ),
        ({"ui_mode": "hosted"}, "ui_mode", "Invalid ui_mode: must be one of elements, "),
    ],
)
def test_values_of_the_wrong_type_are_refused_as_stripe_words_them(client, params, param, message):
    refused = refusal(client, **params)

    assert refused.param == param
    assert refused.user_message.startswith(message)


def test_unknown_countries_are_refused_naming_the_list_item(client):
    refused = refusal(client, shipping_address_collection={"allowed_countries": ["GB", "XX"]})

    assert refused.param == "shipping_address_collection[allowed_countries][1]"
    assert refused.user_message.startswith("Invalid allowed_countries: must be one of AC, AD,")
    assert "GB" in refused.user_message and "XX" not in refused.user_message


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"phone_number_collection": {"enabled": ""}}, "phone_number_collection[enabled]"),
        ({"automatic_tax": {"liability": {"type": "self"}}}, "automatic_tax[enabled]"),
        (
            {"shipping_address_collection": {"allowed_countries": ""}},
            "shipping_address_collection[allowed_countries]",
        ),
        (
            {"shipping_options": [{"shipping_rate_data": {"fixed_amount": {"amount": 1}}}]},
            "shipping_options[0][shipping_rate_data][display_name]",
        ),
        (
            {"shipping_options": [shipping_option(fixed_amount={"amount": 500})]},
            "shipping_options[0][shipping_rate_data][fixed_amount][currency]",
        ),
        (
            {"shipping_options": [shipping_option(delivery_estimate={"maximum": {"unit": "day"}})]},
            "shipping_options[0][shipping_rate_data][delivery_estimate][maximum][value]",
        ),
    ],
)
def test_missing_required_keys_of_nested_parameters_are_refused(client, params, param):
    refused = refusal(client, **params)

    assert refused.code == "parameter_missing"
    assert refused.user_message == f"Missing required param: {param}."


@pytest.mark.parametrize("currency", ["zzz", "abc", "eek"])
def test_currencies_stripe_does_not_support_are_refused(client, currency):
    refused = refusal(client, line_items=[_in_currency(currency)])

    assert refused.param == "line_items[0][price_data][currency]"
    assert refused.user_message.startswith(f"Invalid currency: {currency}. Stripe currently")


@pytest.mark.parametrize(("currency", "unit_amount"), [("eur", 2500), ("jpy", 3000)])
def test_supported_currencies_are_accepted(client, currency, unit_amount):
    session = create_session(client, line_items=[_in_currency(currency, unit_amount)])

    assert session.currency == currency


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"locale": "fr"}, "locale"),
        ({"billing_address_collection": "required"}, "billing_address_collection"),
        ({"tax_id_collection": {"enabled": True}}, "tax_id_collection"),
        ({"custom_text": {"submit": {"message": "Thanks"}}}, "custom_text"),
        (
            {"line_items": [{**line_item(), "adjustable_quantity": {"enabled": True}}]},
            "line_items[0][adjustable_quantity]",
        ),
        (
            {"payment_intent_data": {"capture_method": "manual"}},
            "payment_intent_data[capture_method]",
        ),
        (
            {
                "shipping_options": [
                    shipping_option(
                        fixed_amount={
                            "amount": 500,
                            "currency": "usd",
                            "currency_options": {"eur": {"amount": 450}},
                        }
                    )
                ]
            },
            "shipping_options[0][shipping_rate_data][fixed_amount][currency_options]",
        ),
        (
            {"automatic_tax": {"enabled": False, "liability": {"type": "self"}}},
            "automatic_tax[liability]",
        ),
    ],
)
def test_parameters_the_emulator_does_not_implement_are_refused_not_ignored(client, params, param):
    refused = refusal(client, **params)

    assert refused.code == "parameter_unsupported"
    assert refused.param == param
    assert f"The Stripe emulator does not support `{param}`" in refused.user_message


@pytest.mark.parametrize("ui_mode", ["embedded_page", "elements"])
def test_ui_modes_other_than_the_hosted_page_are_refused_as_unsupported(client, ui_mode):
    refused = refusal(client, ui_mode=ui_mode)

    assert (refused.param, refused.code) == ("ui_mode", "parameter_unsupported")


def test_refund_parameters_the_emulator_does_not_implement_are_refused(client, control):
    session = create_session(client)
    paid = control.complete_session(session.id)["session"]

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(
            params={"payment_intent": paid["payment_intent"]["id"], "reverse_transfer": True}
        )

    assert (raised.value.param, raised.value.code) == ("reverse_transfer", "parameter_unsupported")


def test_everything_the_shop_sends_today_is_accepted(client):
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 2,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1999,
                        "product_data": {"name": "Wireless Headphones"},
                    },
                }
            ],
            "success_url": "http://shop.test/success/?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://shop.test/cart/",
            "client_reference_id": "ORD-1",
            "metadata": {"order_reference": "ORD-1"},
            "expires_at": int(time.time()) + 3600,
            "customer_email": "shopper@example.com",
        }
    )

    assert (session.status, session.amount_total, session.ui_mode) == ("open", 3998, "hosted_page")


def _in_currency(currency: str, unit_amount: int = 2500):
    item = line_item(unit_amount)
    item["price_data"]["currency"] = currency
    return item
