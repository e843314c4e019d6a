from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.permissions import policy_registry

from orders.models import Order, OrderEmail

from . import engine

SHOWN = 10


@dataclass(frozen=True)
class FailedTask:
    task_name: str
    finished_at: datetime
    error: str


class FailingWorkPanel(Component):
    """Emails the mail server keeps refusing and tasks that failed, for staff to act on; shown
    only when there are any."""

    name = "background_work"
    order = 60
    template_name = "background/dashboard_panel.html"

    def __init__(self, failing_emails: list[tuple[OrderEmail, str]], failed_tasks: list):
        self.failing_emails = failing_emails
        self.failed_tasks = failed_tasks

    def get_context_data(self, parent_context):
        return {"failing_emails": self.failing_emails, "failed_tasks": self.failed_tasks}


def failing_emails() -> list[tuple[OrderEmail, str]]:
    """Emails given up on or refused at least once, newest first, with their order's page."""
    emails = OrderEmail.objects.failing().select_related("order").order_by("-created_at")
    return [(email, reverse("orders:inspect", args=[email.order_id])) for email in emails[:SHOWN]]


def failed_tasks() -> list[FailedTask]:
    return [
        FailedTask(
            task_name=result.task_name,
            finished_at=result.finished_at,
            # The exception's own line: its class and message, which name the orders involved.
            error=(result.traceback.strip().splitlines() or [result.exception_class_path])[-1],
        )
        for result in engine.failed_tasks()[:SHOWN]
    ]


@hooks.register("construct_homepage_panels")
def add_failing_work_panel(request, panels):
    if not policy_registry.get_by_type(Order).user_has_permission(request.user, "view"):
        return
    emails, tasks = failing_emails(), failed_tasks()
    if emails or tasks:
        panels.append(FailingWorkPanel(emails, tasks))
