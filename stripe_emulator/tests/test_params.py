"""Stripe's bracket form encoding and the SDK-derived parameter names."""

from __future__ import annotations

import pytest
from stripe.params.checkout import SessionCreateParams

from stripe_emulator.errors import StripeError
from stripe_emulator.params import decode_form, reject_unknown, request_schema


def test_nested_brackets_become_dicts_and_lists():
    decoded = decode_form(
        "line_items[0][price_data][unit_amount]=500"
        "&line_items[0][quantity]=2"
        "&line_items[1][quantity]=1"
        "&metadata[order_id]=42"
        "&mode=payment"
    )

    assert decoded == {
        "line_items": [
            {"price_data": {"unit_amount": "500"}, "quantity": "2"},
            {"quantity": "1"},
        ],
        "metadata": {"order_id": "42"},
        "mode": "payment",
    }


@pytest.mark.parametrize(
    "query",
    [
        "expand[]=line_items&expand[]=payment_intent",
        "expand[0]=line_items&expand[1]=payment_intent",
    ],
)
def test_both_array_notations_decode_alike(query):
    assert decode_form(query) == {"expand": ["line_items", "payment_intent"]}


def test_numeric_metadata_keys_stay_keys():
    assert decode_form("metadata[0]=a&metadata[1]=b") == {"metadata": {"0": "a", "1": "b"}}


@pytest.mark.parametrize("query", ["a=1&a[b]=2", "a[b]=2&a=1", "a[b=1"])
def test_malformed_keys_are_400s_naming_the_param(query):
    with pytest.raises(StripeError) as raised:
        decode_form(query)

    assert raised.value.status == 400
    assert raised.value.param


def test_allowed_names_come_from_the_sdk_minus_request_options():
    schema = request_schema(SessionCreateParams)
    request_options = {"api_key", "idempotency_key", "stripe_account", "stripe_version"}

    assert {"line_items", "success_url", "expires_at", "metadata", "expand"} <= schema.names
    assert not request_options & schema.names
    assert schema.names == set(SessionCreateParams.__annotations__) - {
        "api_key",
        "idempotency_key",
        "stripe_account",
        "stripe_context",
        "stripe_version",
        "max_network_retries",
        "content_type",
        "headers",
    }


def test_nested_names_are_checked_against_nested_typed_dicts():
    schema = request_schema(SessionCreateParams)
    params = {"line_items": [{"price_data": {"product_data": {"nmae": "Mug"}}}]}

    with pytest.raises(StripeError) as raised:
        reject_unknown(params, schema)

    assert raised.value.param == "line_items[0][price_data][product_data][nmae]"


def test_metadata_values_are_free_form():
    schema = request_schema(SessionCreateParams)

    reject_unknown({"metadata": {"anything": "goes"}}, schema)
