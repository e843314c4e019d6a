"""Catch orders up with Stripe when webhooks went missing; safe to run on several hosts at once."""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import payments, stripe_gateway
from .models import Order, OrderQuerySet
from .stripe_gateway import CheckoutSession, StripeError, StripeUnavailable

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
    # Stripe could not be reached: the next run, once it answers, will very likely succeed.
    stripe_unreachable: bool = False


@dataclass
class ReconcileResult:
    dry_run: bool
    checked: int = 0
    changes: list[StatusChange] = field(default_factory=list)
    failures: list[CheckFailure] = field(default_factory=list)
    demo_orders_skipped: int = 0

    @property
    def changed(self) -> int:
        return len(self.changes)

    def counts_by_new_status(self) -> dict[str, int]:
        return dict(Counter(change.after for change in self.changes))


def orders_in_scope(since: timedelta | None, now: datetime) -> QuerySet[Order]:
    """Pending orders, or with `since` every order created in that window, that reached Stripe."""
    orders = Order.objects.exclude(stripe_checkout_session_id=None)
    if since is None:
        return orders.filter(status=Status.PENDING)
    return orders.filter(created_at__gte=now - since)


def orders_to_check(since: timedelta | None, now: datetime) -> QuerySet[Order]:
    """The orders in scope that Stripe can be asked about: demo orders are not."""
    return orders_in_scope(since, now).exclude(OrderQuerySet.demo_q())


def reconcile_orders(
    since: timedelta | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReconcileResult:
    """Ask Stripe about each order in scope and apply what it says; cancel abandoned checkouts.

    Stripe is asked outside any transaction, so a slow Stripe never holds an order that a
    webhook wants. Its answer is applied through payments.apply_checkout_session, which locks
    the order only for that moment and moves it only forward: runs on several hosts at once
    make each move, and queue each email, once. An order that fails for any reason rolls back
    alone and is reported; the run goes on with the next one.
    """
    now = timezone.now()
    result = ReconcileResult(
        dry_run=dry_run, demo_orders_skipped=orders_in_scope(since, now).demo().count()
    )
    _reconcile_each(orders_to_check(since, now), result, now, dry_run, progress)
    result.changes.extend(_cancel_checkouts_that_never_opened(since, now, dry_run))
    return result


def expire_abandoned_checkouts() -> ReconcileResult:
    """Close the checkouts shoppers left open past their time, the way reconcile_orders does:
    ask Stripe, apply its answer, expire the session at Stripe if it is still open."""
    now = timezone.now()
    result = ReconcileResult(dry_run=False)
    overdue = Order.objects.overdue_checkouts(now).exclude(OrderQuerySet.demo_q())
    _reconcile_each(overdue.exclude(stripe_checkout_session_id=None), result, now, False, None)
    result.changes.extend(_cancel_checkouts_that_never_opened(None, now, False))
    return result


def _reconcile_each(
    orders: QuerySet[Order],
    result: ReconcileResult,
    now: datetime,
    dry_run: bool,
    progress: Progress | None,
) -> None:
    orders = list(orders.order_by("created_at", "pk"))
    for done, order in enumerate(orders, start=1):
        try:
            change = _reconcile_one(order, now, dry_run)
        except Exception as error:
            result.failures.append(_report_failure(order, error))
        else:
            result.checked += 1
            if change.before != change.after:
                result.changes.append(change)
        if progress is not None:
            progress(done, len(orders))


def _cancel_checkouts_that_never_opened(
    since: timedelta | None, now: datetime, dry_run: bool
) -> list[StatusChange]:
    """Cancel the orders whose Checkout Session never reached the shop, once their time is up.

    Stripe failed, or its answer was lost, and the shopper did not click again. Any session
    Stripe did open for such an order expired at the same moment, so nobody can pay it.
    """
    orders = Order.objects.overdue_checkouts(now).filter(stripe_checkout_session_id=None)
    if since is not None:
        orders = orders.filter(created_at__gte=now - since)
    changes = []
    for reference in orders.order_by("created_at", "pk").values_list("reference", flat=True):
        cancelled = dry_run or Order.objects.filter(
            reference=reference, stripe_checkout_session_id=None
        ).cancel(now)
        if cancelled:
            changes.append(StatusChange(reference, Status.PENDING, Status.CANCELLED))
    return changes


def _reconcile_one(order: Order, now: datetime, dry_run: bool) -> StatusChange:
    session = stripe_gateway.retrieve_checkout_session(order.stripe_checkout_session_id)
    if dry_run:
        after = payments.status_after(order, session)
        if after == order.status and _is_abandoned(order, session, now):
            after = Status.CANCELLED
        return StatusChange(order.reference, order.status, after)
    before, order = _apply(session)
    if order.status == before and _is_abandoned(order, session, now):
        before, order = _apply(payments.expire_at_stripe(session.id))
    return StatusChange(order.reference, before, order.status)


def _apply(session: CheckoutSession) -> tuple[str, Order]:
    """Apply Stripe's answer; return the status the order had just before, under the same lock.

    Another run or a webhook may have made the move a moment earlier: comparing under the lock
    reports only the moves this run made. The transaction also confines a failure to this order.
    """
    with transaction.atomic():
        before = (
            Order.objects.select_for_update()
            .values_list("status", flat=True)
            .get(stripe_checkout_session_id=session.id)
        )
        return before, payments.apply_checkout_session(session)


def _is_abandoned(order: Order, session: CheckoutSession, now: datetime) -> bool:
    """Still open at Stripe and in the shop after the time the shop gave the shopper."""
    return order.is_checkout_overdue(now) and session.status == "open"


def _report_failure(order: Order, error: Exception) -> CheckFailure:
    ids = (order.reference, order.stripe_checkout_session_id)
    extra = {"order_reference": ids[0], "checkout_session_id": ids[1]}
    if isinstance(error, StripeError):
        message = " ".join(str(error).split())
        logger.warning(
            "Could not reconcile order %s (Checkout Session %s): %s", *ids, message, extra=extra
        )
    else:
        message = f"{type(error).__name__}: {' '.join(str(error).split())}"
        logger.exception("Reconciling order %s (Checkout Session %s) failed", *ids, extra=extra)
    return CheckFailure(
        order.reference, message, stripe_unreachable=isinstance(error, StripeUnavailable)
    )
