"""Shipping rates, automatic tax and discounts on Checkout Sessions: what Stripe accepts,
what it refuses, and how the amounts move."""

from __future__ import annotations

import pytest
import stripe

from stripe_emulator.tests.helpers import create_session, line_item, session_params

FULL_EXPANSION = [
    "line_items.data.discounts",
    "line_items.data.taxes",
    "total_details.breakdown",
    "shipping_cost.shipping_rate",
]
LONDON = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
    "phone": "+44 20 7946 0000",
}


def taxed_item(unit_amount: int, behavior: str, quantity: int = 1):
    item = line_item(unit_amount, quantity)
    item["price_data"]["tax_behavior"] = behavior
    item["price_data"]["product_data"]["tax_code"] = "txcd_99999999"
    return item


def rate(name: str, amount: int, behavior: str = "exclusive", **extra):
    return {
        "shipping_rate_data": {
            "display_name": name,
            "type": "fixed_amount",
            "fixed_amount": {"amount": amount, "currency": "usd"},
            "tax_behavior": behavior,
            "tax_code": "txcd_92010001",
            **extra,
        }
    }


def physical_session(client, *, items=None, options=None, **params):
    params.setdefault("shipping_address_collection", {"allowed_countries": ["GB", "US", "DE"]})
    return create_session(
        client,
        line_items=items or [taxed_item(4000, "exclusive")],
        shipping_options=options
        if options is not None
        else [
            rate(
                "Standard",
                500,
                delivery_estimate={
                    "minimum": {"unit": "business_day", "value": 3},
                    "maximum": {"unit": "business_day", "value": 5},
                },
            ),
            rate("Express", 1500),
        ],
        phone_number_collection={"enabled": True},
        **params,
    )


def expanded(client, session_id):
    return client.v1.checkout.sessions.retrieve(session_id, params={"expand": FULL_EXPANSION})


def test_sessions_report_the_hosted_page_ui_mode_of_todays_api_version(client):
    session = create_session(client)

    assert session.ui_mode == "hosted_page"
    assert session.collected_information is None and session.customer_details is None


def test_the_first_shipping_option_is_preselected_and_added_to_the_total(client):
    session = physical_session(client)

    assert session.shipping_address_collection.allowed_countries == ["GB", "US", "DE"]
    assert [option.shipping_amount for option in session.shipping_options] == [500, 1500]
    assert session.shipping_cost.shipping_rate == session.shipping_options[0].shipping_rate
    assert (session.amount_subtotal, session.amount_total) == (4000, 4500)
    assert session.total_details.amount_shipping == 500
    assert session.phone_number_collection.enabled is True
    standard = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["shipping_cost.shipping_rate"]}
    ).shipping_cost.shipping_rate
    assert standard.display_name == "Standard"
    assert standard.delivery_estimate.minimum.to_dict() == {"unit": "business_day", "value": 3}
    assert (standard.tax_behavior, standard.tax_code) == ("exclusive", "txcd_92010001")


def test_paying_with_an_address_phone_other_rate_and_code_settles_every_amount(client, control):
    session = physical_session(client, allow_promotion_codes=True, automatic_tax={"enabled": True})
    assert session.automatic_tax.status == "requires_location_inputs"

    control.complete_session(
        session.id,
        shipping_rate=session.shipping_options[1].shipping_rate,
        promotion_code="save10",
        customer=LONDON,
    )

    paid = expanded(client, session.id)
    # 4000 less 10% = 3600, plus 20% GB VAT 720; shipping 1500 plus 300 VAT.
    assert (paid.amount_subtotal, paid.amount_total) == (4000, 6120)
    details = paid.total_details
    assert (details.amount_discount, details.amount_shipping, details.amount_tax) == (
        400,
        1500,
        1020,
    )
    assert paid.shipping_cost.to_dict()["amount_subtotal"] == 1500
    assert (paid.shipping_cost.amount_tax, paid.shipping_cost.amount_total) == (300, 1800)
    assert paid.shipping_cost.shipping_rate.display_name == "Express"
    assert paid.automatic_tax.status == "complete"
    [discount] = details.breakdown.discounts
    assert discount.amount == 400
    assert discount.discount.promotion_code == "promo_test_save10"
    assert discount.discount.source.coupon == "test_10_percent_off"
    [tax] = details.breakdown.taxes
    assert (tax.amount, tax.taxable_amount, tax.rate.percentage) == (1020, 5100, 20.0)
    assert (tax.rate.country, tax.rate.inclusive) == ("GB", False)
    assert [entry.to_dict() for entry in paid.discounts] == [
        {"coupon": "test_10_percent_off", "promotion_code": "promo_test_save10"}
    ]
    address = {
        "city": "London",
        "country": "GB",
        "line1": "12 St James's Square",
        "line2": None,
        "postal_code": "SW1Y 4JH",
        "state": None,
    }
    assert paid.collected_information.shipping_details.to_dict() == {
        "address": address,
        "name": "Ada Lovelace",
    }
    customer = paid.customer_details
    assert (customer.name, customer.phone, customer.email) == (
        "Ada Lovelace",
        "+442079460000",
        "buyer@example.com",
    )
    assert customer.address.to_dict() == address
    [item] = paid.line_items.data
    assert (item.amount_subtotal, item.amount_discount, item.amount_tax, item.amount_total) == (
        4000,
        400,
        720,
        4320,
    )
    assert item.discounts[0].amount == 400 and item.taxes[0].amount == 720
    assert item.price.tax_behavior == "exclusive"


