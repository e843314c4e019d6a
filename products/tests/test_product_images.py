"""Product pictures are described to people who cannot see them."""

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from products.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def pictured_product(seeded_shop, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    picture = get_image_model().objects.create(
        title="Black power bank with two USB ports", file=get_test_image_file()
    )
    product = Product.objects.get(slug="portable-power-bank")
    product.image = picture
    product.save_revision().publish()
    return product


def test_product_pictures_are_described_by_their_title_on_the_home_and_product_pages(
    client, pictured_product
):
    for path in ["/", pictured_product.get_absolute_url()]:
        html = client.get(path).content.decode()

        assert 'alt="Black power bank with two USB ports"' in html, path


def test_a_pictures_alt_text_is_preferred_to_its_title(client, pictured_product):
    pictured_product.image.description = "A black power bank charging a phone"
    pictured_product.image.save()

    for path in ["/", pictured_product.get_absolute_url()]:
        html = client.get(path).content.decode()

        assert 'alt="A black power bank charging a phone"' in html, path
        assert "Black power bank with two USB ports" not in html, path
