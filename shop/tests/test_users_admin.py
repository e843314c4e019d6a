"""Staff managing people in Wagtail's Settings > Users meet the one-account-per-address rule as
a form error, never a server error."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db

ADDRESS_IN_USE = "Another account already uses this email address"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def new_person(**fields) -> dict:
    return {
        "username": "sam",
        "email": "sam@example.com",
        "first_name": "Sam",
        "last_name": "Lee",
        "password1": "a-long-passphrase-9",
        "password2": "a-long-passphrase-9",
        **fields,
    }


def test_adding_a_person_with_an_address_in_use_is_refused_with_a_message(admin_client):
    User.objects.create_user("pat", "Pat@Example.com", "pw")

    response = admin_client.post(
        reverse("wagtailusers_users:add"), new_person(email="pat@example.COM")
    )

    assert response.status_code == 200
    assert ADDRESS_IN_USE in response.content.decode()
    assert not User.objects.filter(username="sam").exists()


def test_adding_a_person_with_a_new_address_still_works(admin_client):
    response = admin_client.post(reverse("wagtailusers_users:add"), new_person())

    assert response.status_code == 302
    assert User.objects.get(username="sam").email == "sam@example.com"


def test_editing_a_person_to_another_accounts_address_is_refused_and_their_own_is_kept(
    admin_client,
):
    User.objects.create_user("pat", "pat@example.com", "pw")
    sam = User.objects.create_user("sam", "sam@example.com", "pw")
    edit_url = reverse("wagtailusers_users:edit", args=[sam.pk])
    fields = {"username": "sam", "first_name": "Sam", "last_name": "Lee", "is_active": "on"}

    refused = admin_client.post(edit_url, {**fields, "email": "PAT@example.com"})
    kept = admin_client.post(edit_url, {**fields, "email": "Sam@Example.com"})

    assert refused.status_code == 200 and ADDRESS_IN_USE in refused.content.decode()
    assert kept.status_code == 302
    sam.refresh_from_db()
    assert sam.email == "Sam@example.com"
