"""Who may set shipping rates, countries and tax: shop managers yes, editors no."""

import pytest
from django.urls import reverse
from wagtail.models import Site

pytestmark = pytest.mark.django_db


def settings_url() -> str:
    site = Site.objects.get(is_default_site=True)
    return reverse("wagtailsettings:edit", args=["orders", "checkoutsettings", site.pk])


def test_shop_managers_open_the_checkout_settings(manager_client):
    response = manager_client.get(settings_url())

    assert response.status_code == 200
    assert "Shipping rates" in response.content.decode()


def test_editors_are_turned_away_from_the_checkout_settings(editor_client):
    response = editor_client.get(settings_url(), follow=True)

    assert "Sorry, you do not have permission to access this area." in response.content.decode()
