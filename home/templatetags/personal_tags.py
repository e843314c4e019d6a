from django import template
from django.utils.safestring import mark_safe

from home.page_cache import personal_marker

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context, template_name: str):
    """Render a part of the page that differs per visitor, or mark its place in a cached page."""
    request = context.get("request")
    if getattr(request, "page_cache_filling", False):
        return mark_safe(personal_marker(template_name))
    return context.template.engine.get_template(template_name).render(context)
