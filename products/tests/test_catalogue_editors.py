"""Editors reach a product's live page from its editor and its editor from the live page, pick
only products shoppers can buy for the home page, once each, and get slugs filled in for them."""

import re

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from home.models import HomePage
from orders.tests.helpers import login, staff_member
from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, seeded_shop):
    return login(client, staff_member("edith", "Editors"))


def edit_url(product: Product) -> str:
    return reverse(Product.snippet_viewset.get_url_name("edit"), args=[quote(product.pk)])


def test_the_product_editor_links_to_the_live_product_only_while_it_is_live(
    editor_client, make_product
):
    live = Product.objects.get(slug="portable-power-bank")
    draft = make_product("Unreleased Lamp", live=False)

    live_editor = editor_client.get(edit_url(live)).content.decode()
    draft_editor = editor_client.get(edit_url(draft)).content.decode()

    link = re.search(r'<a href="/products/portable-power-bank/"[^>]*>(.*?)</a>', live_editor, re.S)
    assert "View live" in link[1]
    assert "View live" not in draft_editor


def test_on_the_storefront_the_editing_bar_offers_editors_to_edit_the_product(editor_client):
    product = Product.objects.get(slug="portable-power-bank")

    html = editor_client.get(product.get_absolute_url()).content.decode()
    editor_client.logout()
    shoppers_html = editor_client.get(product.get_absolute_url()).content.decode()

    assert "Edit this product" in html
    assert f'href="//testserver{edit_url(product)}"' in html
    assert "Edit this product" not in shoppers_html


def test_the_home_page_product_picker_offers_only_live_products(editor_client, make_product):
    make_product("Unreleased Lamp", live=False)
    choose = reverse(Product.snippet_viewset.chooser_viewset.get_url_name("choose"))

    html = editor_client.get(choose).content.decode()

    assert "Portable Power Bank" in html
    assert "Unreleased Lamp" not in html


def home_page_form(home: HomePage, products: list[Product]) -> dict:
    return nested_form_data(
        {
            "title": home.title,
            "slug": home.slug,
            "hero_heading": home.hero_heading,
            "intro": streamfield([]),
            "products_heading": home.products_heading,
            "show_all_products": "",
            "placed_products": inline_formset(
                [{"product": product.pk} for product in products], initial=0
            ),
            "action-publish": "publish",
        }
    )


def test_the_home_page_refuses_the_same_product_twice(editor_client):
    home = HomePage.objects.get()
    bank = Product.objects.get(slug="portable-power-bank")
    watch = Product.objects.get(slug="smart-fitness-watch")
    url = reverse("wagtailadmin_pages:edit", args=[home.pk])

    refused = editor_client.post(url, home_page_form(home, [bank, watch, bank]))

    assert refused.status_code == 200
    assert "Portable Power Bank is already in the product section" in refused.content.decode()
    assert not HomePage.objects.get().placed_products.exists()

    accepted = editor_client.post(url, home_page_form(home, [bank, watch]))

    assert accepted.status_code == 302
    placed = HomePage.objects.get().placed_products.order_by("sort_order")
    assert [placement.product for placement in placed] == [bank, watch]


def test_the_product_editor_fills_the_slug_from_the_name_and_takes_several_pictures(
    editor_client,
):
    html = editor_client.get(reverse(Product.snippet_viewset.get_url_name("add"))).content.decode()

    name = re.search(r'<input[^>]*name="name"[^>]*>', html)[0]
    slug = re.search(r'<input[^>]*name="slug"[^>]*>', html)[0]
    assert 'data-w-sync-target-value="#id_slug"' in name
    assert "w-sync#apply" in name
    assert 'data-controller="w-slug"' in slug
    assert 'name="gallery_images-TOTAL_FORMS"' in html
    assert 'name="categories"' in html
