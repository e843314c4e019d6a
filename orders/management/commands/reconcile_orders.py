from django.core.management.base import BaseCommand, CommandError

from orders.reconciliation import ReconcileResult, reconcile_orders

from ._arguments import duration

PROGRESS_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Ask Stripe about every pending order (or, with --since, every order created in that "
        "window) and apply what Stripe says; expire at Stripe the checkouts shoppers abandoned. "
        "Safe to run from cron on several hosts at once; exits with status 1 when an order "
        "could not be reconciled."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=duration,
            metavar="WINDOW",
            help="Check every order created in this window, whatever its status: 30m, 12h, 2d.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change without changing anything here or at Stripe.",
        )

    def handle(self, *args, since, dry_run, **options):
        show_progress = self.stdout.isatty() and options["verbosity"] > 0
        result = reconcile_orders(
            since=since, dry_run=dry_run, progress=self.show_progress if show_progress else None
        )
        if show_progress:
            self.stdout.write("")
        if options["verbosity"] > 0:
            self.print_result(result)
        if result.failures:
            raise CommandError(
                f"{len(result.failures)} order(s) could not be reconciled; see the lines above. "
                "The other orders were; the next run tries these again."
            )

    def show_progress(self, done: int, total: int) -> None:
        filled = PROGRESS_WIDTH * done // total
        bar = "#" * filled + "-" * (PROGRESS_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
        self.stdout.flush()

    def print_result(self, result: ReconcileResult) -> None:
        verb = "would change" if result.dry_run else "changed"
        for change in result.changes:
            self.stdout.write(f"{change.reference}  {change.before} -> {change.after}")
        for failure in result.failures:
            self.stderr.write(f"{failure.reference}  failed: {failure.message}")
        rows = [
            ("checked", result.checked),
            (verb, result.changed),
            *(
                (f"  now {status}", count)
                for status, count in sorted(result.counts_by_new_status().items())
            ),
            ("confirmation emails sent late", result.confirmations_sent),
            ("refund emails sent late", result.refund_notices_sent),
            ("failed", len(result.failures)),
        ]
        width = max(len(label) for label, _count in rows)
        if result.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        for label, count in rows:
            self.stdout.write(f"{label:<{width}}  {count:>5}")
