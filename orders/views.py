import functools
import json
import logging
import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from config import json_bodies

from . import checkout, payments, selectors, shoppers, stripe_gateway, webhooks
from .cart import Cart, CartError
from .errors import ShopError
from .models import Order, StripeEvent

logger = logging.getLogger(__name__)

CHECKOUT_SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")
MAX_WEBHOOK_BYTES = 256 * 1024


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _cart_response(request, cart: Cart, message: str, status: int = 200):
    if _wants_json(request):
        return JsonResponse({"count": cart.count, "message": message}, status=status)
    if status >= 400:
        messages.error(request, message)
        return _render_cart(request, cart, status=status)
    messages.success(request, message)
    return redirect("cart")


def _render_cart(request, cart: Cart, status: int = 200):
    lines, notices = cart.lines()
    for notice in notices:
        messages.warning(request, notice)
    return render(
        request,
        "orders/cart.html",
        {
            "lines": lines,
            "total": sum(line.line_total for line in lines),
            "cart_count": cart.count,
            "page_title": "Your cart",
        },
        status=status,
    )


@never_cache
@require_GET
def cart_detail(request):
    cart = Cart.for_request(request)
    _settle_paid_cart(request, cart, checkout.shopper_orders(shoppers.known_owner_key(request)))
    return _render_cart(request, cart)


def _settle_paid_cart(request, cart: Cart, orders: checkout.ShopperOrders) -> None:
    order = checkout.settle_paid_cart(cart, orders.unsettled)
    if order is not None:
        messages.info(
            request,
            f"We received your payment for order {order.reference}, so what it bought was "
            "taken out of your cart.",
        )


def _cart_action(action):
    @require_POST
    def view(request):
        cart = Cart.for_request(request)
        try:
            message = action(cart, request.POST)
        except CartError as error:
            return _cart_response(request, cart, error.user_message, status=400)
        return _cart_response(request, cart, message)

    view.__name__ = action.__name__
    return view


@_cart_action
def cart_add(cart, data):
    line = cart.add(data.get("product_id"), data.get("quantity", "1"), data.get("variant_id"))
    return f"{line.name} was added to your cart."


@_cart_action
def cart_update(cart, data):
    cart.set_quantity(data.get("product_id"), data.get("quantity"), data.get("variant_id"))
    return "Your cart was updated."


@_cart_action
def cart_remove(cart, data):
    cart.remove(data.get("product_id"), data.get("variant_id"))
    return "The product was removed from your cart."


@_cart_action
def cart_clear(cart, data):
    cart.clear()
    return "Your cart is now empty."


def _json_items(request) -> list[tuple[object, object]]:
    try:
        body = json_bodies.parse(request.body)
    except json_bodies.InvalidJSON as error:
        raise CartError(f"The request body must be JSON. {error}") from None
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CartError(
            'Send {"items": [{"product_id": <id>, "quantity": <n>, "variant_id": <id or null>}]}.'
        )
    return [
        (item.get("product_id"), item.get("quantity"), item.get("variant_id")) for item in items
    ]


def _public_url(request, name: str) -> str:
    path = reverse(name)
    if settings.SHOP_BASE_URL:
        return settings.SHOP_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def _checkout_urls(request) -> checkout.CheckoutUrls:
    success = _public_url(request, "checkout_success")
    return checkout.CheckoutUrls(
        success_url=f"{success}?session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=_public_url(request, "checkout_cancel"),
    )


