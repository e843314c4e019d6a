"""Whole-page cache for CMS pages seen by visitors who have no cookies yet.

A first-time visitor's page differs from everyone else's only by its CSRF token, so the page is
stored with a placeholder where the token goes and each visitor gets their own token on the way
out. Anything that changes what pages show (publishing a page or product, images, sites) bumps a
version number in the shared cache, which retires every stored page at once.
"""

import re
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from wagtail.images.models import AbstractImage, AbstractRendition
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, published, unpublished

from products.models import Product

from .models import HomePageProduct

VERSION_KEY = "page-cache:version"
CSRF_PLACEHOLDER = "__csrf_token_placeholder__"
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CONTENT_MODELS = (Page, Product, HomePageProduct, Site, AbstractImage, AbstractRendition)


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not self._cacheable_request(request):
            return self.get_response(request)
        key = self._key(request)
        stored = cache.get(key)
        if stored is not None:
            return self._respond(request, stored)
        response = self.get_response(request)
        if self._cacheable_response(request, response):
            html = CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode())
            cache.set(key, html, settings.SHOP_PAGE_CACHE_SECONDS)
        return response

    @staticmethod
    def _cacheable_request(request) -> bool:
        return (
            settings.SHOP_PAGE_CACHE_SECONDS > 0
            and request.method == "GET"
            and not request.COOKIES
            and not request.META.get("QUERY_STRING")
        )

    @staticmethod
    def _cacheable_response(request, response) -> bool:
        match = getattr(request, "resolver_match", None)
        return (
            match is not None
            and match.url_name == "wagtail_serve"
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and response.get("Content-Type", "").startswith("text/html")
            and "private" not in response.get("Cache-Control", "")
        )

    @staticmethod
    def _key(request) -> str:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, secrets.token_hex(8), None)
            version = cache.get(VERSION_KEY)
        return f"page-cache:{version}:{request.get_host()}:{request.path}"

    @staticmethod
    def _respond(request, stored: str) -> HttpResponse:
        response = HttpResponse(stored.replace(CSRF_PLACEHOLDER, get_token(request)))
        patch_vary_headers(response, ["Cookie"])
        return response


def forget_cached_pages() -> None:
    # A random version, not a counter, so a cache that lost the key never revives old pages.
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


@receiver(post_save)
@receiver(post_delete)
def content_changed(sender, instance, **kwargs):
    if isinstance(instance, CONTENT_MODELS):
        forget_cached_pages()


@receiver(page_published)
@receiver(page_unpublished)
@receiver(published)
@receiver(unpublished)
def content_published(sender, instance, **kwargs):
    forget_cached_pages()
