"""Per-client limits on posts that change carts, start checkouts or try passwords.

Counts live in the default cache: a fixed window per client address, shared by every app
server when the cache is Redis (INCR is atomic there).
"""

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

# URL name -> the group whose limit in settings.SHOP_RATE_LIMITS applies.
LIMITED_VIEWS = {
    "cart_add": "cart",
    "cart_update": "cart",
    "cart_remove": "cart",
    "cart_clear": "cart",
    "create_checkout_session": "checkout",
    "login": "login",
    "signup": "login",
    "wagtailadmin_login": "login",
}
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """Read "60/m": 60 requests a minute (also /s, /h and /d)."""
        count, _, unit = text.partition("/")
        if not count.strip().isdigit() or unit.strip() not in PERIODS:
            raise ValueError(f"A rate looks like 60/m (per s, m, h or d), not {text!r}.")
        return cls(limit=int(count), period=PERIODS[unit.strip()])


def client_address(request) -> str:
    """The client's IP address, read from X-Forwarded-For only as far as proxies are trusted."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.SHOP_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    # Each trusted proxy appends the address it saw, so entries further left could be made
    # up by the client. Fewer entries than proxies means the request went round them.
    if len(forwarded) < trusted:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-trusted]))
    except ValueError:
        return remote


def client_key(address: str) -> str:
    """IPv6 clients get a whole /64 each, so one cannot rotate through its own addresses."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def hit(group: str, client: str, rate: Rate, now: float) -> int | None:
    """Count one request; return the seconds to wait if it is over the limit, else None."""
    window = int(now // rate.period)
    key = f"ratelimit:{group}:{client}:{window}"
    cache.add(key, 0, timeout=rate.period)
    try:
        count = cache.incr(key)
    except ValueError:
        # Evicted between add and incr: this request opens the window again.
        cache.add(key, 1, timeout=rate.period)
        count = 1
    if count <= rate.limit:
        return None
    return max(1, math.ceil((window + 1) * rate.period - now))


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def too_many_requests(request, retry_after: int):
    message = (
        f"You have sent too many requests in a short time. Please wait {retry_after} "
        "seconds and try again."
    )
    if _wants_json(request):
        response = JsonResponse({"error": message}, status=429)
    else:
        response = render(
            request,
            "429.html",
            {"retry_after": retry_after, "page_title": "Too many requests"},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST":
            return None
        group = LIMITED_VIEWS.get(request.resolver_match.url_name)
        rate_text = settings.SHOP_RATE_LIMITS.get(group)
        if rate_text is None:
            return None
        rate = Rate.parse(rate_text)
        client = client_key(client_address(request))
        try:
            retry_after = hit(group, client, rate, now=time.time())
        except Exception:
            # A cache outage should cost the shop its limits for a moment, not its sales.
            logger.exception("Rate limit store unavailable; letting a %s request through", group)
            return None
        if retry_after is None:
            return None
        logger.warning("Rate limit for %s reached by %s", group, client)
        return too_many_requests(request, retry_after)
