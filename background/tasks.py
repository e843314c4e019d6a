"""Periodic chores of the whole site, run by the worker when the scheduler queues them."""

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from . import engine
from .engine import background_task
from .models import ScheduledRun


@background_task()
def publish_scheduled() -> None:
    """Wagtail's scheduled publishing: pages and products whose go-live or expiry time came."""
    call_command("publish_scheduled", verbosity=0)


@background_task()
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@background_task()
def requeue_stale_tasks() -> int:
    return engine.requeue_stale_tasks()


@background_task()
def prune_task_history() -> dict:
    """Forget finished tasks and scheduler turns once staff no longer see them."""
    before = timezone.now() - engine.FAILED_TASKS_SHOWN_FOR
    tasks, _ = DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    runs, _ = ScheduledRun.objects.filter(slot__lt=before).delete()
    return {"tasks": tasks, "scheduled_runs": runs}
