"""Emails to shoppers: the order confirmation, shipping and refund notices, and a delayed
payment's failure. What each says is in email_content.

Each email is a row of the outbox (`OrderEmail`) written in the transaction that decides it,
with the task that sends it: a crash before the commit loses both, a crash after it loses
neither. Sending claims the row with a conditional UPDATE that commits before the mail server
is spoken to, so no lock is held while it answers, and two workers never send one row. A worker
killed mid-send leaves a claim that goes stale after the lease and is then sent again; the
Message-ID is the row's own, so the rare copy (killed after the server took it, before it was
marked sent) is recognisably the same message.
"""

import functools
import logging
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from background import engine
from shop.prepared_statements import text_literals

from . import email_content, tasks
from .email_content import EmailContent
from .models import Order, OrderEmail

logger = logging.getLogger(__name__)

Reason = OrderEmail.Reason
Status = OrderEmail.Status

# A mail server that refuses an email gets it again after 1, 2, 4 and 8 minutes; then staff
# see it as failed on the dashboard.
MAX_ATTEMPTS = 5
FIRST_RETRY_AFTER = timedelta(minutes=1)
_OUTBOX_COLUMNS = "order_id, reason, key, status, attempts, last_error, created_at"


def queue_confirmation(order: Order) -> None:
    """Put the order's confirmation in the outbox, in the caller's transaction; once per order."""
    _queue(order, Reason.CONFIRMATION)


def queue_refund_notice(order: Order, refunded_cents: int) -> None:
    """Put in the outbox an email about what Stripe has refunded so far (cents), in the
    caller's transaction; once per refunded amount."""
    _queue(order, Reason.REFUND, key=str(refunded_cents))


def queue_shipped(order: Order) -> None:
    """Put the news that the order is on its way in the outbox, in the caller's transaction;
    once per order."""
    _queue(order, Reason.SHIPPED)


def queue_payment_failed(order: Order) -> None:
    """Put the news that a delayed payment failed in the outbox, in the caller's transaction;
    once per order."""
    _queue(order, Reason.PAYMENT_FAILED)


def _queue(order: Order, reason: str, key: str = "") -> None:
    """One statement writes the email and queues its task: INSERT ... ON CONFLICT DO NOTHING, so
    an email already in the outbox (the same news decided by an earlier delivery) is neither
    written nor queued again."""
    table = connection.ops.quote_name(OrderEmail._meta.db_table)
    engine.insert_and_enqueue(
        tasks.send_order_email,
        f"INSERT INTO {table} ({_OUTBOX_COLUMNS}) VALUES (%s, %s, %s, %s, 0, '', %s)"
        " ON CONFLICT (order_id, reason, key) DO NOTHING RETURNING id",
        [
            order.pk,
            reason,
            key,
            Status.PENDING,
            connection.ops.adapt_datetimefield_value(timezone.now()),
        ],
    )


def confirmation_ctes(orders: str) -> tuple[str, list, DBTaskResult]:
    """Common table expressions putting in the outbox the confirmation of each order whose id
    the common table expression `orders` returns, and queueing its sending, as
    queue_confirmation does (once per order) but inside the statement that pays them, on
    PostgreSQL; `emailed` returns the email's id. Their parameters, and the task row to
    announce (engine.announce_enqueued) once the statement has run."""
    queueing, queue_params, queued = engine.enqueue_cte(tasks.send_order_email, "emailed")
    return _confirmation_sql(orders, queueing), queue_params, queued


@functools.lru_cache(maxsize=16)
def _confirmation_sql(orders: str, queueing: str) -> str:
    """The text of confirmation_ctes, the same string for the same parts: it names the
    prepared statement of the statement it goes in."""
    table = connection.ops.quote_name(OrderEmail._meta.db_table)
    return (
        f"emailed AS (INSERT INTO {table} ({_OUTBOX_COLUMNS}) "
        f"SELECT id, {text_literals(Reason.CONFIRMATION)}, '', {text_literals(Status.PENDING)}, "
        f"0, '', statement_timestamp() FROM {orders} "
        "ON CONFLICT (order_id, reason, key) DO NOTHING RETURNING id), "
        f"queued AS ({queueing})"
    )


