"""Run the shop on http://127.0.0.1:8000 with its background worker and scheduler, and with the
offline Stripe emulator when no keys are set. Ctrl+C stops them all.

The shop's commands that name its local address (local_admin, simulate_webhook) read it here.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PORT = 8000
SHOP_URL = f"http://{HOST}:{PORT}"
EMULATOR_PORT = 12111
EMULATOR_SECRET = "whsec_local_emulator"


def main() -> int:
    # Stopped with SIGTERM as with Ctrl+C: the processes started here are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    environ.Env.read_env(ROOT / ".env")
    env = dict(os.environ)
    emulator = None
    if not env.get("STRIPE_SECRET_KEY"):
        env.update(
            STRIPE_SECRET_KEY="sk_test_local_emulator",
            STRIPE_API_BASE=f"http://127.0.0.1:{EMULATOR_PORT}",
            STRIPE_WEBHOOK_SECRET=EMULATOR_SECRET,
        )
        emulator = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stripe_emulator",
                "--host=127.0.0.1",
                f"--port={EMULATOR_PORT}",
                f"--webhook-url={SHOP_URL}/webhook/",
                f"--webhook-secret={EMULATOR_SECRET}",
                "--merchant-name=Wagtail Shop",
            ],
            cwd=ROOT,
        )
        print(f"No STRIPE_SECRET_KEY: using the offline Stripe emulator on port {EMULATOR_PORT}.")
    # Emails, scheduled publishing and the other periodic jobs (see README, "Background work").
    background = [
        subprocess.Popen([sys.executable, "manage.py", command], cwd=ROOT, env=env)
        for command in ("run_worker", "run_scheduler")
    ]
    try:
        return subprocess.call(
            [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}"], cwd=ROOT, env=env
        )
    except KeyboardInterrupt:
        return 0
    finally:
        for process in [*background, emulator]:
            if process is not None:
                process.terminate()
        for process in [*background, emulator]:
            if process is not None:
                process.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
