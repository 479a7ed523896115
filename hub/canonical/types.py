"""Value types shared by the canonical entities: exact money, aware UTC times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, PlainSerializer


def _exact_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a decimal number, got a boolean")
    if isinstance(value, float):
        # A float has already lost exactness; make the mapping produce Decimal or text.
        raise ValueError(f"money and quantities must be Decimal or text, not float ({value!r}); use the decimal pipe")
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a decimal number") from exc
        if not parsed.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return _canonical_decimal(parsed)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        return _canonical_decimal(value)
    if isinstance(value, int):
        return Decimal(value)
    return value


def _canonical_decimal(value: Decimal) -> Decimal:
    """One spelling per value and scale, so a database round trip never looks like a change."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1))
    if value.is_zero() and value.is_signed():
        value = abs(value)
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Amount = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
]
"""Money or a quantity: Decimal in Python, a string in JSON, never a float."""

Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant, normalised to UTC; naive datetimes are rejected."""
