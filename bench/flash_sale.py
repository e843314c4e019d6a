"""A flash sale: many shoppers at once racing through the real checkout for a few units.

    .venv/bin/python -m bench.flash_sale [--shoppers 200] [--units 50] [--abandon 5]

Two gunicorn servers share one fresh PostgreSQL database (`shop_flash_sale`) and the offline
Stripe emulator. Every shopper has one unit in the cart and posts the checkout at the same
moment, spread over both servers. Those who got a Checkout page pay on it (Stripe's webhooks go
to the first server), except `--abandon` of them, whose sessions expire; the shoppers turned
away then try once more, all at once, for the units those released, and pay. Prints what was
paid, held, released and oversold, the server errors, and checkout creation's p50/p99; asserts
nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.run import free_port, start_gunicorn, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "shop_flash_sale"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/14"
WEBHOOK_SECRET = "whsec_flash_sale"
API_KEY = "sk_test_flash_sale"
CSRF_TOKEN = "f" * 32
PRODUCT_SLUG = "flash-sale-sneakers"
# Shoppers paying on Stripe's page at the same moment: the emulator's listen queue is short.
PAYING_AT_ONCE = 8


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--abandon", type=int, default=5, help="holders who never pay")
    parser.add_argument("--gunicorn-workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    return parser.parse_args()


def recreate_database() -> None:
    import psycopg2

    admin = psycopg2.connect("postgres://postgres@127.0.0.1:5432/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()


def setup_django(stripe_api_base: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        STRIPE_API_BASE=stripe_api_base,
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    import django

    django.setup()
    from django.core.cache import cache

    cache.clear()


def prepare_sale(shoppers: int, units: int) -> list[str]:
    """Seed the shop, put `units` of one product on sale, and give each shopper a session whose
    cart holds one; return their cookies."""
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from orders.cart import SESSION_KEY
    from orders.models import line_key
    from orders.shoppers import SHOPPER_SESSION_KEY
    from products.models import Product, StockLevel

    call_command("migrate", verbosity=0)
    call_command("seed_shop", verbosity=0)
    product = Product(
        name="Flash Sale Sneakers",
        slug=PRODUCT_SLUG,
        summary="Fifty pairs, one morning.",
        price=Decimal("89.00"),
        track_stock=True,
        live=False,
    )
    product.save()
    product.save_revision().publish()
    StockLevel.objects.filter(product=product).update(on_hand=units)
    cookies = []
    for index in range(shoppers):
        session = SessionStore()
        session[SHOPPER_SESSION_KEY] = f"flash-{index}"
        session[SESSION_KEY] = {line_key(product.pk): 1}
        session.create()
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={CSRF_TOKEN}"
        )
    return cookies


class KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post_checkout(base_url: str, cookie: str) -> tuple[int, float]:
    request = urllib.request.Request(
        f"{base_url}/create-checkout-session/",
        data=b"",
        headers={"Cookie": cookie, "X-CSRFToken": CSRF_TOKEN, "Referer": f"{base_url}/"},
    )
    opener = urllib.request.build_opener(KeepRedirects)
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=120) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0
    return status, time.perf_counter() - started


def all_at_once(count: int, job) -> list:
    """Run job(index) from `count` threads released together; return the results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        barrier.wait()
        results[index] = job(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def checkout_wave(servers: list[str], cookies: list[str]) -> list[tuple[int, float]]:
    return all_at_once(
        len(cookies), lambda index: post_checkout(servers[index % len(servers)], cookies[index])
    )


def open_sessions() -> list[str]:
    from orders.models import Order

    return list(
        Order.objects.open_checkouts()
        .exclude(stripe_checkout_session_id=None)
        .order_by("pk")
        .values_list("stripe_checkout_session_id", flat=True)
    )


def pay_and_abandon(control, sessions: list[str], abandon: int) -> None:
    """The holders pay on Stripe's page, except `abandon`, whose sessions expire; return when
    the shop has heard of every one through its webhook."""
    paying, leaving = sessions[abandon:], sessions[:abandon]
    for session_id in leaving:
        control.expire_sessions(session_id)
    with ThreadPoolExecutor(PAYING_AT_ONCE) as pool:
        list(pool.map(lambda session_id: control.complete_session(session_id, "paid"), paying))
    wait_until_settled(sessions)


def wait_until_settled(sessions: list[str], seconds: float = 120) -> None:
    from orders.models import Order

    deadline = time.monotonic() + seconds
    pending = Order.objects.filter(
        stripe_checkout_session_id__in=sessions, status=Order.Status.PENDING
    )
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.2)


