"""What a developer reads when running the shop's commands: each problem once, what to do
next, and help for every option."""

import io
import logging

import pytest
from django.core.management import (
    CommandError,
    ManagementUtility,
    call_command,
    get_commands,
    load_command_class,
)

from orders.models import Order, StripeEvent
from orders.tests.factories import make_order, session_object
from orders.tests.helpers import pay_at_stripe, start_checkout
from stripe_emulator import objects

SHOP_APPS = {"orders", "home", "shop", "products", "background"}
CLOSED_PORT = "http://127.0.0.1:9"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def terminal():
    """A developer's terminal, where the command and the shop's console log both write, as
    they do with the development settings (root logger at INFO on the console)."""
    screen = Terminal()
    console = logging.StreamHandler(screen)
    root = logging.getLogger()
    level = root.level
    root.addHandler(console)
    root.setLevel(logging.INFO)
    yield screen
    root.removeHandler(console)
    root.setLevel(level)


@pytest.fixture
def cut_off_stripe(settings):
    def cut_off():
        settings.STRIPE_API_BASE = CLOSED_PORT
        settings.STRIPE_TIME_BUDGET_SECONDS = 3.0

    return cut_off


@pytest.fixture
def lamp(make_product):
    return make_product("Desk Lamp", "25.00")


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def lines_naming(text: str, *names: str) -> list[str]:
    return [line for line in text.splitlines() if any(name in line for name in names)]


@pytest.mark.django_db
class TestReconcileOrders:
    def test_after_seeding_demo_orders_it_skips_them_and_exits_cleanly(self, stripe_emulator):
        call_command("seed_shop", "--demo-orders", "5", stdout=io.StringIO())
        statuses = dict(Order.objects.values_list("reference", "status"))

        pending, pending_errors = run("reconcile_orders")
        window, window_errors = run("reconcile_orders", "--since", "30d")

        assert (pending_errors, window_errors) == ("", "")
        assert (
            "Skipped 1 demo order made by seed_shop --demo-orders: Stripe has never heard of them."
        ) in pending
        assert "Skipped 5 demo orders made by seed_shop --demo-orders" in window
        for output in (pending, window):
            assert output.splitlines()[-1] == "Every order agrees with Stripe: nothing to do."
        assert dict(Order.objects.values_list("reference", "status")) == statuses

    def test_on_a_terminal_each_order_stripe_could_not_answer_for_is_one_line(
        self, stripe_emulator, lamp, terminal, cut_off_stripe
    ):
        order = start_checkout((lamp, 1))
        cut_off_stripe()

        with pytest.raises(CommandError) as failure:
            call_command("reconcile_orders", stdout=terminal, stderr=terminal)

        assert str(failure.value) == "1 order could not be checked: run again when Stripe answers."
        [problem] = lines_naming(
            terminal.getvalue(), order.reference, order.stripe_checkout_session_id
        )
        assert problem.startswith(f"{order.reference}  failed: ")

    def test_away_from_a_terminal_the_logs_still_say_everything(
        self, stripe_emulator, lamp, cut_off_stripe, caplog
    ):
        order = start_checkout((lamp, 1))
        cut_off_stripe()
        caplog.set_level(logging.WARNING, logger="orders")

        with pytest.raises(CommandError):
            run("reconcile_orders")

        assert any(order.reference in record.getMessage() for record in caplog.records)

    def test_a_run_that_could_not_check_an_order_exits_with_status_1(
        self, stripe_emulator, lamp, cut_off_stripe, capsys
    ):
        start_checkout((lamp, 1))
        cut_off_stripe()

        with pytest.raises(SystemExit) as exit_status:
            ManagementUtility(["manage.py", "reconcile_orders"]).execute()

        assert exit_status.value.code == 1
        assert (
            "CommandError: 1 order could not be checked: run again when Stripe answers."
            in capsys.readouterr().err
        )

    def test_a_dry_run_says_how_to_make_the_changes_it_found(self, stripe_emulator, lamp):
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)

        output, _errors = run("reconcile_orders", "--dry-run")

        assert output.splitlines()[-1] == "Run again without --dry-run to make these changes."

    def test_a_run_that_changed_orders_says_there_is_nothing_more_to_do(
        self, stripe_emulator, lamp
    ):
        order = start_checkout((lamp, 1))
        pay_at_stripe(stripe_emulator, order)

        output, _errors = run("reconcile_orders")

        assert output.splitlines()[-1] == "Every order now agrees with Stripe; nothing more to do."


@pytest.mark.django_db
def test_replaying_events_on_a_terminal_prints_each_event_once(
    stripe_emulator, terminal, cut_off_stripe
):
    order = make_order()
    paid = objects.event("checkout.session.completed", session_object(order))
    refund = objects.event(
        "charge.refunded",
        objects.charge("ch_unknown", amount=100, amount_refunded=100, payment_intent="pi_unknown"),
    )
    cut_off_stripe()
    for event in (paid, refund):
        StripeEvent.objects.create(
            stripe_event_id=event["id"],
            type=event["type"],
            outcome=StripeEvent.Outcome.FAILED,
            payload=event,
        )

    with pytest.raises(CommandError, match="1 event"):
        call_command("replay_stripe_events", stdout=terminal, stderr=terminal)

    screen = terminal.getvalue()
    [paid_line] = lines_naming(screen, paid["id"])
    [refund_line] = lines_naming(screen, refund["id"])
    assert f"failed -> processed  order {order.reference}" in paid_line
    assert "failed -> failed" in refund_line


@pytest.mark.django_db(transaction=True)
def test_simulating_a_webhook_prints_the_orders_state_afterwards(live_server):
    order = make_order()
    url = f"{live_server.url}/webhook/"

    paid, _errors = run("simulate_webhook", order.reference, "--event", "completed", "--url", url)
    refunded, _errors = run(
        "simulate_webhook", order.reference, "--event", "refunded", "--url", url
    )

    assert paid.splitlines()[-1] == f"Order {order.reference} is now Paid (was Pending)."
    assert refunded.splitlines()[-1].startswith(
        f"Order {order.reference} is now Refunded, $"
    ) and refunded.splitlines()[-1].endswith(" refunded (was Paid).")


def shop_commands() -> list[tuple[str, str]]:
    return sorted((app, name) for name, app in get_commands().items() if app in SHOP_APPS)


def test_the_shop_has_the_commands_developers_are_told_about():
    names = {name for _app, name in shop_commands()}

    assert {
        "reconcile_orders",
        "replay_stripe_events",
        "simulate_webhook",
        "seed_shop",
        "local_admin",
        "run_worker",
        "run_scheduler",
        "retry_failed_emails",
    } <= names


@pytest.mark.parametrize(("app", "name"), shop_commands())
def test_every_option_of_every_shop_command_has_help(app, name):
    parser = load_command_class(app, name).create_parser("manage.py", name)

    without_help = [
        action.option_strings or [action.dest]
        for action in parser._actions
        if not (action.help or "").strip()
    ]

    assert without_help == []
