"""Every process talks to Redis on connections of its own, even one forked after its parent had
used the cache: two processes on one socket would read each other's answers."""

import multiprocessing

from django.core.cache import caches


def _connection_id(cache) -> int:
    """Redis's id for the connection this process's cache client talks on (CLIENT ID)."""
    return cache.client.get_client().client_id()


def _use_the_cache_in_child(queue):
    cache = caches["default"]
    cache.set("child", "the child's value")
    queue.put((_connection_id(cache), cache.get("child")))


def test_a_process_forked_after_its_parent_used_redis_talks_on_its_own_connection(
    shop_on_redis,
):
    cache = caches["default"]
    cache.set("parent", "the parent's value")
    parent_connection = _connection_id(cache)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_use_the_cache_in_child, args=(queue,))

    child.start()
    child_connection, child_read = queue.get(timeout=30)
    child.join(timeout=30)

    assert child_connection != parent_connection
    assert child_read == "the child's value"
    assert cache.get("parent") == "the parent's value"
    assert _connection_id(cache) == parent_connection
