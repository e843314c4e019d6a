"""Where a request's time goes inside the shop: Django's WSGI handler called directly, no network.

    .venv/bin/python -m bench.profile_requests [--requests 3000] [--path /bench/minimal/]
        [--cookie "sessionid=...; shopper=..."] [--profile]

Uses the database bench.run built (shop_bench, or $BENCH_DATABASE). Prints CPU microseconds a
request with the whole middleware stack, with none, and with each middleware taken out in turn;
--profile adds a pyinstrument profile of the whole stack.
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environ_for(path: str, cookie: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


class Failed(Exception):
    pass


def microseconds_per_request(handler, path: str, cookie: str, requests: int) -> float:
    """CPU microseconds, the least of three rounds: on a shared machine wall-clock time carries
    other work's time (and leaves out what Redis and PostgreSQL spend in their own processes)."""

    def start_response(status, headers, exc_info=None):
        if not status.startswith(("2", "3")):
            raise Failed(status)

    for _ in range(50):
        b"".join(handler(environ_for(path, cookie), start_response))
    rounds = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(requests // 3):
            b"".join(handler(environ_for(path, cookie), start_response))
        rounds.append((time.process_time() - started) / (requests // 3) * 1e6)
    return min(rounds)


def handler_with(middleware: list[str]):
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--path", default="/bench/minimal/")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--profile", action="store_true")
    arguments = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench import run

    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=run.DATABASE_URL,
        REDIS_URL=run.REDIS_URL,
        STRIPE_SECRET_KEY="sk_test_bench",
        STRIPE_WEBHOOK_SECRET="whsec_bench",
    )
    import django

    django.setup()
    from django.conf import settings

    stack = list(settings.MIDDLEWARE)
    path, cookie, requests = arguments.path, arguments.cookie, arguments.requests
    whole = microseconds_per_request(handler_with(stack), path, cookie, requests)
    print(f"{path}: whole stack {whole:.0f} us a request")
    for label, middleware in [
        ("with no middleware", []),
        *((f"without {name}", [other for other in stack if other != name]) for name in stack),
    ]:
        try:
            rest = microseconds_per_request(handler_with(middleware), path, cookie, requests)
        except Failed as error:
            print(f"  {label}: fails ({error})")
            continue
        print(f"  {label}: {rest:.0f} us, {whole - rest:.0f} us less")
    if arguments.profile:
        from pyinstrument import Profiler

        handler = handler_with(stack)
        with Profiler(interval=0.0001) as profiler:
            microseconds_per_request(handler, path, cookie, requests)
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
