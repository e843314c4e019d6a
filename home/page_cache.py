"""Whole-page cache for CMS pages, with the few parts that differ per visitor filled in per request.

Pages are stored as rendered for an anonymous visitor, with a placeholder where the CSRF token
goes and a marker where each personal part goes (`{% personal %}`: cart count, account links,
recent orders). A request served from the cache skips Wagtail's routing and the page's own
queries: it pays for its session, its token and its personal parts only. Anything that changes
what pages show (publishing a page or product, images, sites, view restrictions, the shop's
settings) replaces a version in the shared cache, which retires every stored page at once.

Editors and other admin users, visitors with a message waiting, requests with a query string,
and everyone while the cache is unreachable get a fresh render; pages are stored only from
anonymous visitors while no page in the site has a view restriction.
"""

import functools
import re
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from wagtail.images.models import AbstractImage, AbstractRendition
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, published, unpublished

VERSION_KEY = "page-cache:version"
CSRF_PLACEHOLDER = "__csrf_token_placeholder__"
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PERSONAL_MARKER = re.compile(r"<!--personal:([\w/.-]+\.html)-->")


def personal_marker(template_name: str) -> str:
    return f"<!--personal:{template_name}-->"


def fill_personal_parts(request, html: str) -> str:
    return PERSONAL_MARKER.sub(lambda match: render_to_string(match[1], request=request), html)


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._cacheable_request(request):
            return self.get_response(request)
        key = self._key(request)
        if key is None:
            return self.get_response(request)
        stored = cache.get(key)
        if stored is not None:
            html = stored.replace(CSRF_PLACEHOLDER, get_token(request))
            response = HttpResponse(fill_personal_parts(request, html))
        else:
            request.page_cache_filling = True
            response = self.get_response(request)
            if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
                return response
            html = response.content.decode()
            if self._storable(request, response):
                page = CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", html)
                cache.set(key, page, settings.SHOP_PAGE_CACHE_SECONDS)
            response.content = fill_personal_parts(request, html)
        patch_vary_headers(response, ["Cookie"])
        return response

    @staticmethod
    def _cacheable_request(request) -> bool:
        if (
            settings.SHOP_PAGE_CACHE_SECONDS <= 0
            or request.method != "GET"
            or request.META.get("QUERY_STRING")
            or request.COOKIES.get("messages")
            or request.path.startswith("/admin/")
        ):
            return False
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return True
        if "_messages" in request.session:
            return False
        # Admin users see Wagtail's editing bar, which must never be cached or hidden.
        return not request.user.has_perm("wagtailadmin.access_admin")

    @staticmethod
    def _storable(request, response) -> bool:
        match = getattr(request, "resolver_match", None)
        return (
            match is not None
            and match.url_name == "wagtail_serve"
            and response.status_code == 200
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and not request.user.is_authenticated
            and not PageViewRestriction.objects.exists()
        )

    @staticmethod
    def _key(request) -> str | None:
        """None while the cache is out: a page stored without a version could never be retired."""
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.token_hex(8), None)
            version = cache.get(VERSION_KEY)
        if version is None:
            return None
        return f"page-cache:{version}:{request.get_host()}:{request.path}"


def forget_cached_pages() -> None:
    # A random version, not a counter, so a cache that lost the key never revives old pages.
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


@functools.cache
def _content_models():
    from orders.models import CheckoutSettings
    from products.models import Product
    from shop.models import ShopSettings

    from .models import HomePageProduct

    return (
        Page,
        Product,
        HomePageProduct,
        Site,
        PageViewRestriction,
        ShopSettings,
        CheckoutSettings,
        AbstractImage,
        AbstractRendition,
    )


@receiver(post_save)
@receiver(post_delete)
def content_changed(sender, instance, **kwargs):
    if isinstance(instance, _content_models()):
        forget_cached_pages()


@receiver(page_published)
@receiver(page_unpublished)
@receiver(published)
@receiver(unpublished)
def content_published(sender, instance, **kwargs):
    forget_cached_pages()
