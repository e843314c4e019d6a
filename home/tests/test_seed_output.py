"""What `make run` prints while it sets up a shop: the staff groups, and where to sign in."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from home.management.commands import local_admin
from scripts import run_local

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_seeding_names_the_staff_groups_and_how_to_put_people_in_them():
    output = run("seed_shop")

    listed = output.split("Staff groups:\n")[1].splitlines()
    assert len([line for line in listed if line.startswith("  ")]) == Group.objects.count()
    assert "  Editors: edit and publish products, pages and images" in output
    assert "  Shop managers: see, refund and ship orders; set shipping rates and tax" in output
    # Wagtail makes this one; the shop does not use it.
    assert "  Moderators: not set up by the shop; see its permissions in the admin" in output
    assert (
        "To put someone in a group, sign in to /admin/ as a superuser, open Settings > Users, "
        "choose the person (or Add a user) and tick the group under Roles."
    ) in output


def test_the_local_admin_login_names_the_address_the_local_shop_runs_on(
    settings, tmp_path, monkeypatch
):
    settings.DEBUG = True
    monkeypatch.setattr(local_admin, "CREDENTIALS_FILE", tmp_path / ".local-admin")

    output = run("local_admin")

    served_on = f"http://{run_local.HOST}:{run_local.PORT}"
    assert f"Admin login for {served_on}/admin/  user: admin  password: " in output
