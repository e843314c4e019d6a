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

# Demo categories, each listing some starter products, so a new shop has something to browse.
DEMO_CATEGORIES = [
    {
        "slug": "audio",
        "title": "Audio",
        "intro": "<p>Headphones for the commute, the gym and the quiet evening.</p>",
        "products": ["wireless-bluetooth-headphones"],
    },
    {
        "slug": "wearables",
        "title": "Wearables",
        "intro": "<p>Gadgets you wear that keep count so you don't have to.</p>",
        "products": ["smart-fitness-watch"],
    },
    {
        "slug": "power",
        "title": "Power and charging",
        "intro": "<p>Keep every device going, at home and on the road.</p>",
        "products": ["portable-power-bank"],
    },
    {
        "slug": "clothing",
        "title": "Clothing",
        "intro": "<p>Everyday basics in sizes for everyone.</p>",
        "products": ["everyday-cotton-t-shirt"],
    },
    {
        "slug": "travel",
        "title": "Travel essentials",
        "intro": "<p>What we pack first.</p>",
        "products": ["wireless-bluetooth-headphones", "portable-power-bank"],
    },
]

# Two pictures per starter product: (title, background colour, accent colour).
DEMO_PICTURES = {
    "wireless-bluetooth-headphones": [
        ("Black over-ear headphones on a blue background", "#1f4e79", "#f2f5f9"),
        ("Headphones folded flat beside their case", "#3a6ea5", "#ffd166"),
    ],
    "smart-fitness-watch": [
        ("Fitness watch with a green strap showing a heart rate", "#2d6a4f", "#e9f5db"),
        ("The watch's face counting steps", "#40916c", "#ffffff"),
    ],
    "portable-power-bank": [
        ("Black power bank with two USB ports", "#3d3d3d", "#ffb703"),
        ("Power bank charging a phone", "#5c5c5c", "#8ecae6"),
    ],
    "everyday-cotton-t-shirt": [
        ("Black cotton T-shirt laid flat", "#222222", "#f4f1de"),
        ("White cotton T-shirt on a hanger", "#e0e0e0", "#3d405b"),
    ],
}


def demo_picture(label: str, background: str, accent: str) -> bytes:
    """A simple product-like picture drawn locally, as PNG: nothing is downloaded."""
    from io import BytesIO

    from PIL import Image, ImageDraw, ImageFont

    width, height = 1200, 900
    picture = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((300, 180, 900, 720), radius=80, fill=accent)
    draw.ellipse((480, 300, 720, 540), outline=background, width=24)
    font = ImageFont.load_default(size=96)
    draw.text((width / 2, 640), label, fill=background, font=font, anchor="mm")
    output = BytesIO()
    picture.save(output, format="PNG")
    return output.getvalue()
