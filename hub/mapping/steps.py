"""Pipe steps: small value transforms, each with its inverse where one exists.

A step is written as a bare name (``trim``) or a one-key mapping with its argument
(``{decimal: 2}``). Steps that work on one value apply to each item when the value
is a list (``phone`` over WeCom's ``remark_mobiles``); ``split``, ``join`` and
``empty_to_null`` see the value whole. A step never sees a missing value: the
pipe stops there and ``default``/``required`` decide.

Every step is built once, at compile time, into a plain function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.store.identity import normalize_phone

Fn = Callable[[Any], Any]


class StepError(ValueError):
    """A value a step cannot take; the message says why (the caller adds field and record)."""


class StepArgumentError(ValueError):
    """A step written wrongly in a mapping file (reported with file and line)."""


@dataclass(frozen=True)
class Step:
    name: str
    forward: Fn  # takes one value, or each item of a list (see ``whole``)
    reverse: Fn | None  # None: this step cannot be undone, so the field is not pushed automatically
    whole: bool = False  # sees lists whole instead of item by item
    scalar: Fn | None = None  # the single-value function, for compiled code that checks for lists inline
    may_empty: bool = False  # can turn a value into None (missing): later steps must not see it


def _each(fn: Fn) -> Fn:
    def apply(value: Any) -> Any:
        if isinstance(value, list):
            return [fn(item) for item in value]
        return fn(value)

    return apply


# -- text ---------------------------------------------------------------------------------

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space/non-joiner/joiner, word joiner, BOM


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | Decimal | float):
        return str(value)
    raise StepError(f"expected text, got {type(value).__name__}")


def trim(value: Any) -> str:
    """Strips spaces including the full-width space (U+3000), NBSP and zero-width characters."""
    text = _text(value).strip()
    if text and (text[0] in _INVISIBLE or text[-1] in _INVISIBLE):
        # spaces and zero-width characters interleaved ("\u200b \u200b x"): strip until nothing changes
        stripped = text.strip(_INVISIBLE).strip()
        while stripped != text:
            text, stripped = stripped, stripped.strip(_INVISIBLE).strip()
    return text


def _identity(value: Any) -> Any:
    return value


def to_str(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise StepError("expected a whole number, got a boolean")
    if isinstance(value, int):
        return value
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise StepError(f"{value!r} is not a whole number")
    return int(number)


_NUMBER_NOISE = re.compile(r"[,，\s¥￥]")


def to_decimal(value: Any) -> Decimal:
    """Exact decimals from text (``1,200.50``, ``¥1200``), ints, and JSON floats (via their shortest text)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise StepError("expected a number, got a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise StepError(f"{value!r} is not a finite number")
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            try:  # only then pay for removing thousands separators, currency signs and spaces
                number = Decimal(_NUMBER_NOISE.sub("", value))
            except InvalidOperation:
                raise StepError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise StepError(f"{value!r} is not a finite number")
        return number
    raise StepError(f"expected a number, got {type(value).__name__}")


def _decimal(places: int | None) -> Fn:
    if places is None:
        return to_decimal
    quantum = Decimal(1).scaleb(-places)

    def quantize(value: Any) -> Decimal:
        try:
            return to_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than Decimal's 28 of precision
            raise StepError(f"{value!r} is too large for {places} decimal places") from None

    return quantize


_TRUE = frozenset({"true", "1", "yes", "y", "t", "on", "是", "真"})
_FALSE = frozenset({"false", "0", "no", "n", "f", "off", "否", "假"})


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = _text(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise StepError(f"{value!r} is not a yes/no value (true/false, 1/0, yes/no, 是/否)")


# After +86: a mobile (1[3-9] + 9 digits), Beijing (10 + 7-8 digits), or another area code + number.
_CHINESE_NUMBER = re.compile(r"1[3-9][0-9]{9}|10[0-9]{7,8}|[2-9][0-9]{8,10}")


def to_phone(value: Any) -> str:
    """E.164: ``138 1234 5678`` → ``+8613812345678``; ``021-5555 0000`` → ``+862155550000``.

    The error never repeats the value: it is personal data (the caller shows it masked).
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number column read as a float: 13812345678.0
    normalized = normalize_phone(_text(value))
    if normalized is not None and normalized.startswith("+860"):
        normalized = "+86" + normalized[4:]  # "+86 (0)21 5555 0000": the trunk 0 is not dialled after +86
    if (
        normalized is None
        or not normalized.startswith("+")
        or not 8 <= len(normalized) <= 16
        or (normalized.startswith("+86") and not _CHINESE_NUMBER.fullmatch(normalized[3:]))
    ):
        raise StepError("not a phone number (a Chinese mobile, a landline with area code, or +country)")
    return normalized


def from_phone(value: Any) -> Any:
    """E.164 back to the form Chinese systems store: ``13812345678``, ``02155550000``."""
    if isinstance(value, str) and value.startswith("+86"):
        rest = value[3:]
        return rest if rest.startswith("1") and len(rest) == 11 else "0" + rest
    return value


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def to_email(value: Any) -> str:
    """Trimmed, lower-case, checked; the error never repeats the value (personal data)."""
    email = trim(value).lower()
    if not _EMAIL.fullmatch(email):
        raise StepError("not an e-mail address (expected the form name@domain)")
    return email


def empty_to_null(value: Any) -> Any:
    if value.__class__ is str:
        return value if value.strip() and trim(value) else None
    return None if value == [] or value == {} else value


# -- time ---------------------------------------------------------------------------------


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise StepArgumentError(f"unknown time zone {name!r} (e.g. Asia/Shanghai, UTC)") from None


def _datetime(format_: str | None, zone: tzinfo | None) -> tuple[Fn, Fn]:
    def parse(value: Any) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            text = value.strip()
            try:
                if format_ is None:
                    parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
                else:
                    parsed = datetime.strptime(text, format_)
            except ValueError:
                expected = f"the format {format_!r}" if format_ else "ISO 8601 (e.g. 2024-05-01T10:20:30+08:00)"
                raise StepError(f"{value!r} does not match {expected}") from None
        else:
            raise StepError(f"expected a date-time text, got {type(value).__name__} (epoch numbers: use timestamp)")
        if parsed.tzinfo is None:
            if zone is None:
                raise StepError(
                    f"{value!r} has no time zone: add tz to the step, e.g. {{datetime: {{tz: Asia/Shanghai}}}}"
                )
            parsed = parsed.replace(tzinfo=zone)
        return parsed

    def render(value: Any) -> Any:
        if isinstance(value, str):  # a canonical record in its JSON form carries ISO 8601 text
            try:
                value = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
            except ValueError:
                value = parse(value)
        if not isinstance(value, datetime):
            value = parse(value)
        if value.tzinfo is None and zone is not None:
            value = value.replace(tzinfo=zone)
        local = value.astimezone(zone) if zone is not None else value
        if format_ is None:
            return local.isoformat()
        return local.strftime(format_)

    return parse, render


def _date_forward(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StepError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _timestamp(unit: str) -> tuple[Fn, Fn]:
    scale = {"s": 1, "ms": 1000}[unit]

    def parse(value: Any) -> datetime:
        number = to_decimal(value)
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(number * 1_000_000 / scale))

    def render(value: Any) -> int:
        if not isinstance(value, datetime):
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        delta = value - datetime(1970, 1, 1, tzinfo=UTC)
        return int(delta // timedelta(milliseconds=1)) * scale // 1000

    return parse, render


# -- shape --------------------------------------------------------------------------------


def _split(separator: str) -> Fn:
    def split(value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        return [part.strip() for part in _text(value).split(separator) if part.strip()]

    return split


def _join(separator: str) -> Fn:
    def join(value: Any) -> str:
        if isinstance(value, list):
            return separator.join(_text(item) for item in value if item is not None)
        return _text(value)

    return join


def _replace(old: str, new: str) -> Fn:
    def replace(value: Any) -> str:
        return _text(value).replace(old, new)

    return replace


def _regex(pattern: str) -> Fn:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise StepArgumentError(f"invalid regular expression {pattern!r}: {exc}") from None

    def search(value: Any) -> str | None:
        match = compiled.search(_text(value))
        if match is None:
            return None  # no match reads as missing: default/required decide
        return match.group(1) if compiled.groups else match.group(0)

    return search


def _scale(factor: Decimal) -> Fn:
    def multiply(value: Any) -> Decimal:
        return to_decimal(value) * factor

    return multiply


def _divide(divisor: Decimal) -> Fn:
    def divide(value: Any) -> Decimal:
        return to_decimal(value) / divisor

    return divide


def _prefix(prefix: str) -> tuple[Fn, Fn]:
    def add(value: Any) -> str:
        return prefix + _text(value)

    def remove(value: Any) -> Any:
        return value[len(prefix) :] if isinstance(value, str) and value.startswith(prefix) else value

    return add, remove


# -- the table ----------------------------------------------------------------------------

SIMPLE_STEPS: dict[str, tuple[Fn, Fn | None, bool]] = {
    # name: (forward, reverse, sees lists whole)
    "trim": (trim, _identity, False),
    "upper": (lambda v: v.upper() if v.__class__ is str else _text(v).upper(), _identity, False),
    "lower": (lambda v: v.lower() if v.__class__ is str else _text(v).lower(), _identity, False),
    "str": (to_str, _identity, False),
    "int": (to_int, _identity, False),
    "decimal": (to_decimal, _identity, False),
    "bool": (to_bool, _identity, False),
    "datetime": (*_datetime(None, None), False),
    "date": (_date_forward, lambda v: v.isoformat() if isinstance(v, date) else v, False),
    "phone": (to_phone, from_phone, False),
    "email": (to_email, _identity, False),
    "empty_to_null": (empty_to_null, _identity, True),
}

ARGUMENT_STEPS = ("decimal", "datetime", "split", "join", "replace", "regex", "timestamp", "multiply", "divide",
                  "prefix")
STEP_NAMES = tuple(sorted(set(SIMPLE_STEPS) | set(ARGUMENT_STEPS)))


def build_step(name: str, argument: Any = None, *, has_argument: bool = False) -> Step:
    """Build one step; raise StepArgumentError (unknown step, bad argument) for the loader to place."""
    if not has_argument:
        if name not in SIMPLE_STEPS:
            if name in ARGUMENT_STEPS:
                raise StepArgumentError(f"the step {name} needs an argument, e.g. {_EXAMPLES[name]}")
            raise StepArgumentError(f"unknown step {name!r}")
        forward, reverse, whole = SIMPLE_STEPS[name]
        if whole:
            return Step(name, forward, reverse, True, may_empty=name == "empty_to_null")
        return _elementwise(name, forward, reverse)
    if name == "decimal":
        if not isinstance(argument, int) or isinstance(argument, bool) or not 0 <= argument <= 12:
            raise StepArgumentError("decimal takes the number of places, 0 to 12, e.g. {decimal: 2}")
        return _elementwise(name, _decimal(argument), _identity)
    if name == "datetime":
        if not isinstance(argument, dict) or set(argument) - {"format", "tz"}:
            raise StepArgumentError('datetime takes {format: "%Y-%m-%d %H:%M:%S", tz: Asia/Shanghai} (both optional)')
        format_ = argument.get("format")
        if format_ is not None and (not isinstance(format_, str) or "%" not in format_):
            raise StepArgumentError('datetime format is a strptime pattern such as "%Y-%m-%d %H:%M:%S"')
        zone = _zone(str(argument["tz"])) if argument.get("tz") is not None else None
        parse, render = _datetime(format_, zone)
        return _elementwise(name, parse, render)
    if name == "timestamp":
        if argument not in ("s", "ms"):
            raise StepArgumentError("timestamp takes the unit of the epoch number: {timestamp: ms} or {timestamp: s}")
        parse, render = _timestamp(argument)
        return _elementwise(name, parse, render)
    if name in ("split", "join"):
        if not isinstance(argument, str) or not argument:
            raise StepArgumentError(f'{name} takes the separator text, e.g. {{{name}: ","}}')
        split, join = _split(argument), _join(argument)
        return Step(name, split, join, True) if name == "split" else Step(name, join, split, True)
    if name == "replace":
        if not (isinstance(argument, list) and len(argument) == 2 and all(isinstance(a, str) for a in argument)):
            raise StepArgumentError('replace takes [old, new], e.g. {replace: ["（", "("]}')
        old, new = argument
        if not old:
            raise StepArgumentError("replace needs a non-empty text to replace")
        return _elementwise(name, _replace(old, new), _replace(new, old) if new else None)
    if name == "regex":
        if not isinstance(argument, str):
            raise StepArgumentError(r'regex takes a pattern; its first group is kept, e.g. {regex: "^(\d+)"}')
        return _elementwise(name, _regex(argument), None, may_empty=True)
    if name in ("multiply", "divide"):
        try:
            factor = to_decimal(argument)
        except StepError:
            factor = Decimal(0)
        if isinstance(argument, bool) or factor == 0:
            raise StepArgumentError(f"{name} takes a non-zero number, e.g. {{{name}: 100}}")
        there, back = (_scale(factor), _divide(factor)) if name == "multiply" else (_divide(factor), _scale(factor))
        return _elementwise(name, there, back)
    if name == "prefix":
        if not isinstance(argument, str) or not argument:
            raise StepArgumentError('prefix takes the text to put in front, e.g. {prefix: "KD-"}')
        add, remove = _prefix(argument)
        return _elementwise(name, add, remove)
    if name in SIMPLE_STEPS:
        raise StepArgumentError(f"the step {name} takes no argument: write it as a bare name")
    raise StepArgumentError(f"unknown step {name!r}")


def _elementwise(name: str, forward: Fn, reverse: Fn | None, *, may_empty: bool = False) -> Step:
    return Step(name, _each(forward), None if reverse is None else _each(reverse), False, forward, may_empty)


_EXAMPLES = {
    "decimal": "{decimal: 2}",
    "datetime": "{datetime: {tz: Asia/Shanghai}}",
    "split": '{split: ","}',
    "join": '{join: ","}',
    "replace": '{replace: ["old", "new"]}',
    "regex": r'{regex: "(\d+)"}',
    "timestamp": "{timestamp: ms}",
    "multiply": "{multiply: 100}",
    "divide": "{divide: 100}",
    "prefix": '{prefix: "KD-"}',
}
