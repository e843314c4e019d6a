import re
import secrets
from decimal import Decimal

from django import forms

from shop.money import format_money

SMALLEST_AMOUNT = Decimal("0.01")
REFUND_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class RefundForm(forms.Form):
    """One refund request; its token, new each time the page is opened, makes it one at Stripe.

    The first submission shows what will happen and asks for confirmation, which carries the
    same token. Submitting the same page twice sends the same token, so Stripe refunds once; a
    refund asked for again from a freshly opened page is a new refund, even of the same amount.
    """

    amount = forms.DecimalField(required=False, max_digits=10, decimal_places=2)
    refund_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # Set by the confirmation step: only a confirmed request reaches Stripe.
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, refundable: Decimal, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.currency = currency
        self.fields["amount"].label = f"Amount to refund ({currency.upper()})"
        self.fields[
            "amount"
        ].help_text = f"Leave empty to refund the full {format_money(refundable, currency)} left."
        self.fields["refund_token"].initial = secrets.token_urlsafe(18)

    def clean_amount(self) -> Decimal | None:
        amount = self.cleaned_data["amount"]
        if amount is None:
            return None
        if amount <= 0:
            raise forms.ValidationError(
                f"Enter an amount of at least {format_money(SMALLEST_AMOUNT, self.currency)}."
            )
        if amount > self.refundable:
            raise forms.ValidationError(
                f"This order has {format_money(self.refundable, self.currency)} left to refund; "
                "enter that or less, or leave the field empty to refund all of it."
            )
        return amount

    def clean(self) -> dict:
        cleaned = super().clean()
        # The token field is hidden, so its error is shown for the whole form.
        if not REFUND_TOKEN.match(cleaned.get("refund_token", "")):
            raise forms.ValidationError(
                "This refund form is out of date. Open the refund page again and resubmit."
            )
        return cleaned
