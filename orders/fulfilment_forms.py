from django import forms
from django.core.validators import URLValidator

from .fulfilment_models import (
    CARRIER_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TRACKING_NUMBER_MAX_LENGTH,
    TRACKING_URL_MAX_LENGTH,
)

TRACKING_URL_INVALID = (
    "Enter a web address starting with https:// or http://, "
    "e.g. https://www.ups.com/track?tracknum=1Z999."
)


class WebAddressField(forms.URLField):
    """A link staff and, later, shoppers follow: nothing but a web page may hide behind it."""

    default_validators = [URLValidator(schemes=["http", "https"])]


class CarrierForm(forms.Form):
    """What shipping several orders at once records: they went out with one carrier."""

    carrier = forms.CharField(
        max_length=CARRIER_MAX_LENGTH,
        help_text="Who takes the parcel, e.g. Royal Mail, UPS, DHL.",
        error_messages={"required": "Enter the carrier the order went out with."},
    )


class ShipmentForm(CarrierForm):
    tracking_number = forms.CharField(
        max_length=TRACKING_NUMBER_MAX_LENGTH,
        required=False,
        help_text="Leave empty for an untracked parcel.",
    )
    tracking_url = WebAddressField(
        label="Tracking link",
        max_length=TRACKING_URL_MAX_LENGTH,
        required=False,
        assume_scheme="https",
        help_text="The carrier's page for this parcel, starting with https:// or http://.",
        error_messages={"invalid": TRACKING_URL_INVALID},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Internal note",
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only staff see notes; the shopper never does.",
        error_messages={"required": "Write the note before adding it."},
    )
