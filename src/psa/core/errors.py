"""Domain errors. Each carries its HTTP status and per-field messages; the API turns them into
RFC 9457 problem+json and pages into form errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(
        self, message: str, *, field: str | None = None, errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])
        if field is not None:
            self.errors.insert(0, FieldError(field, message))


class ValidationFailed(DomainError):
    status = 422
    title = "Invalid input"

    @classmethod
    def collect(cls, errors: list[FieldError]) -> ValidationFailed:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        return cls(summary, errors=errors)


class PermissionDenied(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
