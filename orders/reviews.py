"""Staff marking an order's review reasons as read; a reason flagged later opens it again."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .models import Order


def mark_reviewed(order: Order, reviewer: AbstractBaseUser, reasons_seen: int) -> bool:
    """Record that this person reviewed the order, unless it needs no review or a reason came in
    after the `reasons_seen` they were shown; say whether it was marked."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not locked.needs_review or len(locked.review_reasons.splitlines()) != reasons_seen:
            return False
        locked.reviewed_reasons = locked.review_reasons
        locked.reviewed_by = reviewer
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["reviewed_reasons", "reviewed_by", "reviewed_at"])
    return True
