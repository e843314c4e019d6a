"""Measure the catalogue's pages under gunicorn on PostgreSQL; prints figures, asserts nothing.

    .venv/bin/python -m bench.catalogue [--duration 10] [--concurrency 8]

Builds a shop of 1,000 products in 10 categories (each product with a picture, in one or two
categories), then drives a category page, the product index (a page of 24, as first opened and
sorted by price, pages 1 to 3) and a search, each for --duration seconds with
--concurrency keep-alive clients, against the minimal Django view served by the same gunicorn in
the same run. Then grows the catalogue to 10,000 products and measures search again.

$BENCH_DATABASE and $BENCH_REDIS_DB choose another database and Redis number
(shop_bench_catalogue, 12).
"""

import argparse
import http.client
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.run import free_port, start_gunicorn, wait_until_listening

ROOT = Path(__file__).resolve().parent.parent
# Overridable so that two copies of the shop can be measured on one machine without sharing data.
DATABASE = os.environ.get("BENCH_DATABASE", "shop_bench_catalogue")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('BENCH_REDIS_DB', '12')}"
CATEGORIES = 10
SMALL_CATALOGUE = 1_000
LARGE_CATALOGUE = 10_000
WORDS = ["lamp", "chair", "table", "shelf", "rug", "mirror", "clock", "vase", "desk", "stool"]
COLOURS = ["oak", "walnut", "black", "white", "brass", "copper", "green", "blue", "grey", "red"]
SEARCHES = ["walnut lamp", "chair", "brass clock", "green", "desk 42", "vase"]


def setup_django() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        STRIPE_API_BASE="http://127.0.0.1:9",
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_WEBHOOK_SECRET="whsec_bench",
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


def build_shop() -> dict:
    """Seed the shop, then the index page and the categories the products go in."""
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from wagtail.images import get_image_model

    from home.models import CategoryPage, ProductIndexPage
    from products.seed import demo_picture

    call_command("migrate", verbosity=0)
    call_command("seed_shop", "--without-pictures", verbosity=0)
    index = ProductIndexPage.objects.get()
    categories = list(CategoryPage.objects.order_by("path"))
    for number in range(len(categories), CATEGORIES):
        category = CategoryPage(title=f"{WORDS[number].title()}s", slug=f"{WORDS[number]}s")
        index.add_child(instance=category)
        category.save_revision().publish()
        categories.append(category)
    picture = get_image_model().objects.create(
        title="A piece of furniture",
        file=ContentFile(demo_picture("F", "#1f4e79", "#f2f5f9"), name="furniture.png"),
    )
    return {"index": index, "categories": categories, "picture": picture}


def grow_catalogue(shop: dict, total: int) -> None:
    """Add live products (bulk, as an import would) until there are `total`, indexed for search."""
    from django.db import connection
    from django.utils import timezone
    from wagtail.search.backends import get_search_backend

    from home.page_cache import forget_cached_pages
    from products.models import Product

    start = Product.objects.count()
    now = timezone.now()
    products = Product.objects.bulk_create(
        Product(
            name=f"{COLOURS[number % 10].title()} {WORDS[number // 10 % 10]} {number}",
            slug=f"bench-product-{number}",
            summary=f"A {COLOURS[number % 10]} {WORDS[number // 10 % 10]} for every room.",
            description=f"<p>Made to last. Model {number}.</p>",
            price=f"{5 + number % 500}.{number % 100:02}",
            image=shop["picture"],
            live=True,
            first_published_at=now,
            last_published_at=now,
            sort_order=number,
        )
        for number in range(start, total)
    )
    through = Product.categories.through
    categories = shop["categories"]
    through.objects.bulk_create(
        through(product_id=product.pk, categorypage_id=categories[index % CATEGORIES].pk)
        for index, product in enumerate(products, start=start)
    )
    through.objects.bulk_create(
        through(product_id=product.pk, categorypage_id=categories[(index + 3) % CATEGORIES].pk)
        for index, product in enumerate(products, start=start)
        if index % 4 == 0
    )
    backend = get_search_backend()
    for batch in range(0, len(products), 500):
        backend.add_bulk(Product, products[batch : batch + 500])
    # What autovacuum does soon after a big import; without it the planner guesses.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    forget_cached_pages()


def scenarios(shop: dict) -> dict[str, list[str]]:
    """Each scenario's paths; a client walks through its list."""
    category = shop["categories"][0].url
    index = shop["index"].url
    return {
        "minimal view": ["/bench/minimal/"],
        "category page": [category],
        "product index": [index],
        "product index, by price": [f"{index}?sort=price&page={page}" for page in (1, 2, 3)],
        "search": [f"/search/?q={query.replace(' ', '+')}" for query in SEARCHES],
    }


