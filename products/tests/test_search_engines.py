"""Product pages tell search engines and link previews what they sell; sitemap.xml lists them."""

import json
import re

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Site

from products.models import Product
from products.tests.catalogue import make_category

pytestmark = pytest.mark.django_db


def structured_data(html: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def meta(html: str, attribute: str, name: str) -> str:
    return re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)[1]


def test_a_product_page_carries_a_product_and_offer_for_search_engines(client, seeded_shop):
    html = client.get("/products/portable-power-bank/").content.decode()

    data = structured_data(html)
    assert data["@type"] == "Product"
    assert data["name"] == "Portable Power Bank"
    assert data["url"] == "http://testserver/products/portable-power-bank/"
    assert data["offers"] == {
        "@type": "Offer",
        "url": "http://testserver/products/portable-power-bank/",
        "price": "49.99",
        "priceCurrency": "USD",
        "availability": "https://schema.org/InStock",
    }


def test_sold_out_products_are_offered_as_out_of_stock(client, seeded_shop, monkeypatch):
    monkeypatch.setattr(Product, "is_sold_out", property(lambda product: True))

    html = client.get("/products/portable-power-bank/").content.decode()

    assert structured_data(html)["offers"]["availability"] == "https://schema.org/OutOfStock"


def test_editors_set_the_title_and_description_search_engines_show(client, seeded_shop):
    product = Product.objects.get(slug="portable-power-bank")
    product.seo_title = "Power bank 20000 mAh | fast charging"
    product.search_description = "Charge two phones at once, four times over."
    product.save_revision().publish()

    html = client.get(product.get_absolute_url()).content.decode()

    assert "<title>Power bank 20000 mAh | fast charging · " in html
    assert meta(html, "name", "description") == "Charge two phones at once, four times over."
    assert meta(html, "property", "og:title") == "Power bank 20000 mAh | fast charging"
    assert structured_data(html)["description"] == "Charge two phones at once, four times over."


def test_without_a_description_the_summary_is_shown_and_links_point_at_the_shops_address(
    client, seeded_shop, settings
):
    settings.SHOP_BASE_URL = "https://shop.example.com"

    html = client.get("/products/portable-power-bank/", HTTP_HOST="evil.example").content.decode()

    canonical = "https://shop.example.com/products/portable-power-bank/"
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert meta(html, "property", "og:url") == canonical
    assert meta(html, "property", "og:type") == "product"
    assert meta(html, "name", "description").startswith("20000mAh power bank")
    assert "evil.example" not in html


def test_a_products_picture_is_shared_with_link_previews(client, seeded_shop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = Product.objects.get(slug="portable-power-bank")
    product.image = get_image_model().objects.create(title="Bank", file=get_test_image_file())
    product.save_revision().publish()

    html = client.get(product.get_absolute_url()).content.decode()

    image = meta(html, "property", "og:image")
    assert image.startswith("http://testserver/media/images/") and image.endswith(".jpg")
    assert structured_data(html)["image"] == [image]


def test_a_script_closing_tag_in_a_name_cannot_break_out_of_the_structured_data(
    client, seeded_shop
):
    product = Product.objects.get(slug="portable-power-bank")
    product.name = "Bank</script><script>alert(1)</script>"
    product.save_revision().publish()

    html = client.get(product.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in html
    assert structured_data(html)["name"] == product.name


def test_sitemap_lists_live_pages_and_products_and_no_drafts(client, seeded_shop, make_product):
    make_category("Lamps")
    make_category("Secret lamps", live=False)
    make_product("Draft Lamp", live=False)

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    locations = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    site = Site.objects.get(is_default_site=True).root_url
    assert f"{site}/" in locations
    assert f"{site}/lamps/" in locations
    assert f"{site}/products/portable-power-bank/" in locations
    assert f"{site}/products/smart-fitness-watch/" in locations
    assert not [location for location in locations if "secret" in location or "draft" in location]