def test_the_payment_intent_charges_the_total_with_shipping_tax_and_discount(client, control):
    session = physical_session(client, allow_promotion_codes=True, automatic_tax={"enabled": True})

    answer = control.complete_session(session.id, promotion_code="5OFF", customer=LONDON)

    # 4000 less 500 = 3500 + 700 VAT; shipping 500 + 100 VAT.
    assert answer["session"]["amount_total"] == 4800
    assert answer["session"]["payment_intent"]["amount"] == 4800


def test_inclusive_prices_keep_their_total_and_report_the_tax_inside(client, control):
    session = physical_session(
        client,
        items=[taxed_item(6000, "inclusive")],
        options=[rate("Standard", 600, "inclusive")],
        automatic_tax={"enabled": True},
    )

    control.complete_session(session.id, customer=LONDON)

    paid = expanded(client, session.id)
    assert (paid.amount_subtotal, paid.amount_total) == (6000, 6600)
    assert paid.total_details.amount_tax == 1100  # 1000 in the item, 100 in the shipping
    [tax] = paid.total_details.breakdown.taxes
    assert (tax.rate.inclusive, tax.taxable_amount) == (True, 5500)
    assert paid.line_items.data[0].amount_total == 6000


def test_us_addresses_pay_the_flat_test_sales_tax(client, control):
    session = physical_session(client, automatic_tax={"enabled": True})

    control.complete_session(
        session.id, customer={**LONDON, "country": "US", "postal_code": "94080"}
    )
    us = client.v1.checkout.sessions.retrieve(session.id)

    assert us.total_details.amount_tax == 225  # 5% of 4000 and of 500
    assert us.amount_total == 4725


def test_countries_without_a_test_rate_pay_no_tax(client, control):
    session = physical_session(
        client,
        automatic_tax={"enabled": True},
        shipping_address_collection={"allowed_countries": ["JP"]},
    )

    control.complete_session(session.id, customer={**LONDON, "country": "JP"})
    japan = expanded(client, session.id)

    assert japan.total_details.amount_tax == 0 and japan.amount_total == 4500
    assert japan.automatic_tax.status == "complete"
    assert japan.total_details.breakdown.taxes == []


def test_a_session_without_shipping_or_tax_is_unchanged(client, control):
    session = create_session(client)

    control.complete_session(session.id)
    paid = expanded(client, session.id)

    assert (paid.amount_subtotal, paid.amount_total) == (9999, 9999)
    assert paid.shipping_cost is None and paid.collected_information.shipping_details is None
    assert paid.total_details.breakdown.to_dict() == {"discounts": [], "taxes": []}
    assert paid.customer_details.address is None


def test_breakdowns_appear_only_when_expanded_as_on_stripe(client):
    session = physical_session(client, discounts=[{"promotion_code": "promo_test_5off"}])

    plain = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})

    assert "breakdown" not in plain.total_details
    assert "discounts" not in plain.line_items.data[0]
    assert plain.total_details.amount_discount == 500
    assert plain.amount_total == 4000


def test_a_coupon_id_in_discounts_applies_without_a_promotion_code(client):
    session = physical_session(client, discounts=[{"coupon": "test_10_percent_off"}])

    assert session.discounts[0].to_dict() == {
        "coupon": "test_10_percent_off",
        "promotion_code": None,
    }
    assert session.amount_total == 4000 - 400 + 500


def test_events_carry_the_shipping_details_and_amounts(client, control):
    session = physical_session(client)
    answer = control.complete_session(session.id, customer=LONDON)

    [completed] = [
        event
        for event in client.v1.events.list(params={"type": "checkout.session.completed"}).data
        if event.id in answer["event_ids"]
    ]
    sent = completed.data.object
    assert sent.collected_information.shipping_details.name == "Ada Lovelace"
    assert sent.customer_details.phone == "+442079460000"
    assert sent.amount_total == 4500 and sent.shipping_cost.amount_total == 500


