"""What a developer reads when one of the shop's commands runs in their terminal."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

# The shop and the Stripe SDK log each problem (the SDK every request, too); the command says it.
REPORTED_BY_THE_COMMAND = ("orders", "stripe")


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        # No isatty, or a stream already closed: nothing anyone reads.
        return False


class _ReportedByTheCommand(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(
            record.name == name or record.name.startswith(f"{name}.")
            for name in REPORTED_BY_THE_COMMAND
        )


def _terminal_handlers() -> list[logging.StreamHandler]:
    loggers = [logging.getLogger(), *map(logging.getLogger, REPORTED_BY_THE_COMMAND)]
    return [
        handler
        for logger in loggers
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler) and _is_terminal(handler.stream)
    ]


@contextmanager
def one_line_per_problem(command, verbosity: int) -> Iterator[None]:
    """In a terminal the command prints each problem itself, once: the log lines the shop and the
    Stripe SDK would write to that same terminal are held back. Logs going anywhere else (a
    file, a log collector, a cron run's output) and every log at --verbosity 2 pass unchanged."""
    if verbosity >= 2 or not (_is_terminal(command.stdout) or _is_terminal(command.stderr)):
        yield
        return
    held_back = _ReportedByTheCommand()
    handlers = _terminal_handlers()
    for handler in handlers:
        handler.addFilter(held_back)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(held_back)
