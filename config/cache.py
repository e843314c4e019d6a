"""A Redis cache that fails soft: while Redis is down or hanging the shop runs without it.

Every call of Django's cache API goes through a circuit breaker kept per process and per Redis
location. The first failing call (refused, or no answer within the socket timeout) opens it and
logs one warning; from then on calls skip Redis at no cost: reads miss, writes do nothing, `add`
answers False and `incr`/`decr` answer 0, which any rate limiter reads as "nothing counted yet".
Every few seconds one caller pings Redis; when it answers, the breaker closes and one line is
logged.

Writes skipped or lost during an outage leave Redis holding older values than the database
(a session changed, a page retired), so their keys are remembered and deleted before the breaker
closes. Only those keys are deleted, or, after more than MAX_REMEMBERED_KEYS of them, every key of
this cache's prefix and version (SCAN and DEL, never FLUSHDB: the Redis may be shared).
"""

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 5.0
MAX_REMEMBERED_KEYS = 10_000
FORGET_BATCH_SIZE = 500
CACHE_FAILURES = (ConnectionInterrupted, RedisError, OSError)


def redacted_location(location: Any) -> str:
    """The Redis address for logs, without any password in it."""
    parts = urlsplit(str(location))
    if not parts.hostname:
        return parts.scheme or "redis"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


class CircuitBreaker:
    """Whether calls may reach one Redis now, shared by every thread of the process."""

    def __init__(self, location: str, retry_seconds: float):
        self.location = location
        self.retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._open_since: float | None = None
        self._next_probe_at = 0.0
        self._stale_keys: set[str] = set()
        self._too_many_stale_keys = False

    def admit(self, written_keys: Iterable[str]) -> str:
        """Say "call" while closed, "probe" to the one caller due to try Redis, else "skip"."""
        with self._lock:
            if self._open_since is None:
                return "call"
            now = time.monotonic()
            if now >= self._next_probe_at:
                self._next_probe_at = now + self.retry_seconds
                return "probe"
            self._remember(written_keys)
            return "skip"

    def trip(self, error: BaseException, written_keys: Iterable[str] = ()) -> None:
        with self._lock:
            self._remember(written_keys)
            now = time.monotonic()
            self._next_probe_at = now + self.retry_seconds
            if self._open_since is not None:
                return
            self._open_since = now
        logger.warning(
            "The cache at %s is unavailable (%s: %s); serving without it (sessions from the "
            "database, no page cache, no rate limits) and trying again every %s s",
            self.location,
            type(error).__name__,
            error,
            self.retry_seconds,
        )

    def take_stale_keys(self) -> tuple[set[str], bool]:
        """The keys to forget before closing, and whether there were too many to remember."""
        with self._lock:
            keys, too_many = self._stale_keys, self._too_many_stale_keys
            self._stale_keys, self._too_many_stale_keys = set(), False
            return keys, too_many

    def give_back_stale_keys(self, keys: set[str], too_many: bool) -> None:
        with self._lock:
            self._stale_keys |= keys
            self._too_many_stale_keys = self._too_many_stale_keys or too_many

    def close_if_nothing_stale(self, forgotten: int) -> bool:
        with self._lock:
            if self._stale_keys or self._too_many_stale_keys:
                return False
            if self._open_since is None:
                return True
            outage_seconds = time.monotonic() - self._open_since
            self._open_since = None
        logger.info(
            "The cache at %s answers again after %.1f s; forgot %d entries written while it "
            "was away",
            self.location,
            outage_seconds,
            forgotten,
        )
        return True

    def _remember(self, keys: Iterable[str]) -> None:
        if self._too_many_stale_keys:
            return
        self._stale_keys.update(keys)
        if len(self._stale_keys) > MAX_REMEMBERED_KEYS:
            self._stale_keys.clear()
            self._too_many_stale_keys = True


_breakers: dict[tuple[str, float], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, retry_seconds: float) -> CircuitBreaker:
    """One per process and Redis: Django makes a cache object per thread, all share it."""
    with _breakers_lock:
        key = (location, retry_seconds)
        if key not in _breakers:
            _breakers[key] = CircuitBreaker(redacted_location(location), retry_seconds)
        return _breakers[key]


def _drop_clients_made_before_fork() -> None:
    """In a forked child, forget the Redis clients its parent made: each holds its connection,
    and two processes on one socket would read each other's answers. The child connects anew."""
    for cache in list(_caches_of_this_process):
        cache._client = None


_caches_of_this_process: "weakref.WeakSet[FailSoftRedisCache]" = weakref.WeakSet()
os.register_at_fork(after_in_child=_drop_clients_made_before_fork)


