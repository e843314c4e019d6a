import functools

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
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


@register.simple_tag
def fixed_url(view_name: str) -> str:
    """`{% url %}` for a URL without arguments, worked out once per URL configuration: personal
    parts are rendered on every page a returning shopper opens, where reversing each link again
    cost more than the rest of the part."""
    return _reversed(view_name, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=64)
def _reversed(view_name: str, urlconf: str | None, script_prefix: str) -> str:
    return reverse(view_name, urlconf=urlconf)


@receiver(setting_changed)
def forget_reversed_urls(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()
