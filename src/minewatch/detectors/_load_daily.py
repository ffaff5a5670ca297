"""Step 1 of load-profile scoring, relational: interval readings → one row per (account, local day).

Plain SQL over a relation with the ``meter_readings`` columns (account, ts, utc_offset_min,
interval_s, kwh), so the same query runs on DuckDB (here) and Spark. Time arithmetic is done on
integer epoch seconds shifted by the reading's own UTC offset, which keeps the local day and hour
independent of the session time zone (and of DST: each reading carries its own offset).

The output is ordered by (account, day) and streamed in chunks that never split an account, so the
per-account time-series step (numpy, :mod:`._load_features`) sees whole series with bounded memory.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HOURS = 24
DAY_S = 86400

# One row per (account, local day) with the day's interval readings as a list of (second of the
# local day, kW): hourly means and minima are then one bincount in numpy, which is several times
# cheaper than 48 filtered aggregates per row in SQL.
DAILY_SQL = """
WITH r AS (
  SELECT CAST(account AS VARCHAR) AS account,
         epoch_us(ts) AS ts_us,
         epoch_us(ts) // 1000000 + 60 * CAST(COALESCE(utc_offset_min, 0) AS BIGINT) AS lsec,
         CAST(COALESCE(utc_offset_min, 0) AS INTEGER) AS off,
         interval_s, kwh
  FROM {src}
  WHERE account IS NOT NULL AND ts IS NOT NULL AND kwh IS NOT NULL
    AND kwh >= 0 AND interval_s > 0 AND interval_s <= 86400
)
SELECT account, lsec // 86400 AS day,
  sum(kwh) AS kwh, CAST(sum(interval_s) AS BIGINT) AS cover_s, max(interval_s) AS ivl,
  list({{'s': CAST(lsec % 86400 AS INTEGER), 'kw': CAST(kwh * 3600.0 / interval_s AS FLOAT)}})
    FILTER (WHERE interval_s < 86400) AS iv,
  min(ts_us) AS ts_first, max(ts_us) AS ts_last, max(off) AS off, min(off) AS off_min
