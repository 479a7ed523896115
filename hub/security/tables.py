"""API keys: stored hashed, shown once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from hub.db.types import UTCDateTime


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, sa_type=String(40))
    name: str = Field(sa_type=String(100))
    role: str = Field(sa_type=String(20))
    prefix: str = Field(sa_type=String(16), unique=True, description="Public part of the key, for lookup.")
    key_hash: str = Field(sa_type=String(64))
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
