"""Meter readings → the store's ``meter_readings`` table.

Reads CSV (plain, gzip, GBK/GB18030 or UTF-8) and Parquet, in two layouts:

* **long** — one reading per row: ``account,timestamp,kwh`` by default, optionally ``interval``;
  a separate date and time column (日期 + 时间) also works;
* **wide** — the grid exports' daily table: one row per account, one column per day holding that
  day's kWh (headers like ``2021-03-04``, ``20210304``, ``2021/3/4``, ``2021年3月4日``, in any
  order), other columns (name, address…) ignored. Detected by its header: day columns and no
  timestamp column.

Columns are found by name: the defaults, the Chinese names grid exports use (户号, 抄表时间, 电量…,
see :data:`READING_COLUMNS`), or an explicit mapping ``{"account": "户号", "kwh": "电量"}`` (CLI:
``--map account=户号``), which wins.

Time: ISO 8601 with an offset is stored as the UTC instant with the offset kept in
``utc_offset_min``; naive timestamps are read in ``tz`` (a fixed offset, default +08:00, or an IANA
zone such as ``Australia/Sydney``, applied per reading so DST is right) and the report says so.
Daily rows (date-only timestamps, wide files, interval 86400) are stored at local midnight.

Interval: an ``interval`` column when present (900 / '15min' / 'PT15M' / 'daily'…), else inferred
per account from its timestamps (those of empty or rejected kWh cells too) — the median gap between
consecutive readings, or the lower-quartile gap when that is a standard interval dividing the
median (a 30-min meter that lost half its readings still reads as 30 min). An account with one
reading takes the interval already stored for it, else the file's most common one.

Nothing is judged: a missing reading (empty kWh cell, or a gap) stays absent — never a zero — and is
counted per account as data quality. Unreadable rows (missing account, bad timestamp, non-numeric
or negative kWh, wrong field count) are reported with file and line (1-based physical line in a
CSV, row in a Parquet file) and skipped; the rest is stored. Duplicates (same account, start and
interval, within a file or against the store) are stored once — the first one — and a duplicate
carrying a different kWh is counted as a conflict. Re-ingesting a file adds nothing.

Scale: Python reads 64 KiB per file to sniff it; rows flow as Arrow batches into DuckDB, where
parsing, interval inference, de-duplication and the insert run as SQL (wide → long by ``UNPIVOT``;
the PRIMARY KEY with INSERT OR IGNORE in (account, ts, interval, line) order keeps the first of a
duplicate; keys already stored are set apart by a join first, to count conflicts).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

from ._tabular import (MeterInputError, TabularFile, Zone, clip_sql, col, expand_paths,
                       find_columns, is_numeric_type, norm_header, number_sql, parse_day,
                       parse_mapping, parse_tz, register_source, same_sql, sniff, sql_str,
                       staged_transaction, unregister_source)

__all__ = ["READING_COLUMNS", "INTERVALS", "FileIngest", "AccountQuality", "ReadingsReport",
           "ingest_readings", "ingest_readings_file", "account_quality", "parse_interval",
           "MeterInputError"]

# role → accepted header names (the first is the default); matched after norm_header()
READING_COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("account", "account_id", "account_no", "户号", "用户编号", "用户号", "客户编号",
                "用户户号", "电力户号"),
    "timestamp": ("timestamp", "datetime", "date_time", "reading_time", "ts", "抄表时间",
                  "采集时间", "数据时间", "日期时间", "冻结时间", "读数时间"),
    "date": ("date", "day", "日期", "数据日期", "抄表日期"),
    "time": ("time", "时间", "时刻", "时点"),
    "kwh": ("kwh", "energy_kwh", "consumption_kwh", "电量", "用电量", "有功电量", "正向有功电量",
            "正向有功总电量", "日电量", "抄见电量"),
    "interval": ("interval", "interval_s", "interval_min", "间隔", "采集间隔", "时间间隔"),
}
INTERVALS = (900, 1800, 3600, 86400)
DAY_S = 86400
TS_RX = (r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[T\s]+(\d{1,2}):(\d{2})"
         r"(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$")
TS_GROUPS = "['y', 'mo', 'd', 'h', 'mi', 'sec', 'frac', 'off']"
TOTAL_ROWS = ("合计", "总计", "小计", "总计:", "合计:", "total", "sum", "subtotal")
TOTAL_SQL = ("lower(account) IN (" + ", ".join("'" + t + "'" for t in TOTAL_ROWS) + ")")


# --------------------------------------------------------------------------------------------
# reports

@dataclass
class FileIngest:
    """What one readings file gave. Rows: ``rows_read = rows_new + rows_duplicate + rows_missing
    + rows_rejected``; for a wide file a row is one (account, day) cell."""
    source: str
    fmt: str = ""                    # csv | parquet
    layout: str = ""                 # long | wide
    columns: dict[str, str] = field(default_factory=dict)    # role → header
    ignored: list[str] = field(default_factory=list)        # headers not used
    rows_read: int = 0
    rows_new: int = 0
    rows_duplicate: int = 0          # already stored, or earlier in this file
    rows_conflict: int = 0           # duplicates whose kWh differs from the kept one
    rows_missing: int = 0            # empty kWh: a dropout, stored as absent
    rows_rejected: int = 0
    rejects: list[str] = field(default_factory=list)        # 'file:line: reason', the first few
    conflicts: list[str] = field(default_factory=list)      # examples
    accounts: int = 0
    intervals: dict[str, int] = field(default_factory=dict)  # '30 min' → accounts
    naive_rows: int = 0              # timestamps without offset, read in --tz
    first: str | None = None         # UTC, ISO 8601
    last: str | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None         # the file could not be read at all
    seconds: float = 0.0

    @property
    def rows_valid(self) -> int:
        return self.rows_new + self.rows_duplicate


@dataclass
class AccountQuality:
    """Readings present vs expected over the account's stored span, per interval."""
    account: str
    interval_s: int
    first: str
    last: str
    present: int
    expected: int

    @property
    def missing(self) -> int:
        return max(self.expected - self.present, 0)

    @property
    def coverage(self) -> float:
        return self.present / self.expected if self.expected else 1.0


