"""Formatting amounts given in a currency's smallest unit."""

from __future__ import annotations

# Stripe's zero-decimal currencies: amounts are already whole units.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


def format_amount(amount: int, currency: str) -> str:
    """`9999, "usd"` -> `$99.99`; unknown symbols fall back to `99.99 CHF`."""
    currency = currency.lower()
    if currency in ZERO_DECIMAL_CURRENCIES:
        number = f"{amount:,}"
    else:
        number = f"{amount // 100:,}.{amount % 100:02d}"
    symbol = _SYMBOLS.get(currency)
    if symbol is None:
        return f"{number} {currency.upper()}"
    return f"{symbol}{number}"
