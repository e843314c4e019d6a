"""One account per email address, whatever its case, even when two people sign up at once."""

import importlib
import threading

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, connections, transaction
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

shared_email_migration = importlib.import_module("shop.migrations.0002_one_account_per_email")

EMAIL_TAKEN = "An account with this email address already exists"


def sign_up(client: Client, username: str, email: str):
    return client.post(
        reverse("signup"),
        {
            "username": username,
            "email": email,
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )


@pytest.fixture
def both_pass_the_form_check():
    """Hold every sign-up between the form's check for the address and the insert, until two
    have arrived: both have then been told the address is free."""
    barrier = threading.Barrier(2, timeout=10)

    def wait_for_the_other(sender, instance, **kwargs):
        if instance.pk is None:
            barrier.wait()

    pre_save.connect(wait_for_the_other, sender=User, dispatch_uid="wait_for_the_other")
    yield
    pre_save.disconnect(sender=User, dispatch_uid="wait_for_the_other")


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_racing_for_one_address_make_one_account(both_pass_the_form_check):
    responses = {}

    def sign_up_as(username: str, email: str):
        try:
            responses[username] = sign_up(Client(raise_request_exception=False), username, email)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=sign_up_as, args=("pat", "pat@example.com")),
        threading.Thread(target=sign_up_as, args=("patricia", "PAT@Example.com")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    [account] = User.objects.all()
    winner = responses[account.username]
    loser = responses["patricia" if account.username == "pat" else "pat"]
    assert (winner.status_code, winner.url) == (302, reverse("order_list"))
    assert loser.status_code == 200
    assert EMAIL_TAKEN in loser.content.decode()


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_the_same_address_in_another_case():
    User.objects.create_user("pat", "pat@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("patricia", "Pat@EXAMPLE.com")

    User.objects.create_user("no-address-1", "")
    User.objects.create_user("no-address-2", "")
    assert User.objects.count() == 3


@pytest.mark.django_db
def test_migrating_stops_and_names_the_accounts_that_already_share_an_address():
    with connection.cursor() as cursor:
        # As a database from before the rule: the test's transaction brings the index back.
        cursor.execute(f"DROP INDEX {shared_email_migration.INDEX_NAME}")
    User.objects.create_user("pat", "pat@example.com")
    User.objects.create_user("patricia", "PAT@example.com")
    User.objects.create_user("sam", "sam@example.com")

    with pytest.raises(RuntimeError) as refused:
        shared_email_migration.refuse_shared_addresses(apps, connection.schema_editor())

    message = str(refused.value)
    assert "pat@example.com: pat, patricia." in message
    assert "sam" not in message
    assert "Settings > Users" in message
    assert User.objects.count() == 3
