import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import Site

from shop.models import ShopSettings

pytestmark = pytest.mark.django_db

FOOTER = "Payments are handled securely by Stripe. Prices in US dollars."


@pytest.fixture
def site(seeded_shop):
    return Site.objects.get(is_default_site=True)


def rename_shop(site, **fields):
    shop_settings = ShopSettings.for_site(site)
    for name, value in fields.items():
        setattr(shop_settings, name, value)
    shop_settings.save()


def test_a_new_shop_shows_its_name_and_footer_as_before(client, site):
    page = client.get(reverse("cart")).content.decode()

    assert '<a class="brand" href="/">Wagtail Shop</a>' in page
    assert "<title>Your cart · Wagtail Shop</title>" in page
    assert f"<p>{FOOTER}</p>" in page
    assert not ShopSettings.objects.exists()


def test_changed_settings_show_in_the_header_title_and_footer(client, site):
    client.get(reverse("cart"))

    rename_shop(site, shop_name="Gadget Hut", footer_text="Free returns within 30 days.")

    page = client.get(reverse("cart")).content.decode()
    assert '<a class="brand" href="/">Gadget Hut</a>' in page
    assert "<title>Your cart · Gadget Hut</title>" in page
    assert "<p>Free returns within 30 days.</p>" in page
    assert FOOTER not in page


def test_saving_the_settings_retires_cached_pages(site, settings):
    settings.SHOP_PAGE_CACHE_SECONDS = 300
    Client().get("/")

    rename_shop(site, shop_name="Gadget Hut")

    page = Client().get("/").content.decode()
    assert '<a class="brand" href="/">Gadget Hut</a>' in page


def test_fresh_pages_read_the_settings_without_a_query(client, site):
    client.get(reverse("cart"))

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cart"))

    assert not [query for query in queries if "shop_shopsettings" in query["sql"]]


def test_account_emails_carry_the_shops_name_and_support_address(client, site, django_user_model):
    django_user_model.objects.create_user("pat", "pat@example.com", "an-old-password-1")
    rename_shop(site, shop_name="Gadget Hut", support_email="help@gadgethut.example")

    client.post(reverse("password_reset"), {"email": "pat@example.com"})

    [message] = mail.outbox
    assert message.subject == "Your password at Gadget Hut"
    assert "Questions? Write to help@gadgethut.example." in message.body
    assert message.body.rstrip().endswith("Gadget Hut")


def test_editors_change_the_settings_in_the_admin(client, site, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.com", "pw"))
    url = reverse("wagtailsettings:edit", args=["shop", "shopsettings", site.pk])

    form = client.get(url)
    saved = client.post(
        url,
        {
            "shop_name": "Gadget Hut",
            "support_email": "help@gadgethut.example",
            "footer_text": "Free returns within 30 days.",
        },
    )

    assert form.status_code == 200 and 'value="Wagtail Shop"' in form.content.decode()
    assert saved.status_code == 302
    assert ShopSettings.for_site(site).shop_name == "Gadget Hut"
    assert "Gadget Hut" in Client().get("/").content.decode()
