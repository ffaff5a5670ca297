"""Evidence stores. The embedded default is DuckDB (a file, or ':memory:')."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_ENV = "MINEWATCH_DB"


def default_db_path() -> str:
    """$MINEWATCH_DB, else $XDG_DATA_HOME/minewatch/minewatch.duckdb (~/.local/share/…)."""
    env = os.environ.get(DEFAULT_DB_ENV)
    if env:
        return env
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return str(base / "minewatch" / "minewatch.duckdb")


def open_store(db: str | None = None):
    from .duckdb import DuckDBStore
    return DuckDBStore(db or default_db_path())
