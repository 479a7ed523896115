"""Why an inbound request is refused, and the HTTP status each reason gets.

::

    HubError
    ├── NotFoundError
    │   └── UnknownSourceError       404  no source of that name in hub.yaml
    ├── UnauthorizedError
    │   ├── SignatureError           401  standard-webhooks headers, timestamp or signature (webhooks.signatures)
    │   └── VerificationError        401  hmac-sha256 or api-key header missing, malformed or wrong
    └── InvalidRequestError
        ├── BadRequestError          400  the body is not JSON, or Content-Length is not a number
        └── PayloadTooLargeError     413  the body is larger than the source allows

Messages say what is wrong and never contain a secret or the expected signature.
"""

from __future__ import annotations

from hub.errors import HubError, InvalidRequestError, NotFoundError, UnauthorizedError


class UnknownSourceError(NotFoundError):
    code = "unknown_source"


class VerificationError(UnauthorizedError):
    code = "verification_failed"


class BadRequestError(InvalidRequestError):
    code = "bad_request"


class PayloadTooLargeError(InvalidRequestError):
    code = "payload_too_large"


_STATUS: tuple[tuple[type[HubError], int], ...] = (
    (NotFoundError, 404),
    (UnauthorizedError, 401),
    (PayloadTooLargeError, 413),
    (InvalidRequestError, 400),
)


def status_of(error: HubError) -> int:
    """The HTTP status an inbound endpoint answers for ``error`` (500 for anything unexpected)."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500