def test_a_control_completion_uses_the_test_address_when_none_is_given(client, control):
    session = physical_session(client)

    paid = control.complete_session(session.id)["session"]

    assert paid["collected_information"]["shipping_details"]["name"] == "Jenny Rosen"
    assert paid["customer_details"]["address"]["country"] == "US"
    assert paid["customer_details"]["phone"] == "+15555550100"


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            {"shipping_options": [rate(f"Rate {n}", 100 * n) for n in range(6)]},
            "shipping_options",
            "You may only specify up to 5 shipping options; you passed 6.",
        ),
        (
            {
                "shipping_options": [
                    {
                        "shipping_rate_data": {
                            "display_name": "Standard",
                            "fixed_amount": {"amount": 500, "currency": "eur"},
                        }
                    }
                ]
            },
            "shipping_options[0][shipping_rate_data][fixed_amount][currency]",
            "The shipping rate's currency (eur) must match the currency of the line items (usd).",
        ),
        (
            {
                "shipping_options": [
                    {
                        "shipping_rate_data": {
                            "display_name": "Standard",
                            "fixed_amount": {"amount": 500, "currency": "zzz"},
                        }
                    }
                ]
            },
            "shipping_options[0][shipping_rate_data][fixed_amount][currency]",
            "Invalid currency: zzz.",
        ),
        (
            {"shipping_options": [rate("Standard", -1)]},
            "shipping_options[0][shipping_rate_data][fixed_amount][amount]",
            "This value must be greater than or equal to 0.",
        ),
        (
            {"shipping_options": [rate("Standard", 500, type=None, fixed_amount="")]},
            "shipping_options[0][shipping_rate_data][fixed_amount]",
            "Missing required param: shipping_options[0][shipping_rate_data][fixed_amount].",
        ),
        (
            {
                "shipping_options": [
                    rate(
                        "Standard",
                        500,
                        delivery_estimate={"minimum": {"unit": "day", "value": 0}},
                    )
                ]
            },
            "shipping_options[0][shipping_rate_data][delivery_estimate][minimum][value]",
            "This value must be greater than or equal to 1.",
        ),
        (
            {"shipping_options": [{"shipping_rate": "shr_123"}]},
            "shipping_options[0][shipping_rate]",
            "No such shipping_rate: 'shr_123'",
        ),
        (
            {"shipping_options": [rate("Standard", 500, tax_code="general")]},
            "shipping_options[0][shipping_rate_data][tax_code]",
            "No such tax code: 'general'",
        ),
        (
            {"automatic_tax": {"enabled": True}},
            "line_items[0][price_data][tax_behavior]",
            "Automatic tax needs a tax behavior for every price",
        ),
        (
            {
                "automatic_tax": {"enabled": True},
                "line_items": [taxed_item(4000, "exclusive")],
                "shipping_options": [rate("Standard", 500, "unspecified")],
            },
            "shipping_options[0][shipping_rate_data][tax_behavior]",
            "Automatic tax needs a tax behavior for every shipping rate",
        ),
        (
            {"allow_promotion_codes": True, "discounts": [{"coupon": "test_10_percent_off"}]},
            "allow_promotion_codes",
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
        ),
        (
            {"discounts": [{"coupon": "HALFPRICE"}]},
            "discounts[0][coupon]",
            "No such coupon: 'HALFPRICE'",
        ),
        (
            {"discounts": [{"promotion_code": "SAVE10"}]},
            "discounts[0][promotion_code]",
            "No such promotion_code: 'SAVE10'",
        ),
        (
            {"discounts": [{"coupon": "test_5_off"}, {"coupon": "test_10_percent_off"}]},
            "discounts",
            "You may only specify one discount on a Checkout Session.",
        ),
        ({"customer": "cus_123"}, "customer", "No such customer: 'cus_123'"),
    ],
)
def test_stripe_refuses_malformed_shipping_tax_and_discounts(client, params, param, message):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=session_params(**params))

    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert raised.value.user_message.startswith(message)


def test_automatic_tax_with_tax_behaviors_on_every_price_and_rate_is_accepted(client):
    session = physical_session(
        client,
        items=[taxed_item(1000, "inclusive"), taxed_item(2000, "exclusive")],
        automatic_tax={"enabled": True},
    )

    assert session.automatic_tax.to_dict() == {
        "enabled": True,
        "liability": {"type": "self"},
        "provider": "stripe",
        "status": "requires_location_inputs",
    }
    line_items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [item.price.tax_behavior for item in line_items.data] == ["inclusive", "exclusive"]
