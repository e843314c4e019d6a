"""Who sees orders in the Wagtail admin; nobody edits them by hand."""

import pytest
from django.contrib.auth.models import User
from django.urls import NoReverseMatch, reverse
from wagtail.permissions import policy_registry

from orders.models import Order
from orders.tests.factories import make_order
from orders.tests.helpers import ADMIN_ORDERS_URL, admin_order_url

pytestmark = pytest.mark.django_db

Status = Order.Status
DENIED = "Sorry, you do not have permission to access this area."


def test_editors_see_no_orders_menu_and_are_turned_away_from_orders(editor_client):
    order = make_order()

    home = editor_client.get("/admin/")
    assert ADMIN_ORDERS_URL not in home.content.decode()
    for url in [
        ADMIN_ORDERS_URL,
        admin_order_url(order),
        reverse("orders:refund", args=[order.pk]),
    ]:
        response = editor_client.get(url, follow=True)
        assert response.redirect_chain == [("/admin/", 302)]
        assert DENIED in response.content.decode()
        assert editor_client.get(url, HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 403


def test_shop_managers_see_the_orders_menu(manager_client):
    assert ADMIN_ORDERS_URL in manager_client.get("/admin/").content.decode()


@pytest.mark.parametrize("path", ["new/", "edit/{pk}/", "delete/{pk}/", "copy/{pk}/"])
def test_nobody_can_add_edit_or_delete_an_order_not_even_a_superuser(superuser_client, path):
    order = make_order()

    url = ADMIN_ORDERS_URL + path.format(pk=order.pk)

    assert superuser_client.get(url).status_code == 404
    assert superuser_client.post(url, {"status": "paid"}).status_code == 404
    order.refresh_from_db()
    assert order.status == Status.PENDING


def test_order_permission_policy_refuses_editing_to_everyone(manager):
    superuser = User.objects.create_superuser("root", "root@example.com", "pw")
    policy = policy_registry.get_by_type(Order)

    for user in (superuser, manager):
        assert policy.user_has_permission(user, "view")
        assert policy.user_has_permission(user, "refund")
        assert not policy.user_has_any_permission(user, ["add", "change", "delete"])
    assert set(policy.users_with_any_permission(["add", "change", "delete"])) == set()
    with pytest.raises(NoReverseMatch):
        reverse("orders:add")


def test_superuser_listing_offers_no_add_or_edit_links(superuser_client):
    order = make_order()

    page = superuser_client.get(ADMIN_ORDERS_URL).content.decode()

    assert admin_order_url(order) in page
    assert "Add order" not in page and f"{ADMIN_ORDERS_URL}edit/" not in page
