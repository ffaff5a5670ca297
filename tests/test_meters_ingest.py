"""Meter readings and customer register ingest: formats, mapping, time zones, intervals, bad rows
with file and line, duplicates, re-ingest, data quality, and the `minewatch meters ingest` CLI."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.sources.meters import ingest_readings, parse_interval
from minewatch.sources.register import ingest_register, tariff_class_sql
from minewatch.store.duckdb import DuckDBStore

from .conftest import DATA

SGSC = DATA / "meters" / "sgsc_2households_2012-09-20_2012-10-10.csv.gz"
SGSC_MAP = ["account=customer_id", "timestamp=reading_datetime", "kwh=general_supply_kwh"]
UTC = timezone.utc
runner = CliRunner()


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def rows(store, where: str = "TRUE", cols: str = "account, ts, utc_offset_min, interval_s, kwh, "
                                                     "line") -> list[tuple]:
    return store._run(f"SELECT {cols} FROM meter_readings WHERE {where} ORDER BY account, ts")


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def one(report):
    assert len(report.files) == 1
    f = report.files[0]
    assert f.error is None, f.error
    return f


# ---------------------------------------------------------------------------------------------
# long CSV, lines, bad rows

MESSY = """account,timestamp,kwh
A1,2021-03-04T00:00:00+08:00,1.5

