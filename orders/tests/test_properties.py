"""Whatever a client sends to the cart, checkout or webhook, the shop answers it with a 2xx, 3xx
or 4xx, never a crash, and no existing order changes state because of it."""

import json
import time

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from orders.models import Order
from orders.tests.factories import make_order
from orders.tests.helpers import WEBHOOK_SECRET
from stripe_emulator.webhooks import signature_header

pytestmark = pytest.mark.django_db

Status = Order.Status
EXAMPLES = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text that can travel in a form or JSON: anything but lone surrogates.
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)
# Among them digits of other scripts, which Python's isdigit() accepts.
awkward_numbers = st.sampled_from(
    ["", " ", "0", "01", "-1", "1.5", "1e3", "0x10", "٣", "①", "１", "9" * 40, "NaN", "\x00"]
)
raw_values = st.one_of(
    text,
    awkward_numbers,
    st.integers(),
    st.integers(min_value=10**18),
    st.integers(max_value=-1),
)


def json_of(strings):
    """Any JSON document (JSON has no NaN or infinity) built from these strings."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | strings,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4)
        ),
        max_leaves=12,
    )


json_values = json_of(text)


@pytest.fixture
def existing_orders(make_product, settings):
    """Orders of another shopper in every state; the requests under test must not move them."""
    # Limits would answer 429 long before the examples run out.
    settings.SHOP_RATE_LIMITS = {}
    product = make_product("Portable Power Bank")
    for status in Status.values:
        make_order(owner_key="user:other", status=status, product=product)
    return snapshot()


def snapshot() -> dict:
    return {
        order["reference"]: order
        for order in Order.objects.filter(owner_key="user:other").values(
            "reference", "status", "checkout_open", "paid_at", "amount_refunded", "updated_at"
        )
    }


@pytest.fixture
def product_ids(make_product):
    live = make_product("Smart Fitness Watch", price="199.99")
    retired = make_product("Old Charger", live=False)
    return [live.pk, retired.pk]


@EXAMPLES
@given(
    action=st.sampled_from(["cart_add", "cart_update", "cart_remove", "cart_clear"]),
    wants_json=st.booleans(),
    data=st.data(),
)
def test_any_cart_form_post_gets_a_client_answer(
    client, existing_orders, product_ids, action, wants_json, data
):
    fields = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "product_id": st.sampled_from(product_ids) | raw_values,
                "quantity": st.integers(min_value=1, max_value=5) | raw_values,
            },
        )
    )
    headers = {"HTTP_ACCEPT": "application/json"} if wants_json else {}

    response = client.post(reverse(action), {k: str(v) for k, v in fields.items()}, **headers)
    event(f"{action} answered {response.status_code}")

    assert 200 <= response.status_code < 500, response.content
    assert snapshot() == existing_orders


def checkout_bodies(product_ids):
    wanted = st.fixed_dictionaries(
        {"product_id": st.sampled_from(product_ids), "quantity": st.integers(1, 3)}
    )
    anything = st.fixed_dictionaries(
        {},
        optional={
            "product_id": st.sampled_from(product_ids) | raw_values | json_values,
            "quantity": st.integers(min_value=1, max_value=3) | raw_values | json_values,
        },
    )
    return st.one_of(
        st.fixed_dictionaries({"items": st.lists(wanted, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"items": st.lists(wanted | anything, max_size=4)}),
        st.fixed_dictionaries({"items": json_values}),
        json_values,
    ).map(json.dumps) | st.binary(max_size=200)


def post_checkout(client, body):
    return client.post(
        reverse("create_checkout_session"), data=body, content_type="application/json"
    )


def open_checkouts() -> int:
    return (
        Order.objects.exclude(owner_key="user:other")
        .filter(status=Status.PENDING, checkout_open=True)
        .count()
    )


@EXAMPLES
@given(data=st.data())
def test_any_json_checkout_request_gets_a_client_answer_or_a_payment_page(
    client, existing_orders, product_ids, stripe_emulator, data
):
    response = post_checkout(client, data.draw(checkout_bodies(product_ids)))
    event(f"answered {response.status_code}")

    assert 200 <= response.status_code < 500, response.content
    if response.status_code == 200:
        assert response.json()["url"].startswith(stripe_emulator.base_url)
    if response.status_code == 303:
        # A body so empty that it carries no content type is a plain form post of the cart.
        assert response["Location"].startswith(stripe_emulator.base_url)
    assert snapshot() == existing_orders
    assert open_checkouts() <= 1


@pytest.fixture
def stripe_down(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"


# Each refused connection costs the Stripe SDK its retry pauses, so fewer examples here.
@hypothesis_settings(EXAMPLES, max_examples=20)
@given(data=st.data())
def test_when_stripe_is_down_checkout_says_so_as_json_and_nothing_else(
    client, existing_orders, product_ids, stripe_down, data
):
    response = post_checkout(client, data.draw(checkout_bodies(product_ids)))
    event(f"answered {response.status_code}")

    if response.status_code == 503:
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"].startswith("We could not start the payment.")
    else:
        assert 400 <= response.status_code < 500, response.content
    assert snapshot() == existing_orders
    # Orders kept for each shopper's next click may stay open, but none has a page to pay on.
    assert (
        not Order.objects.exclude(owner_key="user:other").exclude(stripe_checkout_url="").exists()
    )


webhook_headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_STRIPE_SIGNATURE": text
        | st.builds("t={},v1={}".format, st.integers(), st.text("0123456789abcdef", max_size=64)),
        "content_type": st.sampled_from(["application/json", "text/plain", "", "x/y; z=1"]),
    },
)


@EXAMPLES
@given(
    body=st.binary(max_size=300) | json_values.map(lambda value: json.dumps(value).encode()),
    extra=webhook_headers,
)
def test_any_unsigned_or_forged_webhook_is_refused(client, existing_orders, body, extra):
    response = client.post(
        reverse("stripe_webhook"), data=body, **{"content_type": "application/json", **extra}
    )

    assert response.status_code == 400, response.content
    assert snapshot() == existing_orders


any_json = json_of(text)
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
STATES = ["open", "complete", "expired", "paid", "unpaid", "no_payment_required", "canceled"]


def stripe_ids(prefix: str):
    return st.text(ID_ALPHABET, min_size=1, max_size=24).map(f"{prefix}_{{}}".format)


# Event objects of the shapes Stripe sends, with any values of the right types: ids nobody
# here knows, any states, any amounts.
checkout_sessions = st.fixed_dictionaries(
    {"id": stripe_ids("cs")},
    optional={
        "status": st.sampled_from(STATES) | text,
        "payment_status": st.sampled_from(STATES) | text,
        "amount_total": st.integers(min_value=0, max_value=10**9) | st.none(),
        "currency": st.just("usd") | text,
        "client_reference_id": text | st.none(),
        "customer_details": st.none()
        | st.fixed_dictionaries({}, optional={"email": st.emails() | st.none()}),
        "payment_intent": st.none()
        | stripe_ids("pi")
        | st.fixed_dictionaries(
            {"id": stripe_ids("pi")}, optional={"status": st.sampled_from(STATES) | text}
        ),
    },
)
charges = st.fixed_dictionaries(
    {
        "id": stripe_ids("ch"),
        "payment_intent": stripe_ids("pi"),
        "amount": st.integers(min_value=0, max_value=10**9),
        "amount_refunded": st.integers(min_value=0, max_value=10**9),
        "refunded": st.booleans(),
    }
)


def events(event_type: str, data_object):
    return st.fixed_dictionaries(
        {
            "id": stripe_ids("evt"),
            "type": st.just(event_type),
            "data": st.fixed_dictionaries({"object": data_object}),
        }
    )


HANDLED_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
]
signed_events = st.one_of(
    *[events(event_type, checkout_sessions) for event_type in HANDLED_TYPES[:4]],
    events("charge.refunded", charges),
    *[
        events(event_type, st.dictionaries(text, any_json, max_size=4))
        for event_type in HANDLED_TYPES
    ],
    events("customer.created", st.dictionaries(text, any_json, max_size=4)),
    any_json,
)


@EXAMPLES
@given(stripe_event=signed_events)
def test_any_signed_event_is_answered_without_a_crash(
    client, existing_orders, stripe_emulator, stripe_event
):
    body = json.dumps(stripe_event).encode()

    response = client.post(
        reverse("stripe_webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, WEBHOOK_SECRET),
    )

    assert 200 <= response.status_code < 500, response.content
    assert snapshot() == existing_orders
    event(response.json().get("outcome", "refused"))


# Whatever Stripe puts in these fields of a paid session, of any type and any length.
any_length_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=2000)
reported_values = any_length_text | raw_values | json_values | st.integers(min_value=2**63)
paid_session_fields = st.fixed_dictionaries(
    {},
    optional={
        "amount_subtotal": reported_values,
        "amount_total": reported_values,
        "currency": reported_values,
        "customer_details": st.fixed_dictionaries({"email": reported_values}) | json_values,
        "customer_email": reported_values,
        "payment_intent": reported_values
        | st.fixed_dictionaries({"id": reported_values, "status": reported_values}),
        "client_reference_id": reported_values,
        "url": reported_values,
    },
)


@EXAMPLES
@given(fields=paid_session_fields, event_id_tail=any_length_text)
def test_whatever_a_paid_session_reports_the_payment_is_recorded(
    client, existing_orders, django_capture_on_commit_callbacks, fields, event_id_tail
):
    order = make_order(owner_key=f"session:{time.time_ns()}", customer_email="")
    paid = {"id": order.stripe_checkout_session_id, "status": "complete", "payment_status": "paid"}
    # Each example is a new event: the shop applies an event id only once.
    stripe_event = {"id": order.reference + event_id_tail, "type": "checkout.session.completed"}
    body = json.dumps({**stripe_event, "data": {"object": {**paid, **fields}}}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stripe_webhook"),
            data=body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature_header(body, WEBHOOK_SECRET),
        )

    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == Status.PAID
    assert order.stripe_events.get().outcome == "processed"
    assert snapshot() == existing_orders
