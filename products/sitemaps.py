from wagtail.contrib.sitemaps import Sitemap

from .models import Product


class ProductSitemap(Sitemap):
    """Every product shoppers can open, on the same address as the site's pages."""

    def items(self):
        return Product.objects.live().order_by("pk").only("slug", "last_published_at")

    def _urls(self, page, protocol, domain):
        # As Wagtail's page sitemap does: the Wagtail site's address, not the request's host.
        root_url = self.get_wagtail_site().root_url
        return [
            {
                "item": product,
                "location": root_url + product.get_absolute_url(),
                "lastmod": product.last_published_at,
            }
            for product in self.paginator.page(page).object_list
        ]
