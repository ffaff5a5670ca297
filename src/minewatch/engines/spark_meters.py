"""Load-profile scoring (:mod:`minewatch.detectors.load_profile`) on Apache Spark.

The three steps of the DuckDB engine, with the same code wherever Python runs:

1. readings → (account, local day) aggregates: the detector's own daily SQL
   (:data:`.._load_daily.DAILY_SQL`), translated token by token to Spark SQL (``epoch_us`` →
   ``unix_micros``, ``//`` → ``div``, ``VARCHAR`` → ``STRING``, a DuckDB ``list({'s': …, 'kw': …})``
   of structs → ``array_sort(collect_list(named_struct('s', …, 'kw', …)))``; both engines
   truncate integer ``div``/``%`` toward zero and read ``3600.0`` as a DECIMAL literal), so a
   change to the SQL reaches both engines at once, and a construct the translation does not know
   fails loudly instead of running differently. Day boundaries are local days from each
   reading's own ``utc_offset_min``, independent of the session time zone;
2. per account: ``groupBy("account").applyInArrow`` calling the same
   :func:`.._load_features.chunk_features` on each account's daily rows (sorted by day). With
   ``stage2="partition"`` the daily rows are instead hash-partitioned by account, sorted, and fed
   to ``chunk_features`` in chunks of whole accounts by ``mapInArrow`` (far fewer Python calls at
   millions of accounts);
3. population scoring on the driver: the per-account features (one row per account, a few
   hundred bytes each) are collected as Arrow and scored by
   :func:`..load_profile.score_features`, the DuckDB engine's own step 3.

Results equal the DuckDB engine's up to floating-point summation order in step 1 (Spark and
DuckDB add a day's readings in different orders, which moves sums and standard deviations by a
few ulp); see :func:`minewatch.engines.compare.diff_scores` for the comparison and its tolerances.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Iterator

import numpy as np
import pyarrow as pa

from ..detectors._load_daily import _last_account_start, daily_sql
from ..detectors._load_features import chunk_features
from ..detectors._load_score import load_rules
from ..detectors.load_profile import score_features

__all__ = ["score_accounts_spark", "spark_daily_sql", "daily_frame", "features_frame",
           "feature_schema"]

# DuckDB → Spark SQL, applied in order to the detector's daily SQL
_TRANSLATE = (
    (r"\bepoch_us\(", "unix_micros("),
    (r"\bAS\s+VARCHAR\b", "AS STRING"),
    (r"//", " div "),
    (r"\s*ORDER\s+BY\s+account\s*,\s*day\s*$", "\n"),   # grouping needs no global sort
)
# list({'a': x, 'b': y}) [FILTER (WHERE c)]: DuckDB's list of structs. Spark's collect_list gives
# the same structs; array_sort puts them in (first field, …) order, i.e. time order for the
# day's (second of day, kW) list, the order DuckDB's list has for time-ordered readings. The
# per-day sums over the list then add in the same order on both engines.
_LIST_OF_STRUCTS = re.compile(
    r"\blist\(\s*\{(?P<body>[^{}]*)\}\s*\)(?P<filt>\s*FILTER\s*\(\s*WHERE\s+[^()]*\))?",
    re.IGNORECASE | re.DOTALL)
# left after translation = the daily SQL grew something this module does not know yet
_DUCKDB_ONLY = (r"\bepoch_\w+\(", r"\bVARCHAR\b", r"//", r"::", r"\bstrftime\(", r"\bdate_trunc\(",
                r"\bquantile_\w+\(", r"\bmedian\(", r"\bmad\(", r"\blist\(", r"[{}]")


def _list_of_structs(m: re.Match) -> str:
    body = re.sub(r"'(\w+)'\s*:", r"'\1',", m.group("body"))
    return f"array_sort(collect_list(named_struct({body})){m.group('filt') or ''})"


def spark_daily_sql(view: str) -> str:
    """The detector's daily aggregation (step 1) as Spark SQL over the table or view ``view``."""
    sql = daily_sql(view)
    for pat, rep in _TRANSLATE:
        sql = re.sub(pat, rep, sql, flags=re.IGNORECASE)
    sql = _LIST_OF_STRUCTS.sub(_list_of_structs, sql)
    left = [p for p in _DUCKDB_ONLY if re.search(p, sql, flags=re.IGNORECASE)]
    if left:
        raise RuntimeError(f"the daily SQL uses DuckDB syntax the Spark translation does not "
                           f"handle yet ({', '.join(left)}): extend _TRANSLATE in {__name__}")
    return sql


def _probe_daily() -> pa.Table:
    """A small daily table in the step-1 shape (one account, 60 days of hourly readings with a
    step), to learn the feature schema from ``chunk_features`` itself."""
    import duckdb
    n = 60 * 24
    t0 = 1_609_430_400 * 1_000_000                  # 2021-01-01 00:00 +08:00
    kwh = np.where(np.arange(n) >= 30 * 24, 2.0, 0.5) + 0.1 * (np.arange(n) % 24 >= 8)
    readings = pa.table({
        "account": pa.array(["probe"] * n),
        "ts": pa.array(t0 + np.arange(n, dtype=np.int64) * 3_600_000_000, pa.timestamp("us", "UTC")),
        "utc_offset_min": pa.array(np.full(n, 480, np.int16)),
        "interval_s": pa.array(np.full(n, 3600, np.int32)),
        "kwh": pa.array(kwh)})
    con = duckdb.connect()
    try:
        con.register("probe", readings)
        return con.sql(daily_sql("probe")).to_arrow_table()
    finally:
        con.close()


