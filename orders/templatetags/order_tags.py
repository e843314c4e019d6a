import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string

from orders import selectors

register = template.Library()

SECTION_TEMPLATE = "orders/includes/recent_orders_section.html"
SECTION_SECONDS = 24 * 60 * 60


@register.simple_tag(takes_context=True)
def recent_orders_section(context):
    """The visitor's recent orders, rendered once per distinct list of orders and statuses.

    Everything the section shows is fixed when an order is placed except its status and
    whether payment is processing, so those (with the order ids) make the cache key: a changed
    order is a different key and never a stale entry.
    """
    request = context["request"]
    shown = list(selectors.recent_orders_for(request).values_list("pk", "status", "checkout_open"))
    if not shown:
        return ""
    key = "recent-orders:" + hashlib.sha256(repr(shown).encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            SECTION_TEMPLATE, {"orders": selectors.recent_orders_for(request)}, request=request
        )
        cache.set(key, html, SECTION_SECONDS)
    return html