def send(email_id: int) -> str:
    """Send one email of the outbox unless it is sent or being sent; say what happened."""
    claimed_at = timezone.now()
    claimed = (
        OrderEmail.objects.filter(pk=email_id)
        .claimable(claimed_at, engine.lease())
        .update(status=Status.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1)
    )
    email = OrderEmail.objects.select_related("order").get(pk=email_id)
    if not claimed:
        return _not_claimed(email)
    order = email.order
    log_extra = {"order_reference": order.reference, "order_email_id": email.pk}
    why_not = _why_not_send(email)
    if why_not:
        _finish(email, claimed_at, Status.SKIPPED, error=why_not)
        logger.info("%s email for order %s not sent: %s", email.reason, order.reference, why_not)
        return Status.SKIPPED
    try:
        _message(email).send()
    except ValueError:
        # An address no email header can carry: trying again will not help.
        error = "The shopper's email address cannot be written in an email header."
        _finish(email, claimed_at, Status.FAILED, error=error)
        logger.warning(
            "%s email for order %s cannot be sent: its address cannot be written to",
            email.get_reason_display(),
            order.reference,
            extra=log_extra,
        )
        return Status.FAILED
    except OSError as error:
        return _retry_later(email, claimed_at, error)
    if not _finish(email, claimed_at, Status.SENT):
        logger.warning(
            "%s email for order %s was sent after its claim went stale; it may arrive twice",
            email.get_reason_display(),
            order.reference,
            extra=log_extra,
        )
    logger.info(
        "%s email sent for order %s", email.get_reason_display(), order.reference, extra=log_extra
    )
    return Status.SENT


def retry_failed() -> int:
    """Give every email that was given up on five fresh tries, now; return how many."""
    retried = 0
    for email_id in OrderEmail.objects.filter(status=Status.FAILED).values_list("pk", flat=True):
        with transaction.atomic():
            if OrderEmail.objects.filter(pk=email_id, status=Status.FAILED).update(
                status=Status.PENDING, attempts=0
            ):
                tasks.send_order_email.enqueue(email_id)
                retried += 1
    return retried


def _not_claimed(email: OrderEmail) -> str:
    """Someone else has the email. If they are still within the lease, look again once it is
    over, so an email whose sender died is never left behind."""
    if email.status == Status.SENDING:
        tasks.send_order_email.using(run_after=email.claimed_at + engine.lease()).enqueue(email.pk)
    return email.status


def _finish(email: OrderEmail, claimed_at, status: str, error: str = "") -> bool:
    """Record how this claim ended, if it is still ours; say whether it was."""
    return bool(
        OrderEmail.objects.filter(pk=email.pk, status=Status.SENDING, claimed_at=claimed_at).update(
            status=status,
            last_error=error,
            sent_at=timezone.now() if status == Status.SENT else None,
        )
    )


def _retry_later(email: OrderEmail, claimed_at, error: OSError) -> str:
    order = email.order
    message = f"{type(error).__name__}: {error}"
    log_extra = {"order_reference": order.reference, "order_email_id": email.pk}
    if email.attempts >= MAX_ATTEMPTS:
        _finish(email, claimed_at, Status.FAILED, error=message)
        logger.error(
            "%s email for order %s failed %s times and is given up on: %s",
            email.get_reason_display(),
            order.reference,
            email.attempts,
            message,
            extra=log_extra,
        )
        return Status.FAILED
    retry_at = timezone.now() + engine.backoff(email.attempts, FIRST_RETRY_AFTER)
    with transaction.atomic():
        released = OrderEmail.objects.filter(
            pk=email.pk, status=Status.SENDING, claimed_at=claimed_at
        ).update(status=Status.PENDING, claimed_at=None, last_error=message)
        if released:
            tasks.send_order_email.using(run_after=retry_at).enqueue(email.pk)
    logger.warning(
        "%s email for order %s could not be sent (try %s of %s), trying again at %s: %s",
        email.get_reason_display(),
        order.reference,
        email.attempts,
        MAX_ATTEMPTS,
        retry_at.isoformat(timespec="seconds"),
        message,
        extra=log_extra,
    )
    return Status.PENDING


def _why_not_send(email: OrderEmail) -> str:
    order = email.order
    if not order.customer_email:
        return "The order has no email address."
    if email.reason in (Reason.CONFIRMATION, Reason.SHIPPED) and order.status != Order.Status.PAID:
        # Refunded in the same breath (a refund event arriving before the payment's own, or
        # a refund in full moments after the parcel was handed over).
        return f"The order was {order.get_status_display().lower()} before it went out."
    return ""


def message_id(email: OrderEmail) -> str:
    """The same Message-ID however often the row is sent, so a copy is known for one."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<order-email-{email.pk}.{email.order.reference}@{domain}>"


def _message(email: OrderEmail) -> EmailMultiAlternatives:
    content = email_content.for_email(email)
    return multipart(
        content, to=email.order.customer_email, headers={"Message-ID": message_id(email)}
    )


def multipart(
    content: EmailContent, *, to: str, headers: dict | None = None
) -> EmailMultiAlternatives:
    """The email as a plain-text message with its HTML as the alternative."""
    message = EmailMultiAlternatives(
        subject=content.subject,
        body=content.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(content.html, "text/html")
    return message
