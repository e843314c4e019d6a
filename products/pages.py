"""What a product page shows besides the product: breadcrumbs and what search engines read."""

from django.conf import settings

from .models import Product

SHARE_IMAGE_SPEC = "fill-1200x630|format-jpeg"


def public_url(request, path: str) -> str:
    """SHOP_BASE_URL and the path, so a canonical link never trusts a Host header in production."""
    if settings.SHOP_BASE_URL:
        return settings.SHOP_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def product_page_context(request, product: Product) -> dict:
    url = public_url(request, product.get_absolute_url())
    share_image = (
        public_url(request, product.image.get_rendition(SHARE_IMAGE_SPEC).url)
        if product.image
        else ""
    )
    category = product.categories.filter(live=True).order_by("path").first()
    return {
        "product": product,
        "page_title": product.seo_title or product.name,
        "meta_description": product.search_description or product.summary,
        "canonical_url": url,
        "share_image": share_image,
        "breadcrumbs": [(category.title, category.url)] if category else [],
        "structured_data": structured_data(product, url=url, image=share_image),
    }


def structured_data(product: Product, *, url: str, image: str) -> dict:
    """schema.org Product with its Offer, as search engines read it from the page."""
    availability = "OutOfStock" if product.is_sold_out else "InStock"
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.search_description or product.summary,
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": f"{product.price:.2f}",
            "priceCurrency": settings.SHOP_CURRENCY.upper(),
            "availability": f"https://schema.org/{availability}",
        },
    }
    if image:
        data["image"] = [image]
    return data
