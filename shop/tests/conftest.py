import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """The shop's settings are cached by site; a test's rolled-back settings must not leak."""
    cache.clear()
    yield
    cache.clear()
