"""Editors manage products in the Wagtail admin, and only live products reach shoppers."""

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from products.models import Product
from products.tests.admin_forms import product_form, url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shopper():
    return Client()


@pytest.fixture
def editor_client(client, seeded_shop):
    editor = User.objects.create_user("edith", "edith@example.com", "pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def test_editor_publishes_a_new_product_that_shoppers_then_see(editor_client, shopper):
    response = editor_client.post(url("add"), product_form(**{"action-publish": "publish"}))

    assert response.status_code == 302
    product = Product.objects.get(slug="travel-adapter")
    assert product.live and product.price == Decimal("24.50")
    home = shopper.get("/")
    assert b"Travel Adapter" in home.content
    assert f'data-product-id="{product.pk}"'.encode() in home.content


def test_saving_a_draft_keeps_the_product_off_the_storefront(editor_client, shopper):
    editor_client.post(url("add"), product_form())

    product = Product.objects.get(slug="travel-adapter")
    assert not product.live
    assert b"Travel Adapter" not in shopper.get("/").content
    assert shopper.get("/products/travel-adapter/").status_code == 404


def test_draft_edit_of_a_live_product_leaves_the_live_price_alone(editor_client, shopper):
    product = Product.objects.get(slug="portable-power-bank")
    editor_client.post(
        url("edit", product.pk), product_form(name=product.name, slug=product.slug, price="5.00")
    )

    product.refresh_from_db()
    assert product.has_unpublished_changes
    assert product.price == Decimal("49.99")
    assert b"$49.99" in shopper.get("/").content


def test_editor_can_preview_an_unsaved_change(editor_client):
    product = Product.objects.get(slug="smart-fitness-watch")
    preview_url = url("preview_on_edit", product.pk)
    editor_client.post(preview_url, product_form(name="Smart Watch Preview", slug=product.slug))

    response = editor_client.get(preview_url)

    assert response.status_code == 200
    assert b"Smart Watch Preview" in response.content


def test_unpublishing_removes_the_product_from_the_storefront(editor_client, shopper):
    product = Product.objects.get(slug="smart-fitness-watch")

    response = editor_client.post(url("unpublish", product.pk))

    assert response.status_code == 302
    product.refresh_from_db()
    assert not product.live
    assert b"Smart Fitness Watch" not in shopper.get("/").content


def test_scheduled_product_is_not_live_until_its_time(editor_client, shopper):
    go_live = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    editor_client.post(
        url("add"), product_form(go_live_at=go_live, **{"action-publish": "publish"})
    )

    product = Product.objects.get(slug="travel-adapter")
    assert not product.live
    assert product.scheduled_revision is not None
    assert b"Travel Adapter" not in shopper.get("/").content


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("0.49", "at least $0.50"),
        ("1000000.00", "at most $999,999.99"),
    ],
)
def test_price_outside_stripe_limits_is_refused_with_a_clear_message(editor_client, price, message):
    response = editor_client.post(
        url("add"), product_form(price=price, **{"action-publish": "publish"})
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.filter(slug="travel-adapter").exists()


def test_product_list_in_admin_is_searchable_and_exportable(editor_client):
    listing = editor_client.get(url("list"), {"q": "watch"})
    export = editor_client.get(url("list"), {"export": "csv"})

    assert b"Smart Fitness Watch" in listing.content
    assert b"Portable Power Bank" not in listing.content
    assert export.status_code == 200
    assert b"Portable Power Bank" in b"".join(export.streaming_content)


SEARCH_ON_SQLITE = """
from django.contrib.auth.models import User
from django.test import Client

admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
client.force_login(admin)
for query in ("watch", "workouts"):
    response = client.get("/admin/snippets/products/product/", {"q": query})
    print(query, response.status_code, b"Smart Fitness Watch" in response.content,
          b"Portable Power Bank" in response.content)
"""


def test_product_search_in_admin_works_on_the_local_sqlite_database(tmp_path):
    """`make run` keeps the shop in SQLite, whose search backend differs from PostgreSQL's."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        "REDIS_URL": "",
    }

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("migrate", "--noinput", "--verbosity=0")
    manage("seed_shop", "--verbosity=0")
    answers = manage("shell", "--verbosity=0", "--command", SEARCH_ON_SQLITE).splitlines()

    # A word of the name, then a word only the summary holds; both find the watch alone.
    assert answers == ["watch 200 True False", "workouts 200 True False"]
