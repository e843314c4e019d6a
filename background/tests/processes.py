"""Run the shop's own commands (the worker, the scheduler) as separate processes against the
test database, the way they run beside the app servers."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from orders.tests.servers import ROOT, database_url


class ShopProcess:
    def __init__(self, name: str, command: list[str], log_path: Path, env: dict[str, str]):
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": database_url(),
                "ORDERS_LOG_LEVEL": "INFO",
                **env,
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        """SIGKILL: no clean-up, as when a host loses power or the kernel kills a process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def wait_for(condition: Callable[[], bool], timeout: float, *processes: ShopProcess) -> bool:
    """Poll until the condition holds; False once the time is up or a process has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if any(process.process.poll() is not None for process in processes):
            return condition()
        time.sleep(0.1)
    return False
