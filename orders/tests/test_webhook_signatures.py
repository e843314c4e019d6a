"""POST /webhook/ takes only bodies signed with the shop's secret, and nothing else."""

import json
import time

import pytest
from django.urls import reverse

from orders.models import Order, StripeEvent
from orders.tests.factories import session_object
from orders.tests.helpers import WEBHOOK_SECRET, post_webhook, status_of
from stripe_emulator import objects
from stripe_emulator.webhooks import signature_header

pytestmark = pytest.mark.django_db

Status = Order.Status


def test_unsigned_event_is_refused(client, deliver, order):
    body = json.dumps(objects.event("checkout.session.completed", session_object(order)))

    response = client.post(reverse("stripe_webhook"), body, content_type="application/json")

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_event_signed_with_another_secret_is_refused(client, deliver, order):
    event = objects.event("checkout.session.completed", session_object(order))

    response = post_webhook(client, event, secret="whsec_attacker")

    assert response.status_code == 400
    assert "signature" in response.json()["error"].lower()
    assert status_of(order) == Status.PENDING


def test_stale_signature_is_refused(client, deliver, order):
    event = objects.event("checkout.session.completed", session_object(order))

    response = post_webhook(client, event, timestamp=int(time.time()) - 3600)

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_tampered_body_is_refused(client, deliver, order):
    body = json.dumps(objects.event("checkout.session.completed", session_object(order))).encode()
    signature = signature_header(body, WEBHOOK_SECRET)
    tampered = body.replace(b'"paid"', b'"unpaid"')

    response = client.post(
        reverse("stripe_webhook"),
        tampered,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )

    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "evt_1"}', b'{"id": 1, "type": 2}'])
def test_malformed_signed_bodies_are_refused(client, deliver, order, body):
    response = client.post(
        reverse("stripe_webhook"),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_a_signed_body_nested_thousands_deep_is_refused_with_a_message(client, order):
    deep = json.dumps(objects.event("checkout.session.completed", session_object(order)))
    body = deep[:-1] + ', "extra": ' + "[" * 5000 + "]" * 5000 + "}"

    response = client.post(
        reverse("stripe_webhook"),
        body.encode(),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body.encode(), WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]
    assert status_of(order) == Status.PENDING
    assert StripeEvent.objects.count() == 0


def test_without_a_signing_secret_every_event_is_refused(client, deliver, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    event = objects.event("checkout.session.completed", session_object(order))

    response = post_webhook(client, event, secret="")

    assert response.status_code == 400
    assert status_of(order) == Status.PENDING


def test_webhook_refuses_get(client):
    assert client.get(reverse("stripe_webhook")).status_code == 405
