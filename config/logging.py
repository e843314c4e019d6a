"""One JSON object per log line, so production logs can be searched by order and Stripe ids."""

import json
import logging
from datetime import UTC, datetime

# The formatter and stdout handler that production settings and gunicorn both log through.
JSON_TO_STDOUT = {
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
}

# Attributes a log call passes with extra={...} that are worth a field of their own.
CONTEXT_FIELDS = ("order_reference", "checkout_session_id", "stripe_event_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value:
                entry[field] = str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
