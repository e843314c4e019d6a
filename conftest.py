import pytest
from django.core.management import call_command


@pytest.fixture
def seeded_shop(db):
    call_command("seed_shop", verbosity=0)


@pytest.fixture
def make_product(db):
    from products.tests.factories import make_product

    return make_product
