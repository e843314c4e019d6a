import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

RESET_LINK = re.compile(r"(https?://[^/\s]+)(/account/password-reset/\S+/)")


@pytest.fixture
def pat(django_user_model):
    return django_user_model.objects.create_user("pat", "pat@example.com", "an-old-password-1")


def without_tokens(response) -> str:
    return re.sub(r'value="[^"]*"', "", response.content.decode())


def signs_in(username: str, password: str) -> bool:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and response.url == reverse("order_list")


def test_signing_up_with_an_email_another_account_has_is_refused(client, django_user_model):
    django_user_model.objects.create_user("pat", "Pat@Example.com", "a-long-password-1")

    response = client.post(
        reverse("signup"),
        {
            "username": "someone",
            "email": "pat@example.COM",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )

    assert response.status_code == 200
    assert "An account with this email address already exists" in response.content.decode()
    assert not django_user_model.objects.filter(username="someone").exists()


def test_the_login_page_offers_a_password_reset(client):
    page = client.get(reverse("login")).content.decode()

    assert f'href="{reverse("password_reset")}">Forgot your password?</a>' in page


def test_a_forgotten_password_is_replaced_through_the_emailed_link(client, pat):
    sent = client.post(reverse("password_reset"), {"email": "PAT@example.com"}, follow=True)

    assert "Check your email" in sent.content.decode()
    assert 'write to <a href="mailto:shop@example.com">' in sent.content.decode()
    [message] = mail.outbox
    assert message.to == ["pat@example.com"]
    assert message.subject == "Your password at Wagtail Shop"
    link = RESET_LINK.search(message.body)
    assert link[1] == "http://testserver"

    form = client.get(link[2], follow=True)
    assert "Choose a new password" in form.content.decode()
    changed = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-password-2", "new_password2": "a-brand-new-password-2"},
        follow=True,
    )

    assert "Your password is changed" in changed.content.decode()
    assert signs_in("pat", "a-brand-new-password-2")
    assert not signs_in("pat", "an-old-password-1")
    reused = client.get(link[2], follow=True).content.decode()
    assert "This link no longer works" in reused


def test_an_unknown_address_gets_the_same_page_and_no_email(client, pat):
    known = client.post(reverse("password_reset"), {"email": "pat@example.com"}, follow=True)
    mail.outbox.clear()

    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert unknown.redirect_chain == known.redirect_chain
    assert without_tokens(unknown) == without_tokens(known)
    assert mail.outbox == []


def test_the_reset_link_points_at_the_shops_public_address_not_the_requests_host(
    client, pat, settings
):
    settings.SHOP_BASE_URL = "https://shop.example.com"

    client.post(reverse("password_reset"), {"email": "pat@example.com"}, HTTP_HOST="evil.example")

    [message] = mail.outbox
    assert RESET_LINK.search(message.body)[1] == "https://shop.example.com"
    assert "evil.example" not in message.body
