"""Who is shopping: a signed-in user, or a browser known by its shopper cookie.

Orders are filed under the shopper's owner key, built only here: `user:<id>` for an account,
`session:<id>` for a browser. Signing in hands the browser's orders to the account.

Every browser carries a random shopper id in a long-lived cookie from its first response on.
Requests a browser sends at the same moment (a double click, two tabs) therefore agree on who
is shopping without anything being written first, and a checkout's order belongs to the browser
whichever of them wins.
"""

import base64
import re
import secrets
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac

from . import checkout
from .models import Order

COOKIE_NAME = "shopper"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
SHOPPER_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
# Where the id lived before the cookie: a session that still holds one keeps its orders.
SHOPPER_SESSION_KEY = "shopper_id"
# Owner keys of anonymous orders have always had this prefix; past orders keep matching.
ANONYMOUS_PREFIX = "session:"
REDIRECTS = {301, 302, 303, 307, 308}


class Shopper:
    """The browser's shopper id, made only once the shop needs it; remembers whether the shop
    asked for it while answering."""

    def __init__(self, make_id: Callable[[], str], from_browser: bool):
        self._make_id = make_id
        self._id: str | None = None
        self.from_browser = from_browser
        self.asked_for = False

    @classmethod
    def known(cls, shopper_id: str) -> "Shopper":
        shopper = cls(make_id=lambda: shopper_id, from_browser=True)
        shopper._id = shopper_id
        return shopper

    @property
    def id(self) -> str:
        self.asked_for = True
        return self._current_id()

    def is_new_to(self, sent: str) -> bool:
        """Whether the browser, which sent `sent`, has yet to be told this id."""
        return self._current_id() != sent

    def _current_id(self) -> str:
        if self._id is None:
            self._id = self._make_id()
        return self._id


class ShopperCookieMiddleware:
    """Give every browser a shopper id; the cookie is attached after the page cache has stored
    the page, so cached pages stay free of cookies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.COOKIES.get(COOKIE_NAME, "")
        if SHOPPER_ID.match(sent):
            request.shopper = Shopper.known(sent)
        else:
            request.shopper = Shopper(partial(_first_shopper_id, request), from_browser=False)
        response = self.get_response(request)
        shopper = request.shopper
        if (shopper.asked_for or _reaches_a_browser(response)) and shopper.is_new_to(sent):
            response.set_cookie(
                COOKIE_NAME,
                shopper.id,
                max_age=COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            # A shared cache must never hand one browser's id to the next.
            patch_cache_control(response, private=True)
        return response


def _reaches_a_browser(response) -> bool:
    """A page or a redirect, which a browser navigating the shop keeps cookies from. Other
    answers (to Stripe, health checks, scripts) go without unless the shop used the id."""
    return response.status_code in REDIRECTS or response.get("Content-Type", "").startswith(
        "text/html"
    )


def _first_shopper_id(request) -> str:
    """A new id; derived from the CSRF cookie when there is one, so that posts racing from a
    browser that has no shopper cookie yet (every post carries that cookie) still agree."""
    csrf_secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not csrf_secret:
        return secrets.token_urlsafe(24)
    digest = salted_hmac("orders.shoppers", csrf_secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def start_afresh(request) -> None:
    """Give the browser a new id, so the next person at it sees none of the last one's orders."""
    request.shopper = Shopper(partial(secrets.token_urlsafe, 24), from_browser=False)


def anonymous_key(request) -> str:
    """The browser's own key, whoever is signed in: it files the orders made before signing in."""
    shopper_id = request.session.get(SHOPPER_SESSION_KEY) or request.shopper.id
    return f"{ANONYMOUS_PREFIX}{shopper_id}"


def user_key(user) -> str:
    """The key that files a signed-in shopper's orders."""
    return f"user:{user.pk}"


def owner_key(request) -> str:
    if request.user.is_authenticated:
        return user_key(request.user)
    return anonymous_key(request)


def known_owner_key(request) -> str | None:
    """The shopper's key when they may have orders; None on a browser's very first request."""
    if request.user.is_authenticated:
        return user_key(request.user)
    if SHOPPER_SESSION_KEY in request.session or request.shopper.from_browser:
        return anonymous_key(request)
    return None


def claim_anonymous_orders(anonymous_key: str, user) -> int:
    """Give a shopper who just signed in the orders they made in this browser.

    An account has one open checkout at most: when the browser and the account each have one,
    the older is expired at Stripe and cancelled, so no payable session is left out of sight.
    """
    signed_in = user_key(user)
    claimed = Order.objects.owned_by(anonymous_key)
    for _attempt in range(3):
        open_checkouts = (
            Order.objects.owned_by(anonymous_key, signed_in)
            .open_checkouts()
            .order_by("created_at", "pk")
        )
        for older in list(open_checkouts)[:-1]:
            checkout.retire_checkout(older)
        try:
            with transaction.atomic():
                return claimed.update(owner_key=signed_in, user=user)
        except IntegrityError:
            # Another tab opened a checkout meanwhile; look again.
            continue
    return claimed.exclude(pk__in=claimed.open_checkouts()).update(owner_key=signed_in, user=user)
