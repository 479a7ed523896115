"""``/api/v1/mappings``: the loaded mappings, and checking or trying a mapping before it is deployed."""

from __future__ import annotations

from typing import Any, Self

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.deps import Operator, ReadConn, State
from hub.errors import ConfigError, ConflictError, InvalidRequestError
from hub.mapping.lookups import StoreResolver
from hub.mapping.mapping import Mapping
from hub.mapping.preview import preview_records
from hub.mapping.registry import MappingEntry, MappingRegistry
from hub.mapping.spec import read_spec

router = APIRouter(prefix="/mappings", tags=["mappings"])

MAX_TEXT = 1_000_000
MAX_RECORDS = 1000
TEXT_NAME = "<text>"  # the file name problems of a posted text carry


class MappingSummary(BaseModel):
    name: str
    entity: str
    system: str
    object: str
    source: str = Field(description="shipped, or workspace (<workspace>/mappings/).")
    file: str
    hash: str = Field(description="Of the mapping's meaning; refs remember it, `hub remap` uses it.")
    overrides: str | None = Field(description="The shipped file a workspace file replaces, if any.")


class MappingDetail(MappingSummary):
    text: str = Field(description="The file as written.")


class Problem(BaseModel):
    file: str | None = None
    line: int | None
    path: str
    message: str


class BrokenFile(BaseModel):
    source: str
    file: str
    name: str | None = Field(description="The name the file declares, when that much could be read.")
    problems: list[Problem]


class MappingList(BaseModel):
    items: list[MappingSummary]
    errors: list[BrokenFile] = Field(description="Files that failed to load (their mappings are not in items).")


class ValidateMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT, description="The mapping file's YAML text.")


class Validation(BaseModel):
    ok: bool
    errors: list[Problem]
    mapping: dict[str, Any] | None = Field(default=None, description="name, entity, system, object, hash when ok.")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: str | None = Field(default=None, description="The name of a loaded mapping ...")
    text: str | None = Field(default=None, max_length=MAX_TEXT, description="... or a mapping's YAML text.")
    records: list[Any] = Field(max_length=MAX_RECORDS, description="Vendor records (canonical ones with reverse).")
    reverse: bool = Field(default=False, description="Show the vendor records a push would send.")

    @model_validator(mode="after")
    def _one_mapping(self) -> Self:
        if (self.mapping is None) == (self.text is None):
            raise ValueError("give either mapping (a loaded mapping's name) or text (YAML), not both")
        return self


class PreviewResults(BaseModel):
    results: list[dict[str, Any]] = Field(
        description='Per record: {index, id, ok: true, fields} or {index, id, ok: false, error: {field, value, '
                    'reason, message}}; with reverse: {index, ok, vendor, not_reversed}.'
    )


@router.get("", summary="The loaded mappings, and the files that failed to load")
def list_mappings(state: State) -> MappingList:
    registry = _registry(state)
    return MappingList.model_validate(
        {"items": [e.summary() for e in registry.all()], "errors": [e.summary() for e in registry.errors]}
    )


@router.get("/{name}", summary="One mapping with its file's text")
def get_mapping(name: str, state: State) -> MappingDetail:
    entry = _entry(_registry(state), name)
    return MappingDetail.model_validate({**entry.summary(), "text": entry.path.read_text(encoding="utf-8-sig")})


@router.post("/validate", summary="Check a mapping's text: every error with its line")
def validate_mapping(body: ValidateMapping, _principal: Operator) -> Validation:
    spec, problems = read_spec(body.text, source_name=TEXT_NAME)
    if spec is None:
        return Validation(ok=False, errors=[Problem.model_validate(p.as_detail()) for p in problems])
    summary = {"name": spec.name, "entity": spec.entity, "system": spec.system, "object": spec.object,
               "hash": spec.content_hash}
    return Validation(ok=True, errors=[], mapping=summary)


@router.post("/preview", summary="Apply a mapping (or reverse it) to sample records")
def preview_mapping(body: PreviewRequest, _principal: Operator, state: State, conn: ReadConn) -> PreviewResults:
    mapping = _mapping(state, body)
    return PreviewResults(
        results=preview_records(mapping, body.records, reverse=body.reverse, resolver=StoreResolver(conn))
    )


def _registry(state: State) -> MappingRegistry:
    return state.mappings.get(state.settings.workspace)


def _entry(registry: MappingRegistry, name: str) -> MappingEntry:
    try:
        return registry.get(name)
    except ConfigError as exc:  # the file exists but does not load: a state to fix, not a server fault
        raise ConflictError(f"mapping {name!r} failed to load: fix its file first", details=exc.details) from None


def _mapping(state: State, body: PreviewRequest) -> Mapping:
    if body.mapping is not None:
        return _entry(_registry(state), body.mapping).mapping
    # read_spec, not load_mapping: posted text is never taken for a path on the server.
    spec, problems = read_spec(body.text or "", source_name=TEXT_NAME)
    if spec is None:
        raise InvalidRequestError(
            "the mapping text has errors (POST /api/v1/mappings/validate lists them)",
            details=[p.as_detail() for p in problems],
        )
    return Mapping(spec)
