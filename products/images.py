"""The sizes and formats product pictures are served in, fetched with the products."""

from django.db.models import Prefetch, QuerySet
from wagtail.images import get_image_model

# What templates/includes/product_card.html asks {% picture %} for: WebP, with JPEG for browsers
# without it, each at one and two device pixels per CSS pixel.
CARD_IMAGE_SPECS = [
    f"format-{image_format}|fill-{size}"
    for image_format in ("webp", "jpeg")
    for size in ("480x360", "960x720")
]


def with_card_images(products: QuerySet) -> QuerySet:
    """The products with their main image and its card renditions, in two queries in all."""
    renditions = (
        get_image_model().get_rendition_model().objects.filter(filter_spec__in=CARD_IMAGE_SPECS)
    )
    return products.select_related("image").prefetch_related(
        Prefetch("image__renditions", queryset=renditions)
    )
