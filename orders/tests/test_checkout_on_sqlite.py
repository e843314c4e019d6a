"""The shop run locally (`make run`) keeps its data in SQLite: a shopper can check out there too.

The hot paths read rows with prepared statements written for PostgreSQL; on SQLite they run as
plain statements, and their values (decimals, times, flags) must come back as the ORM's would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECKOUT_IN_A_LOCAL_SHOP = """
import json

import django

django.setup()
from django.core.management import call_command
from django.test import Client

from orders.models import Order
from products.models import Product

call_command("migrate", verbosity=0)
call_command("seed_shop", verbosity=0)
client = Client(HTTP_HOST="localhost")
bank = Product.objects.get(slug="portable-power-bank")
added = client.post("/cart/add/", {"product_id": bank.pk, "quantity": 2})
cart = client.get("/cart/")
first = client.post("/create-checkout-session/")
again = client.post("/create-checkout-session/")
order = Order.objects.get()
print(json.dumps({
    "statuses": [added.status_code, cart.status_code, first.status_code, again.status_code],
    "locations": [first["Location"], again["Location"]],
    "orders": Order.objects.count(),
    "total": str(order.total),
    "items": [
        [item.product_name, item.quantity, str(item.unit_price)] for item in order.items.all()
    ],
    "checkout_url": order.stripe_checkout_url,
}))
"""


def test_a_shopper_checks_out_in_a_local_shop_on_sqlite(tmp_path, stripe_emulator):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        "REDIS_URL": "",
        "STRIPE_API_BASE": stripe_emulator.base_url,
        "STRIPE_SECRET_KEY": "sk_test_suite",
        "STRIPE_WEBHOOK_SECRET": "whsec_local",
    }
    finished = subprocess.run(
        [sys.executable, "-c", CHECKOUT_IN_A_LOCAL_SHOP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    seen = json.loads(finished.stdout.strip().splitlines()[-1])

    assert seen["statuses"] == [302, 200, 303, 303]
    # The second click finds the open checkout and sends the shopper to the same page.
    assert seen["orders"] == 1
    assert seen["locations"] == [seen["checkout_url"], seen["checkout_url"]]
    assert seen["checkout_url"].startswith(stripe_emulator.base_url)
    assert seen["total"] == "99.98"
    assert seen["items"] == [["Portable Power Bank", 2, "49.99"]]
