"""Meter ingest speed: `minewatch meters ingest` on generated long CSV, Parquet and wide CSV.

    .venv/bin/python bench/bench_meters_ingest.py                  # 10 M rows, ~2-3 min
    .venv/bin/python bench/bench_meters_ingest.py --rows 2000000   # quicker

Generates (DuckDB COPY, seconds) under bench/out/meters_ingest/: a long CSV of --rows
half-hourly readings (--accounts accounts, ISO 8601 with +08:00), the same as Parquet, a second
long CSV of the next period, and a wide daily CSV (--wide-accounts × --wide-days). Then, each
step in its own process and (except the re-ingests) into a fresh DuckDB file: the bare DuckDB
baselines (read_csv → a table without key; → meter_readings with its PRIMARY KEY), minewatch's
CSV ingest, its re-ingest (all duplicates), the next period into the non-empty store, Parquet,
wide. Prints rows/s, peak RSS and the ratios to the baselines (robust to a shared machine's
load); writes JSON next to the data.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "meters_ingest"


def generate(rows: int, accounts: int, wide_accounts: int, wide_days: int) -> dict[str, Path]:
    import duckdb
    OUT.mkdir(parents=True, exist_ok=True)
    per = rows // accounts
    files = {"csv": OUT / f"long_{rows}.csv", "csv_next": OUT / f"long_{rows}_next.csv",
             "parquet": OUT / f"long_{rows}.parquet",
             "wide": OUT / f"wide_{wide_accounts}x{wide_days}.csv"}
    c = duckdb.connect()
    c.execute("SET TimeZone='UTC'")

    def long_sql(offset: int) -> str:
        return (f"SELECT 'ACC' || lpad(CAST(a AS VARCHAR), 7, '0') AS account, "
                f"strftime(TIMESTAMP '2021-01-01' + to_minutes(30 * (i + {offset})), "
                f"'%Y-%m-%dT%H:%M:%S') || '+08:00' AS timestamp, "
                f"round(0.2 + (hash(a, i) % 1000) / 500.0, 3) AS kwh "
                f"FROM range({accounts}) t(a), range({per}) s(i)")
    if not files["csv"].exists():
        c.execute(f"COPY ({long_sql(0)}) TO '{files['csv']}' (HEADER)")
    if not files["csv_next"].exists():
        c.execute(f"COPY ({long_sql(per)}) TO '{files['csv_next']}' (HEADER)")
    if not files["parquet"].exists():
        c.execute(f"COPY (SELECT * FROM read_csv('{files['csv']}', all_varchar=true)) TO "
                  f"'{files['parquet']}'")
    if not files["wide"].exists():
        d0 = date(2021, 1, 1)
        days = ", ".join(f"round((hash(a, {k}) % 10000) / 100.0, 2) AS "
                         f"\"{(d0 + timedelta(days=k)).strftime('%Y%m%d')}\""
                         for k in range(wide_days))
        c.execute(f"COPY (SELECT 'ACC' || lpad(CAST(a AS VARCHAR), 7, '0') AS 户号, "
                  f"'某地址' AS 地址, {days} FROM range({wide_accounts}) t(a)) "
                  f"TO '{files['wide']}' (HEADER)")
    c.close()
    return files


def baseline(db: str, path: Path, keyed: bool) -> dict:
    """DuckDB alone: read_csv/read_parquet → a table (no key), or → meter_readings (its PRIMARY
    KEY), with a plain cast of the timestamp; no line numbers, validation or de-duplication."""
    sys.path.insert(0, str(ROOT / "src"))
    from minewatch.store.duckdb import DuckDBStore
    store = DuckDBStore(db)
    reader = (f"read_parquet('{path}')" if path.suffix == ".parquet" else
              f"read_csv('{path}', all_varchar=true)")
    target = "meter_readings" if keyed else "bare"
    if not keyed:
        store._run("CREATE TABLE bare (account VARCHAR, ts TIMESTAMPTZ, utc_offset_min SMALLINT, "
                   "interval_s INTEGER, kwh DOUBLE, source VARCHAR, line BIGINT)")
    t = time.perf_counter()
    n = store._run(f"INSERT INTO {target} SELECT account, CAST(timestamp AS TIMESTAMPTZ), 480, "
                   f"1800, CAST(kwh AS DOUBLE), 'x', 0 FROM {reader}")[0][0]
    dt = time.perf_counter() - t
    store.close()
    return {"file": path.name, "rows_read": n, "rows_new": n, "rows_duplicate": 0,
            "error": None, "seconds": round(dt, 2), "rows_per_s": round(n / dt),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def step(db: str, path: Path) -> dict:
    """Run in a child process: one ingest, timed, with peak RSS."""
    sys.path.insert(0, str(ROOT / "src"))
    from minewatch.sources.meters import ingest_readings
    from minewatch.store.duckdb import DuckDBStore
    store = DuckDBStore(db)
    t = time.perf_counter()
    rep = ingest_readings(store, [path], quality=True)
    dt = time.perf_counter() - t
    store.close()
    f = rep.files[0]
    return {"file": path.name, "rows_read": f.rows_read, "rows_new": f.rows_new,
            "rows_duplicate": f.rows_duplicate, "error": f.error, "seconds": round(dt, 2),
            "rows_per_s": round(f.rows_read / dt), "peak_rss_mb":
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--accounts", type=int, default=2000)
    ap.add_argument("--wide-days", type=int, default=90)
    ap.add_argument("--wide-accounts", type=int, default=100_000)
    ap.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.step:
        kind, db, path = a.step
        fn = {"ingest": step, "bare": lambda d, p: baseline(d, p, False),
              "keyed": lambda d, p: baseline(d, p, True)}[kind]
        print(json.dumps(fn(db, Path(path))))
        return
    t = time.perf_counter()
    files = generate(a.rows, a.accounts, a.wide_accounts, a.wide_days)
    print(f"generated in {time.perf_counter() - t:.1f} s: " +
          ", ".join(f"{p.name} {p.stat().st_size / 1e6:.0f} MB" for p in files.values()))
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    results = []
    plan = [("duckdb read_csv → table, no key", "bare", "csv", True),
            ("duckdb read_csv → meter_readings", "keyed", "csv", True),
            ("minewatch csv", "ingest", "csv", True),
            ("minewatch csv again (duplicates)", "ingest", "csv", False),
            ("minewatch next period, non-empty", "ingest", "csv_next", False),
            ("duckdb read_parquet → meter_readings", "keyed", "parquet", True),
            ("minewatch parquet", "ingest", "parquet", True),
            ("minewatch wide csv (cells)", "ingest", "wide", True)]
    db = OUT / "bench.duckdb"
    for label, kind, key, fresh in plan:
        if fresh:
            for suffix in ("", ".wal"):
                Path(str(db) + suffix).unlink(missing_ok=True)
        out = subprocess.run([sys.executable, __file__, "--step", kind, str(db),
                              str(files[key])], capture_output=True, text=True,
                             check=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        r["step"] = label
        results.append(r)
        print(f"{label:38s} {r['rows_read']:>12,} rows  {r['rows_new']:>12,} new  "
              f"{r['seconds']:7.1f} s  {r['rows_per_s']:>10,} rows/s  peak RSS "
              f"{r['peak_rss_mb']:,} MB" + (f"  ERROR {r['error']}" if r["error"] else ""),
              flush=True)
    by = {r["step"]: r["seconds"] for r in results}
    ratios = {"minewatch csv / duckdb read_csv → meter_readings":
              by["minewatch csv"] / by["duckdb read_csv → meter_readings"],
              "minewatch csv / duckdb read_csv → table, no key":
              by["minewatch csv"] / by["duckdb read_csv → table, no key"],
              "minewatch parquet / duckdb read_parquet → meter_readings":
              by["minewatch parquet"] / by["duckdb read_parquet → meter_readings"]}
    for k, v in ratios.items():
        print(f"{k}: {v:.2f}×")
    doc = {"rows": a.rows, "ratios": ratios, "accounts": a.accounts, "cpus": os.cpu_count(),
           "load_avg_1m_at_start": load, "results": results}
    (OUT / "bench_meters_ingest.json").write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