A1,2021-03-04T00:30:00+08:00,abc
"A
2",2021-03-04T01:00:00+08:00,2
A1,notatime,1
A1,2021-03-04T01:30:00+08:00,-1
A1,2021-03-04T02:00:00+08:00,1,extra
A1,2021-03-04T02:30:00+08:00
A1,2021-03-04T03:00:00+08:00,3
A1,2021-03-04 03:30,3.5
A1,2021/3/4 4:00,
A1,2021/3/4 4:30,4.5
,2021/3/4 4:30,4.5
合计,2021/3/4 4:30,99
"""


def test_bad_rows_reported_with_file_and_line_and_the_rest_stored(store, tmp_path):
    p = write(tmp_path / "messy.csv", MESSY)
    f = one(ingest_readings(store, [p]))
    assert f.rejects == [
        f"{p}:4: kWh 'abc' is not a number",
        f"{p}:7: bad timestamp 'notatime'",
        f"{p}:8: negative kWh '-1'",
        f"{p}:9: 4 field(s), expected 3",
        f"{p}:10: 2 field(s), expected 3",
        f"{p}:15: missing account",
        f"{p}:16: a totals row (合计), not an account",
    ]
    assert (f.rows_read, f.rows_rejected, f.rows_missing, f.rows_new) == (13, 7, 1, 5)
    got = rows(store)
    # physical lines survive the blank line (3) and the quoted newline (5–6)
    assert [(r[0], r[5]) for r in got] == [("A\n2", 5), ("A1", 2), ("A1", 11), ("A1", 12),
                                           ("A1", 14)]
    a1 = {r[1]: r[4] for r in got if r[0] == "A1"}
    assert a1 == {utc(2021, 3, 3, 16): 1.5, utc(2021, 3, 3, 19): 3.0,
                  utc(2021, 3, 3, 19, 30): 3.5, utc(2021, 3, 3, 20, 30): 4.5}
    assert all(r[2] == 480 and r[3] == 1800 for r in got)
    # the empty kWh at 04:00 is absent, not a zero
    assert store._run("SELECT count(*) FROM meter_readings WHERE kwh = 0")[0][0] == 0
    log = store._run("SELECT source, kind, rows_read, rows_new, rows_rejected, rejects "
                     "FROM meter_ingest_log")
    assert log == [(str(p), "readings", 13, 5, 7, f.rejects)]


def test_long_csv_with_offsets_keeps_offset_and_stores_utc(store, tmp_path):
    p = write(tmp_path / "r.csv", "account,timestamp,kwh\n"
              "7001,2021-03-04T00:00:00+08:00,0.5\n"
              "7001,2021-03-04T01:00:00+0800,0.25\n"
              "7001,2021-03-04 02:00:00+08,0.75\n"
              "7001,2021-03-04T03:00:00Z,1e-1\n"
              "7002,2021-03-04T00:00:00-05:30,\"1,234.5\"\n"
              "7002,2021-03-04 01:00:00 -05:30,2\n")
    f = one(ingest_readings(store, [p], tz="+09:00"))
    assert f.naive_rows == 0 and not any("--tz" in n for n in f.notes)
    assert rows(store, cols="account, ts, utc_offset_min, kwh") == [
        ("7001", utc(2021, 3, 3, 16), 480, 0.5), ("7001", utc(2021, 3, 3, 17), 480, 0.25),
        ("7001", utc(2021, 3, 3, 18), 480, 0.75), ("7001", utc(2021, 3, 4, 3), 0, 0.1),
        ("7002", utc(2021, 3, 4, 5, 30), -330, 1234.5),
        ("7002", utc(2021, 3, 4, 6, 30), -330, 2.0)]
    # 7001's readings are not evenly spaced in UTC (the Z one) but the median gap is 1 h
    assert set(rows(store, cols="interval_s")) == {(3600,)}


# ---------------------------------------------------------------------------------------------
# time zones

def test_naive_timestamps_use_tz_and_the_report_says_so(tmp_path):
    p = write(tmp_path / "naive.csv", "account,timestamp,kwh\nN,2021-03-04 00:00:00,1\n"
                                      "N,2021-03-04 01:00:00,2\n")
    for tz, off in (("+08:00", 480), ("+05:30", 330), ("UTC", 0), ("Asia/Shanghai", 480)):
        s = DuckDBStore(":memory:")
        f = one(ingest_readings(s, [p], tz=tz))
        assert f.naive_rows == 2
        assert any(f"read as {tz} (--tz)" in n for n in f.notes)
        first = rows(s, cols="ts, utc_offset_min")[0]
        assert first == (utc(2021, 3, 4) - timedelta(minutes=off), off)
        s.close()


def test_sgsc_real_slice_through_mapping_keeps_sydney_offsets_and_dst(store):
    f = one(ingest_readings(store, [SGSC], mapping=SGSC_MAP))
    assert f.fmt == "csv" and f.layout == "long"
    assert f.columns == {"account": "customer_id", "timestamp": "reading_datetime",
                         "kwh": "general_supply_kwh"}
    assert (f.rows_read, f.rows_new, f.rows_rejected, f.naive_rows) == (1968, 1968, 0, 0)
    assert f.intervals == {"30 min": 2}
    got = store._run("SELECT utc_offset_min, count(*) FROM meter_readings GROUP BY 1 ORDER BY 1")
    assert [o for o, _ in got] == [600, 660]          # AEST, then AEDT from 2012-10-07
    first = rows(store, "account = '10006414'")[0]
    assert first == ("10006414", utc(2012, 9, 19, 14), 600, 1800, 0.169, 2)
    # the last local half-hour before DST and the first after are 30 min apart in UTC
    dst = rows(store, "account = '10006414' AND ts BETWEEN '2012-10-06 15:00Z' AND "
                      "'2012-10-06 16:30Z'", "ts, utc_offset_min")
    assert dst == [(utc(2012, 10, 6, 15), 600), (utc(2012, 10, 6, 15, 30), 600),
                   (utc(2012, 10, 6, 16), 660), (utc(2012, 10, 6, 16, 30), 660)]


def test_sgsc_without_offsets_and_named_zone_equals_the_original(tmp_path):
    text = gzip.decompress(SGSC.read_bytes()).decode()
    naive = "\n".join(ln.rsplit(",", 1)[0][:-6] + "," + ln.rsplit(",", 1)[1] if i else ln
                      for i, ln in enumerate(text.splitlines()))
    p = write(tmp_path / "sgsc_naive.csv", naive + "\n")
    assert "+1" not in naive
    a, b, c = DuckDBStore(":memory:"), DuckDBStore(":memory:"), DuckDBStore(":memory:")
    one(ingest_readings(a, [SGSC], mapping=SGSC_MAP))
    fb = one(ingest_readings(b, [p], mapping=SGSC_MAP, tz="Australia/Sydney"))
    one(ingest_readings(c, [p], mapping=SGSC_MAP))          # default +08:00: wrong, shifted
    assert fb.naive_rows == 1968 and any("Australia/Sydney" in n for n in fb.notes)
    cols = "account, ts, utc_offset_min, interval_s, kwh, line"
    assert rows(a, cols=cols) == rows(b, cols=cols)
    assert rows(c, cols="ts")[0] == (utc(2012, 9, 19, 16),) != rows(a, cols="ts")[0]
    for s in (a, b, c):
        s.close()


# ---------------------------------------------------------------------------------------------
# intervals

def _series(account, start, step_s, n, fmt="%Y-%m-%dT%H:%M:%S+08:00", keep=lambda i: True):
    t0 = datetime.fromisoformat(start)
    return [f"{account},{(t0 + timedelta(seconds=step_s * i)).strftime(fmt)},{0.1 + i % 7}"
            for i in range(n) if keep(i)]


def test_intervals_15_30_60_daily_inferred_per_account(store, tmp_path):
    lines = (_series("Q", "2021-03-04", 900, 96) + _series("H", "2021-03-04", 1800, 48)
             + _series("O", "2021-03-04", 3600, 24)
             + _series("D", "2021-03-04", 86400, 10, fmt="%Y-%m-%d")
             + _series("E", "2021-03-04", 86400, 10)
             # a 30-min meter that lost half its readings: gaps 30, 60 and 90 min, median 1 h
             + _series("G", "2021-03-04", 1800, 48, keep=lambda i: i % 3 == 0 or i % 6 == 1))
    p = write(tmp_path / "iv.csv", "account,timestamp,kwh\n" + "\n".join(lines) + "\n")
    f = one(ingest_readings(store, [p]))
    got = dict(store._run("SELECT account, any_value(interval_s) FROM meter_readings GROUP BY 1"))
    assert got == {"Q": 900, "H": 1800, "O": 3600, "D": 86400, "E": 86400, "G": 1800}
    assert f.intervals == {"15 min": 1, "30 min": 2, "60 min": 1, "daily": 2}
    # daily rows sit at local midnight (UTC 16:00 the day before)
    assert {r[0].hour for r in rows(store, "account IN ('D', 'E')", "ts")} == {16}
    quality = {a.account: (a.present, a.expected) for a in
               ingest_readings(DuckDBStore(":memory:"), [p]).accounts}
    assert quality["G"] == (24, 46) and quality["Q"] == (96, 96) and quality["D"] == (10, 10)


def test_interval_column_forced_interval_and_unusable_spacing(store, tmp_path):
    p = write(tmp_path / "ivcol.csv", "account,timestamp,kwh,interval\n"
              "A,2021-03-04T00:00:00+08:00,1,PT30M\n"
              "A,2021-03-04T00:30:00+08:00,1,30min\n"
              "B,2021-03-04T00:00:00+08:00,1,15\n"
              "C,2021-03-04T00:00:00+08:00,1,often\n")
    f = one(ingest_readings(store, [p]))
    assert dict(store._run("SELECT account, interval_s FROM meter_readings")) == {"A": 1800,
                                                                                   "B": 900}
    assert f.rejects == [f"{p}:5: bad interval 'often'"]
    p2 = write(tmp_path / "sparse.csv", "account,timestamp,kwh\n" + "\n".join(
        _series("S", "2021-03-04T06:00:00", 2 * 86400, 4)) + "\n")
    f2 = ingest_readings(store, [p2]).files[0]
    assert f2.rows_new == 0 and f2.error and "172800 s apart" in f2.error
    f3 = one(ingest_readings(store, [p2], interval="daily"))
    assert f3.rows_new == 4 and f3.intervals == {"daily": 1}
    lone = write(tmp_path / "lone.csv", "account,timestamp,kwh\n"
                 "L1,2021-03-04T00:00:00+08:00,30\nL2,2021-03-04T10:00:00+08:00,1\n")
    f4 = one(ingest_readings(DuckDBStore(":memory:"), [lone]))
    assert f4.intervals == {"daily": 1} and f4.rejects == [
        f"{lone}:3: one reading: cannot infer its interval (add an interval column or use "
        "--interval)"]
    assert [parse_interval(x) for x in ("900", "15min", "1h", "PT15M", "P1D", "日", "7 min",
                                        "2h", "abc", "0")] == [900, 900, 3600, 900, 86400, 86400,
                                                               None, 7200, None, None]


def test_stamp_end_96_point_export(store, tmp_path):
    lines = [f"Z,2021-03-04 {h:02d}:{m:02d},0.25" for h in range(24) for m in (0, 15, 30, 45)]
    lines = lines[1:] + ["Z,2021-03-04 24:00,0.25"]            # 00:15 … 24:00
    p = write(tmp_path / "end.csv", "户号,采集时间,电量\n" + "\n".join(lines) + "\n")
    f = one(ingest_readings(store, [p], stamp="end"))
    got = rows(store, cols="ts, interval_s")
    assert len(got) == 96 and f.intervals == {"15 min": 1}
    assert got[0] == (utc(2021, 3, 3, 16), 900) and got[-1] == (utc(2021, 3, 4, 15, 45), 900)


# ---------------------------------------------------------------------------------------------
# wide

WIDE = """户号,户名,2021/3/5,地址,20210304,2021-03-06,2021年3月7日,合计
0001,张三,12.5,某街1号,11,,13,36.5
0002,李四,1200.5,某路2号,1100,1150,abc,
,王五,1,x,2,3,4,10
0003,赵六,,,,,,
0001,张三,12.5,某街1号,11,,13.5,37
"""


def test_wide_csv_shuffled_days_extra_columns(store, tmp_path):
    p = write(tmp_path / "wide.csv", WIDE)
    f = one(ingest_readings(store, [p]))
    assert f.layout == "wide" and f.ignored == ["户名", "地址", "合计"]
    got = {(a, ts.date().isoformat()): (kwh, iv, ln) for a, ts, _, iv, kwh, ln in rows(store)}
    d = lambda day: (datetime.fromisoformat(day) - timedelta(hours=8)).date().isoformat()  # noqa
    assert got == {("0001", d("2021-03-04")): (11.0, 86400, 2),
                   ("0001", d("2021-03-05")): (12.5, 86400, 2),
                   ("0001", d("2021-03-07")): (13.0, 86400, 2),
                   ("0002", d("2021-03-04")): (1100.0, 86400, 3),
                   ("0002", d("2021-03-05")): (1200.5, 86400, 3),
                   ("0002", d("2021-03-06")): (1150.0, 86400, 3)}
    assert f.rejects == [f"{p}:3: kWh 'abc' is not a number (column 2021-03-07)",
                         f"{p}:4: missing account (4 readings)"]
    # 0001 twice: 3 duplicates, one (13.5 vs 13 on 03-07) conflicting; empty cells are missing
    assert (f.rows_duplicate, f.rows_conflict, f.rows_missing) == (3, 1, 6)
    assert f.conflicts and "13.5 kWh ignored, 13 kWh kept" in f.conflicts[0]
    q = {a.account: (a.present, a.expected, a.missing) for a in
         ingest_readings(DuckDBStore(":memory:"), [p]).accounts}
    assert q == {"0001": (3, 4, 1), "0002": (3, 3, 0)}


def test_wide_and_long_daily_are_the_same_readings(store, tmp_path):
    wide = write(tmp_path / "w.csv", "account,2021-03-05,2021-03-04\nX,2,1\n")
    long = write(tmp_path / "l.csv", "account,date,kwh\nX,2021-03-04,1\nX,2021-03-05,2.5\n")
    one(ingest_readings(store, [wide]))
    f = one(ingest_readings(store, [long]))
    assert (f.rows_new, f.rows_duplicate, f.rows_conflict) == (0, 2, 1)
    assert [r[4] for r in rows(store)] == [1.0, 2.0]


# ---------------------------------------------------------------------------------------------
# Parquet

def test_long_parquet_typed_and_text_with_row_numbers(store, tmp_path):
    t0 = datetime(2021, 3, 3, 16, tzinfo=UTC)
    tz = pa.table({"account": pa.array([101, 102, 101, 102, 101, 102], pa.int64()),
                   "timestamp": pa.array([t0, t0, t0 + timedelta(minutes=15),
                                          t0 + timedelta(minutes=15),
                                          t0 + timedelta(minutes=30), None],
                                         pa.timestamp("ms", tz="UTC")),
                   "kwh": [0.1, 0.2, -0.3, None, 0.5, 0.6]})
    pq.write_table(tz, tmp_path / "tz.parquet")
    f = one(ingest_readings(store, [tmp_path / "tz.parquet"]))
    assert f.fmt == "parquet" and f.intervals == {"15 min": 2}
    assert f.rejects == [f"{tmp_path / 'tz.parquet'}:3: negative kWh -0.3",
                         f"{tmp_path / 'tz.parquet'}:6: missing timestamp"]
    assert (f.rows_read, f.rows_new, f.rows_missing) == (6, 3, 1)
    assert rows(store, cols="account, ts, utc_offset_min, line") == [
        ("101", t0, 480, 1), ("101", t0 + timedelta(minutes=30), 480, 5), ("102", t0, 480, 2)]
    naive = pa.table({"户号": ["N1"] * 3, "抄表时间": pa.array(
        [datetime(2021, 3, 4, h) for h in range(3)], pa.timestamp("s")),
        "电量": pa.array([1.0, 2.0, 3.0], pa.float32())})
    pq.write_table(naive, tmp_path / "naive.parquet")
    f = one(ingest_readings(store, [tmp_path / "naive.parquet"]))
    assert f.naive_rows == 3 and f.intervals == {"60 min": 1}
    assert rows(store, "account = 'N1'", "ts")[0] == (utc(2021, 3, 3, 16),)
    text = pa.table({"account": ["T"] * 2, "timestamp": ["2021-03-04T00:00:00+08:00", "bad"],
                     "kwh": ["1.5", "2"]})
    pq.write_table(text, tmp_path / "text.parquet")
    f = one(ingest_readings(store, [tmp_path / "text.parquet"], interval="30min"))
    assert f.rejects == [f"{tmp_path / 'text.parquet'}:2: bad timestamp 'bad'"]


def test_wide_parquet(store, tmp_path):
    pq.write_table(pa.table({"account": ["W1", "W2"], "address": ["a", "b"],
                             "20210305": [1.5, None], "20210304": [1.0, 2.0]}),
                   tmp_path / "wide.parquet")
    f = one(ingest_readings(store, [tmp_path / "wide.parquet"]))
    assert f.layout == "wide" and (f.rows_new, f.rows_missing) == (3, 1)
    assert rows(store, cols="account, ts, kwh, line") == [
        ("W1", utc(2021, 3, 3, 16), 1.0, 1), ("W1", utc(2021, 3, 4, 16), 1.5, 1),
        ("W2", utc(2021, 3, 3, 16), 2.0, 2)]


# ---------------------------------------------------------------------------------------------
# column mapping

def test_chinese_headers_by_default_and_explicit_mapping(store, tmp_path):
    p = write(tmp_path / "zh.csv", "用户编号,抄表时间,正向有功电量(kWh),备注\n"
                                   "9001,2021-03-04 00:00,1,x\n9001,2021-03-04 00:30,2,y\n")
    f = one(ingest_readings(store, [p]))
    assert f.columns == {"account": "用户编号", "timestamp": "抄表时间",
                         "kwh": "正向有功电量(kWh)"} and f.ignored == ["备注"]
    q = write(tmp_path / "custom.csv", "meter_no,read_at,energy,电量\n"
                                       "M1,2021-03-04T00:00:00+08:00,5,999\n")
    bad = ingest_readings(store, [q]).files[0]
    assert bad.error and "no account column" in bad.error
    f = one(ingest_readings(store, [q], mapping=["account=meter_no", "timestamp=read_at",
                                                 "kwh=energy"], interval="1h"))
    assert rows(store, "account = 'M1'", "kwh") == [(5.0,)]
    amb = write(tmp_path / "amb.csv", "户号,用户编号,timestamp,kwh\n1,2,2021-03-04,1\n")
    err = ingest_readings(store, [amb]).files[0].error
    assert err and "--map account=" in err and "'户号', '用户编号'" in err
    # the role's own name wins over an alias
    both = write(tmp_path / "both.csv", "户号,account,timestamp,kwh\n1,2,2021-03-04,1\n")
    assert one(ingest_readings(store, [both])).columns["account"] == "account"


def test_gbk_export_with_title_line(store, tmp_path):
    text = ("2021年3月 用电明细\n户号,采集时间,用电量\n"
            "甲-001,2021-03-04 00:00,1.5\n甲-001,2021-03-04 01:00,x\n甲-001,2021-03-04 02:00,2\n")
    p = write(tmp_path / "gbk.csv", text, "gb18030")
    f = one(ingest_readings(store, [p]))
    assert any("gb18030" in n for n in f.notes) and any("1 line(s) above" in n for n in f.notes)
    assert f.rejects == [f"{p}:4: kWh 'x' is not a number"]
    assert rows(store, cols="account, line") == [("甲-001", 3), ("甲-001", 5)]


# ---------------------------------------------------------------------------------------------
# duplicates and re-ingest

def test_duplicates_within_and_across_files_and_reingest(store, tmp_path):
    a = write(tmp_path / "a.csv", "account,timestamp,kwh\n"
              "D,2021-03-04T00:00:00+08:00,1\nD,2021-03-04T00:30:00+08:00,2\n"
              "D,2021-03-04T00:30:00+08:00,2\nD,2021-03-04T01:00:00+08:00,3\n")
    b = write(tmp_path / "b.csv", "account,timestamp,kwh\n"
              "D,2021-03-04T01:00:00+08:00,3.5\nD,2021-03-04T01:30:00+08:00,4\n"
              "D,2021-03-04T00:00:00+08:00,1\n")
    fa = one(ingest_readings(store, [a]))
    assert (fa.rows_new, fa.rows_duplicate, fa.rows_conflict) == (3, 1, 0)
    fb = one(ingest_readings(store, [b]))
    assert (fb.rows_new, fb.rows_duplicate, fb.rows_conflict) == (1, 2, 1)
    assert fb.conflicts == [f"{b}:2: D at 2021-03-03T17:00:00Z: 3.5 kWh ignored, 3 kWh kept "
                            f"(from {a}:5)"]
    assert [r[4] for r in rows(store)] == [1.0, 2.0, 3.0, 4.0]
    before = rows(store)
    again = ingest_readings(store, [a, b])
    assert [f.rows_new for f in again.files] == [0, 0]
    assert [f.rows_duplicate for f in again.files] == [4, 3]
    assert rows(store) == before
    assert store._run("SELECT count(*) FROM meter_ingest_log")[0][0] == 4


def test_dropouts_are_absent_and_counted_per_account(store):
    rep = ingest_readings(store, [SGSC], mapping=SGSC_MAP)
    q = {a.account: (a.present, a.expected, a.missing) for a in rep.accounts}
    # 21 local days of 48 half-hours, minus the hour skipped at the DST start
    assert q == {"10006414": (966, 1006, 40), "10006704": (1002, 1006, 4)}
    assert store._run("SELECT count(*) FROM meter_readings WHERE account = '10006414' AND ts "
                      "BETWEEN '2012-09-24 12:30Z' AND '2012-09-25 08:00Z'")[0][0] == 0


# ---------------------------------------------------------------------------------------------
# unreadable files

def test_unreadable_files_are_errors_not_crashes(store, tmp_path):
    xlsx = tmp_path / "export.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 4)
    allbad = write(tmp_path / "allbad.csv", "account,timestamp,kwh\nA,never,1\nB,2021-03-04,x\n")
    empty = write(tmp_path / "empty.csv", "")
    rep = ingest_readings(store, [xlsx, junk, allbad, empty, tmp_path / "nope.csv"])
    errs = [f.error for f in rep.files]
    assert "Excel" in errs[0] and "not a CSV" in errs[1]
    assert "no readable readings: 2 row(s) rejected" in errs[2] and "allbad.csv:2" in errs[2]
    assert errs[3] == "empty file" and errs[4] == "no such file"
    assert rep.nothing_read and store._run("SELECT count(*) FROM meter_readings")[0][0] == 0


def test_non_utf8_bytes_past_the_sniff_window_name_the_row(store, tmp_path):
    lines = [f"A{i % 10},2021-03-04T{i // 10 % 24:02d}:00:00+08:00,1" for i in range(40000)]
    p = tmp_path / "late_gbk.csv"
    p.write_bytes(("account,timestamp,kwh\n" + "\n".join(lines) + "\n").encode()
                  + "乙1,2021-03-05T00:00:00+08:00,1\n".encode("gbk"))
    assert p.stat().st_size > (1 << 20)                   # beyond the first block and the sniff
    f = ingest_readings(store, [p]).files[0]
    assert "Row #40002" in f.error and "--encoding gb18030" in f.error
    assert store._run("SELECT count(*) FROM meter_readings")[0][0] == 0     # all or nothing
    f = one(ingest_readings(store, [p], encoding="gb18030"))
    assert (f.rows_read, f.rows_new) == (40001, 10 * 24 + 1)
    assert store._run("SELECT line FROM meter_readings WHERE account = '乙1'") == [(40002,)]


# ---------------------------------------------------------------------------------------------
# register

REGISTER = """户号,户名,用电类别,合同容量,用电地址,区域编码,备注
0001,张三,居民生活用电,8,呼和浩特市新城区某街1号,150102,
0002,某网吧,一般工商业,50kVA,呼和浩特市回民区某路2号,150103,
0003,某厂,大工业用电,"1,250",包头市昆都仑区,150203,
0004,李四,农业生产用电,,鄂尔多斯市,150602,
,无户号,居民,5,,150102,
0005,王五,非居民照明,abc,,150102,
0006,赵六,其他,10,,150102,
0001,张三,居民,8,呼和浩特市新城区某街1号,150102,
0007,钱七,城乡居民生活用电,6,,150102,
"""


def test_register_chinese_tariffs_bad_rows_and_reingest(store, tmp_path):
    p = write(tmp_path / "reg.csv", REGISTER)
    r = ingest_register(store, p)
    assert r.error is None and r.ignored == ["备注"]
    assert r.rejects == [f"{p}:6: missing account", f"{p}:7: contract kVA 'abc' is not a number"]
    assert r.warnings == [f"{p}:8: unknown tariff class '其他' (stored without a class; map it "
                          "to residential/commercial/industrial/agricultural)"]
    assert (r.rows_read, r.rows_new, r.rows_duplicate, r.rows_conflict) == (9, 6, 1, 0)
    got = {a: (t, k, reg) for a, t, k, reg in store._run(
        "SELECT account, tariff_class, contract_kva, region FROM meter_accounts")}
    assert got == {"0001": ("residential", 8.0, "150102"), "0002": ("commercial", 50.0, "150103"),
                   "0003": ("industrial", 1250.0, "150203"),
                   "0004": ("agricultural", None, "150602"), "0006": (None, 10.0, "150102"),
                   "0007": ("residential", 6.0, "150102")}
    again = ingest_register(store, p)
    assert (again.rows_new, again.rows_updated, again.rows_unchanged) == (0, 0, 6)
    changed = write(tmp_path / "reg2.csv", REGISTER.replace("一般工商业", "大工业")
                    .replace("鄂尔多斯市", "鄂尔多斯市东胜区"))
    r2 = ingest_register(store, changed)
    assert (r2.rows_new, r2.rows_updated, r2.rows_unchanged) == (0, 2, 4)
    assert r2.changes == ["0002: tariff_class 'commercial' → 'industrial'",
                          "0004: address '鄂尔多斯市' → '鄂尔多斯市东胜区'"]
    assert store._run("SELECT tariff_class, source FROM meter_accounts WHERE account = '0002'") \
        == [("industrial", str(changed))]


@pytest.mark.parametrize("name, cls", [
    ("居民生活用电", "residential"), ("城乡居民生活用电", "residential"), ("非居民照明", "commercial"),
    ("一般工商业", "commercial"), ("商业用电", "commercial"), ("普通工业", "commercial"),
    ("大工业用电", "industrial"), ("农业生产用电", "agricultural"), ("农排", "agricultural"),
    ("Residential", "residential"), ("industrial", "industrial"), ("其他", None)])
def test_tariff_names(store, name, cls):
    assert store._run(f"SELECT {tariff_class_sql('v')} FROM (SELECT ? AS v)", [name]) == [(cls,)]


def test_register_default_columns_mapping_and_partial_files(store, tmp_path):
    p = write(tmp_path / "reg.csv", "account,tariff_class,contract_kva,address,business_name,"
                                    "region\nR1,residential,10,Addr,Name,150102\n"
                                    "R2,Industrial,400,,Mine Co,150602\n")
    r = ingest_register(store, p)
    assert (r.rows_new, r.tariff_classes) == (2, {"industrial": 1, "residential": 1})
    q = write(tmp_path / "reg_part.csv", "客户号,类别\nR1,一般工商业\n")
    r = ingest_register(store, q, mapping=["account=客户号", "tariff_class=类别"])
    assert (r.rows_updated, r.columns) == (1, {"account": "客户号", "tariff_class": "类别"})
    # the file had no contract_kva/address columns: the stored values stay
    assert store._run("SELECT tariff_class, contract_kva, address FROM meter_accounts "
                      "WHERE account = 'R1'") == [("commercial", 10.0, "Addr")]


# ---------------------------------------------------------------------------------------------
# CLI

def test_cli_ingest_readings_and_register(tmp_path):
    db = str(tmp_path / "m.duckdb")
    reg = write(tmp_path / "reg.csv", REGISTER)
    res = runner.invoke(app, ["meters", "ingest", str(SGSC), "--register", str(reg), "--db", db]
                        + [x for m in SGSC_MAP for x in ("--map", m)])
    assert res.exit_code == 0, res.output
    assert "1,968 rows read, 1,968 new" in res.output and "register: 6 new" in res.output
    assert "10006414" in res.output and "40 (4.0 %)" in res.output
    assert f"{reg}:6: missing account" in res.output
    again = runner.invoke(app, ["meters", "ingest", str(SGSC), "--db", db, "--json"]
                          + [x for m in SGSC_MAP for x in ("--map", m)])
    assert again.exit_code == 0
    doc = json.loads(again.stdout)
    assert doc["readings"]["rows_new"] == 0 and doc["readings"]["rows_duplicate"] == 1968
    assert {a["account"]: a["missing"] for a in doc["readings"]["accounts"]} == {
        "10006414": 40, "10006704": 4}
    s = DuckDBStore(db)
    assert s._run("SELECT kind, rows_new FROM meter_ingest_log ORDER BY ingested_at") == [
        ("register", 6), ("readings", 1968), ("readings", 0)]
    s.close()


def test_cli_exit_codes(tmp_path):
    ok = write(tmp_path / "ok.csv", "account,timestamp,kwh\nA,2021-03-04,1\n")
    bad = write(tmp_path / "bad.csv", "account,timestamp,kwh\nA,never,1\n")
    base = ["meters", "ingest", "--db", ":memory:"]
    assert runner.invoke(app, base + [str(ok)]).exit_code == 0
    res = runner.invoke(app, base + [str(bad)])
    assert res.exit_code == 2 and f"{bad}:2: bad timestamp 'never'" in res.output
    res = runner.invoke(app, base + [str(ok), str(tmp_path / "missing.csv")])
    assert res.exit_code == 2 and "no such file" in res.output
    assert runner.invoke(app, base).exit_code == 2
    res = runner.invoke(app, base + [str(ok), "--tz", "Mars/Olympus"])
    assert res.exit_code == 2 and "unknown time zone" in res.output
    res = runner.invoke(app, base + [str(ok), "--map", "colour=red"])
    assert res.exit_code == 2 and "unknown column role" in res.output
    res = runner.invoke(app, base + ["--register", str(bad)])        # a readings file
    assert res.exit_code == 2 and "no register columns besides the account" in res.output


@pytest.mark.parametrize("tz", ["+08:00", "Asia/Shanghai"])
def test_cli_folder_input(tmp_path, tz):
    d = tmp_path / "in"
    d.mkdir()
    write(d / "a.csv", "account,timestamp,kwh\nA,2021-03-04 00:00,1\nA,2021-03-04 01:00,1\n")
    pq.write_table(pa.table({"account": ["B"], "timestamp": ["2021-03-04"], "kwh": [2.0]}),
                   d / "b.parquet")
    res = runner.invoke(app, ["meters", "ingest", str(d), "--db", ":memory:", "--json",
                              "--tz", tz])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [f["rows_new"] for f in doc["readings"]["files"]] == [2, 1]
    assert doc["readings"]["tz"] == tz
