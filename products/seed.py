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

# A product sold in variants, with counted stock and one variant sold out, to show both.
STARTER_PRODUCT_WITH_VARIANTS = {
    "slug": "everyday-cotton-t-shirt",
    "name": "Everyday Cotton T-Shirt",
    "price": Decimal("24.00"),
    "summary": "Soft organic cotton in a relaxed fit, in black or white.",
    "sort_order": 40,
}
STARTER_VARIANTS = [
    {"options": "Size S, Black", "sku": "TEE-BLK-S", "track_stock": True, "on_hand": 12},
    {"options": "Size M, Black", "sku": "TEE-BLK-M", "track_stock": True, "on_hand": 3},
    {"options": "Size L, Black", "sku": "TEE-BLK-L", "track_stock": True, "on_hand": 0},
    {
        "options": "Size M, White",
        "sku": "TEE-WHT-M",
        "price": Decimal("26.00"),
        "track_stock": False,
        "on_hand": 0,
    },
]