FROM r
GROUP BY account, day
ORDER BY account, day
"""


def daily_sql(source: str) -> str:
    """The daily aggregation over ``source`` (a table name or a parenthesised subquery)."""
    return DAILY_SQL.format(src=source)


def intraday(daily: pa.Table) -> dict[str, np.ndarray]:
    """Per daily row: min, max and sd of interval power (kW), and hourly mean and minimum power
    (rows × 24, float32); NaN for days without interval readings (``h``, ``m``: None when no
    day has any)."""
    n = daily.num_rows
    if "h" in daily.column_names:                         # computed by days_from_sorted
        if daily.column("h").null_count == n:             # daily kWh only: nothing hourly
            nan = np.full(n, np.nan)
            return {"kw_min": nan, "kw_max": nan, "kw_sd": nan, "h": None, "m": None}

        def fixed(c):
            return (daily.column(c).combine_chunks().values
                    .to_numpy(zero_copy_only=False).reshape(n, HOURS))
        return {k: daily.column(k).to_numpy(zero_copy_only=False)
                for k in ("kw_min", "kw_max", "kw_sd")} | {"h": fixed("h"), "m": fixed("m")}
    lst = daily.column("iv").combine_chunks()
    if n == 0 or lst.null_count == n:                     # daily kWh only
        nan = np.full(n, np.nan)
        return {"kw_min": nan, "kw_max": nan, "kw_sd": nan, "h": None, "m": None}
    off = lst.offsets.to_numpy(zero_copy_only=False)
    off = off - off[0]
    vals = lst.values if lst.offset == 0 else lst.values.slice(int(lst.offsets[0].as_py()))
    sec = vals.field("s").to_numpy(zero_copy_only=False)[: off[-1]]
    kw = vals.field("kw").to_numpy(zero_copy_only=False)[: off[-1]].astype(np.float64)
    row = np.repeat(np.arange(n), np.diff(off))
    idx = row * HOURS + sec // 3600
    cnt = np.bincount(idx, minlength=n * HOURS)
    with np.errstate(invalid="ignore", divide="ignore"):
        hmean = (np.bincount(idx, weights=kw, minlength=n * HOURS) / cnt).astype(np.float32)
    hmin = np.full(n * HOURS, np.inf)
    np.minimum.at(hmin, idx, kw)
    hmin = np.where(cnt > 0, hmin, np.nan).astype(np.float32)
    per = np.diff(off)
    with np.errstate(invalid="ignore", divide="ignore"):
        s1 = np.bincount(row, weights=kw, minlength=n)
        s2 = np.bincount(row, weights=kw * kw, minlength=n)
        mean = s1 / per
        sd = np.sqrt(np.maximum(s2 / per - mean * mean, 0))
    kmax, kmin = np.full(n, -np.inf), np.full(n, np.inf)
    np.maximum.at(kmax, row, kw)
    np.minimum.at(kmin, row, kw)
    has = per > 0
    return {"kw_min": np.where(has, kmin, np.nan), "kw_max": np.where(has, kmax, np.nan),
            "kw_sd": np.where(has, sd, np.nan),
            "h": hmean.reshape(n, HOURS), "m": hmin.reshape(n, HOURS)}


# The same aggregation, done by a sort instead of a hash aggregate: with one group per
# (account, day) — 365 M groups for a million meters' year of daily kWh — DuckDB's hash aggregate
# costs many times a scan, while a sort by (account, time) followed by run-length reductions in
# numpy costs a few. :func:`stream_daily` uses this; :data:`DAILY_SQL` is the relational
# definition (Spark runs it) and the tests check that both give the same daily rows.
SORTED_SQL = """
SELECT CAST(account AS VARCHAR) AS account,
       epoch_us(ts) AS ts_us,
       epoch_us(ts) // 1000000 + 60 * CAST(COALESCE(utc_offset_min, 0) AS BIGINT) AS lsec,
       CAST(COALESCE(utc_offset_min, 0) AS INTEGER) AS off,
       CAST(interval_s AS INTEGER) AS interval_s, CAST(kwh AS DOUBLE) AS kwh
FROM {src}
WHERE account IS NOT NULL AND ts IS NOT NULL AND kwh IS NOT NULL
  AND kwh >= 0 AND interval_s > 0 AND interval_s <= 86400
