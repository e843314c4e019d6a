"""The account serves several threads at once: every way in waits for the account's lock."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from stripe_emulator.account import BANK_TRANSFER, CARD, SUCCESS_CARD, RequestInfo
from stripe_emulator.errors import StripeError
from stripe_emulator.testing import running_emulator
from stripe_emulator.tests.helpers import SUCCESS_URL, create_session

REQUEST = RequestInfo("req_lock_test", None)
BLOCKED_FOR = 0.3
# As the API hands them over once decoded from the form body.
SESSION_PARAMS = {
    "mode": "payment",
    "success_url": SUCCESS_URL,
    "line_items": [
        {
            "price_data": {
                "currency": "usd",
                "unit_amount": "9999",
                "product_data": {"name": "Teapot"},
            },
            "quantity": "1",
        }
    ],
}

OPERATIONS = {
    "create_session": lambda account, session_id: account.create_session(SESSION_PARAMS, REQUEST),
    "retrieve_session": lambda account, session_id: account.retrieve_session(session_id, {}),
    "list_sessions": lambda account, session_id: account.list_sessions({}),
    "list_line_items": lambda account, session_id: account.list_line_items(session_id, {}),
    "expire_session": lambda account, session_id: account.expire_session(session_id, {}, REQUEST),
    "retrieve": lambda account, session_id: account.retrieve(
        "checkout.session", session_id, {}, "session"
    ),
    "create_refund": lambda account, session_id: account.create_refund(
        {"payment_intent": "pi_unknown"}, REQUEST
    ),
    "list_events": lambda account, session_id: account.list_events({}),
    "checkout_view": lambda account, session_id: account.checkout_view(session_id),
    "pay": lambda account, session_id: account.pay(
        session_id, method=CARD, email="buyer@example.com", card_number=SUCCESS_CARD
    ),
    "settle": lambda account, session_id: account.settle(session_id, succeeded=True, deliver=False),
    "session_state": lambda account, session_id: account.session_state(session_id),
    "expire_sessions": lambda account, session_id: account.expire_sessions(None),
    "fire_event": lambda account, session_id: account.fire_event(
        session_id, "checkout.session.completed", deliver=False
    ),
    "deliver": lambda account, session_id: account.deliver([]),
    "reset": lambda account, session_id: account.reset(),
    "cancel_timers": lambda account, session_id: account.cancel_timers(),
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_account_operation_waits_while_another_thread_holds_the_account(
    emulator, client, operation
):
    session_id = create_session(client).id
    finished = threading.Event()

    def run() -> None:
        # A refusal finishes the call as well as an answer does.
        with contextlib.suppress(StripeError):
            OPERATIONS[operation](emulator.account, session_id)
        finished.set()

    with emulator.account.lock:
        threading.Thread(target=run, daemon=True).start()
        finished_while_held = finished.wait(BLOCKED_FOR)

    assert not finished_while_held
    assert finished.wait(5)


def test_bank_transfer_settles_by_itself_only_once_the_account_is_free():
    with running_emulator(async_settle_seconds=0.1) as emulator:
        account = emulator.account
        session = account.create_session(SESSION_PARAMS, REQUEST)
        account.pay(session["id"], method=BANK_TRANSFER, email="buyer@example.com")

        with account.lock:
            time.sleep(0.5)
            status_while_held = account.session_state(session["id"])["payment_status"]

        deadline = time.monotonic() + 5
        while account.session_state(session["id"])["payment_status"] != "paid":
            assert time.monotonic() < deadline, "the bank transfer never settled"
            time.sleep(0.05)

    assert status_while_held == "unpaid"
