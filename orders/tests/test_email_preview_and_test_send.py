"""Staff who edit the emails' texts preview each email against a made-up order and send a test
copy to their own address; nobody else can."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from wagtail.models import Site

from orders.tests.helpers import login, staff_member
from shop.models import EmailSettings

pytestmark = pytest.mark.django_db

REASONS = ["confirmation", "shipped", "refund", "payment_failed"]


def preview_url(reason: str) -> str:
    return reverse("shop_email_preview", args=[reason])


def send_test_url(reason: str) -> str:
    return reverse("shop_email_send_test", args=[reason])


def messages_on(response) -> list[str]:
    return [str(message).strip() for message in response.context["messages"]]


@pytest.fixture
def editor(seeded_shop):
    user = User.objects.create_superuser("edna", "edna@example.com", "pw")
    EmailSettings.objects.create(
        site=Site.objects.get(is_default_site=True), shipped_intro="Off it goes <fast>!"
    )
    return user


@pytest.mark.parametrize("reason", REASONS)
def test_each_email_previews_as_html_and_text(client, editor, reason):
    response = login(client, editor).get(preview_url(reason))

    assert response.status_code == 200
    page = response.content.decode()
    assert "SAMPLE01" in page
    assert "<iframe" in page and "srcdoc=" in page
    assert "Send a test to edna@example.com" in page
    assert response.context["email"].subject in page


def test_the_preview_shows_the_saved_opening_words_escaped(client, editor):
    page = login(client, editor).get(preview_url("shipped")).content.decode()

    # The email's own text is never markup of the admin page, whatever an editor typed:
    # the plain text is escaped once, the HTML email escaped once more inside srcdoc.
    assert "<fast>" not in page
    assert "\n\nOff it goes &lt;fast&gt;!\n\n" in page
    assert "&lt;p&gt;Off it goes &amp;lt;fast&amp;gt;!&lt;/p&gt;" in page
    assert "Tracking number: 1Z999AA10123456784" in page


def test_an_unknown_email_is_not_found(client, editor):
    assert login(client, editor).get(preview_url("newsletter")).status_code == 404


def test_a_visitor_is_sent_to_sign_in(client, seeded_shop):
    response = client.get(preview_url("confirmation"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_staff_who_cannot_edit_the_email_texts_are_refused(client, seeded_shop):
    login(client, staff_member("margaret", "Shop managers"))

    for response in [
        client.get(preview_url("confirmation"), follow=True),
        client.post(send_test_url("confirmation"), follow=True),
    ]:
        assert response.redirect_chain == [(reverse("wagtailadmin_home"), 302)]
        assert "SAMPLE01" not in response.content.decode()
        assert "Sorry, you do not have permission to access this area." in messages_on(response)
    assert mail.outbox == []


def test_send_test_emails_the_signed_in_editor_once(client, editor):
    response = login(client, editor).post(send_test_url("shipped"), follow=True)

    assert response.redirect_chain == [(preview_url("shipped"), 302)]
    [message] = mail.outbox
    assert message.to == ["edna@example.com"]
    assert message.subject == "[Test] Your order SAMPLE01 is on its way"
    assert "Off it goes <fast>!" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "Off it goes &lt;fast&gt;!" in html
    assert messages_on(response) == [
        "A test of the “Order shipped” email was sent to edna@example.com."
    ]


def test_send_test_to_an_editor_without_an_address_says_what_to_do(client, editor):
    User.objects.filter(pk=editor.pk).update(email="")

    response = login(client, editor).post(send_test_url("refund"), follow=True)

    assert response.status_code == 200
    assert mail.outbox == []
    assert messages_on(response) == [
        "Your account has no email address a test can be sent to: add one under "
        "Account → Profile, then send the test again."
    ]


def test_send_test_to_an_unusable_address_says_what_to_do(client, editor):
    User.objects.filter(pk=editor.pk).update(email="edna at example")

    response = login(client, editor).post(send_test_url("refund"), follow=True)

    assert response.status_code == 200
    assert mail.outbox == []
    assert "Your account has no email address a test can be sent to" in messages_on(response)[0]


def test_send_test_needs_a_post(client, editor):
    assert login(client, editor).get(send_test_url("refund")).status_code == 405
    assert mail.outbox == []


def test_send_test_refuses_a_post_without_the_csrf_token(editor):
    client = login(Client(enforce_csrf_checks=True), editor)

    assert client.post(send_test_url("refund")).status_code == 403
    assert mail.outbox == []


def test_email_settings_page_edits_the_texts_and_links_each_preview(client, editor):
    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsettings:edit", args=["shop", "emailsettings", site.pk])
    login(client, editor)

    page = client.get(url).content.decode()
    for reason in REASONS:
        assert f'href="{preview_url(reason)}"' in page
    response = client.post(
        url,
        {
            "confirmation_intro": "Thank you kindly.",
            "shipped_intro": "On its way.",
            "refund_intro": "Refunded.",
            "payment_failed_intro": "Declined.",
        },
    )

    assert response.status_code == 302
    assert "Thank you kindly." in client.get(preview_url("confirmation")).content.decode()