@require_POST
def create_checkout_session(request):
    wants_json = request.content_type == "application/json"
    cart = Cart.for_request(request)
    try:
        if wants_json:
            cart.replace(_json_items(request))
        orders = checkout.shopper_orders(shoppers.known_owner_key(request))
        if not wants_json:
            _settle_paid_cart(request, cart, orders)
        order = checkout.create_checkout(
            cart, shoppers.owner_key(request), request.user, _checkout_urls(request), orders
        )
    except ShopError as error:
        status = _checkout_error_status(error)
        if status == 503 and request.session.session_key:
            # Django drops a session's changes on any 5xx answer; the shopper id made for this
            # checkout must survive, or the next click would not find the order kept for it.
            request.session.save()
        if wants_json:
            return JsonResponse({"error": error.user_message}, status=status)
        messages.error(request, error.user_message)
        return _render_cart(request, cart, status=status)
    if wants_json:
        return JsonResponse(
            {"id": order.stripe_checkout_session_id, "url": order.stripe_checkout_url}
        )
    response = HttpResponseRedirect(order.stripe_checkout_url)
    # 303 makes the browser GET Stripe's page and never re-POST the checkout form.
    response.status_code = 303
    return response


def _checkout_error_status(error: ShopError) -> int:
    if isinstance(error, checkout.CheckoutUnavailable):
        return 503
    # The cart is fine as a request; what it asks for is no longer there.
    if isinstance(error, checkout.OutOfStock):
        return 409
    return 400


def _owned_order_or_404(request, **lookup) -> Order:
    key = shoppers.known_owner_key(request)
    order = Order.objects.filter(**lookup).prefetch_related("items").first()
    if order is None or key is None or not order.is_owned_by(key):
        raise Http404("We could not find that order in this browser or account.")
    return order


@never_cache
@require_GET
def checkout_success(request):
    session_id = request.GET.get("session_id", "")
    if not CHECKOUT_SESSION_ID.match(session_id):
        raise Http404("That payment link is not valid.")
    order = _owned_order_or_404(request, stripe_checkout_session_id=session_id)
    # A settled order is shown as the database has it: refreshing the page asks Stripe nothing.
    if not order.is_checkout_settled:
        try:
            order = payments.fulfill_checkout(order)
        except stripe_gateway.StripeError:
            messages.warning(
                request,
                "We could not confirm your payment with Stripe just now. "
                "This page will show the result once it arrives; you will not be charged twice.",
            )
    paid_for = order.status == Order.Status.PAID or order.is_payment_processing
    # Prices may have changed since checkout; the cart still holds what was bought.
    if paid_for:
        Cart.for_request(request).clear_if_holding(order.line_quantities())
        if not order.cart_settled:
            checkout.mark_cart_settled(order)
    return render(
        request,
        "orders/success.html",
        {"order": order, "items": order.items.all(), "page_title": f"Order {order.reference}"},
    )


@never_cache
@require_GET
def checkout_cancel(request):
    # Stripe sends the shopper here with a GET, and so can any other site's link: nothing
    # changes. A changed cart or the next checkout closes the old session.
    messages.info(
        request, "Checkout was cancelled and you have not been charged. Your cart is saved."
    )
    return redirect("cart")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    # META rather than request.headers: Stripe's busiest path need not build every header.
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"error": "Body too large."}, status=413)
    signature = request.META.get("HTTP_STRIPE_SIGNATURE", "")
    try:
        event = stripe_gateway.construct_event(request.body, signature)
    except stripe_gateway.InvalidWebhook as error:
        logger.warning("Refused a webhook: %s", error)
        return JsonResponse({"error": str(error)}, status=400)
    record = webhooks.handle_webhook_event(event, stripe_gateway.signed_at(signature))
    status = 503 if record.outcome == StripeEvent.Outcome.FAILED else 200
    return HttpResponse(
        _webhook_answer(record.outcome), content_type="application/json", status=status
    )


@functools.cache
def _webhook_answer(outcome: str) -> bytes:
    return json.dumps({"received": True, "outcome": outcome}).encode()


@never_cache
@require_GET
def order_list(request):
    return render(
        request,
        "orders/order_list.html",
        {"orders": selectors.orders_for(request), "page_title": "Your orders"},
    )


@never_cache
@require_GET
def order_detail(request, reference):
    order = _owned_order_or_404(request, reference=reference)
    return render(
        request,
        "orders/order_detail.html",
        {"order": order, "items": order.items.all(), "page_title": f"Order {order.reference}"},
    )
