"""Staff reading the shoppers' emails before a shopper does: a preview of each against a
made-up order, and a test copy sent to their own address."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.forms import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST
from wagtail.admin import messages

from . import email_content, emails
from .models import OrderEmail

EDIT_EMAIL_TEXTS = "shop.change_emailsettings"
# One test email per staff member this often: enough to check an edit, too slow to spam.
TEST_EMAIL_EVERY_SECONDS = 10


def _reason_for(request, reason: str) -> str:
    if not request.user.has_perm(EDIT_EMAIL_TEXTS):
        raise PermissionDenied
    if reason not in OrderEmail.Reason.values:
        raise Http404("No such email.")
    return reason


@require_GET
def preview(request, reason: str):
    reason = _reason_for(request, reason)
    return TemplateResponse(
        request,
        "orders/admin/email_preview.html",
        {
            "reason": reason,
            "reason_label": OrderEmail.Reason(reason).label,
            "reasons": OrderEmail.Reason.choices,
            "email": email_content.sample(reason),
        },
    )


@require_POST
def send_test(request, reason: str):
    reason = _reason_for(request, reason)
    back = redirect("shop_email_preview", reason=reason)
    address = request.user.email
    try:
        validate_email(address)
    except ValidationError:
        messages.error(
            request,
            "Your account has no email address a test can be sent to: add one under "
            "Account → Profile, then send the test again.",
        )
        return back
    if not cache.add(f"test-email-sent:{request.user.pk}", True, TEST_EMAIL_EVERY_SECONDS):
        messages.warning(
            request, "A test email went out a moment ago: wait a few seconds before the next."
        )
        return back
    content = email_content.sample(reason)
    test = email_content.EmailContent(
        subject=f"[Test] {content.subject}", text=content.text, html=content.html
    )
    try:
        emails.multipart(test, to=address).send()
    except OSError as error:
        messages.error(
            request, f"The mail server did not take the test email ({error}); try again later."
        )
        return back
    label = OrderEmail.Reason(reason).label
    messages.success(request, f"A test of the “{label}” email was sent to {address}.")
    return back
