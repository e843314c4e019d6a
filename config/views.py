import logging

from django.core.cache import caches
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.cache import FailSoftRedisCache

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("Health check failed: the database does not answer: %s", error)
        return "down"
    return "ok"


def _cache_status() -> str:
    """Costs at most one Redis socket timeout, and nothing while Redis is known to be out."""
    cache = caches["default"]
    if not isinstance(cache, FailSoftRedisCache):
        return "not configured"
    return "ok" if cache.is_available() else "degraded"


@never_cache
@require_safe
def healthz(request):
    """For load balancers and container checks: 503 only when the database does not answer.

    Without Redis the shop still sells (sessions come from the database), so a cache outage
    answers 200 with the cache marked degraded rather than taking every app server out.
    """
    database = _database_status()
    cache = _cache_status()
    if database != "ok":
        status = "down"
    elif cache == "degraded":
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "database": database, "cache": cache},
        status=503 if status == "down" else 200,
    )
