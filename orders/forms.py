from decimal import Decimal

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from products.templatetags.shop_tags import usd


class SignUpForm(UserCreationForm):
    email = forms.EmailField(help_text="We send your order confirmations here.")

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists. "
                "Sign in instead, or use another address."
            )
        return email


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund (USD)", required=False, max_digits=10, decimal_places=2
    )

    def __init__(self, *args, refundable: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.fields["amount"].help_text = f"Leave empty to refund the full {usd(refundable)} left."

    def clean_amount(self) -> Decimal | None:
        amount = self.cleaned_data["amount"]
        if amount is None:
            return None
        if amount <= 0:
            raise forms.ValidationError("Enter an amount of at least $0.01.")
        if amount > self.refundable:
            raise forms.ValidationError(
                f"This order has {usd(self.refundable)} left to refund; "
                "enter that or less, or leave the field empty to refund all of it."
            )
        return amount