def client_process(port, paths, duration, clients, queue):
    results = []
    deadline = time.monotonic() + duration

    def client(client_id):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        count, latencies, errors = client_id, [], 0
        while time.monotonic() < deadline:
            path = paths[count % len(paths)]
            count += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            if response.status >= 400:
                errors += 1
            else:
                latencies.append(time.perf_counter() - started)
        results.append((latencies, errors))

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def measure(port: int, paths: list[str], duration: float, concurrency: int) -> dict:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    per_process = [count for count in (concurrency // 2, concurrency - concurrency // 2) if count]
    processes = [
        context.Process(target=client_process, args=(port, paths, duration, clients, queue))
        for clients in per_process
    ]
    started = time.monotonic()
    for process in processes:
        process.start()
    results = [item for _ in processes for item in queue.get()]
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    latencies = sorted(latency for latency_list, _ in results for latency in latency_list)
    if len(latencies) < 2:
        latencies = [float("nan")] * 2
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rps": sum(1 for latency in latencies if latency == latency) / elapsed,
        "p50": quantiles[49] * 1000,
        "p99": quantiles[98] * 1000,
        "errors": sum(errors for _, errors in results),
    }


def measure_unstored_searches(port: int, paths: list[str], duration: float) -> dict:
    """One request at a time, each after stored parts are retired, so every search runs its
    queries and renders its cards: what a query nobody asked lately costs. A parameter no
    catalogue page reads keeps the page cache out: a worker would otherwise serve its own copy
    for up to a second after another process retired it."""
    from home.page_cache import forget_cached_pages

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        forget_cached_pages()
        started = time.perf_counter()
        connection.request("GET", paths[len(latencies) % len(paths)] + "&uncached=1")
        connection.getresponse().read()
        latencies.append(time.perf_counter() - started)
    connection.close()
    quantiles = statistics.quantiles(latencies, n=100)
    return {"p50": quantiles[49] * 1000, "p99": quantiles[98] * 1000}


def queries_per_page(paths_by_scenario: dict) -> dict:
    """SQL queries for one anonymous request of each scenario (after a first one), in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for scenario, paths in paths_by_scenario.items():
        Client().get(paths[0])
        with CaptureQueriesContext(connection) as captured:
            Client().get(paths[0])
        counts[scenario] = len(captured)
    return counts


def print_table(title: str, figures: dict, counts: dict) -> None:
    ceiling = figures["minimal view"]["rps"]
    print(f"\n{title}")
    print(
        f"{'scenario':26} {'req/s':>8} {'of minimal':>10} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'queries':>8} {'errors':>7}"
    )
    for scenario, figure in figures.items():
        # A reference that served nothing (an overloaded machine) leaves the share unknown.
        share = figure["rps"] / ceiling if ceiling else float("nan")
        print(
            f"{scenario:26} {figure['rps']:8.0f} {share:10.0%} "
            f"{figure['p50']:8.1f} {figure['p99']:8.1f} {counts[scenario]:8d} {figure['errors']:7d}"
        )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    return parser.parse_args()


def main() -> int:
    arguments = parse_arguments()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    recreate_database()
    setup_django()
    shop = build_shop()
    grow_catalogue(shop, SMALL_CATALOGUE)
    paths = scenarios(shop)
    small_counts = queries_per_page(paths)

    port = free_port()
    server = start_gunicorn(port, arguments.gunicorn_workers, "bench.settings")
    try:
        wait_until_listening(port)
        print(
            f"gunicorn: {arguments.gunicorn_workers} sync workers; {arguments.concurrency} "
            f"clients; {arguments.duration:.0f} s per scenario; {os.cpu_count()} cores"
        )
        measure(port, paths["minimal view"], 2, arguments.concurrency)
        small = {
            scenario: measure(port, scenario_paths, arguments.duration, arguments.concurrency)
            for scenario, scenario_paths in paths.items()
        }
        grow_catalogue(shop, LARGE_CATALOGUE)
        large_counts = queries_per_page(paths)
        large = {
            scenario: measure(port, paths[scenario], arguments.duration, arguments.concurrency)
            for scenario in ("minimal view", "search")
        }
        one_at_a_time = measure(port, paths["search"], arguments.duration, 1)
        unstored = measure_unstored_searches(port, paths["search"], arguments.duration)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print_table(f"{SMALL_CATALOGUE:,} products, {CATEGORIES} categories", small, small_counts)
    print_table(f"{LARGE_CATALOGUE:,} products", large, large_counts)
    print(
        f"\nsearch at {LARGE_CATALOGUE:,} products, one request at a time: "
        f"p50 {one_at_a_time['p50']:.1f} ms, p99 {one_at_a_time['p99']:.1f} ms "
        "(target p50 < 25 ms); with cached results retired before each request: "
        f"p50 {unstored['p50']:.1f} ms, p99 {unstored['p99']:.1f} ms"
    )
    print(
        "queries per page, 1,000 -> 10,000 products: "
        + ", ".join(
            f"{scenario} {small_counts[scenario]} -> {large_counts[scenario]}" for scenario in paths
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
