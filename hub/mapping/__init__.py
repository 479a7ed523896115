"""Declarative mappings: YAML specs compiled once into fast, reversible transforms.

::

    from hub.mapping import load_mapping
    m = load_mapping("mappings/kingdee/customer.yaml")
    m.apply(raw)          # -> canonical fields; raises MappingError naming field, value, reason
    m.reverse(canonical)  # -> vendor record, for pushes

The language is described in docs/mappings.md.
"""

from hub.errors import MappingError
from hub.mapping.lookups import LookupResolver, StoreResolver
from hub.mapping.mapping import Mapping, MappingResult, load_mapping
from hub.mapping.spec import MappingSpec, read_spec

__all__ = [
    "LookupResolver",
    "Mapping",
    "MappingError",
    "MappingResult",
    "MappingSpec",
    "StoreResolver",
    "load_mapping",
    "read_spec",
]
