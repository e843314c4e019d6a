"""gunicorn settings for the shop's containers: `gunicorn -c config/gunicorn.conf.py`."""

import os

from config.logging import JSON_TO_STDOUT


def available_cores() -> int:
    """Cores this process may run on: a container's CPU set, not the whole host's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def worker_count(cores: int, cap: str | None) -> int:
    """2 x cores + 1 sync workers, never more than WEB_CONCURRENCY when that is set."""
    workers = 2 * cores + 1
    if cap:
        workers = min(workers, int(cap))
    return max(1, workers)


wsgi_app = "config.wsgi:application"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = worker_count(available_cores(), os.environ.get("WEB_CONCURRENCY"))
# A request's Stripe calls end within 3 x STRIPE_TIME_BUDGET_SECONDS (9 s each by default, all
# tries included), which orders.checks holds under gunicorn's own 30 s default as well, so the
# shopper gets the shop's "try again" page. Past 45 s the worker is stuck and is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "45"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak never takes a server down.
max_requests = 1000
max_requests_jitter = 100
# Docker's overlay filesystem can stall the heartbeat file; memory never does.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
errorlog = "-"
# The same JSON lines as the application's own logs, all on stdout.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    **JSON_TO_STDOUT,
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