def start_emulator(port: int, webhook_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", f"--port={port}"]
        + [f"--webhook-url={webhook_url}", f"--webhook-secret={WEBHOOK_SECRET}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def warm_up(urls: list[str]) -> None:
    """Every worker has served a product page before the sale opens."""
    with ThreadPoolExecutor(16) as pool:
        for url in urls * 40:
            pool.submit(urllib.request.urlopen, f"{url}/products/{PRODUCT_SLUG}/", timeout=30)


def percentile(values: list[float], fraction: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100)[round(fraction * 100) - 1] * 1000


def outcome(units: int) -> dict:
    from django.db.models import Sum

    from orders.models import Order, OrderItem
    from products.models import StockLevel

    level = StockLevel.objects.get(product__slug=PRODUCT_SLUG)
    paid_units = (
        OrderItem.objects.filter(
            order__status=Order.Status.PAID, product__slug=PRODUCT_SLUG
        ).aggregate(units=Sum("quantity"))["units"]
        or 0
    )
    return {
        "paid orders": Order.objects.filter(status=Order.Status.PAID).count(),
        "paid units": paid_units,
        "held": level.held,
        "released": Order.objects.filter(stock_hold=Order.StockHold.RELEASED).count(),
        "on hand": level.on_hand,
        "oversold": max(0, paid_units - units),
        "flagged oversold": Order.objects.filter(review_reasons__contains="Oversold").count(),
    }


def main() -> int:
    arguments = parse_arguments()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    from stripe_emulator.testing import EmulatorControl

    emulator_port = free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    recreate_database()
    setup_django(emulator_url)
    cookies = prepare_sale(arguments.shoppers, arguments.units)
    control = EmulatorControl(emulator_url, timeout=60)

    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    # Its own process, so the shoppers' threads here never slow Stripe's side down.
    emulator = start_emulator(emulator_port, f"{urls[0]}/webhook/")
    servers = [start_gunicorn(port, arguments.gunicorn_workers, "bench.settings") for port in ports]
    try:
        for port in [*ports, emulator_port]:
            wait_until_listening(port)
        warm_up(urls)
        print(
            f"{arguments.shoppers} shoppers, {arguments.units} units; two gunicorn servers "
            f"(config/gunicorn.conf.py, {arguments.gunicorn_workers} sync workers each) on one "
            f"PostgreSQL; {os.cpu_count()} cores"
        )
        first = checkout_wave(urls, cookies)
        pay_and_abandon(control, open_sessions(), arguments.abandon)
        turned_away = [
            cookie for cookie, (status, _) in zip(cookies, first, strict=True) if status != 303
        ]
        second = checkout_wave(urls, turned_away) if turned_away else []
        pay_and_abandon(control, open_sessions(), 0)
        deliveries = control.deliveries()
    finally:
        for process in [*servers, emulator]:
            process.terminate()
            process.wait(timeout=30)

    print_results(arguments.units, first, second, deliveries)
    return 0


def print_results(units: int, first: list, second: list, deliveries: list) -> None:
    def statuses(wave):
        counts = {}
        for status, _ in wave:
            counts[status] = counts.get(status, 0) + 1
        return ", ".join(f"{count}×{status}" for status, count in sorted(counts.items()))

    latencies = sorted(seconds for _, seconds in first)
    webhook_5xx = sum(1 for attempt in deliveries if (attempt["status"] or 0) >= 500)
    webhooks_failed = sum(1 for attempt in deliveries if not attempt["succeeded"])
    figures = outcome(units)
    server_errors = sum(1 for status, _ in first + second if status >= 500 or status == 0)
    print(f"\nfirst wave: {statuses(first)}")
    print(f"second wave (shoppers turned away, for the released units): {statuses(second)}")
    print(
        f"checkout creation, first wave: p50 {percentile(latencies, 0.5):.0f} ms, "
        f"p99 {percentile(latencies, 0.99):.0f} ms"
    )
    for status, meaning in [(303, "sent to Stripe"), (409, "told it is sold out")]:
        answered = sorted(seconds for code, seconds in first if code == status)
        print(
            f"  {meaning}: p50 {percentile(answered, 0.5):.0f} ms, "
            f"p99 {percentile(answered, 0.99):.0f} ms"
        )
    for name, value in figures.items():
        print(f"{name:>18}: {value}")
    print(
        f"{'5xx':>18}: {server_errors} checkout, {webhook_5xx} webhook "
        f"({len(deliveries)} webhook deliveries, {webhooks_failed} not answered 2xx)"
    )


if __name__ == "__main__":
    sys.exit(main())