ORDER BY account, lsec
"""


def stream_daily(con, source: str, chunk_rows: int = 200_000) -> Iterator[pa.Table]:
    """Daily rows (the columns of :data:`DAILY_SQL`, ordered by account and day) in tables of
    about ``chunk_rows`` days, each holding whole accounts only."""
    reader = con.sql(SORTED_SQL.format(src=source)).to_arrow_reader(1 << 17)
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        size += batch.num_rows
        # interval readings: ~24–96 per day; daily readings: one
        if size < chunk_rows * 4:
            continue
        table = pa.Table.from_batches(pending).combine_chunks()
        cut = _last_account_start(table.column("account"))
        if cut == 0:            # one account larger than a chunk: keep reading
            continue
        yield days_from_sorted(table.slice(0, cut))
        rest = table.slice(cut)
        pending, size = rest.to_batches(), rest.num_rows
    if size:
        yield days_from_sorted(pa.Table.from_batches(pending).combine_chunks())


def days_from_sorted(rows: pa.Table) -> pa.Table:
    """Readings sorted by (account, local time) → the daily rows of :data:`DAILY_SQL`, with the
    day's interval readings already reduced to :func:`intraday`'s columns."""
    n = rows.num_rows
    acc = rows.column("account").combine_chunks()
    col = lambda c: rows.column(c).to_numpy(zero_copy_only=False)  # noqa: E731
    lsec, ts_us, off = col("lsec"), col("ts_us"), col("off")
    ivl, kwh = col("interval_s").astype(np.int64), col("kwh")
    day = lsec // DAY_S
    new = np.ones(n, bool)
    if n > 1:
        new[1:] = (pc.not_equal(acc.slice(1), acc.slice(0, n - 1))
                   .to_numpy(zero_copy_only=False) | (day[1:] != day[:-1]))
    starts = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    g = len(starts)
    hourly = _hourly_sorted(gid, g, lsec - day * DAY_S, kwh, ivl)
    return pa.table({
        "account": acc.take(pa.array(starts)),
        "day": pa.array(day[starts]),
        "kwh": pa.array(np.add.reduceat(kwh, starts) if n else np.zeros(0)),
        "cover_s": pa.array(np.add.reduceat(ivl, starts) if n else np.zeros(0, np.int64)),
        "ivl": pa.array((np.maximum.reduceat(ivl, starts) if n else np.zeros(0, np.int64))
                        .astype(np.int32)),
        "ts_first": pa.array(np.minimum.reduceat(ts_us, starts) if n else np.zeros(0, np.int64)),
        "ts_last": pa.array(np.maximum.reduceat(ts_us, starts) if n else np.zeros(0, np.int64)),
        "off": pa.array(np.maximum.reduceat(off, starts) if n else np.zeros(0, np.int32)),
        "off_min": pa.array(np.minimum.reduceat(off, starts) if n else np.zeros(0, np.int32)),
        **hourly,
    })


def _hourly_sorted(gid, g, sec, kwh, ivl) -> dict[str, pa.Array]:
    """:func:`intraday`'s columns straight from time-sorted readings: run-length reductions per
    (day, hour) instead of a list per day."""
    iv = ivl < DAY_S
    if not iv.any():                                      # daily kWh only
        nan = pa.array(np.full(g, np.nan))
        none = pa.nulls(g, pa.list_(pa.float32(), HOURS))
        return {"kw_min": nan, "kw_max": nan, "kw_sd": nan, "h": none, "m": none}
    # kW as float32, as the SQL list holds it (both engines then agree to the last bits)
    gi = gid[iv]
    kw = (kwh[iv] * 3600.0 / ivl[iv]).astype(np.float32).astype(np.float64)
    hr = sec[iv] // 3600
    m = len(gi)
    nan = np.full(g, np.nan)
    h_mean = np.full(g * HOURS, np.nan, np.float32)
    h_min = np.full(g * HOURS, np.nan, np.float32)
    kmin, kmax, ksd = nan.copy(), nan.copy(), nan.copy()
    if m:
        cell = gi * HOURS + hr
        run = np.flatnonzero(np.concatenate([[True], cell[1:] != cell[:-1]]))
        cnt = np.diff(np.append(run, m))
        h_mean[cell[run]] = np.add.reduceat(kw, run) / cnt
        h_min[cell[run]] = np.minimum.reduceat(kw, run)
        day_run = np.flatnonzero(np.concatenate([[True], gi[1:] != gi[:-1]]))
        dcnt = np.diff(np.append(day_run, m))
        s1, s2 = np.add.reduceat(kw, day_run), np.add.reduceat(kw * kw, day_run)
        mean = s1 / dcnt
        kmin[gi[day_run]] = np.minimum.reduceat(kw, day_run)
        kmax[gi[day_run]] = np.maximum.reduceat(kw, day_run)
        ksd[gi[day_run]] = np.sqrt(np.maximum(s2 / dcnt - mean * mean, 0))
    return {"kw_min": pa.array(kmin), "kw_max": pa.array(kmax), "kw_sd": pa.array(ksd),
            "h": pa.FixedSizeListArray.from_arrays(pa.array(h_mean), HOURS),
            "m": pa.FixedSizeListArray.from_arrays(pa.array(h_min), HOURS)}


def _last_account_start(acc: pa.ChunkedArray) -> int:
    """Row index where the last (possibly incomplete) account of a sorted column begins."""
    acc = acc.combine_chunks()
    n = len(acc)
    last = acc[n - 1]
    same = pc.equal(acc, last)
    # sorted input: the rows equal to the last value form the tail
    return n - pc.sum(same).as_py()
