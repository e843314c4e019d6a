"""Measure the shop under gunicorn on 127.0.0.1 with PostgreSQL; prints figures, asserts nothing.

    .venv/bin/python -m bench.run [--duration 10] [--concurrency 8]

Each scenario runs for --duration seconds with --concurrency keep-alive clients split over two
processes. The minimal Django view, served by the same gunicorn in the same run, is the ceiling
every other figure is divided by.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from stripe_emulator import objects
from stripe_emulator.webhooks import signature_header

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "shop_bench"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = "redis://127.0.0.1:6379/15"
WEBHOOK_SECRET = "whsec_bench"
API_KEY = "sk_test_bench"
CSRF_TOKEN = "b" * 32
PAST_ORDERS = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def recreate_database() -> None:
    import psycopg2

    admin = psycopg2.connect("postgres://postgres@127.0.0.1:5432/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()


def prepare_data(checkout_sessions: int) -> dict:
    """Seed the shop and make the sessions, orders and events the scenarios replay."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from orders.cart import SESSION_KEY
    from orders.models import Order, OrderItem
    from orders.shoppers import SHOPPER_SESSION_KEY
    from products.models import Product

    call_command("migrate", verbosity=0)
    call_command("seed_shop", verbosity=0)
    bank = Product.objects.get(slug="portable-power-bank")

    def session_with(**data) -> str:
        session = SessionStore()
        session.update(data)
        session.create()
        return session.session_key

    regular = session_with(**{SHOPPER_SESSION_KEY: "bench-regular"})
    for index in range(PAST_ORDERS):
        order = Order.objects.create(
            owner_key="session:bench-regular",
            status=Order.Status.PAID,
            total=bank.price,
            cart_fingerprint="0" * 64,
            checkout_open=False,
            checkout_expires_at=timezone.now(),
            stripe_checkout_session_id=f"cs_test_bench_past_{index}",
            stripe_payment_intent_id=f"pi_bench_past_{index}",
        )
        OrderItem.objects.create(
            order=order, product=bank, product_name=bank.name, unit_price=bank.price, quantity=1
        )
    shoppers = [
        session_with(**{SHOPPER_SESSION_KEY: f"bench-{index}", SESSION_KEY: {str(bank.pk): 1}})
        for index in range(checkout_sessions)
    ]
    carts = [session_with() for _ in range(64)]
    paid = Order.objects.get(stripe_checkout_session_id="cs_test_bench_past_0")
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "regular": regular,
        "shoppers": shoppers,
        "carts": carts,
        "product_ids": list(Product.objects.live().values_list("pk", flat=True)),
        "paid_session": paid.stripe_checkout_session_id,
        "paid_total": paid.total_in_cents,
    }


def cookie(data, session_key) -> str:
    return f"{data['cookie_name']}={session_key}; csrftoken={CSRF_TOKEN}"


def request_for(scenario: str, data: dict, client_id: int, count: int):
    """The next request a client sends in a scenario: (method, path, body, headers)."""
    if scenario == "minimal view":
        return "GET", "/bench/minimal/", None, {}
    if scenario == "home, new visitor":
        return "GET", "/", None, {}
    if scenario == "home, 50 past orders":
        return "GET", "/", None, {"Cookie": cookie(data, data["regular"])}
    if scenario == "add to cart":
        session = data["carts"][client_id % len(data["carts"])]
        if count % 90 == 89:
            path, form = "/cart/clear/", ""
        else:
            path, form = "/cart/add/", f"product_id={data['product_ids'][0]}&quantity=1"
        headers = {
            "Cookie": cookie(data, session),
            "X-CSRFToken": CSRF_TOKEN,
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": "http://127.0.0.1/",
        }
        return "POST", path, form.encode(), headers
    if scenario == "create checkout session":
        shoppers = data["shoppers"]
        session = shoppers[(count * data["clients"] + client_id) % len(shoppers)]
        headers = {
            "Cookie": cookie(data, session),
            "X-CSRFToken": CSRF_TOKEN,
            "Referer": "http://127.0.0.1/",
        }
        return "POST", "/create-checkout-session/", b"", headers
    if scenario == "verified webhook":
        paid = objects.checkout_session(
            data["paid_session"], amount_total=data["paid_total"], payment_intent="pi_bench_past_0"
        )
        event_id = f"evt_bench_{client_id}_{count}_{secrets.token_hex(4)}"
        body = json.dumps(objects.event("checkout.session.completed", paid, event_id)).encode()
        headers = {
            "Content-Type": "application/json",
            "Stripe-Signature": signature_header(body, WEBHOOK_SECRET),
        }
        return "POST", "/webhook/", body, headers
    raise ValueError(scenario)


