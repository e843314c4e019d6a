"""Starting the shop's own servers and commands as separate processes against the test database."""

import socket
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until_serving(url, process, log_path):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log_path.read_text()}")
        try:
            urllib.request.urlopen(f"{url}/cart/", timeout=2).close()
            return
        except OSError:
            # Refused, reset, or not answered yet while workers boot on a busy machine.
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not start: {log_path.read_text()}")
