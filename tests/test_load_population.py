"""Load-profile detector on the evaluation population (tests/data/meters/population_small, built
by bench/eval_meters.py --write-small) and the daily aggregation's two implementations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from minewatch.detectors.load_profile import score_accounts

from . import meter_synth as S

# --- the evaluation population (tests/data/meters/population_small, built by another harness) --

SMALL = Path(__file__).parent / "data" / "meters" / "population_small"


def _as_stored(readings: pa.Table, interval_s: int) -> pa.Table:
    """population readings (account, timestamp +08:00, kwh) → the meter_readings columns, faults
    (gaps, catch-ups, spikes, a reset, duplicates) left in: the scorer must cope."""
    n = readings.num_rows
    return pa.table({
        "account": readings.column("account"),
        "ts": readings.column("timestamp").cast(pa.timestamp("ms", tz="UTC"))
                                          .cast(pa.timestamp("us", tz="UTC")),
        "utc_offset_min": pa.array(np.full(n, 480, np.int16)),
        "interval_s": pa.array(np.full(n, interval_s, np.int32)),
        "kwh": readings.column("kwh")})


@pytest.mark.skipif(not SMALL.exists(), reason="population_small not built")
def test_population_small_precision_recall_onset():
    import pyarrow.parquet as pq

    from minewatch.eval import metrics as M
    truth = {r["account"]: r for r in pq.read_table(SMALL / "truth.parquet").to_pylist()}
    readings = pq.read_table(SMALL / "readings.parquet")
    out = score_accounts(_as_stored(readings, 3600), pq.read_table(SMALL / "register.parquet"))
    rows = out.to_pylist()
    assert {r["account"] for r in rows} == set(truth)
    miner = np.array([truth[r["account"]]["is_miner"] for r in rows])
    big = np.array([truth[r["account"]]["miner_kw_drawn"] >= 1.0 for r in rows])
    score = np.array([r["score"] for r in rows])
    flagged = np.array([r["flagged"] for r in rows])
    prec, rec = M.precision_recall(flagged, miner)
    rec_big = flagged[big].mean()
    auc = M.roc_auc(score[~miner | big], big[~miner | big])
    err = [abs((r["onset"] - truth[r["account"]]["onset"]).days) for r, f, m in
           zip(rows, flagged, miner) if f and m and r["onset"] and truth[r["account"]]["onset"]
           and truth[r["account"]]["onset_in_window"]]
    # the monthly-kWh rule at the same number of alarms: the top-k accounts by their highest
    # calendar month
    acc = readings.column("account").to_numpy(zero_copy_only=False)
    idx = {a: i for i, r in enumerate(rows) for a in [r["account"]]}
    ts = readings.column("timestamp").cast(pa.timestamp("s", tz="UTC")).to_numpy()
    _, month_kwh = M.monthly_kwh(np.array([idx[a] for a in acc]), ts,
                                 readings.column("kwh").to_numpy(), len(rows))
    rule_top = M.top_k(month_kwh.max(axis=1), int(flagged.sum()))
    rule = np.zeros(len(rows), bool)
    rule[rule_top] = True
    rprec, rrec = M.precision_recall(rule, miner)
    print(f"\npopulation_small: {len(rows)} accounts, {miner.sum()} miners ({big.sum()} ≥ 1 kW); "
          f"flagged {flagged.sum()}: precision {prec:.1%}, recall {rec:.1%}, recall ≥ 1 kW "
          f"{rec_big:.1%}, AUC (≥ 1 kW vs legit) {auc:.3f}; onset error median "
          f"{np.median(err):.1f} d (n = {len(err)}); monthly-kWh rule at the same {flagged.sum()} "
          f"alarms: precision {rprec:.1%}, recall {rrec:.1%}")
    assert prec >= 0.85 and rec_big >= 0.9 and auc >= 0.95
    assert rec > rrec and prec > rprec
    assert np.median(err) <= 3
    assert next(r for r in rows if r["account"] == "SEED-HOUSEHOLD")["flagged"]


@pytest.mark.skipif(not SMALL.exists(), reason="population_small not built")
def test_population_small_meter_faults_flag_nobody():
    """The same population without its meter faults: no legitimate account is flagged only when
    its dropouts, catch-ups, spikes, resets and duplicate rows are in."""
    import pyarrow.parquet as pq

    from minewatch.eval.population import make_population
    pop = make_population(300, days=60, interval_min=60, seed=20210301, miner_fraction=0.06)
    clean = pa.concat_tables(list(pop.iter_readings(blocks_per_chunk=16, data_quality=False)))
    faulty = pq.read_table(SMALL / "readings.parquet")
    reg = pq.read_table(SMALL / "register.parquet")
    truth = {r["account"]: r["is_miner"] for r in pq.read_table(SMALL / "truth.parquet").to_pylist()}
    f_clean = {r["account"] for r in score_accounts(_as_stored(clean, 3600), reg).to_pylist()
               if r["flagged"]}
    f_faulty = {r["account"] for r in score_accounts(_as_stored(faulty, 3600), reg).to_pylist()
                if r["flagged"]}
    only_with_faults = {a for a in f_faulty - f_clean if not truth[a]}
    assert not only_with_faults


def test_sorted_daily_path_equals_the_daily_sql():
    """stream_daily (a sort + numpy run-length reductions) gives DAILY_SQL's rows (the relational
    definition Spark runs), with a DST change, a duplicate row, a dropout and daily readings."""
    import duckdb

    from minewatch.detectors._load_daily import daily_sql, intraday, stream_daily
    rng = np.random.default_rng(15)
    series = {f"A{i}": S.household(rng, 20, 900) for i in range(3)}
    gap = {"A1": np.zeros((20, 96), bool)}
    gap["A1"][5, 10:30] = True
    r = S.readings(series, 900, drop=gap)
    dst = S.readings({"B": S.household(rng, 20)}, 1800, offset_min=600)
    off = dst.column("utc_offset_min").to_numpy().copy()
    off[len(off) // 2:] = 660                                 # clocks go forward mid-way
    dst = dst.set_column(2, "utc_offset_min", pa.array(off, pa.int16()))
    daily = S.readings({"C": S.household(rng, 20).mean(axis=1, keepdims=True)}, 86400)
    rows = pa.concat_tables([r, r.slice(100, 1), dst, daily])
    con = duckdb.connect()
    con.register("r", rows)
    a = con.sql(daily_sql("r")).to_arrow_table()
    b = pa.concat_tables(list(stream_daily(con, "r", chunk_rows=7)))
    assert a.column("account").to_pylist() == b.column("account").to_pylist()
    for c in ("day", "cover_s", "ivl", "ts_first", "ts_last", "off", "off_min"):
        assert a.column(c).to_pylist() == b.column(c).to_pylist(), c
    np.testing.assert_allclose(a.column("kwh").to_numpy(), b.column("kwh").to_numpy(), rtol=1e-12)
    ia, ib = intraday(a), intraday(b)
    for k in ia:
        np.testing.assert_allclose(ia[k], ib[k], rtol=1e-9, atol=1e-12, equal_nan=True)
