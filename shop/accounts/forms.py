from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

EMAIL_TAKEN = (
    "An account with this email address already exists. Sign in instead, or use another address."
)


class SignUpForm(UserCreationForm):
    email = forms.EmailField(help_text="We send your order confirmations here.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email

    def save_new_account(self) -> User | None:
        """Create the account, or None with the form's error when a sign-up at the same moment
        took the address or the username first (the database keeps both unique)."""
        try:
            with transaction.atomic():
                return self.save()
        except IntegrityError:
            email, username = self.cleaned_data["email"], self.cleaned_data["username"]
            if User.objects.filter(email__iexact=email).exists():
                self.add_error("email", EMAIL_TAKEN)
            elif User.objects.filter(username=username).exists():
                self.add_error("username", self.instance.unique_error_message(User, ["username"]))
            else:
                raise
            return None
