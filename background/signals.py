import logging

from django.dispatch import receiver
from django_tasks.base import TaskResultStatus
from django_tasks.signals import task_finished

from .engine import BACKEND

logger = logging.getLogger("background")


@receiver(task_finished)
def log_failed_task(sender, task_result, **kwargs):
    """A failed task is logged with what it was run for (an order or email id), for whoever
    reads the logs; staff see it on the dashboard."""
    if task_result.backend != BACKEND or task_result.status != TaskResultStatus.FAILED:
        return
    error = task_result.errors[-1] if task_result.errors else None
    logger.error(
        "Background task %s failed (arguments %s): %s",
        task_result.task.name,
        task_result.args,
        error.exception_class_path if error else "unknown error",
        extra={"task_id": task_result.id},
    )
