"""Whole-page cache for CMS pages and search, with the few parts that differ per visitor filled in
per request.

Pages are stored as rendered for an anonymous visitor, with a placeholder where the CSRF token
goes and a marker where each personal part goes (`{% personal %}`: cart count, account links,
recent orders). A request served from the cache skips Wagtail's routing and the page's own
queries: it pays for its session, its token and its personal parts only. Anything that changes
what pages show (publishing a page or product, images, sites, view restrictions, the shop's
settings) replaces a version in the shared cache, which retires every stored page at once.

Each process also keeps its own copies of the pages it read or stored, and serves them without
asking the shared cache for up to LOCAL_COPY_SECONDS after it last saw their version there. A
change made through another process therefore shows here within that bound, about the time a
browser takes to load the page anyway; a change made through this process shows at once. Shown
stock and prices were never closer than that: they are read when the page was stored.

A query string is part of a page's key in the one spelling products/query_strings.py gives it
(a sorted listing, a page of search results). A page is stored under it only when the page says
its own links spell what it shows that way: an unknown sort, a filter the page lacks or a page
past the end is read leniently, rendered afresh and never stored, and a query holding anything
no catalogue page reads (`?utm_source=`) is not even looked up. So junk never takes room.

Editors and other admin users, visitors with a message waiting, and everyone while the cache is
unreachable get a fresh render; pages are stored only from anonymous visitors while no page in
the site has a view restriction.
"""

import functools
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse, QueryDict
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.template import Context
from django.template.loader import get_template
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from wagtail.images.models import AbstractImage, AbstractRendition
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, published, unpublished

from orders.cart import cart_count
from orders.shoppers import COOKIE_NAME as SHOPPER_COOKIE_NAME
from products.query_strings import canonical_query

VERSION_KEY = "page-cache:version"
CSRF_PLACEHOLDER = "__csrf_token_placeholder__"
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PERSONAL_MARKER = re.compile(r"<!--personal:([\w/.-]+\.html)-->")
LOCAL_COPY_SECONDS = 1.0
# Wagtail's pages and the catalogue's search, by the name their URL resolves to.
CACHED_VIEWS = frozenset({"wagtail_serve", "search"})
# The most pages a process keeps copies of: a few dozen CMS pages, each with and without the
# first visit's personal parts, fit well within it, with the listings and searches asked for
# most; past it the copies start again rather than grow with every search.
LOCAL_COPIES_KEPT = 500


@dataclass(frozen=True)
class StoredPage:
    version: str
    html: str
    # Wall-clock time, so a copy held in a process never outlives the shared cache's entry.
    expires_at: float

    def as_shared(self) -> tuple[str, str, float]:
        """A plain tuple, which servers of any release can read: earlier ones take its first two
        items and a class they lack could not even be unpickled."""
        return (self.version, self.html, self.expires_at)

    @classmethod
    def from_shared(cls, value) -> "StoredPage | None":
        """None for a miss or for an entry without an expiry, as earlier releases stored them."""
        if isinstance(value, tuple) and len(value) == 3:
            return cls(*value)
        return None


@dataclass
class LocalCopies:
    """This process's copies of stored pages, all of the version it last saw in the shared cache."""

    version: str | None = None
    version_seen_at: float = float("-inf")
    pages: dict[str, StoredPage] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fresh(self) -> bool:
        """Whether the version was seen lately enough for the copies to be served."""
        return time.monotonic() - self.version_seen_at < LOCAL_COPY_SECONDS

    def page(self, key: str) -> str | None:
        """The page, if its version was seen lately and it has not expired."""
        if not self.fresh():
            return None
        stored = self.pages.get(key)
        if stored is None or stored.version != self.version or stored.expires_at <= time.time():
            return None
        return stored.html

    def saw(self, version: str, asked_at: float) -> None:
        with self.lock:
            if version != self.version:
                self.pages.clear()
                self.version = version
            self.version_seen_at = asked_at

    def keep(self, key: str, stored: StoredPage) -> None:
        with self.lock:
            if stored.version != self.version:
                return
            if len(self.pages) >= LOCAL_COPIES_KEPT:
                self.pages.clear()
            self.pages[key] = stored

    def forget(self) -> None:
        with self.lock:
            self.version, self.version_seen_at = None, float("-inf")
            self.pages.clear()


local_copies = LocalCopies()


def personal_marker(template_name: str) -> str:
    return f"<!--personal:{template_name}-->"


