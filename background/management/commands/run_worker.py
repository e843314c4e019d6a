from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string

from background import engine


class Command(BaseCommand):
    help = (
        "Run the shop's background tasks (emails, periodic jobs) as they come due; run as many "
        "as you like, on any number of hosts. Stop with SIGTERM: the task at hand is finished."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run the tasks that are due now, one after another, then exit.",
        )
        parser.add_argument(
            "--worker-id",
            default=get_random_string(32),
            help="A name unique among the running workers (default: a random one).",
        )

    def handle(self, *args, once, worker_id, **options):
        # Tasks left running by a worker that was killed, once the lease says it is gone.
        engine.requeue_stale_tasks()
        if once:
            count = engine.run_ready_tasks()
            self.stdout.write(f"Ran {count} tasks.")
            return
        self.stdout.write(f"Worker {worker_id} waiting for tasks.")
        worker = engine.new_worker(worker_id)
        worker.configure_signals()
        worker.run()
