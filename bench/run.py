"""Measure the shop under gunicorn on 127.0.0.1 with PostgreSQL; prints figures, asserts nothing.

    .venv/bin/python -m bench.run [--duration 10] [--rounds 5] [--concurrency 16] [--markdown]

$BENCH_DATABASE and $BENCH_REDIS_DB choose another database and Redis number (shop_bench, 15).

Each load runs for --duration seconds with --concurrency keep-alive clients split over two
processes, in --rounds slices taken in turn with every other load, after 2 s unmeasured. Two
floors are served in the same run by a second gunicorn (bench.floor_settings): a bare Django view
with no middleware, and a view storing its body in one durable INSERT and COMMIT on the same
database. Every load is printed as its share of the requests a second of its reference load
served in this run, beside its target: on a shared machine only ratios within one run compare.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stripe_emulator import objects
from stripe_emulator.webhooks import signature_header

ROOT = Path(__file__).resolve().parent.parent
# Overridable so that two copies of the shop can be measured on one machine without sharing data.
DATABASE = os.environ.get("BENCH_DATABASE", "shop_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '15')}"
WEBHOOK_SECRET = "whsec_bench"
API_KEY = "sk_test_bench"
CSRF_TOKEN = "b" * 32
PAST_ORDERS = 50
# The shopper cookie of the browser that placed them, which the shop gave it on its first visit.
REGULAR_SHOPPER_ID = "bench-regular-shopper-0123456789"
REPEATED_EVENTS = 50
# How long after its event a repeated delivery comes.
RETRY_AFTER_SECONDS = 60 * 60
# Stands for a paying event's creation time until it is sent.
CREATED_PLACEHOLDER = b"1000000001"
PAYABLE_ORDERS = 20000


@dataclass(frozen=True)
class Scenario:
    name: str
    # "floor": the second gunicorn serving bench.floor_settings; "shop": the shop.
    server: str
    reference: str | None = None
    target: float | None = None


SCENARIOS = [
    Scenario("bare view", "floor"),
    Scenario("durable write", "floor"),
    Scenario("minimal view", "shop", "bare view", 0.75),
    Scenario("home, new visitor", "shop", "minimal view", 0.80),
    Scenario("home, 50 past orders", "shop", "minimal view", 0.60),
    Scenario("webhook, repeated event", "shop", "durable write", 0.85),
    Scenario("webhook, paying an order", "shop", "durable write", 0.60),
    Scenario("add to cart", "shop", "minimal view"),
    Scenario("create checkout session", "shop", "minimal view"),
]
DESCRIPTIONS = {
    "bare view": "bare Django view, no middleware (floor)",
    "durable write": "one INSERT + COMMIT of the request body (floor)",
    "minimal view": "the shop's minimal view, whole middleware stack",
    "home, new visitor": "home page, new visitor",
    "home, 50 past orders": "home page, visitor with 50 past orders",
    "webhook, repeated event": f"verified webhook, repeats of {REPEATED_EVENTS} events",
    "webhook, paying an order": "verified webhook, first delivery paying an order",
    "add to cart": "add to cart",
    "create checkout session": "create Checkout Session (emulator)",
}
CHECKOUT_OVERHEAD_TARGET_MS = 5.0


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
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import floor_settings
    from orders import webhooks
    from orders.cart import SESSION_KEY
    from orders.models import Order, OrderItem
    from orders.shoppers import ANONYMOUS_PREFIX, SHOPPER_SESSION_KEY
    from orders.shoppers import COOKIE_NAME as SHOPPER_COOKIE_NAME
    from products.models import Product

    call_command("migrate", verbosity=0)
    call_command("seed_shop", verbosity=0)
    bank = Product.objects.get(slug="portable-power-bank")

    # Stored by the shop's own session engine, in the cache as well as the database, as a
    # shopper's session is by the time they check out: each page they opened before read it.
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    def session_with(**data) -> str:
        session = SessionStore()
        session.update(data)
        session.create()
        return session.session_key

    # A returning browser's session, its cart emptied by its last checkout.
    regular = session_with(**{SESSION_KEY: {}})
    for index in range(PAST_ORDERS):
        order = Order.objects.create(
            owner_key=f"{ANONYMOUS_PREFIX}{REGULAR_SHOPPER_ID}",
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
    repeated_events = [
        signed_event_body(
            "checkout.session.completed",
            objects.checkout_session(
                paid.stripe_checkout_session_id,
                amount_total=paid.total_in_cents,
                payment_intent="pi_bench_past_0",
            ),
            f"evt_bench_repeated_{index}",
            # Stripe sends an event again after a failed attempt and a back-off.
            created=int(time.time()) - RETRY_AFTER_SECONDS,
        )
        for index in range(REPEATED_EVENTS)
    ]
    for body in repeated_events:
        webhooks.handle_webhook_event(json.loads(body))
    payable = Order.objects.bulk_create(
        Order(
            owner_key=f"session:bench-payer-{index}",
            total=bank.price,
            cart_fingerprint="1" * 64,
            checkout_expires_at=timezone.now() + timedelta(days=1),
            stripe_checkout_session_id=f"cs_test_bench_payable_{index}",
        )
        for index in range(PAYABLE_ORDERS)
    )
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order, product=bank, product_name=bank.name, unit_price=bank.price, quantity=1
        )
        for order in payable
    )
    with connection.cursor() as cursor:
        cursor.execute(floor_settings.CREATE_TABLE)
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "regular": regular,
        "shopper": f"{SHOPPER_COOKIE_NAME}={REGULAR_SHOPPER_ID}",
        "shoppers": shoppers,
        "carts": carts,
        "product_ids": list(Product.objects.live().values_list("pk", flat=True)),
        "repeated_events": repeated_events,
        "paying_events": [
            _paying_event_body(index, payable[0].total_in_cents) for index in range(PAYABLE_ORDERS)
        ],
        "synchronous_commit": synchronous_commit,
    }


def _paying_event_body(index: int, total_in_cents: int) -> bytes:
    """The event paying the index-th payable order, its creation time left to fill in: built
    beforehand, as the durable write's bodies are, so that the clients' work is alike."""
    session = objects.checkout_session(
        f"cs_test_bench_payable_{index}",
        amount_total=total_in_cents,
        payment_intent=f"pi_bench_payable_{index}",
        customer_email="shopper@example.com",
    )
    created = int(CREATED_PLACEHOLDER)
    body = signed_event_body(
        "checkout.session.completed", session, f"evt_bench_paying_{index}", created
    )
    assert body.count(CREATED_PLACEHOLDER) == 1
    return body


def signed_event_body(
    event_type: str, data_object: dict, event_id: str, created: int | None = None
) -> bytes:
    return json.dumps(objects.event(event_type, data_object, event_id, created=created)).encode()


def webhook_headers(body: bytes) -> dict:
    return {
        "Content-Type": "application/json",
        "Stripe-Signature": signature_header(body, WEBHOOK_SECRET),
    }


def cookie(data, session_key) -> str:
    return f"{data['cookie_name']}={session_key}; csrftoken={CSRF_TOKEN}"


def request_for(scenario: str, data: dict, client_id: int, count: int):
    """The next request a client sends in a scenario: (method, path, body, headers)."""
    if scenario == "bare view":
        return "GET", "/floor/bare/", None, {}
    if scenario == "durable write":
        body = data["repeated_events"][(client_id + count) % REPEATED_EVENTS]
        return "POST", "/floor/durable-write/", body, {"Content-Type": "application/json"}
    if scenario == "minimal view":
        return "GET", "/bench/minimal/", None, {}
    if scenario == "home, new visitor":
        return "GET", "/", None, {}
    if scenario == "home, 50 past orders":
        return "GET", "/", None, {"Cookie": f"{cookie(data, data['regular'])}; {data['shopper']}"}
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
    if scenario == "webhook, repeated event":
        body = data["repeated_events"][(client_id + count) % REPEATED_EVENTS]
        return "POST", "/webhook/", body, webhook_headers(body)
    if scenario == "webhook, paying an order":
        index = (count * data["clients"] + client_id) % PAYABLE_ORDERS
        # Created as it is sent, as a first delivery is.
        body = data["paying_events"][index].replace(
            CREATED_PLACEHOLDER, str(int(time.time())).encode()
        )
        return "POST", "/webhook/", body, webhook_headers(body)
    raise ValueError(scenario)


def client_process(port, scenario, data, first_client, clients, first_counts, duration, queue):
    results = []
    deadline = time.monotonic() + duration

    def client(client_id):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        count, latencies, errors = first_counts.get(client_id, 0), [], 0
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
        results.append((client_id, latencies, errors, count))

    threads = [
        threading.Thread(target=client, args=(first_client + index,)) for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def measure(port, scenario, data, duration, concurrency, first_counts=None) -> dict:
    """One slice of a load: its latencies, errors and the count each client should go on from
    (a client's requests follow its own count: a cart is emptied every so many of its adds)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    per_process = [concurrency // 2, concurrency - concurrency // 2]
    processes = [
        context.Process(
            target=client_process,
            args=(
                port,
                scenario,
                data,
                sum(per_process[:index]),
                clients,
                first_counts or {},
                duration,
                queue,
            ),
        )
        for index, clients in enumerate(per_process)
    ]
    for process in processes:
        process.start()
    results = [item for _ in processes for item in queue.get()]
    for process in processes:
        process.join()
    return {
        "latencies": [latency for _, latencies, _, _ in results for latency in latencies],
        "errors": sum(errors for _, _, errors, _ in results),
        "next_counts": {client_id: count for client_id, _, _, count in results},
        "seconds": duration,
    }


def measure_interleaved(ports, data, duration, concurrency, rounds, next_counts) -> dict:
    """Every load in turn, `rounds` times over, each slice duration / rounds long: other work on
    a shared machine comes and goes, and this way it weighs on every load alike. Each load's
    clients go on from `next_counts`, where its warm-up left them."""
    slices = {scenario.name: [] for scenario in SCENARIOS}
    for _ in range(rounds):
        for scenario in SCENARIOS:
            measured = measure(
                ports[scenario.server],
                scenario.name,
                data,
                duration / rounds,
                concurrency,
                next_counts[scenario.name],
            )
            next_counts[scenario.name] = measured["next_counts"]
            slices[scenario.name].append(measured)
    figures = {}
    for name, measured in slices.items():
        latencies = sorted(latency for item in measured for latency in item["latencies"])
        quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else None
        figures[name] = {
            "rps": len(latencies) / sum(item["seconds"] for item in measured),
            "p50": quantiles[49] * 1000 if quantiles else float("nan"),
            "p99": quantiles[98] * 1000 if quantiles else float("nan"),
            "requests": len(latencies),
            "errors": sum(item["errors"] for item in measured),
        }
    return figures


def checkout_overhead_p50(data: dict, samples: int = 200) -> dict:
    """Medians, one request at a time, of a whole checkout request and of the time inside
    create_checkout, each with and without the time spent waiting for Stripe.

    Waiting for Stripe is the time the SDK's HTTP client spends on a request, retries included:
    building the SDK's client, encoding the parameters and reading the answer are the shop's.
    """
    import stripe
    from django.test import Client

    from orders import checkout

    send_to_stripe, create_checkout = (
        stripe.RequestsClient.request_with_retries,
        checkout.create_checkout,
    )
    stripe_time, service_time = [], []

    def timed(function, spent):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent.append(time.perf_counter() - started)

        return call

    stripe.RequestsClient.request_with_retries = timed(send_to_stripe, stripe_time)
    checkout.create_checkout = timed(create_checkout, service_time)
    totals, request_overheads, service_overheads = [], [], []
    # One client for all samples, as a server builds its middleware once: a new test client
    # builds it again on its first request.
    client = Client()
    try:
        for index in range(samples):
            method, path, body, headers = request_for(
                "create checkout session", data, client_id=19700 + index, count=0
            )
            client.cookies.clear()
            for part in headers["Cookie"].split("; "):
                name, value = part.split("=", 1)
                client.cookies[name] = value
            started = time.perf_counter()
            client.post(path, HTTP_X_CSRFTOKEN=headers["X-CSRFToken"])
            total = time.perf_counter() - started
            waited = sum(stripe_time)
            stripe_time.clear()
            totals.append(total)
            request_overheads.append(total - waited)
            service_overheads.append(service_time.pop() - waited)
    finally:
        stripe.RequestsClient.request_with_retries = send_to_stripe
        checkout.create_checkout = create_checkout
    return {
        "request": statistics.median(totals) * 1000,
        "request overhead": statistics.median(request_overheads) * 1000,
        "service overhead": statistics.median(service_overheads) * 1000,
    }


def queries_per_request(data) -> dict:
    """SQL statements for one request of each of the shop's scenarios, through Django's test
    client (transaction control included)."""
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
        if scenario.server != "shop":
            continue
        send(Client(), *request_for(scenario.name, data, client_id=99998, count=0))
        with CaptureQueriesContext(connection) as captured:
            send(Client(), *request_for(scenario.name, data, client_id=99999, count=0))
        counts[scenario.name] = len(captured)
    return counts


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="slices each load is measured in")
    parser.add_argument("--markdown", action="store_true", help="also print the README's table")
    return parser.parse_args()


