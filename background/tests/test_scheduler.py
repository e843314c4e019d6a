"""Periodic jobs are queued once per turn, whichever scheduler gets there first."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from django_tasks_db.models import DBTaskResult

from background import scheduler
from background.models import ScheduledRun

NOON = datetime(2026, 11, 29, 12, 0, 30, tzinfo=UTC)


def test_the_shop_publishes_scheduled_content_every_minute_and_reconciles_every_fifteen():
    every = {job.name: job.every for job in scheduler.periodic_jobs()}

    assert every == {
        "publish_scheduled": timedelta(minutes=1),
        "expire_abandoned_checkouts": timedelta(minutes=1),
        "requeue_stale_tasks": timedelta(minutes=1),
        "reconcile_orders": timedelta(minutes=15),
        "clear_expired_sessions": timedelta(days=1),
        "prune_task_history": timedelta(days=1),
    }


def test_an_interval_can_be_changed_by_name(settings):
    settings.SHOP_SCHEDULE = {"reconcile_orders": "5m"}

    every = {job.name: job.every for job in scheduler.periodic_jobs()}

    assert every["reconcile_orders"] == timedelta(minutes=5)
    assert every["publish_scheduled"] == timedelta(minutes=1)


@pytest.mark.django_db
def test_each_job_is_queued_once_a_turn_and_again_in_the_next():
    first = scheduler.queue_due_jobs(NOON)
    again = scheduler.queue_due_jobs(NOON + timedelta(seconds=20))
    next_minute = scheduler.queue_due_jobs(NOON + timedelta(minutes=1))

    assert len(first) == 6
    assert again == []
    assert sorted(next_minute) == [
        "expire_abandoned_checkouts",
        "publish_scheduled",
        "requeue_stale_tasks",
    ]
    assert DBTaskResult.objects.count() == 9
    run = ScheduledRun.objects.get(job="publish_scheduled", slot=NOON.replace(second=0))
    queued_task = DBTaskResult.objects.get(pk=run.task_id)
    assert queued_task.task_path == "background.tasks.publish_scheduled"


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_on_two_hosts_queue_each_turn_once():
    start = threading.Barrier(2)
    queued, errors = [], []

    def host():
        try:
            start.wait()
            queued.extend(scheduler.queue_due_jobs(NOON))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=host) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(queued) == sorted(job.name for job in scheduler.periodic_jobs())
    assert DBTaskResult.objects.count() == len(queued)
