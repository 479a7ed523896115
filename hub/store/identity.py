"""Identity keys (normalised tax id, phone, email, name) and the match decision. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str]  # (kind, normalised value)

_NAME_NOISE = re.compile(r"[\s\-_.,，。·()（）\[\]【】]+")
_NON_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"\s")


def normalize_phone(value: str) -> str | None:
    """E.164 for Chinese numbers (``+8613812345678``, ``+86105551234``); other numbers keep their digits."""
    raw = unicodedata.normalize("NFKC", value).strip()
    plus = raw.startswith("+")
    digits = _NON_DIGITS.sub("", raw)
    if not digits:
        return None
    if plus or digits.startswith("00"):
        digits = digits.removeprefix("00")
        return "+" + digits
    if len(digits) == 13 and digits.startswith("86"):
        return "+" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    if digits.startswith("0") and 10 <= len(digits) <= 12:  # landline with area code
        return "+86" + digits[1:]
    return digits


def normalize_email(value: str) -> str | None:
    email = value.strip().lower()
    return email if "@" in email else None


def normalize_tax_id(value: str) -> str | None:
    tax_id = _SPACES.sub("", unicodedata.normalize("NFKC", value)).upper()
    return tax_id or None


def normalize_name(value: str) -> str | None:
    name = _NAME_NOISE.sub("", unicodedata.normalize("NFKC", value)).casefold()
    return name or None


def identity_keys(fields: Mapping[str, Any], kinds: Iterable[str]) -> set[Key]:
    """The keys a record can be matched on, for the kinds the rules use."""
    keys: set[Key] = set()
    for kind in kinds:
        if kind == "tax_id" and fields.get("tax_id"):
            _add(keys, "tax_id", normalize_tax_id(fields["tax_id"]))
        elif kind == "phone":
            for phone in fields.get("phones") or ():
                _add(keys, "phone", normalize_phone(phone))
        elif kind == "email":
            for email in fields.get("emails") or ():
                _add(keys, "email", normalize_email(email))
        elif kind == "name" and fields.get("name"):
            _add(keys, "name", normalize_name(fields["name"]))
    return keys


def _add(keys: set[Key], kind: str, value: str | None) -> None:
    if value:
        keys.add((kind, value))


@dataclass(frozen=True)
class MatchDecision:
    """``record_id`` set: join that record. ``review`` set: keep apart and ask a person."""

    record_id: str | None = None
    rule: str | None = None
    value: str | None = None
    review: str | None = None
    candidates: tuple[str, ...] = ()


NO_MATCH = MatchDecision()


def decide_match(
    keys: set[Key],
    match_kinds: Iterable[str],
    candidates_for: Mapping[Key, set[str]],
    *,
    tax_ids_of: Callable[[str], set[str]],
    has_same_source: Callable[[str], bool],
) -> MatchDecision:
    """Pick the record a new source record belongs to, or hold the case for review.

    ``candidates_for`` maps a key to live records holding it, ``tax_ids_of`` gives a
    candidate's tax ids, ``has_same_source`` tells whether a candidate already has a
    record from the same system and object (two ERP customers are never merged
    automatically).
    """
    own_tax_ids = {v for k, v in keys if k == "tax_id"}
    for kind in match_kinds:
        hits: dict[str, str] = {}
        for key in sorted(k for k in keys if k[0] == kind):
            for record_id in candidates_for.get(key, ()):
                hits.setdefault(record_id, key[1])
        if not hits:
            continue
        ordered = tuple(sorted(hits))
        if len(ordered) > 1:
            value = hits[ordered[0]]
            return MatchDecision(
                rule=kind, value=value, candidates=ordered,
                review=f"{len(ordered)} customers share this {kind}",
            )
        candidate = ordered[0]
        value = hits[candidate]
        theirs = tax_ids_of(candidate)
        if own_tax_ids and theirs and not own_tax_ids & theirs:
            return MatchDecision(
                rule=kind, value=value, candidates=ordered,
                review=f"matched on {kind} but the tax ids differ",
            )
        if has_same_source(candidate):
            return MatchDecision(
                rule=kind, value=value, candidates=ordered,
                review=f"matched on {kind} a customer that already has a record from the same system",
            )
        return MatchDecision(record_id=candidate, rule=kind, value=value)
    return NO_MATCH
