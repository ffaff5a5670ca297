from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REAL = DATA / "real"
SYNTH = DATA / "synth"


@pytest.fixture
def store():
    from minewatch.store.duckdb import DuckDBStore
    s = DuckDBStore(":memory:")
    yield s
    s.close()
