"""Limits on posts that change carts, start checkouts or try passwords, and on the success page.

The middleware runs after CsrfViewMiddleware, so a forged cross-site post is refused before it
counts and cannot use up the allowance of the shopper it was aimed at. A shopper with a session
is counted by that session (SHOP_RATE_LIMITS); every request is also counted against a much
higher ceiling for its client address (SHOP_RATE_LIMITS_PER_ADDRESS), which holds back clients
that drop their cookies while leaving room for many shoppers behind one carrier NAT.

django-ratelimit keeps the counts in the default cache, shared by every app server when that
is Redis. Its decorators cannot reach Django's and Wagtail's sign-in views or say when a
client may try again, so this middleware asks its core for the count instead.
"""

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)

# URL name -> (the group whose limits apply, the method they apply to).
LIMITED_VIEWS = {
    "cart_add": ("cart", "POST"),
    "cart_update": ("cart", "POST"),
    "cart_remove": ("cart", "POST"),
    "cart_clear": ("cart", "POST"),
    "create_checkout_session": ("checkout", "POST"),
    "checkout_success": ("success", "GET"),
    "login": ("login", "POST"),
    "signup": ("login", "POST"),
    "password_reset": ("login", "POST"),
    "wagtailadmin_login": ("login", "POST"),
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


@dataclass(frozen=True)
class Counter:
    group: str
    # django-ratelimit's key: a name it knows ("ip") or a function of (group, request).
    key: str | Callable[[str, object], str]
    rate: Rate

    def seconds_to_wait(self, request) -> int | None:
        """Count one request; return the seconds to wait if it is over the limit, else None."""
        usage = get_usage(
            request,
            group=self.group,
            key=self.key,
            rate=(self.rate.limit, self.rate.period),
            increment=True,
        )
        # No usage: the counter store failed and RATELIMIT_FAIL_OPEN lets the request through.
        if usage is None or not usage["should_limit"]:
            return None
        # time_left counts to the window's last whole second; the next window starts after it.
        return max(1, usage["time_left"] + 1)


def _session_key(_group: str, request) -> str:
    return request.session.session_key


def counters_for(request, group: str) -> list[Counter]:
    """The counts a request of this group adds to: its session's, if any, and its address's."""
    counters = []
    per_shopper = settings.SHOP_RATE_LIMITS.get(group)
    if request.session.session_key and per_shopper:
        counters.append(Counter(f"{group}:session", _session_key, Rate.parse(per_shopper)))
    per_address = settings.SHOP_RATE_LIMITS_PER_ADDRESS.get(group)
    if per_address:
        # "ip" reads client_address (RATELIMIT_IP_META_KEY) and groups IPv6 clients by /64,
        # so one client cannot rotate through the addresses of its own network.
        counters.append(Counter(f"{group}:address", "ip", Rate.parse(per_address)))
    return counters


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def too_many_requests(request, group: str, retry_after: int):
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
            {"retry_after": retry_after, "group": group, "page_title": "Too many requests"},
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
        group, method = LIMITED_VIEWS.get(request.resolver_match.url_name, (None, None))
        if request.method != method:
            return None
        counters = counters_for(request, group)
        try:
            waits = [counter.seconds_to_wait(request) for counter in counters]
        except Exception:
            # A cache outage should cost the shop its limits for a moment, not its sales.
            logger.exception("Rate limit store unavailable; letting a %s request through", group)
            return None
        retry_after = max((wait for wait in waits if wait is not None), default=None)
        if retry_after is None:
            return None
        logger.warning("Rate limit for %s reached by %s", group, client_address(request))
        return too_many_requests(request, group, retry_after)
