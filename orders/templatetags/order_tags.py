import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string

from orders import selectors

register = template.Library()

SECTION_TEMPLATE = "orders/includes/recent_orders_section.html"
SECTION_SECONDS = 24 * 60 * 60
# Sections this process rendered or fetched lately. The key names its content, so a kept copy
# is never stale; the bound only keeps memory in check.
SECTIONS_KEPT_IN_PROCESS = 2000
_sections_in_process: dict[str, str] = {}


@register.simple_tag(takes_context=True)
def recent_orders_section(context):
    """The visitor's recent orders, rendered once per distinct list of orders and statuses.

    Everything the section shows is fixed when an order is placed except its status and
    whether payment is processing, so those (with the order ids) make the cache key: a changed
    order is a different key and never a stale entry: the process keeps the ones it used lately
    and asks the shared cache for the others.
    """
    request = context["request"]
    shown = selectors.recent_order_states(request)
    if not shown:
        return ""
    key = "recent-orders:" + hashlib.sha256(repr(shown).encode()).hexdigest()
    html = _sections_in_process.get(key)
    if html is not None:
        return html
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            SECTION_TEMPLATE, {"orders": selectors.recent_orders_for(request)}, request=request
        )
        cache.set(key, html, SECTION_SECONDS)
    if len(_sections_in_process) >= SECTIONS_KEPT_IN_PROCESS:
        _sections_in_process.clear()
    _sections_in_process[key] = html
    return html
