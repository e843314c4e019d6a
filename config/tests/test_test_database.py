"""The test database, emptied between transactional tests, still holds what the migrations
created, whatever ran before."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from wagtail.models import Collection, Page, Site

from products.models import Product

pytestmark = pytest.mark.django_db(transaction=True)


def empty_database_as_between_tests():
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)


def test_emptying_the_database_keeps_the_default_site_its_home_page_and_root_collection():
    call_command("seed_shop", "--without-pictures", verbosity=0)

    empty_database_as_between_tests()

    site = Site.objects.get(is_default_site=True)
    assert site.root_page.title == "Welcome to your new Wagtail site!"
    assert list(Page.objects.values_list("depth", flat=True).order_by("depth")) == [1, 2]
    assert Collection.objects.get().is_root()
    assert Product.objects.count() == 0


def test_emptying_the_database_keeps_wagtails_groups_and_drops_the_shops_own():
    call_command("seed_shop", "--without-pictures", verbosity=0)
    User.objects.create_user("sam", password="pw")

    empty_database_as_between_tests()

    assert set(Group.objects.values_list("name", flat=True)) == {"Editors", "Moderators"}
    assert Group.objects.get(name="Editors").permissions.exists()
    assert User.objects.count() == 0
