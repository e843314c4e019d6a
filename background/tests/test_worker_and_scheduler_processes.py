"""The scheduler and the worker as separate processes against PostgreSQL, as they run beside the
app servers: nothing is run by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone

from background.tests.processes import ShopProcess, wait_for
from products.models import Product

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scheduler_and_worker(tmp_path):
    # A turn every second instead of every minute keeps the test short; the wiring is the same.
    env = {
        "SHOP_SCHEDULE": "publish_scheduled=1s",
        "SHOP_SCHEDULER_TICK_SECONDS": "0.5",
        "SHOP_WORKER_POLL_SECONDS": "0.2",
    }
    processes = [
        ShopProcess("scheduler", ["run_scheduler"], tmp_path / "scheduler.log", env),
        ShopProcess("worker", ["run_worker"], tmp_path / "worker.log", env),
    ]
    yield processes
    for process in processes:
        process.stop()


def test_a_product_scheduled_to_go_live_goes_live_on_time(make_product, scheduler_and_worker):
    product = make_product("Storm Lantern", "45.00", live=False)
    product.go_live_at = timezone.now() + timedelta(seconds=3)
    product.save_revision().publish()
    product.refresh_from_db()
    assert not product.live and product.scheduled_revision is not None

    went_live = wait_for(
        lambda: Product.objects.live().filter(pk=product.pk).exists(), 60, *scheduler_and_worker
    )

    assert went_live, "\n".join(process.log() for process in scheduler_and_worker)
    assert "Queued publish_scheduled" in scheduler_and_worker[0].log()
