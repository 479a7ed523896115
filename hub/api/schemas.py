"""Shapes of request bodies and responses, as /docs shows them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable name, e.g. not_found, invalid_request.")
    message: str = Field(description="What went wrong and, where possible, how to fix it.")
    details: Any = Field(default=None, description="JSON context, e.g. the bad parameters.")


class ErrorResponse(BaseModel):
    error: ErrorBody


class RecordPage(BaseModel):
    items: list[dict[str, Any]] = Field(description="Record documents in id (creation) order.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class ItemList(BaseModel):
    items: list[dict[str, Any]]


class EventPage(BaseModel):
    items: list[dict[str, Any]] = Field(description="Events in sequence order, each with its seq.")
    next_after: int = Field(description="Pass as ?after= on the next poll (the given after when nothing is new).")


class ResolveMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["merge", "reject"]
    into: str | None = Field(
        default=None, description="Candidate to merge into; required when the match has several candidates."
    )


class Health(BaseModel):
    status: str
    schema_revision: str | None = None
