"""Parts of catalogue pages stored as rendered: a listing or search results on a page the page
cache does not serve (an address with a campaign tag or other junk in its query string, a visitor
with a message waiting, an editor) cost one cache read instead of their queries and 24 cards.

A part is stored under the page cache's version and for as long as a page, so whatever retires
cached pages (publishing, images, settings) retires stored parts too, and nothing stays longer
than a cached page would. Each shopper's CSRF token goes in on the way out.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token

from home.page_cache import CSRF_FIELD, CSRF_PLACEHOLDER, VERSION_KEY, start_version


@dataclass(frozen=True)
class StoredPart:
    """The part as stored (`html`, None when it must be rendered), or where to store it."""

    key: str | None = None
    version: str | None = None
    html: str | None = None

    def for_request(self, request) -> str:
        return self.html.replace(CSRF_PLACEHOLDER, get_token(request))

    def store(self, html: str) -> None:
        if self.key is not None and self.version is not None:
            stored = CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", html)
            cache.set(self.key, (self.version, stored), settings.SHOP_PAGE_CACHE_SECONDS)


def stored_part(key: str | None) -> StoredPart:
    """The part stored under `key` for the cache's current version; a part to render and store
    under it otherwise (None: never stored, as when the page cache is off or unreachable)."""
    if key is None or settings.SHOP_PAGE_CACHE_SECONDS <= 0:
        return StoredPart()
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or start_version()
    if version is None:
        return StoredPart()
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return StoredPart(key=key, version=version, html=stored[1])
    return StoredPart(key=key, version=version)
