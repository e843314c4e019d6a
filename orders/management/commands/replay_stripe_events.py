import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from orders import webhooks
from orders.models import StripeEvent

from ._arguments import duration
from ._terminal import one_line_per_problem

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Apply recorded Stripe events again through the shop's event handlers: by default the "
        "ones whose processing failed, for instance while Stripe could not be reached. "
        "Exits with status 1 when any event still fails."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--failed",
            action="store_true",
            help="Only events whose processing failed (the default).",
        )
        which.add_argument(
            "--all",
            action="store_true",
            dest="every_event",
            help="Every recorded event, including processed and ignored ones; "
            "each is applied at most once more and changes an order only if it moves forward.",
        )
        parser.add_argument(
            "--since",
            type=duration,
            metavar="WINDOW",
            help="Only events received in this window: 30m, 12h, 2d.",
        )

    def handle(self, *args, every_event, since, verbosity, **options):
        with one_line_per_problem(self, verbosity):
            self.replay(every_event, since)

    def replay(self, every_event: bool, since) -> None:
        events = StripeEvent.objects.order_by("received_at", "pk")
        if not every_event:
            events = events.filter(outcome=StripeEvent.Outcome.FAILED)
        if since is not None:
            events = events.filter(received_at__gte=timezone.now() - since)
        outcomes = {outcome: 0 for outcome in StripeEvent.Outcome.values}
        errors = []
        for event in events:
            before = event.outcome
            try:
                replayed = webhooks.replay_event(event)
            except Exception as error:
                # replay_event's transaction rolled this event back alone; go on with the rest.
                logger.exception(
                    "Replaying Stripe event %s failed",
                    event.stripe_event_id,
                    extra={"stripe_event_id": event.stripe_event_id},
                )
                outcomes[StripeEvent.Outcome.FAILED] += 1
                message = " ".join(str(error).split())
                errors.append(f"{event.stripe_event_id}  {event.type}  failed: {message}")
                continue
            outcomes[replayed.outcome] += 1
            order = f"order {replayed.order.reference}" if replayed.order else "no order"
            detail = f" ({' '.join(replayed.detail.split())})" if replayed.detail else ""
            self.stdout.write(
                f"{replayed.stripe_event_id}  {replayed.type}  {before} -> {replayed.outcome}  "
                f"{order}{detail}"
            )
        for error in errors:
            self.stderr.write(error)
        total = sum(outcomes.values())
        counts = ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items() if count)
        self.stdout.write(f"Replayed {total} event(s){': ' + counts if total else ''}.")
        if outcomes[StripeEvent.Outcome.FAILED]:
            raise CommandError(
                f"{outcomes[StripeEvent.Outcome.FAILED]} event(s) still failed; "
                "see the lines above, fix the cause and run again."
            )
