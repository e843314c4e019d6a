from django import template

from shop.money import format_money, format_shop_money

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """`{{ price|money }}` in the shop's currency; `{{ order.total|money:order.currency }}`."""
    if not currency:
        return format_shop_money(amount)
    return format_money(amount, currency)
