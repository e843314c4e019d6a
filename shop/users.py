"""People in Wagtail's Settings > Users: one account per email address there too."""

from django import forms
from django.contrib.auth import get_user_model
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet

ADDRESS_IN_USE = "Another account already uses this email address: each person needs their own."


class OneAccountPerEmail:
    """The database refuses a second account with the same address (in any case); say so first."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        others = get_user_model().objects.filter(email__iexact=email)
        if self.instance.pk is not None:
            others = others.exclude(pk=self.instance.pk)
        if email and others.exists():
            raise forms.ValidationError(ADDRESS_IN_USE)
        return email


class ShopUserCreationForm(OneAccountPerEmail, UserCreationForm):
    pass


class ShopUserEditForm(OneAccountPerEmail, UserEditForm):
    pass


class ShopUserViewSet(UserViewSet):
    def get_form_class(self, for_update=False):
        return ShopUserEditForm if for_update else ShopUserCreationForm
