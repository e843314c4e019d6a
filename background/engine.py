"""The shop's task engine: Django's Tasks API on the database backend (django-tasks-db).

A task is a row in the shop's own database, written in the transaction that decides it: it
commits with the order change or not at all, any number of hosts share the queue through
PostgreSQL's row locks, and there is no broker to run. The library leaves two things to the
shop, done here: a worker killed mid-task leaves its row "running" (requeued once it is older
than the lease), and a task that fails is not tried again (tasks that must succeed, like
emails, retry themselves with a backoff).
"""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Field
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import task
from django_tasks.base import Task, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max

logger = logging.getLogger(__name__)

# The TASKS alias of the database backend; Wagtail's own tasks keep the default backend.
BACKEND = "background"
# How long finished tasks are shown to staff and kept.
FAILED_TASKS_SHOWN_FOR = timedelta(days=7)

background_task = partial(task, backend=BACKEND)


def lease() -> timedelta:
    """How long a task or an email claim may go unfinished before its worker is presumed dead.

    Longer than any task should take, and longer than the mail server's timeout, so a worker
    that is only slow is never doubled.
    """
    return timedelta(seconds=settings.SHOP_TASK_LEASE_SECONDS)


def backoff(attempt: int, first_delay: timedelta) -> timedelta:
    """The wait before try number `attempt + 1`: the first delay, doubled after each failure."""
    return first_delay * 2 ** (attempt - 1)


def insert_and_enqueue(task: Task, insert_sql: str, params: list) -> int | None:
    """Run `insert_sql`, an INSERT ... RETURNING id that may write nothing (ON CONFLICT DO
    NOTHING), and in the same statement queue `task` with that id as its one argument; return
    the id, or None when nothing was written and nothing queued.

    One round trip for what would otherwise be two: the row and its task go in together.
    """
    if connection.vendor != "postgresql":
        # SQLite, in local runs: the row, then the task, in the caller's transaction.
        with connection.cursor() as cursor:
            cursor.execute(insert_sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        task.enqueue(row[0])
        return row[0]
    queueing, queue_params, queued = enqueue_cte(task, "written")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written AS ({insert_sql}), queued AS ({queueing}) SELECT id FROM written",
            [*params, *queue_params],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    announce_enqueued(task, queued, row[0])
    return row[0]


def enqueue_cte(task: Task, written: str) -> tuple[str, list, DBTaskResult]:
    """An INSERT queueing `task` once for each id the common table expression `written`
    returns, with that id as its one argument, for a statement on PostgreSQL; its parameters,
    and the task row, to be announced with announce_enqueued once the statement has run."""
    queueing = _queueing(task, written)
    # The row's own id and time; every other value is the task's, worked out once.
    queued = DBTaskResult(
        id=DBTaskResult._meta.pk.get_default(),
        enqueued_at=timezone.now(),
        args_kwargs={"args": [], "kwargs": {}},
        worker_ids=[],
        **queueing.values,
    )
    database = connections[DEFAULT_DB_ALIAS]
    params = [
        field.get_db_prep_save(getattr(queued, field.attname), database)
        for field in queueing.fields_each_time
    ]
    return queueing.sql, params, queued


@dataclass(frozen=True)
class _Queueing:
    """enqueue_cte for one task and `written`: its statement, with the values that are the
    same for every row of the task written in, the fields whose values are new for each row
    (its parameters), and the task's values for the DBTaskResult to announce."""

    sql: str
    fields_each_time: tuple[Field, ...]
    values: dict


@functools.lru_cache(maxsize=64)
def _queueing(task: Task, written: str) -> _Queueing:
    backend = task.get_backend()
    backend.validate_task(task)
    values = {
        "status": TaskResultStatus.READY.value,
        "priority": task.priority,
        "task_path": task.module_path,
        "queue_name": task.queue_name,
        "run_after": task.run_after or get_date_max(),
        "backend_name": backend.alias,
    }
    template = DBTaskResult(id=None, args_kwargs=None, **values)
    quote = connection.ops.quote_name
    each_time = [DBTaskResult._meta.pk, DBTaskResult._meta.get_field("enqueued_at")]
    others = [
        field
        for field in DBTaskResult._meta.concrete_fields
        if field not in each_time and field.attname != "args_kwargs"
    ]
    for field in others:
        values[field.attname] = getattr(template, field.attname)
    columns = [quote(field.column) for field in [*each_time, *others]]
    columns.append(quote(DBTaskResult._meta.get_field("args_kwargs").column))
    row = [
        *["%s"] * len(each_time),
        *(_typed_literal(field, values[field.attname]) for field in others),
        f"jsonb_build_object('args', jsonb_build_array({written}.id), 'kwargs', '{{}}'::jsonb)",
    ]
    table = quote(DBTaskResult._meta.db_table)
    return _Queueing(
        sql=f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(row)} FROM {written}",
        fields_each_time=tuple(each_time),
        values={name: value for name, value in values.items() if name != "worker_ids"},
    )


def _typed_literal(field: Field, value) -> str:
    """The value as the driver would send it, of the column's type: a bare NULL in a SELECT
    feeding an INSERT would be taken for text."""
    literal = connection.ops.compose_sql("%s", [field.get_db_prep_save(value, connection)])
    return f"CAST({literal} AS {field.db_type(connection)})"


def announce_enqueued(task: Task, queued: DBTaskResult, argument: int) -> None:
    """Tell Django's Tasks that the task row of enqueue_cte was written for `argument`."""
    queued.args_kwargs = {"args": [argument], "kwargs": {}}
    task_enqueued.send(type(task.get_backend()), task_result=queued.task_result)


def requeue_stale_tasks(now: datetime | None = None) -> int:
    """Put back in the queue the tasks whose worker went silent for longer than the lease; one
    conditional UPDATE, so several hosts may do it at once. Returns how many."""
    now = now or timezone.now()
    requeued = DBTaskResult.objects.filter(
        backend_name=BACKEND, status=TaskResultStatus.RUNNING, started_at__lt=now - lease()
    ).update(status=TaskResultStatus.READY, started_at=None)
    if requeued:
        logger.warning("Requeued %s tasks whose worker stopped answering", requeued)
    return requeued


def new_worker(worker_id: str | None = None, batch: bool = False) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=settings.SHOP_WORKER_POLL_SECONDS,
        batch=batch,
        backend_name=BACKEND,
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id or get_random_string(32),
        excluded_queue_names=[],
    )


def run_ready_tasks() -> int:
    """Run, in this process and one after another, every task that is due; return how many.

    The worker's loop without its sleeping and connection recycling, for tests and for a
    command run by hand.
    """
    worker = new_worker(batch=True)
    count = 0
    while (claimed := _claim_next(worker)) is not None:
        worker.run_task(claimed)
        count += 1
    return count


def _claim_next(worker: Worker) -> DBTaskResult | None:
    with transaction.atomic():
        claimed = DBTaskResult.objects.ready().filter(backend_name=BACKEND).get_locked()
        if claimed is not None:
            claimed.claim(worker.worker_id)
    return claimed


def failed_tasks(now: datetime | None = None):
    """Tasks that failed in the last week, newest first, for staff."""
    since = (now or timezone.now()) - FAILED_TASKS_SHOWN_FOR
    return (
        DBTaskResult.objects.failed()
        .filter(backend_name=BACKEND, finished_at__gte=since)
        .order_by(F("finished_at").desc())
    )