def feature_schema(cfg: dict | None = None) -> pa.Schema:
    """Arrow schema of ``chunk_features`` rows (account first), from a probe run."""
    return chunk_features(_probe_daily(), load_rules(cfg) if cfg is None else cfg).schema


def _spark_type(t: pa.DataType):
    from pyspark.sql import types as T
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return T.StringType()
    if pa.types.is_floating(t):
        return T.DoubleType() if t.bit_width == 64 else T.FloatType()
    if pa.types.is_boolean(t):
        return T.BooleanType()
    if pa.types.is_integer(t):
        return {8: T.ByteType(), 16: T.ShortType(), 32: T.IntegerType()}.get(t.bit_width, T.LongType())
    raise TypeError(f"no Spark type for feature column of Arrow type {t}")


def _spark_schema(schema: pa.Schema):
    from pyspark.sql import types as T
    return T.StructType([T.StructField(f.name, _spark_type(f.type), True) for f in schema])


def _arrow_for_spark(schema: pa.Schema) -> pa.Schema:
    """``schema`` with unsigned integers widened the way ``_spark_type`` maps them."""
    fields = []
    for f in schema:
        t = f.type
        if pa.types.is_unsigned_integer(t):
            t = pa.int64()
        elif pa.types.is_large_string(t):
            t = pa.string()
        fields.append(pa.field(f.name, t, True))
    return pa.schema(fields)


def _group_features(cfg: dict, schema: pa.Schema):
    """applyInArrow body: one account's daily rows → its feature row."""
    def fn(table: pa.Table) -> pa.Table:
        table = table.sort_by([("day", "ascending")])
        if table.column("account").type != pa.string():
            table = table.set_column(0, "account", table.column("account").cast(pa.string()))
        return chunk_features(table, cfg).select(schema.names).cast(schema)
    return fn


def _partition_features(cfg: dict, schema: pa.Schema, chunk_rows: int):
    """mapInArrow body: batches of daily rows sorted by (account, day) within the partition →
    feature rows, ``chunk_features`` on chunks of whole accounts (as ``stream_daily`` cuts them)."""
    def run(table: pa.Table) -> Iterator[pa.RecordBatch]:
        if table.column("account").type != pa.string():
            table = table.set_column(0, "account", table.column("account").cast(pa.string()))
        yield from chunk_features(table, cfg).select(schema.names).cast(schema).to_batches()

    def fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        pending: list[pa.RecordBatch] = []
        size = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            size += batch.num_rows
            if size < chunk_rows:
                continue
            table = pa.Table.from_batches(pending).combine_chunks()
            cut = _last_account_start(table.column("account"))
            if cut == 0:
                continue
            yield from run(table.slice(0, cut))
            rest = table.slice(cut)
            pending, size = rest.to_batches(), rest.num_rows
        if size:
            yield from run(pa.Table.from_batches(pending).combine_chunks())
    return fn


def _readings_frame(spark, readings):
    """A DataFrame with the ``meter_readings`` columns from a Parquet path (or list of paths,
    or a DataFrame as is)."""
    if isinstance(readings, (str, os.PathLike)):
        return spark.read.parquet(os.fspath(readings))
    if isinstance(readings, (list, tuple)):
        return spark.read.parquet(*[os.fspath(p) for p in readings])
    return readings


def daily_frame(spark, readings):
    """Step 1 as a Spark DataFrame: one row per (account, local day), unordered."""
    view = f"mw_readings_{uuid.uuid4().hex[:12]}"
    _readings_frame(spark, readings).createOrReplaceTempView(view)
    return spark.sql(spark_daily_sql(view))


def features_frame(spark, readings, cfg: dict, stage2: str = "group", chunk_rows: int = 200_000):
    """Steps 1–2 as a Spark DataFrame: one row of ``chunk_features`` per account."""
    schema = _arrow_for_spark(feature_schema(cfg))
    daily = daily_frame(spark, readings)
    if stage2 == "group":
        return daily.groupBy("account").applyInArrow(_group_features(cfg, schema),
                                                     _spark_schema(schema))
    if stage2 == "partition":
        parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
        daily = daily.repartition(parts, "account").sortWithinPartitions("account", "day")
        return daily.mapInArrow(_partition_features(cfg, schema, chunk_rows), _spark_schema(schema))
    raise ValueError(f"stage2 must be 'group' or 'partition', not {stage2!r}")


def score_accounts_spark(spark, readings_parquet, register: pa.Table | None = None,
                         config: dict | None = None, *, stage2: str = "group") -> pa.Table:
    """:func:`minewatch.detectors.load_profile.score_accounts` on Spark: the same table (same
    columns, one row per account, sorted by account) for the ``meter_readings``-shaped Parquet
    file(s) ``readings_parquet`` (account, ts, utc_offset_min, interval_s, kwh; a path, a list of
    paths, or a DataFrame with those columns). ``register`` stays on the driver (Arrow)."""
    import duckdb
    cfg = load_rules(config)
    feats = features_frame(spark, readings_parquet, cfg, stage2=stage2).toArrow()
    feats = feats.sort_by([("account", "ascending")]).combine_chunks()
    con = duckdb.connect()
    try:
        return score_features(con, feats, register, cfg)
    finally:
        con.close()
