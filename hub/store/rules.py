"""Identity-resolution and survivorship rules (the ``identity:`` section of hub.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MATCH_KINDS = ("tax_id", "phone", "email", "name")


@dataclass(frozen=True)
class EntityRules:
    """How records of one entity from several systems become one.

    - ``match``: the keys tried in order to find the existing record a new source
      record belongs to (customers only by default). The first key that finds
      candidates decides: one candidate merges, several are held for review.
    - ``survivorship``: for a field, the systems whose value wins, in priority order;
      fields not listed take the most recently updated non-empty value.
    - ``union``: list fields whose values from every system are combined.
    """

    match: tuple[str, ...] = ()
    survivorship: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    union: frozenset[str] = frozenset()


DEFAULT_RULES: dict[str, EntityRules] = {
    "customer": EntityRules(match=("tax_id", "phone", "email"), union=frozenset({"phones", "emails", "tags"})),
}


@dataclass(frozen=True)
class StoreRules:
    entities: Mapping[str, EntityRules] = field(default_factory=lambda: dict(DEFAULT_RULES))

    def for_entity(self, entity: str) -> EntityRules:
        return self.entities.get(entity) or DEFAULT_RULES.get(entity) or EntityRules()
