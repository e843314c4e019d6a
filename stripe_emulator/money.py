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


# Stripe's presentment currencies (docs.stripe.com/currencies), lowercase as the API takes them.
SUPPORTED_CURRENCIES = frozenset(
    {
        "usd", "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam",
        "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn",
        "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve", "czk", "djf", "dkk",
        "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf",
        "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod",
        "jpy", "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr",
        "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk",
        "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "omr", "pab", "pen",
        "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd",
        "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd",
        "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "uyu", "uzs", "vnd", "vuv", "wst",
        "xaf", "xcd", "xcg", "xof", "xpf", "yer", "zar", "zmw",
    }
)  # fmt: skip


def major_units(amount: int, currency: str) -> int:
    """`5, "usd"` -> 500: whole units of the currency in its smallest unit."""
    return amount if currency.lower() in ZERO_DECIMAL_CURRENCIES else amount * 100


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)
