"""Catch orders up with Stripe when webhooks went missing; safe to run on several hosts at once."""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import emails, services
from .models import Order
from .stripe_gateway import StripeError

logger = logging.getLogger(__name__)

Status = Order.Status
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class StatusChange:
    reference: str
    before: str
    after: str


@dataclass(frozen=True)
class CheckFailure:
    reference: str
    message: str


@dataclass
class ReconcileResult:
    dry_run: bool
    checked: int = 0
    skipped: int = 0
    changes: list[StatusChange] = field(default_factory=list)
    failures: list[CheckFailure] = field(default_factory=list)
    confirmations_sent: int = 0

    @property
    def changed(self) -> int:
        return len(self.changes)

    def counts_by_new_status(self) -> dict[str, int]:
        return dict(Counter(change.after for change in self.changes))


def orders_to_check(since: timedelta | None, now: datetime) -> QuerySet[Order]:
    """Pending orders, or with `since` every order created in that window, that reached Stripe."""
    orders = Order.objects.exclude(stripe_checkout_session_id=None)
    if since is None:
        return orders.filter(status=Status.PENDING)
    return orders.filter(created_at__gte=now - since)


def reconcile_orders(
    since: timedelta | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReconcileResult:
    """Ask Stripe about each order in scope and apply what it says; cancel abandoned checkouts.

    Each order is handled under a row lock taken with SKIP LOCKED, so two runs never work on
    the same order at the same moment: a run skips any order another run, or a webhook being
    applied, holds. The orders themselves only move through services.fulfill_checkout and
    apply_checkout_session, which are safe to repeat.
    """
    now = timezone.now()
    scope = orders_to_check(since, now)
    candidates = list(
        scope.order_by("created_at", "pk").values_list(
            "pk", "reference", "stripe_checkout_session_id"
        )
    )
    result = ReconcileResult(dry_run=dry_run)
    for done, (order_id, reference, session_id) in enumerate(candidates, start=1):
        try:
            change = _reconcile_one(scope, order_id, now, dry_run)
        except StripeError as error:
            message = " ".join(str(error).split())
            logger.warning(
                "Could not reconcile order %s (Checkout Session %s): %s",
                reference,
                session_id,
                message,
            )
            result.failures.append(CheckFailure(reference, message))
        else:
            if change is None:
                result.skipped += 1
            else:
                result.checked += 1
                if change.before != change.after:
                    result.changes.append(change)
        if progress is not None:
            progress(done, len(candidates))
    if not dry_run:
        result.confirmations_sent = emails.send_missing_confirmations(now)
    return result


def _reconcile_one(
    scope: QuerySet[Order], order_id: int, now: datetime, dry_run: bool
) -> StatusChange | None:
    with transaction.atomic():
        order = scope.select_for_update(skip_locked=True).filter(pk=order_id).first()
        if order is None:
            return None
        before = order.status
        order = services.fulfill_checkout(order.stripe_checkout_session_id)
        after = order.status
        if _is_abandoned(order, now):
            after = Status.CANCELLED if dry_run else services.expire_checkout(order).status
        if dry_run:
            transaction.set_rollback(True)
    return StatusChange(order.reference, before, after)


def _is_abandoned(order: Order, now: datetime) -> bool:
    return (
        order.status == Status.PENDING and order.checkout_open and order.checkout_expires_at <= now
    )
