"""Periodic jobs: each is queued once per slot of its interval, however many schedulers run.

A scheduler queues a job's turn only if its row for that slot (`ScheduledRun`, unique per job
and slot) went in: INSERT ... ON CONFLICT DO NOTHING, in the same transaction as the task, so
schedulers on several hosts agree without talking to each other, and a scheduler that was down
simply queues the current slot when it comes back (missed slots are not caught up).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django_tasks.base import Task

from orders import tasks as order_tasks

from . import tasks as site_tasks
from .models import ScheduledRun

INTERVAL = re.compile(r"^(?P<amount>\d{1,6})(?P<unit>[smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    task: Task

    def slot(self, now: datetime) -> datetime:
        """The start of the interval `now` falls in, counted from a fixed epoch, so every
        scheduler computes the same slots."""
        return now - (now - EPOCH) % self.every


# Name, default interval and task of each periodic job; SHOP_SCHEDULE may change intervals.
DEFAULT_SCHEDULE = [
    ("publish_scheduled", "1m", site_tasks.publish_scheduled),
    ("expire_abandoned_checkouts", "1m", order_tasks.expire_abandoned_checkouts),
    ("requeue_stale_tasks", "1m", site_tasks.requeue_stale_tasks),
    ("reconcile_orders", "15m", order_tasks.reconcile_orders),
    ("clear_expired_sessions", "1d", site_tasks.clear_expired_sessions),
    ("prune_task_history", "1d", site_tasks.prune_task_history),
]


def parse_interval(text: str) -> timedelta:
    match = INTERVAL.match(text.strip())
    if match is None or int(match["amount"]) == 0:
        raise ImproperlyConfigured(
            f"{text!r} is not an interval; use a whole number and s, m, h or d, like 1m or 15m."
        )
    return timedelta(**{UNITS[match["unit"]]: int(match["amount"])})


def periodic_jobs() -> list[PeriodicJob]:
    overrides = settings.SHOP_SCHEDULE
    unknown = set(overrides) - {name for name, _, _ in DEFAULT_SCHEDULE}
    if unknown:
        raise ImproperlyConfigured(f"SHOP_SCHEDULE names no such job: {', '.join(unknown)}")
    return [
        PeriodicJob(name, parse_interval(overrides.get(name, every)), task)
        for name, every, task in DEFAULT_SCHEDULE
    ]


def queue_due_jobs(now: datetime | None = None) -> list[str]:
    """Queue every job whose current slot no scheduler has queued yet; return their names."""
    now = now or timezone.now()
    queued = []
    for job in periodic_jobs():
        slot = job.slot(now)
        with transaction.atomic():
            if _take_slot(job.name, slot):
                result = job.task.enqueue()
                ScheduledRun.objects.filter(job=job.name, slot=slot).update(task_id=result.id)
                queued.append(job.name)
    return queued


def _take_slot(job: str, slot: datetime) -> bool:
    """Insert the job's row for this slot; say whether this scheduler's row went in."""
    table = connection.ops.quote_name(ScheduledRun._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (job, slot, task_id, created_at) VALUES (%s, %s, '', %s) "
            "ON CONFLICT (job, slot) DO NOTHING RETURNING id",
            [job, *map(connection.ops.adapt_datetimefield_value, (slot, timezone.now()))],
        )
        return cursor.fetchone() is not None
