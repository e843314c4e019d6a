"""Oversized request bodies are refused before the shop spends any work on them."""

import pytest
from django.urls import reverse

from orders import stripe_gateway

pytestmark = pytest.mark.django_db

ONE_MEGABYTE = 1024 * 1024


def test_a_one_megabyte_webhook_is_refused_before_its_signature_is_checked(client, monkeypatch):
    checked = []
    monkeypatch.setattr(stripe_gateway, "construct_event", lambda *args: checked.append(args) or {})

    response = client.post(
        reverse("stripe_webhook"),
        data=b"{" + b" " * (ONE_MEGABYTE - 2) + b"}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=0",
    )

    assert response.status_code == 413
    assert checked == []


def test_a_form_post_larger_than_the_upload_limit_is_refused(client, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= ONE_MEGABYTE

    response = client.post(
        reverse("cart_add"),
        data=f"product_id=1&quantity=1&padding={'x' * ONE_MEGABYTE}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
