"""The product editor's form as the Wagtail admin posts it, for tests of editing products."""

from django.urls import reverse

RICH_TEXT = (
    '{"blocks": [{"key": "a1", "type": "unstyled", "text": "Fits every plug.", "depth": 0,'
    ' "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}'
)


def product_form(**overrides):
    data = {
        "name": "Travel Adapter",
        "slug": "travel-adapter",
        "summary": "Works in 150 countries.",
        "description": RICH_TEXT,
        "price": "24.50",
        "sort_order": "5",
        "go_live_at": "",
        "expire_at": "",
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
        "gallery_images-TOTAL_FORMS": "0",
        "gallery_images-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def url(action, *args):
    return reverse(f"wagtailsnippets_products_product:{action}", args=args)
