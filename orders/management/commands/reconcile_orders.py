from django.core.management.base import BaseCommand, CommandError

from orders.reconciliation import ReconcileResult, reconcile_orders

from ._arguments import duration
from ._terminal import one_line_per_problem

PROGRESS_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Ask Stripe about every pending order (or, with --since, every order created in that "
        "window) and apply what Stripe says; expire at Stripe the checkouts shoppers abandoned. "
        "Demo orders made by seed_shop --demo-orders are skipped: Stripe has never heard of "
        "them. Safe to run from cron on several hosts at once; exits with status 1 when an "
        "order could not be checked."
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

    def handle(self, *args, since, dry_run, verbosity, **options):
        show_progress = self.stdout.isatty() and verbosity > 0
        with one_line_per_problem(self, verbosity):
            result = reconcile_orders(
                since=since, dry_run=dry_run, progress=self.show_progress if show_progress else None
            )
        if show_progress:
            self.stdout.write("")
        if verbosity > 0:
            self.print_result(result)
        if result.failures:
            raise CommandError(failure_summary(result))
        if verbosity > 0:
            self.stdout.write(next_step(result))

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
            ("failed", len(result.failures)),
        ]
        width = max(len(label) for label, _count in rows)
        if result.demo_orders_skipped:
            self.stdout.write(
                f"Skipped {plural(result.demo_orders_skipped, 'demo order')} made by seed_shop "
                "--demo-orders: Stripe has never heard of them."
            )
        if result.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        for label, count in rows:
            self.stdout.write(f"{label:<{width}}  {count:>5}")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def failure_summary(result: ReconcileResult) -> str:
    """How many orders could not be checked, and what to do about them."""
    unreachable = sum(failure.stripe_unreachable for failure in result.failures)
    others = len(result.failures) - unreachable
    parts = []
    if unreachable:
        parts.append(
            f"{plural(unreachable, 'order')} could not be checked: run again when Stripe answers."
        )
    if others:
        parts.append(
            f"{plural(others, 'order')} could not be reconciled: see the lines above; "
            "the next run tries again once the cause is fixed."
        )
    return " ".join(parts)


def next_step(result: ReconcileResult) -> str:
    if result.dry_run and result.changes:
        return "Run again without --dry-run to make these changes."
    if result.changes:
        return "Every order now agrees with Stripe; nothing more to do."
    return "Every order agrees with Stripe: nothing to do."