def personal_context(request) -> Context:
    """All a personal part sees, wherever it is rendered: a cached page fills its parts in
    without the page's own context, and the context processors' other work (the menu, the
    shop's settings) would cost every page a returning shopper opens for nothing."""
    return Context(
        {
            "request": request,
            "user": getattr(request, "user", None) or AnonymousUser(),
            "cart_count": cart_count(request),
            "csrf_token": SimpleLazyObject(partial(csrf_token, request)),
        }
    )


def render_personal_part(template_name: str, context: Context) -> str:
    return get_template(template_name).template.render(context)


def fill_personal_parts(request, html: str) -> str:
    """Render each marked part in its place, all with one context."""
    return _filled(request, PERSONAL_MARKER.split(html))


@functools.lru_cache(maxsize=LOCAL_COPIES_KEPT)
def _stored_page_pieces(html: str) -> tuple[str, ...]:
    """A stored page cut at its personal parts, once per copy this process serves: a copy is
    the same string on every request, whose hash Python keeps."""
    return tuple(PERSONAL_MARKER.split(html))


def _filled(request, pieces: Sequence[str]) -> str:
    """The page from its pieces: text, then the name of a part, then text again."""
    if len(pieces) == 1:
        return pieces[0]
    context = personal_context(request)
    rendered = {name: render_personal_part(name, context) for name in set(pieces[1::2])}
    filled = list(pieces)
    filled[1::2] = [rendered[name] for name in pieces[1::2]]
    return "".join(filled)


class PageCacheMiddleware:
    """Looks a page up only once the URL is known to be a CMS page's, and stores it on the way
    out; any other URL costs the cache nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        copied = self._local_copy_response(request)
        if copied is not None:
            return copied
        response = self.get_response(request)
        filling = getattr(request, "page_cache_filling", None)
        if filling is None:
            return response
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        html = response.content.decode()
        filled = fill_personal_parts(request, html)
        if self._storable(request, response, filling):
            page = CSRF_FIELD.sub(
                rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", filled if filling.first_visit else html
            )
            seconds = settings.SHOP_PAGE_CACHE_SECONDS
            stored = StoredPage(filling.version, page, time.time() + seconds)
            cache.set(filling.key, stored.as_shared(), seconds)
            local_copies.keep(filling.key, stored)
        response.content = filled
        patch_vary_headers(response, ["Cookie"])
        return response

    def _local_copy_response(self, request) -> HttpResponse | None:
        """The page from this process's copies, before the URL is even resolved: a copy exists
        only for an address a cached view answered. Resolving it would walk every other pattern
        before Wagtail's catch-all, a fifth of a cached page's time."""
        lookup = local_copies.fresh() and self._lookup(request)
        if not lookup:
            return None
        key, _query, first_visit = lookup
        html = local_copies.page(key)
        return None if html is None else _cached_page_response(request, html, first_visit)

    def process_view(self, request, view_func, view_args, view_kwargs):
        lookup = request.resolver_match.view_name in CACHED_VIEWS and self._lookup(request)
        if not lookup:
            return None
        key, query, first_visit = lookup
        html = local_copies.page(key)
        if html is None:
            html, version = _page_from_shared_cache(key)
            if html is None:
                if version is not None:
                    request.page_cache_filling = Filling(key, version, first_visit, query)
                return None
        return _cached_page_response(request, html, first_visit)

    def _lookup(self, request) -> tuple[str, str, bool] | None:
        """Where the page for this request is stored, its query string as products/query_strings
        spells it, and whether it is a first visit's; None when it is never looked up."""
        if not self._cacheable_request(request):
            return None
        query = canonical_query(request.GET)
        if query is None:
            return None
        first_visit = _is_first_visit(request)
        return _page_key(request, query, first_visit), query, first_visit

    @staticmethod
    def _cacheable_request(request) -> bool:
        if (
            settings.SHOP_PAGE_CACHE_SECONDS <= 0
            or request.method != "GET"
            or request.COOKIES.get("messages")
        ):
            return False
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return True
        if "_messages" in request.session:
            return False
        # Admin users see Wagtail's editing bar, which must never be cached or hidden; only a
        # signed-in user can be one, so no one else's permissions are asked of every backend.
        user = request.user
        return not (user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))

    @staticmethod
    def _storable(request, response, filling: "Filling") -> bool:
        return (
            # A page that does not say what it shows reads no query string at all.
            getattr(request, "page_cache_shown_query", "") == filling.query
            and response.status_code == 200
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and not request.user.is_authenticated
            and not PageViewRestriction.objects.exists()
        )


