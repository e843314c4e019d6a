"""The orders' background tasks: sending the outbox, closing abandoned checkouts, and
catching orders up with Stripe. Each is safe to run twice or on several hosts at once."""

from background.engine import background_task

from . import emails, reconciliation


class OrdersNotReconciled(Exception):
    """Some orders could not be caught up with Stripe: listed by reference."""


@background_task()
def send_order_email(email_id: int) -> str:
    return emails.send(email_id)


@background_task()
def expire_abandoned_checkouts() -> dict:
    return _summary(reconciliation.expire_abandoned_checkouts())


@background_task()
def reconcile_orders() -> dict:
    return _summary(reconciliation.reconcile_orders())


def _summary(result: reconciliation.ReconcileResult) -> dict:
    """What the run changed; an error naming the orders it could not reconcile, so the task
    shows as failed to staff (each order's own error is already logged with its reference)."""
    if result.failures:
        raise OrdersNotReconciled(
            ", ".join(f"{failure.reference}: {failure.message}" for failure in result.failures)
        )
    return {"checked": result.checked, "changed": result.counts_by_new_status()}
