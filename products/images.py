"""The sizes and formats product pictures are served in, fetched with the products."""

from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model
from wagtail.images.models import Filter, Picture
from wagtail.images.shortcuts import get_renditions_or_not_found

# What a product card shows: WebP, with JPEG for browsers without it, each at one and two device
# pixels per CSS pixel (the order {% picture %} gives `format-{webp,jpeg} fill-{480x360,960x720}`).
CARD_IMAGE_SPECS = [
    f"format-{image_format}|fill-{size}"
    for image_format in ("webp", "jpeg")
    for size in ("480x360", "960x720")
]
# Made once: {% picture %} makes and parses its filters again for every card it renders.
CARD_FILTERS = [Filter(spec=spec) for spec in CARD_IMAGE_SPECS]


def with_card_images(products: QuerySet) -> QuerySet:
    """The products with their main image and its card renditions, in two queries in all."""
    renditions = (
        get_image_model().get_rendition_model().objects.filter(filter_spec__in=CARD_IMAGE_SPECS)
    )
    return products.select_related("image").prefetch_related(
        Prefetch("image__renditions", queryset=renditions)
    )


def card_picture(image, attributes: dict) -> Picture:
    """The card's <picture>, as {% picture %} renders it for the card's sizes."""
    return Picture(get_renditions_or_not_found(image, CARD_FILTERS), attributes)