def _cached_page_response(request, html: str, first_visit: bool) -> HttpResponse:
    if not first_visit:
        html = _filled(request, _stored_page_pieces(html))
    response = HttpResponse(html.replace(CSRF_PLACEHOLDER, csrf_token(request)))
    patch_vary_headers(response, ["Cookie"])
    return response


def page_shows_query(request, query_string: str) -> None:
    """Tell the cache the query string naming what this page shows, as the page's own links
    spell it: the page is stored only for a request whose query string means the same."""
    request.page_cache_shown_query = canonical_query(QueryDict(query_string.removeprefix("?")))


def csrf_token(request) -> str:
    """Django's get_token(request), drawing its randomness from one os.urandom call: Django's
    asks the system once per character, which came to a third of a cached page's time.

    The same secret in the same cookie and the same masked token (a random mask, then the secret
    shifted by it, in CSRF_ALLOWED_CHARS), so CsrfViewMiddleware checks it as its own.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = _random_chars()
        request.META["CSRF_COOKIE"] = secret
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_chars()
    return mask + "".join(map(_SHIFTED.__getitem__, zip(secret, mask, strict=True)))


# Each allowed character shifted by each other one: the secret's character by the mask's.
_SHIFTED = {
    (char, shift): CSRF_ALLOWED_CHARS[(index + shift_index) % len(CSRF_ALLOWED_CHARS)]
    for index, char in enumerate(CSRF_ALLOWED_CHARS)
    for shift_index, shift in enumerate(CSRF_ALLOWED_CHARS)
}
# Bytes at or above this would favour some characters over others; they are drawn again.
_UNBIASED_BYTES_BELOW = 256 // len(CSRF_ALLOWED_CHARS) * len(CSRF_ALLOWED_CHARS)
_BYTE_TO_CHAR = bytes(
    ord(CSRF_ALLOWED_CHARS[byte % len(CSRF_ALLOWED_CHARS)]) for byte in range(256)
)
_BIASED_BYTES = bytes(range(_UNBIASED_BYTES_BELOW, 256))


def _random_chars() -> str:
    """CSRF_SECRET_LENGTH characters of CSRF_ALLOWED_CHARS, each as likely as any other."""
    chars = b""
    while len(chars) < CSRF_SECRET_LENGTH:
        chars += os.urandom(CSRF_SECRET_LENGTH + 8).translate(_BYTE_TO_CHAR, _BIASED_BYTES)
    return chars[:CSRF_SECRET_LENGTH].decode("ascii")


@dataclass(frozen=True)
class Filling:
    """Where a page rendered for this request is stored, and the version it is stored under."""

    key: str
    version: str
    # Stored with its personal parts filled in, as every browser on its first visit sees them.
    first_visit: bool
    # The request's query string, as products/query_strings.py spells it.
    query: str


def _page_key(request, query: str, first_visit: bool) -> str:
    key = f"page-cache:{request.get_host()}:{request.path}"
    if query:
        # Hashed: search words may hold characters some caches refuse in keys.
        key += "?" + hashlib.sha256(query.encode()).hexdigest()
    return key + (":first-visit" if first_visit else "")


def _is_first_visit(request) -> bool:
    """A browser with neither a session nor a shopper id: no account, no cart, no orders, so its
    personal parts are the same as every other such browser's."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and (
        SHOPPER_COOKIE_NAME not in request.COOKIES
    )


def _page_from_shared_cache(key: str) -> tuple[str | None, str | None]:
    """The stored page, if any, and the current version; no version while the cache is out, as
    a page stored without one could never be retired."""
    asked_at = time.monotonic()
    # One round trip asks for the version and the page together.
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or start_version()
    if version is None:
        local_copies.forget()
        return None, None
    local_copies.saw(version, asked_at)
    stored = StoredPage.from_shared(found.get(key))
    if stored is None or stored.version != version:
        return None, version
    local_copies.keep(key, stored)
    return stored.html, version


def start_version() -> str | None:
    """The version after the cache lost it (or never had it); None while the cache is out."""
    cache.add(VERSION_KEY, secrets.token_hex(8), None)
    return cache.get(VERSION_KEY)


def forget_cached_pages() -> None:
    # Forgotten here even if the shared cache is out: this process then asks it again, and
    # renders afresh until it answers.
    local_copies.forget()
    # A random version, not a counter, so a cache that lost the key never revives old pages.
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


@receiver(setting_changed)
def forget_local_copies(**kwargs):
    local_copies.forget()


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
