"""The hub's exceptions, grouped by what the caller should do about them.

::

    HubError                      base of every error the hub raises on purpose
    ├── RetryableError            try the same thing again later (network, busy database, 5xx)
    │   └── RateLimitedError      wait ``retry_after`` seconds, then retry
    ├── AuthExpiredError          refresh the credential/token, then retry once
    ├── RecordError               this record is bad: quarantine it and go on with the rest
    │   ├── RecordInvalidError    fields fail the canonical model (wrong type, unknown field)
    │   └── MappingError          a mapping could not turn the raw record into canonical fields
    ├── InvalidRequestError       the caller's input is wrong: fix it and ask again
    ├── UnauthorizedError         no credentials, or unknown/revoked ones: send a valid API key
    ├── ForbiddenError            valid credentials without the role needed: use a stronger key
    ├── NotFoundError             the thing asked for does not exist
    ├── ConflictError             the request contradicts the current state (e.g. already merged)
    └── FatalError                stop and tell an admin: configuration or environment is wrong
        ├── ConfigError           hub.yaml, a mapping or a setting is invalid (file, line, fix)
        └── DatabaseNotReadyError the database is unreachable or not migrated

Vendor errors are translated into these at the connector's edge by a table, so
code above the connectors never inspects vendor codes.
"""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """Base of every error the hub raises on purpose.

    ``code`` is a stable machine-readable name (used in the API's error JSON),
    ``details`` is JSON-serialisable context for the user (never secrets).
    """

    code = "hub_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class RetryableError(HubError):
    code = "retryable"


class RateLimitedError(RetryableError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class AuthExpiredError(HubError):
    code = "auth_expired"


class RecordError(HubError):
    code = "record_error"


class RecordInvalidError(RecordError):
    code = "record_invalid"


class MappingError(RecordError):
    """A record a mapping could not transform: names the mapping, record, field, value and why.

    The value is masked when it is personal data (phones, e-mails, addresses).
    """

    code = "mapping_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        mapping: str | None = None,
        record_id: str | None = None,
        field: str | None = None,
        value: Any = None,
        reason: str | None = None,
        details: Any = None,
    ) -> None:
        self.mapping, self.record_id, self.field, self.value, self.reason = mapping, record_id, field, value, reason
        if message is None:
            message = (
                f"mapping {mapping or '?'}: record {record_id or '?'}: field {field or '?'}"
                f" (value {value!r}): {reason or 'failed'}"
            )
        if details is None:
            details = {"mapping": mapping, "record_id": record_id, "field": field, "value": value, "reason": reason}
        super().__init__(message, details=details)


class InvalidRequestError(HubError):
    code = "invalid_request"


class UnauthorizedError(HubError):
    code = "unauthorized"


class ForbiddenError(HubError):
    code = "forbidden"


class NotFoundError(HubError):
    code = "not_found"


class ConflictError(HubError):
    code = "conflict"


class FatalError(HubError):
    code = "fatal"


class ConfigError(FatalError):
    code = "config_error"


class DatabaseNotReadyError(FatalError):
    code = "database_not_ready"