def start_gunicorn(port: int, workers: int, settings_module: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config=config/gunicorn.conf.py"]
        + [f"--bind=127.0.0.1:{port}", f"--workers={workers}"]
        + ["--max-requests=0"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings_module},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_emulator(port: int) -> subprocess.Popen:
    # Its own process: in this one its threads would take turns with the measured requests
    # for the interpreter lock, and the time they took would count as the shop's.
    return subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", f"--port={port}"],
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


def share_and_verdict(figures: dict, scenario: Scenario) -> tuple[str, str]:
    if scenario.reference is None:
        return "", ""
    share = figures[scenario.name]["rps"] / figures[scenario.reference]["rps"]
    if scenario.target is None:
        return f"{share:.0%} of {scenario.reference}", ""
    verdict = "✔" if share >= scenario.target else "✘"
    return f"{share:.0%} of {scenario.reference}", f">= {scenario.target:.0%} {verdict}"


def checkout_verdict(checkout: dict) -> str:
    overhead = checkout["request overhead"]
    verdict = "✔" if overhead < CHECKOUT_OVERHEAD_TARGET_MS else "✘"
    return f"< {CHECKOUT_OVERHEAD_TARGET_MS:.0f} ms {verdict}"


def print_results(figures: dict, counts: dict, checkout: dict) -> None:
    print(
        f"\n{'load':26} {'req/s':>7} {'share of reference':>34} {'target':>9} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'SQL':>4} {'errors':>6}"
    )
    for scenario in SCENARIOS:
        figure = figures[scenario.name]
        share, target = share_and_verdict(figures, scenario)
        print(
            f"{scenario.name:26} {figure['rps']:7.0f} {share:>34} {target:>9} "
            f"{figure['p50']:7.1f} {figure['p99']:7.1f} "
            f"{counts.get(scenario.name, '-'):>4} {figure['errors']:6d}"
        )
    print(
        f"\ncheckout creation, one request at a time: p50 {checkout['request']:.1f} ms; "
        f"without the time waiting for the emulator, the request p50 "
        f"{checkout['request overhead']:.1f} ms (target {checkout_verdict(checkout)}), "
        f"of which inside create_checkout {checkout['service overhead']:.1f} ms"
    )


def print_markdown(figures: dict, counts: dict, checkout: dict) -> None:
    print("\n| load | req/s | share of its reference | target | p50 ms | p99 ms | SQL |")
    print("|---|---:|---|---|---:|---:|---:|")
    for scenario in SCENARIOS:
        figure = figures[scenario.name]
        share, target = share_and_verdict(figures, scenario)
        print(
            f"| {DESCRIPTIONS[scenario.name]} | {figure['rps']:.0f} | {share} | {target} | "
            f"{figure['p50']:.1f} | {figure['p99']:.1f} | {counts.get(scenario.name, '')} |"
        )
    print(
        f"| checkout creation without Stripe's time, one at a time | | "
        f"p50 {checkout['request overhead']:.1f} ms | {checkout_verdict(checkout)} | | | |"
    )


def main() -> int:
    arguments = parse_arguments()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)

    emulator_port = free_port()
    processes = [start_emulator(emulator_port)]
    try:
        recreate_database()
        setup_django(f"http://127.0.0.1:{emulator_port}")
        data = prepare_data(checkout_sessions=20000)
        data["clients"] = arguments.concurrency
        ports = {"shop": free_port(), "floor": free_port()}
        processes += [
            start_gunicorn(ports["shop"], arguments.gunicorn_workers, "bench.settings"),
            start_gunicorn(ports["floor"], arguments.gunicorn_workers, "bench.floor_settings"),
        ]
        for port in [emulator_port, *ports.values()]:
            wait_until_listening(port)
        counts = queries_per_request(data)
        print(
            f"two gunicorns (config/gunicorn.conf.py), shop and floors, "
            f"{arguments.gunicorn_workers}"
            f" sync workers each; {arguments.concurrency} clients; {arguments.duration:.0f} s per "
            f"load in {arguments.rounds} interleaved slices; {os.cpu_count()} cores; "
            f"synchronous_commit {data['synchronous_commit']}"
        )
        # What a worker does once (connecting, preparing its statements, loading templates,
        # copying a stored page) falls in each load's warm-up, not in its first measured slice.
        warmed = {
            scenario.name: measure(
                ports[scenario.server], scenario.name, data, 2, arguments.concurrency
            )["next_counts"]
            for scenario in SCENARIOS
        }
        figures = measure_interleaved(
            ports, data, arguments.duration, arguments.concurrency, arguments.rounds, warmed
        )
        checkout = checkout_overhead_p50(data)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)

    print_results(figures, counts, checkout)
    if arguments.markdown:
        print_markdown(figures, counts, checkout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
