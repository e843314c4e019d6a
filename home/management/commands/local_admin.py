import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from scripts.run_local import SHOP_URL

CREDENTIALS_FILE = Path(settings.BASE_DIR) / ".local-admin"


class Command(BaseCommand):
    help = (
        "Create (once) and print an admin login for running the shop on this machine, with the "
        "address scripts/run_local.py (make run) serves the shop on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--username",
            default="admin",
            help="The admin's username (default admin); created as a superuser if missing.",
        )

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("local_admin is for local runs only (DEBUG is off).")
        User = get_user_model()
        if not User.objects.filter(username=username).exists() or not CREDENTIALS_FILE.exists():
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            CREDENTIALS_FILE.write_text(f"{username}\n{password}\n")
        username, password = CREDENTIALS_FILE.read_text().split()
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login for {SHOP_URL}/admin/  user: {username}  password: {password}"
            )
        )
