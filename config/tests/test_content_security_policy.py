"""Every page carries a Content-Security-Policy: strict for shoppers, workable for editors."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

S3_MEDIA = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {"bucket_name": "shop-media", "querystring_auth": False},
}


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";")]
    return {name: sources for name, *sources in directives}


def test_storefront_runs_only_the_shops_own_scripts_and_styles(client, seeded_shop):
    response = client.get("/")

    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "<script>" not in response.content.decode()


def test_checkout_form_may_continue_to_stripe_checkout(client, seeded_shop, settings):
    settings.STRIPE_API_BASE = ""

    csp = policy(client.get(reverse("cart")))

    assert csp["form-action"] == ["'self'", "https://checkout.stripe.com"]


def test_local_runs_may_continue_to_the_emulators_checkout_page(client, seeded_shop, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"

    csp = policy(client.get(reverse("cart")))

    assert csp["form-action"] == ["'self'", "https://checkout.stripe.com", "http://127.0.0.1:12111"]


def test_admin_home_renders_under_the_admin_policy(admin_client):
    response = admin_client.get(reverse("wagtailadmin_home"))

    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["frame-ancestors"] == ["'self'"]


def test_product_editor_renders_under_the_admin_policy(admin_client, make_product):
    product = make_product("Portable Power Bank")

    response = admin_client.get(reverse("wagtailsnippets_products_product:edit", args=[product.pk]))

    assert response.status_code == 200
    assert "Portable Power Bank" in response.content.decode()
    csp = policy(response)
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "blob:" in csp["img-src"]


def test_images_may_come_from_the_s3_bucket(client, seeded_shop, settings):
    settings.STORAGES = {**settings.STORAGES, "default": S3_MEDIA}

    csp = policy(client.get("/"))

    assert csp["img-src"] == ["'self'", "data:", "https://shop-media.s3.amazonaws.com"]


def test_images_may_come_from_the_media_cdn(client, seeded_shop, settings):
    cdn = {**S3_MEDIA, "OPTIONS": {**S3_MEDIA["OPTIONS"], "custom_domain": "media.example.com"}}
    settings.STORAGES = {**settings.STORAGES, "default": cdn}

    csp = policy(client.get("/"))

    assert csp["img-src"] == ["'self'", "data:", "https://media.example.com"]


def test_while_debugging_violations_are_reported_not_blocked(client, seeded_shop, settings):
    settings.DEBUG = True

    response = client.get("/")

    assert "Content-Security-Policy" not in response.headers
    assert "script-src 'self';" in response.headers["Content-Security-Policy-Report-Only"]
