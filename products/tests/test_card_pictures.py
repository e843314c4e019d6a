"""A product card shows its picture in WebP with a JPEG fallback, at one and two device pixels per
CSS pixel, exactly as Wagtail's {% picture %} tag would write it."""

import re

import pytest
from django.template import engines
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def pictured_product(seeded_shop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    picture = get_image_model().objects.create(title="A power bank", file=get_test_image_file())
    product = Product.objects.get(slug="portable-power-bank")
    product.image = picture
    product.save_revision().publish()
    return product


def test_a_search_card_shows_the_picture_wagtail_would_write(client, pictured_product):
    wagtail_picture = (
        engines["django"]
        .from_string(
            "{% load wagtailimages_tags %}{% picture image format-{webp,jpeg} "
            'fill-{480x360,960x720} sizes="(max-width: 40rem) 100vw, 20rem" class="card__image" %}'
        )
        .render({"image": pictured_product.image})
    )

    html = client.get("/search/", {"q": "power bank"}).content.decode()

    shown = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert shown == [wagtail_picture]
    assert '<source sizes="(max-width: 40rem) 100vw, 20rem" srcset="' in wagtail_picture
    assert ".format-webp.fill-960x720.webp " in wagtail_picture
    assert 'alt="A power bank" class="card__image" height="360"' in wagtail_picture
