"""The error codes of the public contract and the exception that carries them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    BAD_USER_INPUT = "BAD_USER_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
    UPLOAD_NOT_FOUND = "UPLOAD_NOT_FOUND"
    UPLOAD_EXPIRED = "UPLOAD_EXPIRED"
    INVALID_IMAGE = "INVALID_IMAGE"
    INTERNAL = "INTERNAL"
    # Not in the contract's list but stable: a dependency (Postgres, Redis, the auth
    # service's keys) is unreachable; retry after `extensions.retryAfter` seconds.
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    # Not in the contract's list but stable: a query the server refused to run.
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    # Over the operation cost budget (`extensions.cost`: estimated, max); see cost.py.
    COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
    # Ran past the per-operation deadline and was stopped.
    OPERATION_TIMEOUT = "OPERATION_TIMEOUT"
    # Why a background job failed (e.g. `WasteAnalysis.error.code`), beside the codes above
    # that also apply (UPLOAD_NOT_FOUND, INVALID_IMAGE): stored, so never renamed.
    CLASSIFIER_ERROR = "CLASSIFIER_ERROR"
    TIME_LIMIT = "TIME_LIMIT"
    RETRIES_EXHAUSTED = "RETRIES_EXHAUSTED"


class BunriError(Exception):
    """An error meant for the client: its message and `extensions` are shown as they are.

    graphql-core copies `extensions` from the original exception onto the GraphQL error.
    """

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, Any] = {"code": code.value, **extra}


def bad_input(message: str, *, field: str | None = None) -> BunriError:
    return BunriError(ErrorCode.BAD_USER_INPUT, message, **({"field": field} if field else {}))


def not_found(message: str) -> BunriError:
    return BunriError(ErrorCode.NOT_FOUND, message)
