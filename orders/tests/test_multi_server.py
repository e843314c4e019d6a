"""Two gunicorn servers on one PostgreSQL: webhooks and success pages racing across both."""

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail

from orders import checkout
from orders.cart import Cart
from orders.models import Order
from orders.shoppers import SHOPPER_SESSION_KEY
from orders.tests.helpers import WEBHOOK_SECRET, run_queued_tasks
from orders.tests.servers import ROOT, database_url, free_port, wait_until_serving
from products.models import Product
from stripe_emulator.testing import EmulatorControl, stripe_client
from stripe_emulator.webhooks import signature_header

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS_PER_SERVER = 10


@pytest.fixture
def servers(tmp_path, stripe_emulator):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "STRIPE_API_BASE": stripe_emulator.base_url,
        "ORDERS_LOG_LEVEL": "INFO",
    }
    started = []
    for name in ("a", "b"):
        port = free_port()
        log = open(tmp_path / f"gunicorn-{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
            + [f"--bind=127.0.0.1:{port}", "--workers=2", "--threads=4", "--timeout=60"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(
            (f"http://127.0.0.1:{port}", process, log, tmp_path / f"gunicorn-{name}.log")
        )
    for url, process, _, log_path in started:
        wait_until_serving(url, process, log_path)
    yield [(url, log_path) for url, _, _, log_path in started]
    for _, process, log, _ in started:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def request(url, data=None, headers=None) -> int:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def checkout_in_a_browser_session() -> tuple[Order, SessionStore]:
    """A shopper's saved session with a power bank in the cart, and the checkout it opened."""
    session = SessionStore()
    session[SHOPPER_SESSION_KEY] = "two-servers"
    Cart(session).add(Product.objects.get(slug="portable-power-bank").pk, 1)
    session.save()
    urls = checkout.CheckoutUrls("http://testserver/success/", "http://testserver/cancel/")
    return checkout.create_checkout(Cart(session), "session:two-servers", None, urls), session


def pay_without_delivering_events(emulator, order: Order) -> list[bytes]:
    """Pay at Stripe, keeping back its events; return their bodies as Stripe would post them."""
    control = EmulatorControl(emulator.base_url)
    event_ids = control.complete_session(
        order.stripe_checkout_session_id, "paid", email="pat@example.com", deliver=False
    )["event_ids"]
    sdk = stripe_client(emulator.base_url, "sk_test_suite")
    return [
        json.dumps(sdk.v1.events.retrieve(event_id).to_dict()).encode() for event_id in event_ids
    ]


def requests_to_both_servers(servers, bodies, order: Order, cookie: str) -> list[tuple]:
    """On each server, every event delivered and the success page visited, many times over."""
    jobs = []
    for base_url, _ in servers:
        for _ in range(REQUESTS_PER_SERVER):
            for body in bodies:
                jobs.append(
                    (
                        f"{base_url}/webhook/",
                        body,
                        {
                            "Content-Type": "application/json",
                            "Stripe-Signature": signature_header(body, WEBHOOK_SECRET),
                        },
                    )
                )
            jobs.append(
                (
                    f"{base_url}/success/?session_id={order.stripe_checkout_session_id}",
                    None,
                    {"Cookie": cookie},
                )
            )
    return jobs


def send_all_at_once(jobs) -> list[int]:
    """Send every request from its own thread, released together; return the status codes."""
    barrier = threading.Barrier(len(jobs))
    answers = []

    def run(job):
        barrier.wait()
        answers.append(request(*job))

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_webhooks_and_success_pages_on_two_servers_pay_once(seeded_shop, stripe_emulator, servers):
    order, session = checkout_in_a_browser_session()
    bodies = pay_without_delivering_events(stripe_emulator, order)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    jobs = requests_to_both_servers(servers, bodies, order, cookie)

    answers = send_all_at_once(jobs)

    order.refresh_from_db()
    logs = "".join(log_path.read_text() for _, log_path in servers)
    assert run_queued_tasks() == 1
    assert sorted(set(answers)) == [200]
    assert len(answers) == len(jobs)
    assert order.status == Order.Status.PAID
    assert logs.count(f"{order.reference}: pending -> paid") == 1
    assert [message.subject for message in mail.outbox] == [
        f"Your order {order.reference} is confirmed"
    ]
