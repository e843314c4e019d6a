"""Where a request's CPU goes on the whole machine under load: the shop's or the floor's gunicorn
workers, PostgreSQL's backends on the bench's database ("postgres") and its other processes,
Redis, the Stripe emulator, the load's own clients and the rest; prints figures, asserts
nothing.

    .venv/bin/python -m bench.cpu_split [--duration 6] [--concurrency 16] [LOAD ...]

Builds the data bench.run builds (the same database, $BENCH_DATABASE), serves the shop and the
floors the same way, then drives each load (all of bench.run's by default) alone for --duration
seconds and divides the CPU time each group of processes used, read from /proc, by the requests
served. With every core busy, a load's requests a second are the cores' time over its row's
total, so two loads' shares in bench.run follow from their totals here; the rows say which
process spends the difference. Linux only.
"""

import argparse
import os
import resource
import sys
from collections import Counter
from pathlib import Path

from bench import run

ROOT = Path(__file__).resolve().parent.parent
TICKS_A_SECOND = os.sysconf("SC_CLK_TCK")
GROUPS = [
    "gunicorn",
    "postgres",
    "postgres other",
    "redis",
    "emulator",
    "clients",
]
# Everything else: other processes, and interrupts, which /proc counts to no process.
PRINTED = [*GROUPS, "rest"]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loads", nargs="*", metavar="LOAD", help="names as bench.run prints them")
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    return parser.parse_args()


def process_ticks(workers_of: set[int]) -> Counter:
    """CPU ticks (user and system) each group's live processes have used so far."""
    ticks = Counter()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat_file:
                stat = stat_file.read()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline_file:
                command = cmdline_file.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name, _, rest = stat.partition(" (")[2].rpartition(") ")
        fields = rest.split()
        used = int(fields[11]) + int(fields[12])
        parent = int(fields[1])
        ticks[group_of(name, command, parent, workers_of)] += used
    return ticks


def group_of(name: str, command: str, parent: int, workers_of: set[int]) -> str:
    if parent in workers_of:
        return "gunicorn"
    if command.startswith("postgres:"):
        backend = f" {run.DATABASE} " in command
        return "postgres" if backend else "postgres other"
    if name.startswith("redis"):
        return "redis"
    if "stripe_emulator" in command:
        return "emulator"
    return "rest"


def busy_ticks() -> int:
    """Ticks every core spent on anything but idling and waiting for I/O."""
    with open("/proc/stat") as stat_file:
        values = [int(value) for value in stat_file.readline().split()[1:]]
    return sum(values) - values[3] - values[4]


def children_ticks() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (used.ru_utime + used.ru_stime) * TICKS_A_SECOND


def measure_load(name: str, port: int, data: dict, arguments, workers_of: set[int]) -> dict:
    # A warm-up, then the load goes on from where it stopped: a paying load pays orders still
    # unpaid, and carts are emptied as often as in bench.run.
    warmed = run.measure(port, name, data, 2, arguments.concurrency)
    before, busy_before, clients_before = process_ticks(workers_of), busy_ticks(), children_ticks()
    measured = run.measure(
        port, name, data, arguments.duration, arguments.concurrency, warmed["next_counts"]
    )
    after, busy_after, clients_after = process_ticks(workers_of), busy_ticks(), children_ticks()
    requests = len(measured["latencies"])
    spent = {group: (after[group] - before[group]) for group in GROUPS if group != "clients"}
    spent["clients"] = clients_after - clients_before
    total = busy_after - busy_before
    spent["rest"] = total - sum(spent.values())
    return {
        "requests a second": requests / arguments.duration,
        "errors": measured["errors"],
        "microseconds": {
            group: ticks / TICKS_A_SECOND / requests * 1e6 for group, ticks in spent.items()
        },
        "total": total / TICKS_A_SECOND / requests * 1e6,
    }


def main() -> int:
    arguments = parse_arguments()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    names = arguments.loads or [scenario.name for scenario in run.SCENARIOS]
    unknown = set(names) - {scenario.name for scenario in run.SCENARIOS}
    if unknown:
        raise SystemExit(f"no such load: {', '.join(sorted(unknown))}")

    emulator_port = run.free_port()
    processes = [run.start_emulator(emulator_port)]
    try:
        run.recreate_database()
        run.setup_django(f"http://127.0.0.1:{emulator_port}")
        data = run.prepare_data(checkout_sessions=20000)
        data["clients"] = arguments.concurrency
        ports = {"shop": run.free_port(), "floor": run.free_port()}
        servers = {
            "shop": run.start_gunicorn(ports["shop"], arguments.gunicorn_workers, "bench.settings"),
            "floor": run.start_gunicorn(
                ports["floor"], arguments.gunicorn_workers, "bench.floor_settings"
            ),
        }
        processes += servers.values()
        for port in [emulator_port, *ports.values()]:
            run.wait_until_listening(port)
        workers_of = {server.pid for server in servers.values()}
        print(
            f"CPU microseconds a request, by process; {arguments.concurrency} clients, "
            f"{arguments.duration:.0f} s a load, {os.cpu_count()} cores"
        )
        print(f"\n{'load':26} {'req/s':>6} {'total':>6} " + " ".join(f"{g:>14}" for g in PRINTED))
        for name in names:
            server = next(scenario.server for scenario in run.SCENARIOS if scenario.name == name)
            figures = measure_load(name, ports[server], data, arguments, workers_of)
            split = " ".join(f"{figures['microseconds'][group]:14.0f}" for group in PRINTED)
            errors = f"  ({figures['errors']} errors)" if figures["errors"] else ""
            print(
                f"{name:26} {figures['requests a second']:6.0f} {figures['total']:6.0f} "
                f"{split}{errors}"
            )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
