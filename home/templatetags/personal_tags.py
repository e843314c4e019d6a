import functools

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from home.page_cache import personal_context, personal_marker, render_personal_part

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context, template_name: str):
    """Render a part of the page that differs per visitor, or mark its place in a cached page."""
    request = context.get("request")
    if getattr(request, "page_cache_filling", False):
        return mark_safe(personal_marker(template_name))
    return render_personal_part(template_name, personal_context(request))


@register.tag
def fixed_url(parser, token):
    """`{% url %}` for a URL without arguments, worked out once per URL configuration: personal
    parts are rendered on every page a returning shopper opens, where reversing each link again
    cost more than the rest of the part. The view's name must be written out in quotes."""
    bits = token.split_contents()
    if len(bits) != 2 or len(bits[1]) < 2 or bits[1][0] not in "'\"" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError(f"{bits[0]} takes one view name in quotes")
    return FixedUrlNode(bits[1][1:-1])


class FixedUrlNode(template.Node):
    def __init__(self, view_name: str):
        self.view_name = view_name

    def render(self, context):
        # The URL configuration and prefix are asked once per part, not once per link.
        where = context.render_context.get(FixedUrlNode)
        if where is None:
            where = context.render_context[FixedUrlNode] = (get_urlconf(), get_script_prefix())
        return _reversed(self.view_name, *where)


@functools.lru_cache(maxsize=64)
def _reversed(view_name: str, urlconf: str | None, script_prefix: str) -> str:
    # Escaped once here rather than on every page: a link is only ever written into HTML.
    return conditional_escape(reverse(view_name, urlconf=urlconf))


@receiver(setting_changed)
def forget_reversed_urls(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
