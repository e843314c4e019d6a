"""Amounts of money as people read them: the currency's symbol, separators and decimals."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}
# Currencies whose smallest unit is not a hundredth, as Stripe lists them.
DECIMAL_PLACES = {
    **dict.fromkeys(
        ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"]
        + ["pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"],
        0,
    ),
    **dict.fromkeys(["bhd", "jod", "kwd", "omr", "tnd"], 3),
}


def format_money(amount: Decimal | int | str | None, currency: str) -> str:
    """`1234.5, "usd"` -> `$1,234.50`; a currency without a symbol here -> `1,234.50 CHF`."""
    if amount is None:
        return ""
    code = currency.lower()
    places = DECIMAL_PLACES.get(code, 2)
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    number = f"{rounded:,.{places}f}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{number}" if symbol else f"{number} {code.upper()}"


def format_shop_money(amount: Decimal | int | str | None) -> str:
    """An amount in the shop's own currency (SHOP_CURRENCY), for prices and carts."""
    return format_money(amount, settings.SHOP_CURRENCY)
