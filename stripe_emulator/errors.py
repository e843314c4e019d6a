"""Stripe's error envelope, raised anywhere inside the emulator."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error answered with Stripe's `{"error": {...}}` body.

    `replayable` is False for errors found while validating parameters: Stripe
    saves no idempotent result for a request that never started executing.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        replayable: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code
        self.param = param
        self.replayable = replayable

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        return {"error": error}


def invalid_request(
    message: str, *, param: str | None = None, code: str | None = None
) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def invalid_parameter(
    message: str, *, param: str | None = None, code: str | None = None
) -> StripeError:
    return StripeError(400, message, param=param, code=code, replayable=False)


def missing_parameter(param: str) -> StripeError:
    return invalid_parameter(
        f"Missing required param: {param}.", param=param, code="parameter_missing"
    )


def no_such(object_name: str, object_id: str, *, param: str, status: int = 400) -> StripeError:
    return StripeError(
        status,
        f"No such {object_name}: '{object_id}'",
        param=param,
        code="resource_missing",
    )


def conflict(message: str) -> StripeError:
    """A test-control request that the current state cannot satisfy."""
    return StripeError(409, message)