@dataclass
class ReadingsReport:
    tz: str
    files: list[FileIngest] = field(default_factory=list)
    accounts: list[AccountQuality] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{f.source}: {f.error}" for f in self.files if f.error]

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def nothing_read(self) -> bool:
        return not any(f.rows_read and not f.error for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        files = []
        for f in self.files:
            d = asdict(f)
            d["rows_valid"] = f.rows_valid
            files.append(d)
        accts = []
        for a in self.accounts:
            d = asdict(a)
            d["missing"] = a.missing
            accts.append(d)
        tot = {k: self.total(k) for k in ("rows_read", "rows_new", "rows_duplicate",
                                          "rows_conflict", "rows_missing", "rows_rejected",
                                          "naive_rows")}
        return {"kind": "readings", "tz": self.tz, **tot, "files": files, "accounts": accts,
                "errors": self.errors}


def _fmt_interval(s: int) -> str:
    if s >= DAY_S and s % DAY_S == 0:
        return "daily" if s == DAY_S else f"{s // DAY_S} d"
    if s % 60 == 0:
        return f"{s // 60} min"
    return f"{s} s"


# --------------------------------------------------------------------------------------------
# intervals

_IV_UNITS = {"s": 1, "sec": 1, "秒": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
             "minutes": 60, "分": 60, "分钟": 60, "h": 3600, "hr": 3600, "hour": 3600,
             "hours": 3600, "小时": 3600, "时": 3600, "d": DAY_S, "day": DAY_S, "days": DAY_S,
             "天": DAY_S, "日": DAY_S}
_ISO_IV = re.compile(r"^p(?:(\d+)d)?(?:t(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)?$")


def parse_interval(text: str | int | float | None, unit: str | None = None) -> int | None:
    """An interval value → seconds: 900, '15min', '15 分钟', '1h', 'PT15M', 'P1D', 'daily', '日'.
    A bare number is read in ``unit`` ('s' or 'min') when given, else as minutes when it is
    15/30/60/1440 and as seconds when 900/1800/3600/86400. None when not a usable interval
    (a divisor of a day, at least a minute)."""
    if text is None:
        return None
    s = str(text).strip().lower().replace(" ", "")
    if not s:
        return None
    if s in ("daily", "day", "d", "日", "天", "1d", "p1d", "日冻结"):
        return DAY_S
    if s in ("hourly", "h"):
        return 3600
    secs: float | None = None
    m = _ISO_IV.match(s)
    if m and any(m.groups()):
        d, h, mi, se = (int(x or 0) for x in m.groups())
        secs = d * DAY_S + h * 3600 + mi * 60 + se
    else:
        m = re.match(r"^(\d+(?:\.\d+)?)([a-z\u4e00-\u9fff]*)$", s)
        if not m:
            return None
        num, u = float(m.group(1)), m.group(2)
        if u:
            if u not in _IV_UNITS:
                return None
            secs = num * _IV_UNITS[u]
        elif unit in ("s", "min"):
            secs = num * (60 if unit == "min" else 1)
        elif num in (15, 30, 60, 1440):
            secs = num * 60
        elif num in (900, 1800, 3600, 86400):
            secs = num
        elif num in (5, 10):
            secs = num * 60
        else:
            return None
    if secs is None or secs != int(secs):
        return None
    secs = int(secs)
    if secs < 60 or secs > DAY_S or DAY_S % secs:
        return None
    return secs


def _unit_hint(header: str) -> str | None:
    h = norm_header(header)
    if h.endswith(("_s", "_sec", "_secs", "_seconds", "秒")):
        return "s"
    if h.endswith(("_min", "_mins", "_minutes", "分钟")):
        return "min"
    return None


# --------------------------------------------------------------------------------------------
# layout

@dataclass
class _Plan:
    layout: str
    roles: dict[str, int]
    days: list[tuple[int, Any]]          # wide: (column index, date)
    ignored: list[str]
    warnings: list[str]


def _looks_like_header(fields: list[str], mapping: dict[str, str]) -> bool:
    try:
        roles, _ = find_columns(fields, READING_COLUMNS, mapping)
    except MeterInputError:
        return True                         # names the same role twice: still a header
    if "account" not in roles:
        return False
    return bool({"timestamp", "date", "kwh"} & set(roles)) or any(parse_day(f) for f in fields)


def _plan(tf: TabularFile, mapping: dict[str, str]) -> _Plan:
    header = tf.header
    roles, warnings = find_columns(header, READING_COLUMNS, mapping, tf.path)
    days = [(i, d) for i, h in enumerate(header)
            if i not in roles.values() and (d := parse_day(h)) is not None]
    if "account" not in roles:
        raise MeterInputError(
            "no account column (looked for " + ", ".join(READING_COLUMNS["account"][:5]) +
            f"…; columns: {', '.join(header)}); name it with --map account=COLUMN", tf.path)
    # wide: day columns, and not the (timestamp or date) + kWh columns of a long file
    if days and not ({"timestamp", "date"} & set(roles) and "kwh" in roles):
        layout = "wide"
        for r in ("date", "time", "kwh", "interval"):
            roles.pop(r, None)
    else:
        layout, days = "long", []
        if not ({"timestamp", "date"} & set(roles)):
            if "time" in roles:                # a lone 'time' column holding full timestamps
                roles["timestamp"] = roles.pop("time")
            else:
                raise MeterInputError(
                    "no timestamp column and no day columns (looked for timestamp, 抄表时间, "
                    f"日期…; columns: {', '.join(header)}); name it with --map timestamp=COLUMN",
                    tf.path)
        if "timestamp" in roles:
            roles.pop("date", None)
            roles.pop("time", None)
        if "kwh" not in roles:
            raise MeterInputError(
                f"no kWh column (looked for kwh, 电量, 用电量…; columns: {', '.join(header)}); "
                "name it with --map kwh=COLUMN", tf.path)
    used = set(roles.values()) | {i for i, _ in days}
    ignored = [h for i, h in enumerate(header) if i not in used and str(h).strip()]
    return _Plan(layout, roles, days, ignored, warnings)


# --------------------------------------------------------------------------------------------
# SQL building blocks

def _text(c: str, typ: str) -> str:
    """A trimmed VARCHAR, NULL when empty."""
    return f"nullif(trim(CAST({c} AS VARCHAR)), '')" if typ != "VARCHAR" else \
        f"nullif(trim({c}), '')"


def _kwh_sql(k: str, numeric: bool) -> tuple[str, str]:
    """(kwh DOUBLE expression, error expression) over the column ``k`` (VARCHAR or numeric)."""
    if numeric:
        kv = f"CAST({k} AS DOUBLE)"
        err = (f"CASE WHEN {kv} IS NULL OR isnan({kv}) THEN NULL "
               f"WHEN isinf({kv}) THEN 'kWh ' || CAST({kv} AS VARCHAR) || ' is not finite' "
               f"WHEN {kv} < 0 THEN 'negative kWh ' || CAST({kv} AS VARCHAR) END")
        return f"CASE WHEN isnan({kv}) THEN NULL ELSE {kv} END", err
    kv = number_sql(k)
    err = (f"CASE WHEN {k} IS NULL THEN NULL "
           f"WHEN kv_ IS NULL THEN 'kWh ' || {clip_sql(k)} || ' is not a number' "
           f"WHEN isinf(kv_) THEN 'kWh ' || {clip_sql(k)} || ' is not finite' "
           f"WHEN kv_ < 0 THEN 'negative kWh ' || {clip_sql(k)} END")
    return kv, err


def _ts_ctes(kind: str, zone: Zone) -> str:
    """CTEs b… over CTE ``a`` (line, account, s, t, k, iv_raw) ending in ``e`` with
    local (TIMESTAMP), off (INTEGER minutes east of UTC, NULL = naive), date_only."""
    keep = "line, account, s, k, iv_raw"
    if kind == "naive":
        return (f", e AS (SELECT {keep}, CAST(t AS TIMESTAMP) AS local, CAST(NULL AS INTEGER) "
                "AS off, FALSE AS date_only FROM a)")
    if kind == "date":
        return (f", e AS (SELECT {keep}, CAST(t AS TIMESTAMP) AS local, CAST(NULL AS INTEGER) "
                "AS off, TRUE AS date_only FROM a)")
    if kind == "instant":
        loc = zone.local_of_instant_sql("t")
        return (f", e AS (SELECT {keep}, {loc} AS local, CAST(date_diff('minute', "
                f"CAST(t AS TIMESTAMP), {loc}) AS INTEGER) AS off, FALSE AS date_only FROM a)")
    # text: a fast path on DuckDB's own casts (ISO 8601 with or without an offset, 'T' or space,
    # 24:00), a regex for the rest (2021/3/4 0:15, 20210304, 2021年3月4日, '+08' offsets, a space
    # before the offset); the regex runs only on rows the casts refused
    hz = ("(right(s, 1) IN ('Z', 'z') OR contains(s, '+') OR "
          "(strpos(s, ':') > 0 AND contains(substr(s, strpos(s, ':')), '-')))")
    i = "TRY_CAST({} AS BIGINT)"
    sec = ("TRY_CAST(coalesce(nullif(r.sec, ''), '0') || CASE WHEN r.frac <> '' THEN '.' || "
           "r.frac ELSE '' END AS DOUBLE)")
    slow_local = (
        f"CASE WHEN r.y <> '' AND (r.h = '' OR ({i.format('r.h')} <= 24 AND "
        f"{i.format('r.mi')} < 60 AND {sec} < 60)) THEN "
        f"try(make_timestamp({i.format('r.y')}, {i.format('r.mo')}, {i.format('r.d')}, 0, 0, 0))"
        f" + to_hours(coalesce({i.format('nullif(r.h, %s)' % sql_str(''))}, 0))"
        f" + to_minutes(coalesce({i.format('nullif(r.mi, %s)' % sql_str(''))}, 0))"
        f" + to_microseconds(CAST(round(coalesce({sec}, 0) * 1e6) AS BIGINT)) END")
    slow_off = ("CASE WHEN r.off = '' THEN NULL WHEN r.off IN ('Z', 'z') THEN 0 ELSE "
                "(CASE WHEN left(r.off, 1) = '-' THEN -1 ELSE 1 END) * "
                "(TRY_CAST(substr(r.off, 2, 2) AS INTEGER) * 60 + CASE WHEN length(r.off) = 3 "
                "THEN 0 ELSE TRY_CAST(right(r.off, 2) AS INTEGER) END) END")
    return (
        f", b AS (SELECT *, TRY_CAST(s AS TIMESTAMP) AS l0, {hz} AS hz FROM a)"
        f", c AS (SELECT *, CASE WHEN hz THEN TRY_CAST(s AS TIMESTAMPTZ) END AS i0 FROM b)"
        f", d AS (SELECT *, CASE WHEN s IS NOT NULL AND NOT (l0 IS NOT NULL AND (NOT hz OR "
        f"i0 IS NOT NULL)) THEN regexp_extract(s, {sql_str(TS_RX)}, {TS_GROUPS}) END AS r "
        f"FROM c)"
        f", e AS (SELECT {keep}, "
        f"CASE WHEN r IS NULL THEN l0 ELSE {slow_local} END AS local, "
        f"CASE WHEN r IS NULL THEN (CASE WHEN hz THEN CAST(date_diff('minute', "
        f"CAST(i0 AS TIMESTAMP), l0) AS INTEGER) END) ELSE {slow_off} END AS off, "
        f"CASE WHEN r IS NULL THEN NOT contains(s, ':') ELSE r.h = '' END AS date_only FROM d)")


def _ts_kind(typ: str) -> str:
    t = typ.upper()
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return "instant"
    if t.startswith("TIMESTAMP"):
        return "naive"
    if t == "DATE":
        return "date"
    return "text"


def _stage_long_sql(tf: TabularFile, plan: _Plan, zone: Zone, src: str) -> str:
    r, types = plan.roles, tf.types
    acc = _text(col(r["account"]), types[r["account"]])
    kind = "text"
    t = "CAST(NULL AS VARCHAR)"
    if "timestamp" in r:
        ti = r["timestamp"]
        kind = _ts_kind(types[ti])
        s = _text(col(ti), types[ti])
        if kind != "text":
            t = col(ti)
    else:                                        # date (+ time) columns
        parts = [_text(col(r["date"]), types[r["date"]])]
        if "time" in r:
            parts.append(_text(col(r["time"]), types[r["time"]]))
        s = f"nullif(concat_ws(' ', {', '.join(parts)}), '')"
        if "time" not in r and _ts_kind(types[r["date"]]) in ("date", "naive"):
            kind, t = _ts_kind(types[r["date"]]), col(r["date"])
    ki = r["kwh"]
    numeric = is_numeric_type(types[ki])
    k = col(ki) if numeric else _text(col(ki), types[ki])
    iv = _text(col(r["interval"]), types[r["interval"]]) if "interval" in r else \
        "CAST(NULL AS VARCHAR)"
    blank = " AND ".join(f"{col(i)} IS NULL" for i in range(len(types)))
    kv, kerr = _kwh_sql("k", numeric)
    return (
        f"WITH a AS (SELECT line, {acc} AS account, {s} AS s, {t} AS t, {k} AS k, "
        f"{iv} AS iv_raw FROM {src} WHERE NOT ({blank}))"
        f"{_ts_ctes(kind, zone)}"
        f", f AS (SELECT *, {kv} AS kv_ FROM e)"
        f", g AS (SELECT line, account, s, local, off, date_only, iv_raw, "
        f"CASE WHEN isnan(kv_) THEN NULL ELSE kv_ END AS kwh, {kerr} AS kerr FROM f)"
        f" SELECT line, account, local, "
        f"CAST(coalesce(off, {zone.naive_off_sql('local')}) AS INTEGER) AS off, "
        f"off IS NULL AS naive, date_only, kwh, iv_raw, "
        f"CASE WHEN account IS NULL THEN 'missing account' "
        f"WHEN {TOTAL_SQL} THEN 'a totals row (' || account || '), not an account' "
        f"WHEN s IS NULL THEN 'missing timestamp' "
        f"WHEN local IS NULL THEN 'bad timestamp ' || {clip_sql('s')} "
        f"WHEN off NOT BETWEEN -900 AND 900 THEN 'bad UTC offset in ' || {clip_sql('s')} "
        f"ELSE kerr END AS err FROM g")


def _stage_wide_sql(tf: TabularFile, plan: _Plan, zone: Zone, src: str) -> str:
    types = tf.types
    acc = _text(col(plan.roles["account"]), types[plan.roles["account"]])
    numeric = all(is_numeric_type(types[i]) for i, _ in plan.days)
    dcols = ", ".join(
        (f"CAST({col(i)} AS DOUBLE)" if numeric else _text(col(i), types[i])) + f" AS {col(i)}"
        for i, _ in plan.days)
    on = ", ".join(col(i) for i, _ in plan.days)
    blank = " AND ".join(f"{col(i)} IS NULL" for i in range(len(types)))
    kv, kerr = _kwh_sql("k", numeric)
    return (
        f"WITH w AS (SELECT line, {acc} AS account, {dcols} FROM {src} WHERE NOT ({blank}))"
        f", u AS (SELECT * FROM w UNPIVOT INCLUDE NULLS (k FOR col IN ({on})))"
        f", x AS (SELECT u.line, u.account, u.k, CAST(m.day AS TIMESTAMP) AS local "
        f"FROM u JOIN _mw_days m ON u.col = m.col)"
        f", f AS (SELECT *, {kv} AS kv_ FROM x)"
        f", g AS (SELECT line, account, local, CASE WHEN isnan(kv_) THEN NULL ELSE kv_ END AS kwh,"
        f" {kerr} AS kerr FROM f)"
        f" SELECT line, account, local, CAST({zone.naive_off_sql('local')} AS INTEGER) AS off, "
        f"TRUE AS naive, TRUE AS date_only, kwh, CAST(NULL AS VARCHAR) AS iv_raw, "
        f"CASE WHEN account IS NULL AND kwh IS NOT NULL THEN 'missing account' "
        f"WHEN {TOTAL_SQL} AND kwh IS NOT NULL THEN 'a totals row (' || account || '), not an "
        f"account' "
        f"WHEN kerr IS NOT NULL THEN kerr || ' (column ' || strftime(local, '%Y-%m-%d') || ')' "
        f"END AS err FROM g")


# --------------------------------------------------------------------------------------------
# ingest

def ingest_readings(store, paths: Sequence[str | Path], *, mapping=None, tz: str = "+08:00",
                    interval: str | int | None = None, stamp: str = "start",
                    encoding: str | None = None, max_rejects: int = 20,
                    quality: bool = True) -> ReadingsReport:
    """Ingest readings files (or folders of them) into ``store`` (a DuckDBStore).

    ``mapping``: role → header (roles: account, timestamp, date, time, kwh, interval), or a list
    of 'role=header' strings. ``tz``: zone for naive timestamps ('+08:00', 'Asia/Shanghai').
    ``interval``: force one interval for every reading ('15min', 900, 'daily'). ``stamp``:
    'start' (default) or 'end' when timestamps label the end of their interval (96-point exports
    running 00:15 … 24:00). Bad options (tz, mapping, interval) raise MeterInputError; bad
    files never raise: they come back with ``error`` set, bad rows in ``rejects``."""
    zone = parse_tz(tz)
    roles = parse_mapping(mapping, tuple(READING_COLUMNS))
    forced = None
    if interval is not None and str(interval).strip():
        forced = parse_interval(interval, "s" if isinstance(interval, int) else None)
        if forced is None:
            raise MeterInputError(f"bad --interval {interval!r} (e.g. 15min, 30min, 1h, daily)")
    if stamp not in ("start", "end"):
        raise MeterInputError(f"bad stamp {stamp!r}: 'start' or 'end'")
    if isinstance(paths, (str, Path)):
        paths = [paths]
    report = ReadingsReport(tz=zone.text)
    store._run("SET TimeZone='UTC'")
    store._run("CREATE OR REPLACE TEMP TABLE _mw_touched (account VARCHAR, interval_s INTEGER)")
    try:
        for p in expand_paths(paths):
            report.files.append(ingest_readings_file(
                store, p, mapping=roles, zone=zone, forced=forced, stamp=stamp,
                encoding=encoding, max_rejects=max_rejects))
        if quality:
            report.accounts = account_quality(store, "_mw_touched")
    finally:
        store._run("DROP TABLE IF EXISTS _mw_touched")
    return report


def ingest_readings_file(store, path: str | Path, *, mapping: dict[str, str] | None = None,
                         zone: Zone | None = None, forced: int | None = None,
                         stamp: str = "start", encoding: str | None = None,
                         max_rejects: int = 20) -> FileIngest:
    """One file → ``meter_readings`` in one transaction; the result is logged in
    ``meter_ingest_log``. Unreadable files come back with ``error`` set (and nothing stored)."""
    t0 = time.perf_counter()
    zone = zone or parse_tz("+08:00")
    mapping = mapping or {}
    fi = FileIngest(source=str(path))
    try:
        tf = sniff(path, lambda f: _looks_like_header(f, mapping), encoding, store.con)
        fi.fmt = tf.fmt
        fi.notes.extend(tf.notes)
        plan = _plan(tf, mapping)
        fi.layout, fi.ignored = plan.layout, plan.ignored
        fi.columns = {k: tf.header[i] for k, i in plan.roles.items()}
        if plan.layout == "wide":
            fi.columns["days"] = f"{len(plan.days)} day column(s)"
        fi.notes.extend(plan.warnings)
        _ingest(store, tf, plan, zone, forced, stamp, fi, max_rejects)
        if fi.rows_valid == 0 and fi.rows_missing == 0:
            first = f" (first: {fi.rejects[0]})" if fi.rejects else ""
            raise MeterInputError(f"no readable readings: {fi.rows_rejected} row(s) rejected"
                                  f"{first}", path)
    except MeterInputError as e:
        fi.error = e.reason if e.path else str(e)
    except Exception as e:  # noqa: BLE001 - DuckDB/pyarrow raise many kinds; report, don't crash
        fi.error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    fi.seconds = round(time.perf_counter() - t0, 3)
    rejects = fi.rejects if not fi.error else ([f"{path}: {fi.error}"] + fi.rejects)[:max_rejects]
    store._run("INSERT INTO meter_ingest_log (source, kind, rows_read, rows_new, rows_rejected, "
               "rejects) VALUES (?, 'readings', ?, ?, ?, ?)",
               [str(path), fi.rows_read, fi.rows_new, fi.rows_rejected, rejects])
    return fi


STAGE_TABLES = ("_mw_stage", "_mw_rows", "_mw_fa", "_mw_exist", "_mw_acc_iv", "_mw_ivmap",
                "_mw_days")


def _ingest(store, tf: TabularFile, plan: _Plan, zone: Zone, forced: int | None, stamp: str,
            fi: FileIngest, max_rejects: int) -> None:
    run = store._run
    label = str(tf.path)
    lc = None
    with staged_transaction(store, tf, "_mw_src", STAGE_TABLES) as st:
        if plan.layout == "wide":
            run("CREATE OR REPLACE TEMP TABLE _mw_days (col VARCHAR, day DATE)")
            run("INSERT INTO _mw_days VALUES " + ", ".join(
                f"({sql_str(col(i))}, DATE {sql_str(d.isoformat())})" for i, d in plan.days))
        lc = st.lc = register_source(store.con, tf, "_mw_src")
        body = (_stage_wide_sql if plan.layout == "wide" else _stage_long_sql)(
            tf, plan, zone, "_mw_src")
        try:
            run(f"CREATE OR REPLACE TEMP TABLE _mw_stage AS {body}")
        except Exception:
            if lc is not None and lc.failure is not None:   # our own error, from the stream
                raise lc.failure from None
            raise
        unregister_source(store.con, tf, "_mw_src")
        invalid = lc.invalid if lc else []

        _resolve_intervals(store, tf, plan, forced, fi)

        (fi.rows_read, rejected, fi.rows_missing, fi.naive_rows) = run(
            "SELECT count(*), count(err), count(*) FILTER (WHERE err IS NULL AND kwh IS NULL), "
            "count(*) FILTER (WHERE err IS NULL AND kwh IS NOT NULL AND naive) "
            "FROM _mw_stage")[0]
        fi.rows_read += len(invalid)
        fi.rows_rejected = rejected + len(invalid)
        rows = run(f"SELECT line, err, count(*) FROM _mw_stage WHERE err IS NOT NULL "
                   f"GROUP BY line, err ORDER BY line LIMIT {int(max_rejects)}")
        rej = [(ln, err + (f" ({n} readings)" if n > 1 else "")) for ln, err, n in rows]
        rej += invalid[:max_rejects]
        fi.rejects = [f"{label}:{ln}: {err}" for ln, err in sorted(rej)[:max_rejects]]
        if fi.naive_rows:
            what = "day columns" if plan.layout == "wide" else "timestamps without UTC offset"
            fi.notes.append(f"{fi.naive_rows} reading(s): {what} read as {zone.text} (--tz)")

        _store_rows(store, label, forced, stamp, zone, fi)


def _resolve_intervals(store, tf: TabularFile, plan: _Plan, forced: int | None,
                       fi: FileIngest) -> None:
    """Creates _mw_ivmap (interval column values → seconds) and _mw_acc_iv (account → inferred
    interval); marks rows whose interval is unusable as rejected."""
    run = store._run
    run("CREATE OR REPLACE TEMP TABLE _mw_ivmap (raw VARCHAR, iv INTEGER)")
    run("CREATE OR REPLACE TEMP TABLE _mw_acc_iv (account VARCHAR, iv INTEGER)")
    if forced:
        return
    if "interval" in plan.roles:
        unit = _unit_hint(tf.header[plan.roles["interval"]])
        raws = [r[0] for r in run("SELECT DISTINCT iv_raw FROM _mw_stage WHERE iv_raw IS NOT NULL "
                                  "AND err IS NULL LIMIT 10001")]
        if len(raws) > 10000:
            raise MeterInputError("the interval column holds over 10,000 distinct values",
                                  tf.path)
        if raws:
            vals = [(r, parse_interval(r, unit)) for r in raws]
            store.con.executemany("INSERT INTO _mw_ivmap VALUES (?, ?)", vals)
            run("UPDATE _mw_stage SET err = 'bad interval ' || '''' || left(iv_raw, 20) || '''' "
                "WHERE err IS NULL AND iv_raw IN (SELECT raw FROM _mw_ivmap WHERE iv IS NULL)")
    need = run("SELECT count(*) FROM _mw_stage WHERE err IS NULL AND kwh IS NOT NULL "
               "AND NOT date_only AND iv_raw IS NULL")[0][0]
    if not need:
        return
    allowed = ", ".join(str(x) for x in INTERVALS[:3])
    run(f"""
        INSERT INTO _mw_acc_iv
        WITH v AS (
          SELECT account, CAST(epoch(local) AS BIGINT) - 60 * off AS e, local
          FROM _mw_stage WHERE account IS NOT NULL AND local IS NOT NULL AND off IS NOT NULL
            AND NOT date_only AND iv_raw IS NULL
        ), g AS (
          SELECT account, local, e - lag(e) OVER (PARTITION BY account ORDER BY e) AS gap FROM v
        ), s AS (
          SELECT account,
                 quantile_disc(gap, 0.5) FILTER (WHERE gap > 0) AS med,
                 quantile_disc(gap, 0.25) FILTER (WHERE gap > 0) AS q25,
                 bool_and(CAST(local AS TIME) = TIME '00:00:00') AS midnight
          FROM g GROUP BY account
        )
        SELECT account, CASE
          WHEN med IS NULL THEN (CASE WHEN midnight THEN -1 END)
          WHEN q25 IN ({allowed}) AND med % q25 = 0 THEN q25
          WHEN med IN ({allowed}, 86400) THEN med
          WHEN med >= 86400 AND midnight AND med % 86400 = 0 THEN 86400
          WHEN med < 86400 AND med >= 60 AND 86400 % med = 0 THEN med
          ELSE -1000000 - med END
        FROM s""")
    # one reading: the interval already stored for the account, else the file's usual one;
    # a lone midnight reading (-1) is daily when nothing else is known
    run("""UPDATE _mw_acc_iv SET iv = m.iv FROM (
             SELECT account, mode(interval_s) AS iv FROM meter_readings
             WHERE account IN (SELECT account FROM _mw_acc_iv WHERE iv IS NULL OR iv = -1)
             GROUP BY account) m
           WHERE _mw_acc_iv.account = m.account
             AND (_mw_acc_iv.iv IS NULL OR _mw_acc_iv.iv = -1)""")
    common = run("SELECT mode(iv) FROM _mw_acc_iv WHERE iv > 0")[0][0]
    if common:
        run(f"UPDATE _mw_acc_iv SET iv = {int(common)} WHERE iv IS NULL OR iv = -1")
    run(f"UPDATE _mw_acc_iv SET iv = {DAY_S} WHERE iv = -1")
    odd = run(f"SELECT iv, count(*) FROM _mw_acc_iv WHERE iv > 0 AND iv NOT IN "
              f"({', '.join(map(str, INTERVALS))}) GROUP BY iv ORDER BY iv")
    for iv, n in odd:
        fi.notes.append(f"{n} account(s) read every {_fmt_interval(iv)} (not a standard "
                        "15/30/60-min or daily interval)")
    run("""UPDATE _mw_stage SET err = x.msg FROM (
             SELECT account, CASE WHEN iv IS NULL THEN
               'one reading: cannot infer its interval (add an interval column or use --interval)'
               ELSE 'readings ' || CAST((-iv - 1000000) AS VARCHAR) ||
                    ' s apart: not 15/30/60-min or daily data' END AS msg
             FROM _mw_acc_iv WHERE iv IS NULL OR iv < 0) x
           WHERE _mw_stage.account = x.account AND _mw_stage.err IS NULL
             AND _mw_stage.kwh IS NOT NULL AND NOT _mw_stage.date_only
             AND _mw_stage.iv_raw IS NULL""")


def _store_rows(store, label: str, forced: int | None, stamp: str, zone: Zone,
                fi: FileIngest) -> None:
    """Final rows (UTC start, interval, offset) → meter_readings. The primary key does the
    de-duplication: rows go in ordered by (account, ts, interval, line) with INSERT OR IGNORE, so
    the first line of a key wins (and the table stays clustered by account and time); keys already
    stored are set apart first to count conflicts against the stored value."""
    run = store._run
    end = stamp == "end"
    # the interval of each row: forced, the interval column, date-only → daily, inferred
    run(f"""
        CREATE OR REPLACE TEMP TABLE _mw_rows AS
        WITH j AS (
          SELECT s.line, s.account, s.local, s.off, s.naive, s.kwh, s.date_only,
                 CAST(COALESCE({int(forced) if forced else "NULL"}, m.iv,
                               CASE WHEN s.date_only THEN {DAY_S} END, a.iv) AS INTEGER) AS iv
          FROM _mw_stage s
          LEFT JOIN _mw_ivmap m ON s.iv_raw = m.raw
          LEFT JOIN _mw_acc_iv a ON s.account = a.account
          WHERE s.err IS NULL AND s.kwh IS NOT NULL
        ), d AS (
          SELECT *, CASE WHEN iv >= {DAY_S} THEN CAST(date_trunc('day', local
                    {"- CASE WHEN date_only THEN INTERVAL 0 DAY ELSE INTERVAL 1 DAY END"
                     if end else ""}) AS TIMESTAMP) END AS lday FROM j
        ), o AS (
          SELECT *, CASE WHEN iv >= {DAY_S} AND naive THEN {zone.naive_off_sql('lday')}
                         ELSE off END AS off2 FROM d
        )
        SELECT account, line, kwh, iv AS interval_s, CAST(off2 AS SMALLINT) AS off,
               CAST(CASE WHEN iv >= {DAY_S} THEN lday - to_minutes(off2)
                    ELSE local - to_minutes(off2) {"- to_seconds(iv)" if end else ""} END
                    AS TIMESTAMPTZ) AS ts
        FROM o""")
    run("DROP TABLE IF EXISTS _mw_stage")          # counted and reported already: free it
    run("""CREATE OR REPLACE TEMP TABLE _mw_fa AS
           SELECT account, interval_s, count(*) AS n, min(ts) AS lo, max(ts) AS hi
           FROM _mw_rows GROUP BY account, interval_s""")
    nrows, lo, hi, nacc = run("SELECT coalesce(sum(n), 0), min(lo), max(hi), "
                              "count(DISTINCT account) FROM _mw_fa")[0]
    fi.accounts = int(nacc)
    if not nrows:
        return
    fi.first = lo.isoformat().replace("+00:00", "Z")
    fi.last = hi.isoformat().replace("+00:00", "Z")
    key = "e.account = f.account AND e.ts = f.ts AND e.interval_s = f.interval_s"
    run("""CREATE OR REPLACE TEMP TABLE _mw_exist AS
           SELECT f.account, f.ts, f.interval_s, f.line, f.kwh, r.kwh AS stored,
                  r.source, r.line AS stored_line
           FROM _mw_rows f JOIN meter_readings r
             ON r.account = f.account AND r.ts = f.ts AND r.interval_s = f.interval_s
           WHERE r.ts BETWEEN ? AND ?""", [lo, hi])
    nexist = run("SELECT count(*) FROM _mw_exist")[0][0]
    anti = f"WHERE NOT EXISTS (SELECT 1 FROM _mw_exist e WHERE {key})" if nexist else ""
    inserted = run(f"""
        INSERT OR IGNORE INTO meter_readings
               (account, ts, utc_offset_min, interval_s, kwh, source, line)
        SELECT f.account, f.ts, f.off, f.interval_s, f.kwh, ?, f.line FROM _mw_rows f {anti}
        ORDER BY f.account, f.ts, f.interval_s, f.line""", [label])[0][0]
    fi.rows_new = int(inserted)
    fi.rows_duplicate = int(nrows - inserted)
    # conflicts: a duplicate whose kWh differs from the reading kept (stored before, else the
    # first line of the key in this file)
    same_stored = same_sql("e.kwh", "e.stored")
    conflicts = run(f"SELECT count(*) FROM _mw_exist e WHERE NOT {same_stored}")[0][0]
    examples = run(f"""SELECT account, ts, stored, kwh, line, source, stored_line FROM _mw_exist e
                       WHERE NOT {same_stored} ORDER BY line LIMIT 5""")
    if nrows - nexist - inserted > 0:
        q = f"""FROM _mw_rows f JOIN meter_readings r
                  ON r.account = f.account AND r.ts = f.ts AND r.interval_s = f.interval_s
                WHERE r.ts BETWEEN ? AND ? AND r.source = ? AND r.line <> f.line
                  AND NOT {same_sql('f.kwh', 'r.kwh')}
                  {f"AND NOT EXISTS (SELECT 1 FROM _mw_exist e WHERE {key})" if nexist else ""}"""
        conflicts += run(f"SELECT count(*) {q}", [lo, hi, label])[0][0]
        examples += run(f"""SELECT f.account, f.ts, r.kwh, f.kwh, f.line, r.source, r.line {q}
                            ORDER BY f.line LIMIT 5""", [lo, hi, label])
    fi.rows_conflict = int(conflicts)
    for acc, ts, kept, other, line, src, sline in sorted(examples, key=lambda x: x[4])[:5]:
        fi.conflicts.append(f"{label}:{line}: {acc} at {ts.isoformat().replace('+00:00', 'Z')}: "
                            f"{other:g} kWh ignored, {kept:g} kWh kept (from {src}:{sline})")
    for iv, n in run("SELECT interval_s, count(*) FROM _mw_fa GROUP BY 1 ORDER BY 1"):
        fi.intervals[_fmt_interval(int(iv))] = int(n)
    run("INSERT INTO _mw_touched SELECT account, interval_s FROM _mw_fa")


def account_quality(store, touched: str | None = None) -> list[AccountQuality]:
    """Per (account, interval): readings present vs expected between the first and the last
    stored reading (local days for daily data). ``touched``: a table of (account, interval_s)
    to restrict to; None = every account."""
    flt = (f"WHERE (r.account, r.interval_s) IN (SELECT account, interval_s FROM {touched})"
           if touched else "")
    rows = store._run(f"""
        SELECT r.account, r.interval_s, min(r.ts), max(r.ts), count(*),
          CASE WHEN r.interval_s >= {DAY_S} THEN
                 date_diff('day', min(CAST(r.ts + to_minutes(coalesce(r.utc_offset_min, 0))
                                           AS DATE)),
                                  max(CAST(r.ts + to_minutes(coalesce(r.utc_offset_min, 0))
                                           AS DATE))) // (r.interval_s // {DAY_S}) + 1
               ELSE CAST((epoch(max(r.ts)) - epoch(min(r.ts))) // r.interval_s AS BIGINT) + 1
          END
        FROM meter_readings r {flt}
        GROUP BY r.account, r.interval_s ORDER BY r.account, r.interval_s""")
    iso = (lambda t: t.isoformat().replace("+00:00", "Z") if isinstance(t, datetime) else str(t))
    return [AccountQuality(a, int(iv), iso(lo), iso(hi), int(n), int(exp))
            for a, iv, lo, hi, n, exp in rows]