class FailSoftRedisCache(RedisCache):
    """django-redis behind a circuit breaker; OPTIONS["RETRY_SECONDS"] spaces the probes.

    Each of its clients (one per thread, as Django keeps a cache per thread) holds on to one
    connection instead of borrowing one from the pool for every command: borrowing checks the
    socket for stray data first, three more system calls per command (a GET: 66 → 47 µs of CPU).
    A connection that fails is closed all the same, and the next command opens a new one; a
    process forked from one that used the cache opens its own (_drop_clients_made_before_fork).
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = params.get("OPTIONS", {})
        client_kwargs = {"single_connection_client": True, **options.get("REDIS_CLIENT_KWARGS", {})}
        params = {**params, "OPTIONS": {**options, "REDIS_CLIENT_KWARGS": client_kwargs}}
        super().__init__(server, params)
        _caches_of_this_process.add(self)
        retry_seconds = options.get("RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        self.breaker = breaker_for(str(server), retry_seconds)

    def is_available(self) -> bool:
        """Whether Redis answers now; costs at most one socket timeout, none while it is out."""
        return self._call(lambda: self.client.get_client(write=True).ping(), fallback=False)

    def get(self, key, default=None, version=None, client=None):
        return self._call(
            lambda: self.client.get(key, default=default, version=version, client=client),
            fallback=default,
        )

    def get_many(self, keys, version=None, client=None):
        return self._call(lambda: self.client.get_many(keys, version=version, client=client), {})

    def has_key(self, key, version=None, client=None):
        return self._call(lambda: self.client.has_key(key, version=version, client=client), False)

    def set(
        self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None, nx=False, xx=False
    ):
        return self._write(
            [key],
            version,
            lambda: self.client.set(key, value, timeout, version, client, nx=nx, xx=xx),
            fallback=False,
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        return self._write(
            [key],
            version,
            lambda: self.client.add(key, value, timeout, version, client),
            fallback=False,
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        keys = list(data)
        return self._write(
            keys, version, lambda: self.client.set_many(data, timeout, version, client), keys
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        return self._write(
            [key], version, lambda: self.client.touch(key, timeout, version, client), False
        )

    def delete(self, key, version=None, prefix=None, client=None):
        return self._write(
            [key],
            version,
            lambda: bool(self.client.delete(key, version=version, prefix=prefix, client=client)),
            fallback=False,
        )

    def delete_many(self, keys, version=None, client=None):
        keys = list(keys)
        return self._write(
            keys, version, lambda: self.client.delete_many(keys, version, client), fallback=0
        )

    def incr(self, key, delta=1, version=None, client=None, ignore_key_check=False):
        return self._write(
            [key],
            version,
            lambda: self.client.incr(key, delta, version, client, ignore_key_check),
            fallback=0,
        )

    def decr(self, key, delta=1, version=None, client=None):
        return self._write(
            [key], version, lambda: self.client.decr(key, delta, version, client), fallback=0
        )

    def clear(self):
        return self._call(self.client.clear, fallback=None)

    def _write(self, keys: list, version, operation: Callable[[], Any], fallback: Any) -> Any:
        """A write whose keys must be forgotten when Redis is back if it is skipped or lost."""
        return self._call(
            operation,
            fallback,
            written_keys=[str(self.make_key(key, version=version)) for key in keys],
        )

    def _call(
        self, operation: Callable[[], Any], fallback: Any, written_keys: Iterable[str] = ()
    ) -> Any:
        verdict = self.breaker.admit(written_keys)
        if verdict == "skip" or (verdict == "probe" and not self._recover()):
            return fallback
        try:
            return operation()
        except CACHE_FAILURES as error:
            self.breaker.trip(error, written_keys)
            return fallback

    def _recover(self) -> bool:
        """Ping Redis and forget what went stale while it was away; False if it still fails."""
        forgotten = 0
        while True:
            keys, too_many = self.breaker.take_stale_keys()
            try:
                redis = self.client.get_client(write=True)
                # Writes a hung Redis received before it froze run as soon as it thaws, ahead of
                # this ping's answer; deleting after the answer also removes what they wrote.
                redis.ping()
                if too_many:
                    forgotten += self.client.delete_pattern("*", itersize=FORGET_BATCH_SIZE)
                batch = sorted(keys)
                for start in range(0, len(batch), FORGET_BATCH_SIZE):
                    redis.delete(*batch[start : start + FORGET_BATCH_SIZE])
                forgotten += len(batch)
            except CACHE_FAILURES as error:
                self.breaker.give_back_stale_keys(keys, too_many)
                self.breaker.trip(error)
                return False
            if self.breaker.close_if_nothing_stale(forgotten):
                return True
