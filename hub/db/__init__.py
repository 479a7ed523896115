"""Database access: engine factory, column types, migrations."""

from hub.db.engine import create_db_engine, normalize_database_url, read_only

__all__ = ["create_db_engine", "normalize_database_url", "read_only"]
