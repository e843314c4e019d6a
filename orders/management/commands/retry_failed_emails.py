from django.core.management.base import BaseCommand

from orders import emails


class Command(BaseCommand):
    help = (
        "Queue again the shoppers' emails that were given up on (the mail server refused them "
        "five times); run once the mail server answers."
    )

    def handle(self, *args, **options):
        count = emails.retry_failed()
        self.stdout.write(f"Queued {count} email{'' if count == 1 else 's'} to be sent again.")
