from django.contrib.sitemaps import Sitemap

from .models import Product


class ProductSitemap(Sitemap):
    """Every product shoppers can open, for search engines."""

    def items(self):
        return Product.objects.live().order_by("pk").only("slug", "last_published_at")

    def lastmod(self, product):
        return product.last_published_at
