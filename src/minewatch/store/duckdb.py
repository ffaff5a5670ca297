"""Evidence in DuckDB: one table with the canonical schema; inserts are idempotent by evidence_id."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import duckdb
import pyarrow as pa

from ..evidence import SCHEMA, Evidence, from_row, to_table
from .meter_tables import METER_DDL

DDL = """
CREATE TABLE IF NOT EXISTS evidence (
    evidence_id VARCHAR PRIMARY KEY,
    detector VARCHAR NOT NULL,
    detector_version VARCHAR NOT NULL,
    entity_kind VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    counterpart VARCHAR,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    score DOUBLE NOT NULL,
    confidence VARCHAR NOT NULL,
    coin VARCHAR,
    algorithm VARCHAR,
    hashrate_hs DOUBLE,
    hashrate_low_hs DOUBLE,
    hashrate_high_hs DOUBLE,
    power_w_low DOUBLE,
    power_w_high DOUBLE,
    observables JSON,
    reasons VARCHAR[] NOT NULL,
    provenance JSON
);
CREATE TABLE IF NOT EXISTS scanned_files (
    path VARCHAR, size BIGINT, mtime DOUBLE, frames BIGINT, sessions INTEGER,
    warnings VARCHAR[], scanned_at TIMESTAMPTZ DEFAULT current_timestamp
);
"""

COLUMNS = [f.name for f in SCHEMA]


class DuckDBStore:
    def __init__(self, path: str = ":memory:"):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(path)
        self._run("SET TimeZone='UTC'")
        self._run(DDL)
        self._run(METER_DDL)

    def _run(self, sql: str, args: list | None = None) -> list[tuple]:
        """Execute and fetch everything (DuckDB 2 keeps a connection busy until a result is read)."""
        return self.con.execute(sql, args or []).fetchall()

    def add(self, rows: Iterable[Evidence] | pa.Table) -> int:
        """Insert evidence; rows whose id is already stored are skipped. Returns how many were new."""
        table = rows if isinstance(rows, pa.Table) else to_table(list(rows))
        if table.num_rows == 0:
            return 0
        table = table.cast(SCHEMA)
        before = self.count()
        self.con.register("_incoming", table)
        try:
            self._run(
                f"INSERT INTO evidence SELECT DISTINCT ON (evidence_id) {', '.join(COLUMNS)} "
                "FROM _incoming WHERE evidence_id NOT IN (SELECT evidence_id FROM evidence)")
        finally:
            self.con.unregister("_incoming")
        return self.count() - before

    def count(self) -> int:
        return self._run("SELECT count(*) FROM evidence")[0][0]

    def query(self, detector: str | None = None, entity_kind: str | None = None,
              limit: int | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {', '.join(COLUMNS)} FROM evidence"
        where, args = [], []
        if detector:
            where.append("detector = ?")
            args.append(detector)
        if entity_kind:
            where.append("entity_kind = ?")
            args.append(entity_kind)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY first_seen, entity, evidence_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        cur = self.con.execute(sql, args)
        names = [d[0] for d in cur.description]
        return [from_row(dict(zip(names, r))) for r in cur.fetchall()]

    def arrow(self) -> pa.Table:
        return self.con.sql(f"SELECT {', '.join(COLUMNS)} FROM evidence "
                            "ORDER BY evidence_id").to_arrow_table()

    def record_scan(self, path: str, size: int, mtime: float, frames: int, sessions: int,
                    warnings: list[str]) -> None:
        self._run("INSERT INTO scanned_files (path, size, mtime, frames, sessions, warnings)"
                         " VALUES (?, ?, ?, ?, ?, ?)", [path, size, mtime, frames, sessions,
                                                        warnings])

    def close(self) -> None:
        self.con.close()
