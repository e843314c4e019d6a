"""The products every new shop starts with."""

from decimal import Decimal

STARTER_PRODUCTS = [
    {
        "slug": "wireless-bluetooth-headphones",
        "name": "Wireless Bluetooth Headphones",
        "price": Decimal("99.99"),
        "summary": "High-quality wireless headphones with noise cancellation and 30-hour "
        "battery life.",
        "sort_order": 10,
    },
    {
        "slug": "smart-fitness-watch",
        "name": "Smart Fitness Watch",
        "price": Decimal("199.99"),
        "summary": "Track your workouts, heart rate, and sleep with this advanced fitness watch.",
        "sort_order": 20,
    },
    {
        "slug": "portable-power-bank",
        "name": "Portable Power Bank",
        "price": Decimal("49.99"),
        "summary": "20000mAh power bank with fast charging and multiple USB ports.",
        "sort_order": 30,
    },
]
