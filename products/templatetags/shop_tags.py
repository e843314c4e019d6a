from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def usd(amount) -> str:
    """Format a Decimal amount of dollars as the shop shows prices: $1,234.50."""
    if amount is None:
        return ""
    return f"${Decimal(amount):,.2f}"
