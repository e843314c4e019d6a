import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from background import scheduler


class Command(BaseCommand):
    help = (
        "Queue the periodic jobs (scheduled publishing, abandoned checkouts, reconcile_orders, "
        "expired sessions) when they are due. Any number may run on any number of hosts: each "
        "job's turn is queued once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Queue the jobs that are due now, then exit."
        )

    def handle(self, *args, once, **options):
        jobs = scheduler.periodic_jobs()
        for job in jobs:
            self.stdout.write(f"{job.name} every {job.every}")
        self.running = True
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        while self.running:
            close_old_connections()
            for name in scheduler.queue_due_jobs():
                self.stdout.write(f"Queued {name}")
            if once:
                return
            time.sleep(settings.SHOP_SCHEDULER_TICK_SECONDS)

    def stop(self, signum, frame):
        self.running = False
