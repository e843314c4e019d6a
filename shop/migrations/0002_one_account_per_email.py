"""One account per email address, whatever its case, held by the database itself: two sign-ups
at the same moment cannot both take an address. Accounts without an address are not affected."""

from django.db import migrations
from django.db.models import Count
from django.db.models.functions import Lower

INDEX_NAME = "auth_user_email_lower_unique"


def refuse_shared_addresses(apps, schema_editor):
    """Stop, naming them, if accounts already share an address: no account is dropped or merged
    behind anyone's back."""
    User = apps.get_model("auth", "User")
    with_address = User.objects.exclude(email="").annotate(address=Lower("email"))
    shared = (
        with_address.values("address")
        .annotate(accounts=Count("pk"))
        .filter(accounts__gt=1)
        .values_list("address", flat=True)
    )
    owners: dict[str, list[str]] = {}
    for address, username in with_address.filter(address__in=list(shared)).values_list(
        "address", "username"
    ):
        owners.setdefault(address, []).append(username)
    if owners:
        listed = "; ".join(
            f"{address}: {', '.join(sorted(usernames))}"
            for address, usernames in sorted(owners.items())
        )
        raise RuntimeError(
            "Some accounts share an email address, so one account per address cannot be "
            f"enforced yet. {listed}. Give each of these accounts its own address (or clear "
            "it) in the admin's Settings > Users, then run migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("shop", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(refuse_shared_addresses, migrations.RunPython.noop),
        # Both PostgreSQL and SQLite (3.9+) index an expression, and only the rows matching WHERE.
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX_NAME} ON auth_user (lower(email)) WHERE email <> ''",
            f"DROP INDEX {INDEX_NAME}",
        ),
    ]
