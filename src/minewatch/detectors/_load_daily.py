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
  min(ts_us) AS ts_first, max(ts_us) AS ts_last, max(off) AS off
FROM r
GROUP BY account, day
ORDER BY account, day
"""


def daily_sql(source: str) -> str:
    """The daily aggregation over ``source`` (a table name or a parenthesised subquery)."""
    return DAILY_SQL.format(src=source)


def intraday(daily: pa.Table) -> dict[str, np.ndarray]:
    """Per daily row: min, max and sd of interval power (kW), and hourly mean and minimum power
    (rows × 24, float32); NaN for days without interval readings."""
    n = daily.num_rows
    lst = daily.column("iv").combine_chunks()
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


def stream_daily(con, source: str, chunk_rows: int = 200_000) -> Iterator[pa.Table]:
    """Daily rows in tables of about ``chunk_rows`` rows, each holding whole accounts only."""
    reader = con.sql(daily_sql(source)).to_arrow_reader(min(chunk_rows, 1 << 17))
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        size += batch.num_rows
        if size < chunk_rows:
            continue
        table = pa.Table.from_batches(pending).combine_chunks()
        cut = _last_account_start(table.column("account"))
        if cut == 0:            # one account larger than a chunk: keep reading
            continue
        yield table.slice(0, cut)
        rest = table.slice(cut)
        pending, size = rest.to_batches(), rest.num_rows
    if size:
        yield pa.Table.from_batches(pending).combine_chunks()


def _last_account_start(acc: pa.ChunkedArray) -> int:
    """Row index where the last (possibly incomplete) account of a sorted column begins."""
    acc = acc.combine_chunks()
    n = len(acc)
    last = acc[n - 1]
    same = pc.equal(acc, last)
    # sorted input: the rows equal to the last value form the tail
    return n - pc.sum(same).as_py()
