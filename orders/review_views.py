"""The order page's "Mark as reviewed" button, for staff who may refund orders."""

from django import forms
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import BaseObjectMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from . import reviews
from .models import Order


class MarkReviewedForm(forms.Form):
    reasons_seen = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class MarkReviewedView(BaseObjectMixin, PermissionCheckedMixin, View):
    model = Order
    permission_required = "refund"
    inspect_url_name = None
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        order = self.object
        form = MarkReviewedForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The order page was out of date: read it again, then mark it.")
        elif reviews.mark_reviewed(order, request.user, form.cleaned_data["reasons_seen"]):
            messages.success(request, f"Order {order.reference} marked as reviewed.")
        else:
            order.refresh_from_db()
            messages.warning(request, self.not_marked_message(order))
        return redirect(reverse(self.inspect_url_name, args=[order.pk]))

    @staticmethod
    def not_marked_message(order: Order) -> str:
        if order.needs_review:
            return (
                "A new reason to review this order came in after the page was opened: "
                "read it below, then mark the order as reviewed again."
            )
        return "Nothing left to review on this order: it was already marked as reviewed."
