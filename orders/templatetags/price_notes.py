from django import template

from orders.models import CheckoutSettings

register = template.Library()


@register.simple_tag(takes_context=True)
def price_tax_note(context) -> str:
    """ "incl. tax" or "+ tax" beside a price, as the checkout settings say Stripe charges it."""
    request = context.get("request")
    return CheckoutSettings.for_request(request).price_tax_note if request else ""