def client_process(port, scenario, data, first_client, clients, duration, queue):
    results = []
    deadline = time.monotonic() + duration

    def client(client_id):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        count, latencies, errors = 0, [], 0
        while time.monotonic() < deadline:
            method, path, body, headers = request_for(scenario, data, client_id, count)
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = time.perf_counter() - started
            if response.status >= 400:
                errors += 1
            elif not path.startswith("/cart/clear/"):
                latencies.append(elapsed)
            if response.will_close:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            count += 1
        results.append((latencies, errors))

    threads = [
        threading.Thread(target=client, args=(first_client + index,)) for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def measure(port, scenario, data, duration, concurrency) -> dict:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    per_process = [concurrency // 2, concurrency - concurrency // 2]
    processes = [
        context.Process(
            target=client_process,
            args=(port, scenario, data, sum(per_process[:index]), clients, duration, queue),
        )
        for index, clients in enumerate(per_process)
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    results = [item for _ in processes for item in queue.get()]
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    latencies = sorted(latency for latency_list, _ in results for latency in latency_list)
    errors = sum(errors for _, errors in results)
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.quantiles(latencies, n=100)[49] * 1000 if latencies else float("nan"),
        "p99": statistics.quantiles(latencies, n=100)[98] * 1000 if latencies else float("nan"),
        "requests": len(latencies),
        "errors": errors,
    }


def checkout_overhead_p50(data: dict, samples: int = 200) -> tuple[float, float]:
    """p50 of a whole checkout request, and of it minus the time spent waiting for Stripe."""
    from django.test import Client

    from orders import stripe_gateway

    create = stripe_gateway.create_checkout_session
    stripe_time = []

    def timed_create(*args, **kwargs):
        started = time.perf_counter()
        try:
            return create(*args, **kwargs)
        finally:
            stripe_time.append(time.perf_counter() - started)

    stripe_gateway.create_checkout_session = timed_create
    totals, overheads = [], []
    try:
        for index in range(samples):
            method, path, body, headers = request_for(
                "create checkout session", data, client_id=19700 + index, count=0
            )
            client = Client()
            for part in headers["Cookie"].split("; "):
                name, value = part.split("=", 1)
                client.cookies[name] = value
            started = time.perf_counter()
            client.post(path, HTTP_X_CSRFTOKEN=headers["X-CSRFToken"])
            total = time.perf_counter() - started
            totals.append(total)
            overheads.append(total - stripe_time.pop())
    finally:
        stripe_gateway.create_checkout_session = create
    return statistics.median(totals) * 1000, statistics.median(overheads) * 1000


def queries_per_request(data) -> dict:
    """SQL queries for one request of each scenario, through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    def send(client, method, path, body, headers):
        for part in filter(None, headers.get("Cookie", "").split("; ")):
            name, value = part.split("=", 1)
            client.cookies[name] = value
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        content_type = headers.get("Content-Type", "application/octet-stream")
        return client.generic(method, path, body or b"", content_type=content_type, **extra)

    counts = {}
    for scenario in SCENARIOS:
        send(Client(), *request_for(scenario, data, client_id=99998, count=0))
        with CaptureQueriesContext(connection) as captured:
            send(Client(), *request_for(scenario, data, client_id=99999, count=0))
        counts[scenario] = len(captured)
    return counts


SCENARIOS = [
    "minimal view",
    "home, new visitor",
    "home, 50 past orders",
    "add to cart",
    "create checkout session",
    "verified webhook",
]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    return parser.parse_args()


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config=config/gunicorn.conf.py"]
        + [f"--bind=127.0.0.1:{port}", f"--workers={workers}"]
        + ["--max-requests=0"],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_listening(port: int, seconds: float = 30) -> None:
    """Until the server accepts connections or the time is up; a dead one shows in the figures."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


def print_results(figures: dict, counts: dict, checkout_p50: float, overhead_p50: float) -> None:
    ceiling = figures["minimal view"]["rps"]
    print(
        f"\n{'scenario':26} {'req/s':>8} {'of minimal':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'queries':>8} {'errors':>7}"
    )
    for scenario, figure in figures.items():
        print(
            f"{scenario:26} {figure['rps']:8.0f} {figure['rps'] / ceiling:10.0%} "
            f"{figure['p50']:8.1f} {figure['p99']:8.1f} {counts[scenario]:8d} {figure['errors']:7d}"
        )
    print(
        f"\ncheckout creation, one request at a time: p50 {checkout_p50:.1f} ms, of which "
        f"{checkout_p50 - overhead_p50:.1f} ms waiting for the emulator; shop overhead p50 "
        f"{overhead_p50:.1f} ms"
    )


def main() -> int:
    arguments = parse_arguments()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    from stripe_emulator.server import StripeEmulator

    emulator = StripeEmulator(async_settle_seconds=None).start()
    recreate_database()
    setup_django(emulator.base_url)
    data = prepare_data(checkout_sessions=20000)
    data["clients"] = arguments.concurrency
    counts = queries_per_request(data)

    port = free_port()
    server = start_gunicorn(port, arguments.gunicorn_workers)
    try:
        wait_until_listening(port)
        print(
            f"gunicorn (config/gunicorn.conf.py): {arguments.gunicorn_workers} sync workers on "
            f"127.0.0.1:{port}; "
            f"{arguments.concurrency} clients; {arguments.duration:.0f} s per scenario; "
            f"{os.cpu_count()} cores"
        )
        measure(port, "minimal view", data, 2, arguments.concurrency)
        figures = {
            scenario: measure(port, scenario, data, arguments.duration, arguments.concurrency)
            for scenario in SCENARIOS
        }
        checkout_p50, overhead_p50 = checkout_overhead_p50(data)
    finally:
        server.terminate()
        server.wait(timeout=30)
        emulator.stop()

    print_results(figures, counts, checkout_p50, overhead_p50)
    return 0


if __name__ == "__main__":
    sys.exit(main())
