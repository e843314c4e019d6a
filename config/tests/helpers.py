"""Test helpers for the cache outage tests: a throwaway redis-server, the cache settings that
point the shop at it, and what a shopper does and sees while it is out."""

import os
import signal
import socket
import subprocess
import time

import redis
from django.core.cache import caches
from django.urls import reverse

REDIS_SERVER = "/usr/bin/redis-server"
SOCKET_TIMEOUT = 0.25
RETRY_SECONDS = 0.3
PASSWORD = "a-long-shopper-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A throwaway redis-server that a test can stop, start again, freeze and thaw."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.frozen = False

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.admin().ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def stop(self):
        self.thaw()
        self.process.kill()
        self.process.wait(timeout=10)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self):
        if self.frozen:
            os.kill(self.process.pid, signal.SIGCONT)
            self.frozen = False

    def admin(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def connections_received(self) -> int:
        """Connections accepted so far, not counting the one asking."""
        return self.admin().info("stats")["total_connections_received"] - 1


def shared_cache_settings(url: str, retry_seconds: float = RETRY_SECONDS) -> dict:
    return {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": SOCKET_TIMEOUT,
                "SOCKET_TIMEOUT": SOCKET_TIMEOUT,
                "RETRY_SECONDS": retry_seconds,
            },
        }
    }


def wait_until_the_cache_answers():
    """Until this process has seen Redis answer again (and forgotten what went stale)."""
    deadline = time.monotonic() + 10
    while not caches["default"].is_available():
        assert time.monotonic() < deadline, "the cache never came back"
        time.sleep(0.05)


def add_to_cart(client, product, quantity=1):
    return client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})


def update_cart(client, product, quantity):
    return client.post(reverse("cart_update"), {"product_id": product.pk, "quantity": quantity})


def sign_in(client):
    return client.post(reverse("login"), {"username": "sam", "password": PASSWORD})


def cart_of(client) -> dict[str, int]:
    response = client.get(reverse("cart"))
    assert response.status_code == 200
    return {line.product.slug: line.quantity for line in response.context["lines"]}


def is_signed_in(client) -> bool:
    return client.get(reverse("order_list")).wsgi_request.user.is_authenticated


def page_cache_commands(server: RedisServer, send) -> list[str]:
    """The commands touching stored pages that Redis ran while `send` ran (the server logs
    every command with its arguments once page_cache_on_redis has set its slow log up)."""
    server.admin().slowlog_reset()
    send()
    commands = [
        entry["command"].decode(errors="replace") for entry in server.admin().slowlog_get(10_000)
    ]
    return [command for command in reversed(commands) if "page-cache" in command]
