from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from shop.models import ShopSettings

from .forms import SignUpForm


def signup(request):
    if request.user.is_authenticated:
        return redirect("order_list")
    form = SignUpForm(request.POST or None)
    user = form.save_new_account() if request.method == "POST" and form.is_valid() else None
    if user is not None:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your account is ready.")
        return redirect("order_list")
    return render(request, "registration/signup.html", {"form": form, "page_title": "Sign up"})


class PasswordResetView(auth_views.PasswordResetView):
    """Emails a one-time link; an address with no account gets the same "sent" page, no email."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        self.extra_email_context = {
            "shop_settings": ShopSettings.for_request(self.request),
            "base_url": public_base_url(self.request),
        }
        return super().form_valid(form)


def public_base_url(request) -> str:
    """SHOP_BASE_URL, so links in emails never trust a Host header; locally, the request's own."""
    return settings.SHOP_BASE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
