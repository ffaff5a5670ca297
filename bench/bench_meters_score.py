"""Meter scoring at scale (issue 3): minewatch's DuckDB scorer against a bare DuckDB scan + group-by
of the same Parquet file, peak memory at two sizes, and Spark local[2] with identical results.

    .venv/bin/python bench/bench_meters_score.py --preset small            # validate, ~1-2 min
    .venv/bin/python bench/bench_meters_score.py --preset daily1m --reps 3  # 1 M × 365 daily = 365 M rows
    .venv/bin/python bench/bench_meters_score.py --preset q100k --reps 3    # 100 k × 96/day × 90 d = 864 M rows
    .venv/bin/python bench/bench_meters_score.py --accounts 5000 --days 90 --interval 15 --no-spark

Generation (cached under bench/out/meters_score/<name>/): ``make_population(...).write()`` streams
the readings to Parquet (account, timestamp +08:00, kwh); one DuckDB COPY turns them into the
stored ``meter_readings`` shape (account VARCHAR, ts TIMESTAMPTZ, utc_offset_min SMALLINT = 480,
interval_s INTEGER, kwh DOUBLE) = ``readings_store.parquet``, and a second COPY keeps the first
quarter of the accounts = ``readings_store_q.parquet`` (for the memory-bound check).

Then, in ONE run, alternating rep by rep, each contender in its own process under
``/usr/bin/time -v`` (peak RSS of the process tree's largest process):
  (a) bare    DuckDB ``SELECT account, count(*), sum(kwh), min(ts), max(ts) FROM read_parquet(F)
              GROUP BY account`` fully materialised (fetch_arrow_table);
  (b) score   ``score_accounts_sql(con, "read_parquet('F')", register)`` on the same file;
  (q) score on the quarter file (peak RSS at 1/4 size vs full: memory must not grow ∝ size);
  (c) Spark   local[2] ``score_accounts_spark(..., stage2="partition")`` once, ratio to (b), and
              ``diff_scores`` against (b)'s table (identical results).
Times are measured inside the child after imports (``compute``) and by GNU time (``wall``, with
interpreter start and imports); the ratios use medians of ``compute``. Writes JSON next to the data.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "meters_score"
GNU_TIME = "/usr/bin/time"

PRESETS = {
    # name: list of (accounts, days, interval_min)
    "small": [(20_000, 365, 1440), (5_000, 90, 15)],
    "daily1m": [(1_000_000, 365, 1440)],
    "q100k": [(100_000, 90, 15)],
}


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------

def data_dir(accounts: int, days: int, interval: int, seed: int) -> Path:
    return OUT / f"a{accounts}_d{days}_i{interval}_s{seed}"


def generate(accounts: int, days: int, interval: int, seed: int) -> dict[str, Path]:
    import duckdb
    from minewatch.eval.population import make_population
    d = data_dir(accounts, days, interval, seed)
    files = {"dir": d, "store": d / "readings_store.parquet", "quarter": d / "readings_store_q.parquet",
             "register": d / "register.parquet", "raw": d / "readings.parquet"}
    if files["store"].exists() and files["quarter"].exists() and files["register"].exists():
        return files
    d.mkdir(parents=True, exist_ok=True)
    if not (files["raw"].exists() and files["register"].exists() and (d / "population.json").exists()):
        t0 = time.perf_counter()
        make_population(accounts, days=days, interval_min=interval, seed=seed).write(d, fmt="parquet")
        print(f"  generated {d.name} in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    ivl = 86400 if interval == 1440 else interval * 60
    tmp = files["store"].with_suffix(".tmp")
    con.execute(f"""COPY (SELECT CAST(account AS VARCHAR) AS account,
                          CAST("timestamp" AS TIMESTAMPTZ) AS ts,
                          CAST(480 AS SMALLINT) AS utc_offset_min,
                          CAST({ivl} AS INTEGER) AS interval_s,
                          CAST(kwh AS DOUBLE) AS kwh
                   FROM read_parquet('{files["raw"]}'))
                   TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)""")
    tmp.rename(files["store"])
    # first quarter of the accounts (by sorted account id) for the memory-bound check
    cut = con.execute(f"SELECT account FROM (SELECT DISTINCT account FROM read_parquet('{files['register']}')) "
                      f"ORDER BY account LIMIT 1 OFFSET {max(accounts // 4 - 1, 0)}").fetchone()[0]
    tmp = files["quarter"].with_suffix(".tmp")
    con.execute(f"COPY (SELECT * FROM read_parquet('{files['store']}') WHERE account <= '{cut}') "
                f"TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)")
    tmp.rename(files["quarter"])
    print(f"  converted to meter_readings shape in {time.perf_counter() - t0:.0f} s", flush=True)
    files["raw"].unlink()   # the store-shaped copy is all the bench reads
    return files


def describe(path: Path) -> dict:
    import duckdb
    con = duckdb.connect()
    rows, accs = con.execute(f"SELECT count(*), count(DISTINCT account) FROM read_parquet('{path}')").fetchone()
    return {"rows": rows, "accounts": accs, "bytes": path.stat().st_size}


# ---------------------------------------------------------------------------------------------
# children (one contender per process)
# ---------------------------------------------------------------------------------------------

def child(kind: str, file: str, register: str, result: str | None) -> None:
    import pyarrow.parquet as pq
    import duckdb
    if kind == "bare":
        con = duckdb.connect()
        t0 = time.perf_counter()
        tbl = con.sql(f"SELECT account, count(*) AS n, sum(kwh) AS kwh, min(ts) AS t0, max(ts) AS t1 "
                      f"FROM read_parquet('{file}') GROUP BY account").fetch_arrow_table()
        dt = time.perf_counter() - t0
    elif kind == "score":
        from minewatch.detectors.load_profile import score_accounts_sql
        reg = pq.read_table(register)
        con = duckdb.connect()
        t0 = time.perf_counter()
        tbl = score_accounts_sql(con, f"read_parquet('{file}')", reg)
        dt = time.perf_counter() - t0
    elif kind == "spark":
        from minewatch.engines.spark_meters import score_accounts_spark
        from minewatch.store.spark import spark_session
        reg = pq.read_table(register)
        t0 = time.perf_counter()
        spark = spark_session("local[2]")
        t_up = time.perf_counter() - t0
        t0 = time.perf_counter()
        tbl = score_accounts_spark(spark, file, reg, stage2="partition")
        dt = time.perf_counter() - t0
        worker_from = spark.sparkContext.parallelize([0], 1).map(
            lambda _: __import__("minewatch").__file__).collect()[0]
        spark.stop()
    else:
        raise SystemExit(f"unknown child kind {kind}")
    if result:
        pq.write_table(tbl, result)
    out = {"kind": kind, "compute_s": dt, "rows_out": tbl.num_rows}
    if kind == "spark":
        out["session_s"] = t_up
        out["worker_minewatch_from"] = worker_from
    if kind == "score":
        out["flagged"] = int(sum(tbl.column("flagged").to_pylist()))
    import minewatch
    out["minewatch_from"] = str(Path(minewatch.__file__).parent)
    print("RESULT " + json.dumps(out), flush=True)


SNAPSHOT: Path | None = None


def snapshot_src() -> Path:
    """A frozen copy of src/minewatch for every child of this run (the detector is edited while
    benchmarks run; DuckDB and Spark must score with the same code for the identity check)."""
    import hashlib
    import shutil
    src = ROOT / "src" / "minewatch"
    h = hashlib.sha256()
    for p in sorted(src.rglob("*.py")):
        h.update(str(p.relative_to(src)).encode())
        h.update(p.read_bytes())
    dst = OUT / "src_snapshot" / h.hexdigest()[:12]
    if not (dst / "minewatch").exists():
        tmp = dst.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp / "minewatch", ignore=shutil.ignore_patterns("__pycache__"))
        tmp.rename(dst)
    return dst


def run_child(kind: str, file: Path, register: Path, result: Path | None, log: Path) -> dict:
    cmd = [GNU_TIME, "-v", sys.executable, __file__, "--child", kind, "--file", str(file),
           "--register", str(register)]
    if result:
        cmd += ["--result", str(result)]
    env = dict(os.environ)
    if SNAPSHOT is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(SNAPSHOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if kind == "spark":
        env.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 8g pyspark-shell")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    res = next((json.loads(line[7:]) for line in r.stdout.splitlines() if line.startswith("RESULT ")), None)
    if r.returncode != 0 or res is None:
        tail = "\n".join(r.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{kind} on {file.name} failed (exit {r.returncode}), log {log}:\n{tail}")
    for line in r.stderr.splitlines():
        line = line.strip()
        if line.startswith("Maximum resident set size"):
            res["peak_rss_mb"] = int(line.rsplit(":", 1)[1]) / 1024
        elif line.startswith("Elapsed (wall clock) time"):
            v = line.split("):", 1)[1].strip().split(":")
            res["wall_s"] = sum(float(x) * 60 ** i for i, x in enumerate(reversed(v)))
    return res


# ---------------------------------------------------------------------------------------------
# one size
# ---------------------------------------------------------------------------------------------

def bench_one(accounts: int, days: int, interval: int, seed: int, reps: int, spark: bool,
              spark_on: str) -> dict:
    label = f"{accounts} accounts × {days} d × " + ("daily" if interval == 1440 else f"{1440 // interval}/day")
    print(f"\n== {label} ==", flush=True)
    f = generate(accounts, days, interval, seed)
    full, quarter = describe(f["store"]), describe(f["quarter"])
    print(f"  {f['store']}: {full['rows']:,} rows, {full['accounts']:,} accounts, {full['bytes'] / 1e6:.0f} MB; "
          f"quarter: {quarter['rows']:,} rows, {quarter['accounts']:,} accounts", flush=True)
    logs = f["dir"] / "logs"
    logs.mkdir(exist_ok=True)
    runs: dict[str, list[dict]] = {"bare": [], "score": [], "score_q": [], "bare_q": []}
    for r in range(reps):
        for kind, src, key in (("bare", f["store"], "bare"), ("score", f["store"], "score"),
                               ("bare", f["quarter"], "bare_q"), ("score", f["quarter"], "score_q")):
            result = f["dir"] / "score_duckdb.parquet" if key == "score" and r == 0 else None
            res = run_child(kind, src, f["register"], result, logs / f"{key}_{r}.log")
            runs[key].append(res)
            print(f"  rep {r + 1}/{reps} {key:8s} compute {res['compute_s']:7.2f} s  wall {res['wall_s']:7.2f} s  "
                  f"peak RSS {res['peak_rss_mb']:7.0f} MB", flush=True)
    spark_res = None
    if spark:
        src = f["store"] if spark_on == "full" else f["quarter"]
        duck_ref = f["dir"] / "score_duckdb.parquet"
        if spark_on != "full":
            duck_ref = f["dir"] / "score_duckdb_q.parquet"
            run_child("score", src, f["register"], duck_ref, logs / "score_q_ref.log")
        try:
            spark_res = run_child("spark", src, f["register"], f["dir"] / "score_spark.parquet", logs / "spark.log")
            import pyarrow.parquet as pq
            from minewatch.engines.compare import diff_scores
            diffs = diff_scores(pq.read_table(duck_ref), pq.read_table(f["dir"] / "score_spark.parquet"))
            spark_res["on"] = spark_on
            spark_res["identical"] = not diffs
            spark_res["diffs"] = diffs
            # the DuckDB score time on the same file, this run
            same = runs["score"] if spark_on == "full" else runs["score_q"]
            spark_res["ratio_to_score"] = spark_res["compute_s"] / statistics.median(x["compute_s"] for x in same)
            print(f"  spark({spark_on}) compute {spark_res['compute_s']:7.2f} s (+ session {spark_res['session_s']:.1f} s) "
                  f"wall {spark_res['wall_s']:7.2f} s  peak RSS {spark_res['peak_rss_mb']:7.0f} MB (driver/JVM)  "
                  f"identical: {spark_res['identical']}", flush=True)
            for d in diffs:
                print(f"    diff: {d}")
        except RuntimeError as e:
            spark_res = {"error": str(e)}
            print(f"  spark FAILED: {e}", flush=True)

    med = {k: {m: statistics.median(x[m] for x in v) for m in ("compute_s", "wall_s", "peak_rss_mb")}
           for k, v in runs.items()}
    ratio = med["score"]["compute_s"] / med["bare"]["compute_s"]
    ratio_q = med["score_q"]["compute_s"] / med["bare_q"]["compute_s"]
    rss_growth = med["score"]["peak_rss_mb"] / med["score_q"]["peak_rss_mb"]
    size_growth = full["rows"] / quarter["rows"]
    print(f"\n  {'contender':28s} {'median compute s':>17s} {'median wall s':>14s} {'peak RSS MB':>12s}")
    names = {"bare": "(a) bare DuckDB group-by", "score": "(b) minewatch DuckDB score",
             "bare_q": "(a) bare, 1/4 accounts", "score_q": "(b) score, 1/4 accounts"}
    for k in ("bare", "score", "bare_q", "score_q"):
        print(f"  {names[k]:28s} {med[k]['compute_s']:17.2f} {med[k]['wall_s']:14.2f} {med[k]['peak_rss_mb']:12.0f}")
    if spark_res and "compute_s" in spark_res:
        print(f"  {'(c) Spark local[2] (' + spark_on + ')':28s} {spark_res['compute_s']:17.2f} "
              f"{spark_res['wall_s']:14.2f} {spark_res['peak_rss_mb']:12.0f}")
    print(f"\n  (b)/(a) full: {ratio:.2f}×   quarter: {ratio_q:.2f}×   goal ≤ 3×: "
          f"{'PASS' if ratio <= 3 else 'FAIL'}")
    if spark_res and "compute_s" in spark_res:
        print(f"  Spark/(b) on {spark_on}: {spark_res['ratio_to_score']:.2f}×   identical results: "
              f"{spark_res['identical']}")
    print(f"  memory: rows ×{size_growth:.2f} (1/4 → full), score peak RSS ×{rss_growth:.2f} "
          f"({med['score_q']['peak_rss_mb']:.0f} → {med['score']['peak_rss_mb']:.0f} MB); "
          f"bare ×{med['bare']['peak_rss_mb'] / med['bare_q']['peak_rss_mb']:.2f}", flush=True)
    out = {"label": label, "accounts": accounts, "days": days, "interval_min": interval, "seed": seed,
           "reps": reps, "full": full, "quarter": quarter, "runs": runs, "median": med,
           "ratio_score_to_bare": ratio, "ratio_score_to_bare_quarter": ratio_q,
           "rss_growth_quarter_to_full": rss_growth, "rows_growth_quarter_to_full": size_growth,
           "spark": spark_res}
    (f["dir"] / "bench.json").write_text(json.dumps(out, indent=2, default=str))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--accounts", type=int)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--interval", type=int, default=1440, help="minutes; 1440 = daily kWh")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--spark", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--spark-on", choices=("full", "quarter"), default="full",
                    help="file Spark scores (quarter: when local[2] on the full size would not fit the time)")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    ap.add_argument("--register", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child, a.file, a.register, a.result)
        return
    if not (os.path.exists(GNU_TIME) and os.access(GNU_TIME, os.X_OK)):
        raise SystemExit(f"{GNU_TIME} missing — apt-get install time (the shell builtin has no peak RSS)")
    sizes = list(PRESETS[a.preset]) if a.preset else []
    if a.accounts:
        sizes.append((a.accounts, a.days, a.interval))
    if not sizes:
        ap.error("give --preset or --accounts")
    if a.generate_only:
        for acc, days, ivl in sizes:
            print(generate(acc, days, ivl, a.seed)["store"])
        return
    global SNAPSHOT
    SNAPSHOT = snapshot_src()
    print(f"children import minewatch from the snapshot {SNAPSHOT} (src/ as of the start of this run)", flush=True)
    results = [bench_one(acc, days, ivl, a.seed, a.reps, a.spark, a.spark_on) for acc, days, ivl in sizes]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"last_{a.preset or 'custom'}.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
