import json

from django import template
from django.utils.safestring import mark_safe
from wagtail.admin.userbar import Userbar

from products import images

register = template.Library()

# As django.utils.html.json_script: nothing in the data can close the script element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag(takes_context=True)
def product_userbar(context, product):
    """Wagtail's editing bar for staff, offering to edit this product."""
    request = context.get("request")
    if request is None or not request.user.has_perm("wagtailadmin.access_admin"):
        return ""
    return Userbar(object=product).render_html(context)


@register.simple_tag
def card_picture(image, **attributes):
    """A product card's picture in WebP and JPEG at the card's two sizes."""
    return images.card_picture(image, attributes)


@register.filter
def json_ld(data) -> str:
    """Structured data for search engines, safe inside a script element."""
    encoded = json.dumps(data)
    return mark_safe(
        f'<script type="application/ld+json">{encoded.translate(JSON_SCRIPT_ESCAPES)}</script>'
    )


@register.filter
def page_url(pages, number) -> str:
    """The address of another page of a listing or of search results, keeping what they show."""
    return pages.page_url(int(number))


@register.simple_tag(takes_context=True)
def stored_part(context, part, template_name):
    """A part of the page as stored, or rendered here with the page's own context and stored."""
    if part.html is not None:
        return mark_safe(part.for_request(context["request"]))
    html = context.template.engine.get_template(template_name).render(context)
    part.store(html)
    return html
