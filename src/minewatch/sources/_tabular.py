"""Tabular meter files (CSV and Parquet) for the meter sources: sniffing, header → column roles,
time zones, and a line-numbered Arrow stream that DuckDB reads from.

Sources judge nothing; this module only reads. The heavy lifting stays in DuckDB: Python looks at
the first 64 KiB of a CSV (encoding, delimiter, header) and then hands DuckDB a stream of Arrow batches
(pyarrow's CSV reader) with one extra column, ``line``: the 1-based physical line of every record.

Why pyarrow's reader and not DuckDB's ``read_csv`` for CSV (measured with DuckDB 2.0.1, pyarrow 26):
DuckDB's ``store_rejects`` gives line numbers for *rejected* rows only, and its scanner silently
drops blank lines, so the line of an accepted row cannot be derived from its position. pyarrow keeps blank
lines as all-null rows (``ignore_empty_lines=False``) and reports every malformed row to an
invalid-row handler with its row number (``use_threads=False``), at the same speed (~0.55 s for a
10 M-row, 420 MB file), so every stored reading carries the line it came from.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..errors import MinewatchError

SNIFF_BYTES = 1 << 16
HEADER_SEARCH_LINES = 30          # title lines an export may carry above its header
NULL_MARKERS = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "#N/A", "-", "--"]
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz", ".csv.bz2", ".csv.zst")
PARQUET_SUFFIXES = (".parquet", ".pq")
# same value: relative difference within float32 precision (a value stored as float32 in one file
# and parsed from text in another is still the same reading)
SAME_REL = 1e-7


class MeterInputError(MinewatchError):
    """A meter file could not be read (at all, or at one position). ``line`` is 1-based."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path, self.line, self.reason = (str(path) if path else None), line, message
        where = str(path) if path else ""
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}" if where else message)


# --------------------------------------------------------------------------------------------
# time zones

@dataclass(frozen=True)
class Zone:
    """The zone of naive timestamps: a fixed offset (minutes east of UTC) or an IANA name."""
    text: str
    fixed_min: int | None = None
    name: str | None = None

    def naive_off_sql(self, local: str) -> str:
        """SQL: the UTC offset in minutes of the naive local TIMESTAMP expression ``local``."""
        if self.name is None:
            return str(int(self.fixed_min or 0))
        # ICU (statically linked in DuckDB): timezone(zone, naive) → the instant; the session is UTC
        return (f"CAST(date_diff('minute', CAST(timezone({sql_str(self.name)}, {local}) "
                f"AS TIMESTAMP), {local}) AS INTEGER)")

    def local_of_instant_sql(self, instant: str) -> str:
        """SQL: the wall-clock TIMESTAMP in this zone of a TIMESTAMPTZ expression."""
        if self.name is None:
            return f"(CAST({instant} AS TIMESTAMP) + to_minutes({int(self.fixed_min or 0)}))"
        return f"CAST(timezone({sql_str(self.name)}, {instant}) AS TIMESTAMP)"


_OFFSET_RX = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)


def parse_tz(text: str) -> Zone:
    """'+08:00', '+0800', '+8', 'UTC+8', 'Z', 'UTC' → fixed offset; 'Asia/Shanghai' → named zone."""
    t = (text or "").strip()
    if t.upper() in ("Z", "UTC", "GMT", "+00:00", "-00:00"):
        return Zone(t, fixed_min=0)
    m = _OFFSET_RX.match(t)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise MeterInputError(f"time zone offset out of range: {text!r}")
        return Zone(t, fixed_min=sign * (hours * 60 + minutes))
    try:
        ZoneInfo(t)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise MeterInputError(f"unknown time zone {text!r} (use an offset like +08:00 or an IANA "
                              "name like Asia/Shanghai)") from None
    return Zone(t, name=t)


# --------------------------------------------------------------------------------------------
# SQL helpers

def sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def sql_ident(s: str) -> str:
    return '"' + str(s).replace('"', '""') + '"'


def same_sql(a: str, b: str) -> str:
    """SQL: two kWh values are the same reading (equal within float32 precision)."""
    return f"(abs(({a}) - ({b})) <= {SAME_REL} * greatest(abs({a}), abs({b})))"


def number_sql(text: str) -> str:
    """SQL: a DOUBLE from a VARCHAR; accepts '1.5', '1e3', ' 1.5 ' and thousands separators
    ('1,234.5'); NULL when not a number. The regex only runs on values the plain cast refused."""
    return (f"COALESCE(TRY_CAST({text} AS DOUBLE), CASE WHEN regexp_matches({text}, "
            r"'^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$') THEN TRY_CAST(replace("
            f"{text}, ',', '') AS DOUBLE) END)")


def clip_sql(text: str, n: int = 40) -> str:
    return f"('''' || left({text}, {n}) || '''')"


# --------------------------------------------------------------------------------------------
# headers and column roles

_UNIT_RX = re.compile(r"\s*[\(（\[【]\s*([^\)）\]】]*)\s*[\)）\]】]\s*$")


def norm_header(h: str) -> str:
    """Lower-case, NFKC (full-width → ASCII), no BOM, no unit suffix '(kWh)', '_' for spaces."""
    s = unicodedata.normalize("NFKC", str(h or "")).replace("\ufeff", "").strip()
    s = _UNIT_RX.sub("", s)
    s = re.sub(r"[\s\-/]+", "_", s.lower())
    return s.strip("_")


def parse_mapping(items: Sequence[str] | dict | None, allowed: Sequence[str]) -> dict[str, str]:
    """['account=户号', 'kwh=电量'] → {'account': '户号', 'kwh': '电量'}; unknown roles are an error."""
    if not items:
        return {}
    if isinstance(items, dict):
        pairs = list(items.items())
    else:
        pairs = []
        for it in items:
            if "=" not in it:
                raise MeterInputError(f"bad column mapping {it!r}: expected ROLE=COLUMN "
                                      f"(roles: {', '.join(allowed)})")
            k, v = it.split("=", 1)
            pairs.append((k, v))
    out = {}
    for k, v in pairs:
        k = k.strip().lower()
        if k not in allowed:
            raise MeterInputError(f"unknown column role {k!r} in mapping (roles: "
                                  f"{', '.join(allowed)})")
        if not str(v).strip():
            raise MeterInputError(f"empty column name for {k!r} in mapping")
        out[k] = str(v).strip()
    return out


def find_columns(header: Sequence[str], aliases: dict[str, tuple[str, ...]],
                 mapping: dict[str, str], path: str | Path | None = None
                 ) -> tuple[dict[str, int], list[str]]:
    """Column index per role: an explicit mapping first (exact name, then normalised), else the
    role's default name and its aliases (English and the Chinese names grid exports use).
    Returns (roles → index, warnings). Two columns that both look like one role are an error."""
    normed = [norm_header(h) for h in header]
    found: dict[str, int] = {}
    warnings: list[str] = []
    for role, want in mapping.items():
        if role not in aliases:
            continue
        idx = [i for i, h in enumerate(header) if str(h).strip() == want]
        if not idx:
            idx = [i for i, h in enumerate(normed) if h == norm_header(want)]
        if len(idx) > 1:
            raise MeterInputError(f"--map {role}={want}: {len(idx)} columns have that name", path)
        if idx:
            found[role] = idx[0]
        else:
            warnings.append(f"--map {role}={want}: no such column (columns: "
                            f"{', '.join(map(str, header))}); using the default names")
    taken = set(found.values())
    for role, names in aliases.items():
        if role in found:
            continue
        keys = [norm_header(n) for n in names]
        hits = [i for i, h in enumerate(normed) if h in keys and i not in taken]
        if len(hits) > 1:
            # the role's own name wins over an alias ('kwh' over '电量'); else ambiguous
            exact = [i for i in hits if normed[i] == keys[0]]
            if len(exact) != 1:
                cols = ", ".join(repr(header[i]) for i in hits)
                raise MeterInputError(f"columns {cols} could each be the {role}; choose one with "
                                      f"--map {role}=COLUMN", path)
            hits = exact
        if hits:
            found[role] = hits[0]
            taken.add(hits[0])
    return found, warnings


_DAY_RXS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def parse_day(h: str) -> date | None:
    """A wide export's day column header → the day: '2021-03-04', '20210304', '2021/3/4',
    '2021.03.04', '2021年3月4日', '2021-03-04 00:00:00', with an optional unit '(kWh)'."""
    s = _UNIT_RX.sub("", unicodedata.normalize("NFKC", str(h or "")).replace("\ufeff", "")).strip()
    for rx in _DAY_RXS:
        m = rx.match(s)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    return None


# --------------------------------------------------------------------------------------------
# sniffing

@dataclass
class TabularFile:
    """What sniffing learnt about one input file."""
    path: Path
    fmt: str                                  # 'csv' | 'parquet'
    header: list[str]
    types: list[str]                          # DuckDB type per column ('VARCHAR' for CSV)
    header_line: int = 1                      # CSV: 1-based line of the header
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf8"
    compression: str | None = None
    ncols: int = 0                            # CSV fields per record (≥ len(header))
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.path)


def _magic(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)


def _compression(path: Path, magic: bytes) -> str | None:
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if magic[:3] == b"BZh":
        return "bz2"
    return None


def sniff(path: str | Path, is_header: Callable[[list[str]], bool],
          encoding: str | None = None, con=None) -> TabularFile:
    """Format, encoding, delimiter and header of ``path``. ``is_header(fields)`` tells a header
    line (it names the account column) from the title lines some exports put above it."""
    p = Path(path)
    if not p.exists():
        raise MeterInputError("no such file", p)
    if p.is_dir():
        raise MeterInputError("is a folder, not a file", p)
    magic = _magic(p)
    if not magic:
        raise MeterInputError("empty file", p)
    if magic[:4] == b"PAR1":
        return _sniff_parquet(p, con)
    if magic[:4] == b"PK\x03\x04" or magic[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
        raise MeterInputError("an Excel workbook: save it as CSV (UTF-8 or GBK) first", p)
    comp = _compression(p, magic)
    try:
        with pa.input_stream(str(p), compression=comp) as f:
            raw = f.read(SNIFF_BYTES)
    except (OSError, pa.ArrowInvalid) as e:
        raise MeterInputError(f"cannot read: {e}", p) from None
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise MeterInputError("not a CSV or Parquet file (binary content)", p)
    text, enc = _decode(raw, encoding, p)
    if len(raw) == SNIFF_BYTES and "\n" in text:
        text = text[:text.rfind("\n")]           # drop a possibly cut last line
    lines = text.splitlines()
    delim = _delimiter(lines)
    # csv.reader folds quoted newlines; keep each row's first physical line
    reader = csv.reader(io.StringIO("\n".join(lines[:HEADER_SEARCH_LINES + 50]) + "\n"),
                        delimiter=delim, quotechar='"')
    rows, starts, prev = [], [], 0
    for r in reader:
        rows.append(r)
        starts.append(prev + 1)
        prev = reader.line_num
    hdr_idx = None
    for i, r in enumerate(rows[:HEADER_SEARCH_LINES]):
        if r and any(x.strip() for x in r) and is_header(r):
            hdr_idx = i
            break
    if hdr_idx is None:
        first = next((i for i, r in enumerate(rows) if r and any(x.strip() for x in r)), None)
        if first is None:
            raise MeterInputError("no header line found (the file holds no text rows)", p)
        hdr_idx = first
    header = [h.replace("\ufeff", "").strip() for h in rows[hdr_idx]]
    data_rows = [r for r in rows[hdr_idx + 1:] if r and any(x.strip() for x in r)]
    ncols = len(header)
    if data_rows:
        counts = [len(r) for r in data_rows[:50]]
        mode = max(set(counts), key=counts.count)
        # rows ending in a delimiter the header lacks ("a,b,c," under "a,b,c")
        if mode == ncols + 1 and all(r[-1] == "" for r in data_rows[:50] if len(r) == mode):
            ncols = mode
    notes = []
    header_line = starts[hdr_idx] if hdr_idx < len(starts) else hdr_idx + 1
    if header_line > 1:
        notes.append(f"skipped {header_line - 1} line(s) above the header")
    if enc != "utf8":
        notes.append(f"read as {enc}")
    return TabularFile(p, "csv", header, ["VARCHAR"] * ncols, header_line=header_line,
                       delimiter=delim, encoding=enc, compression=comp, ncols=ncols, notes=notes)


def _decode(raw: bytes, encoding: str | None, p: Path) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding, errors="replace"), encoding
        except LookupError:
            raise MeterInputError(f"unknown encoding {encoding!r}", p) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf8"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf8"
    except UnicodeDecodeError as e:
        if e.start >= len(raw) - 3:             # a character cut by the sniff window
            return raw[:e.start].decode("utf-8"), "utf8"
    try:                                        # Chinese exports: GBK / GB18030
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _delimiter(lines: list[str]) -> str:
    sample = [ln for ln in lines[:HEADER_SEARCH_LINES + 20] if ln.strip()]
    best, score = ",", -1.0
    for d in (",", "\t", ";", "|"):
        counts = [len(r) for r in csv.reader(sample, delimiter=d)] if sample else []
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        s = counts.count(mode) + mode / 100.0
        if s > score:
            best, score = d, s
    return best


def _sniff_parquet(p: Path, con) -> TabularFile:
    import duckdb
    c = con or duckdb.connect()
    try:
        desc = c.execute(f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(p))})").fetchall()
    except Exception as e:  # noqa: BLE001 - duckdb raises several kinds
        raise MeterInputError(f"not a readable Parquet file: {str(e).splitlines()[0]}", p) from None
    finally:
        if con is None:
            c.close()
    return TabularFile(p, "parquet", [d[0] for d in desc], [str(d[1]) for d in desc],
                       header_line=0, ncols=len(desc))


# --------------------------------------------------------------------------------------------
# sources for DuckDB

def col(i: int) -> str:
    return f"c{i}"


def parquet_source_sql(tf: TabularFile, casts: dict[int, str] | None = None) -> str:
    """A subquery with ``line`` (1-based row) and columns c0…cN (optionally cast)."""
    casts = casts or {}
    cols = ", ".join(
        (f"CAST({sql_ident(h)} AS {casts[i]})" if i in casts else sql_ident(h)) + f" AS {col(i)}"
        for i, h in enumerate(tf.header))
    return (f"(SELECT file_row_number + 1 AS line, {cols} FROM "
            f"read_parquet({sql_str(str(tf.path))}, file_row_number = true))")


class LinedCsv:
    """pyarrow's streaming CSV reader over ``tf``, every batch prefixed with ``line`` (int64, the
    1-based physical line of the record). Malformed records (wrong field count) land in
    ``invalid`` as (line, reason) once the stream is consumed; blank lines come through as
    all-null rows so that positions stay exact.

    Physical lines: pyarrow numbers records, so a quoted field holding a newline would shift every
    later line by one; the newlines inside values are counted per batch and added back.
    """

    def __init__(self, tf: TabularFile, block_size: int = 1 << 20):
        self.tf = tf
        self.block_size = block_size
        self.invalid: list[tuple[int, str]] = []
        self._bad: list[tuple[int, int, int, str]] = []      # (record no., fields, nl, text)
        self._nl_marks: list[tuple[np.ndarray, np.ndarray]] = []   # records holding newlines
        self.failure: MeterInputError | None = None     # raised inside DuckDB's scan
        self.records = 0

    def _handler(self, row) -> str:
        nl = (row.text or "").count("\n")
        self._bad.append((int(row.number) if row.number is not None else -1,
                          int(row.actual_columns), nl, row.text or ""))
        return "skip"

    def schema(self) -> pa.Schema:
        return pa.schema([("line", pa.int64())] + [(col(i), pa.string())
                                                   for i in range(self.tf.ncols)])

    def reader(self) -> pa.RecordBatchReader:
        tf = self.tf
        names = [col(i) for i in range(tf.ncols)]
        ropts = pacsv.ReadOptions(column_names=names, skip_rows=tf.header_line,
                                  use_threads=False, block_size=self.block_size,
                                  encoding=tf.encoding)
        popts = pacsv.ParseOptions(delimiter=tf.delimiter, quote_char=tf.quotechar,
                                   newlines_in_values=True, ignore_empty_lines=False,
                                   invalid_row_handler=self._handler)
        copts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                     strings_can_be_null=True, quoted_strings_can_be_null=True,
                                     null_values=NULL_MARKERS)
        try:
            stream = pa.input_stream(str(tf.path), compression=tf.compression)
            csvr = pacsv.open_csv(stream, read_options=ropts, parse_options=popts,
                                  convert_options=copts)
        except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as e:
            raise MeterInputError(f"cannot parse as CSV: {e}{_hint(e)}", tf.path) from None
        return pa.RecordBatchReader.from_batches(self.schema(), self._batches(csvr))

    def _batches(self, csvr) -> Iterator[pa.RecordBatch]:
        first_record = self.tf.header_line + 1      # pyarrow's record number of our record 0
        j = 0            # records emitted so far
        nl_before = 0    # newlines inside values of the emitted records so far
        while True:
            try:
                b = csvr.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowInvalid, UnicodeDecodeError) as e:
                # pyarrow names the row ("Row #60002"); everything before it was read
                self.failure = MeterInputError(f"CSV parse error: {e}{_hint(e)}", self.tf.path)
                raise self.failure from None
            n = b.num_rows
            if n == 0:
                continue
            # record number of each emitted row: j + first_record, shifted by the invalid rows
            # skipped before it (q_k = r_k - (k-1), sorted; shift = #q_k ≤ p)
            p = np.arange(j, j + n, dtype=np.int64) + first_record
            bad = sorted(x for x in self._bad if x[0] >= 0)
            if bad:
                r = np.fromiter((x[0] for x in bad), dtype=np.int64, count=len(bad))
                q = r - np.arange(len(bad), dtype=np.int64)
                k = np.searchsorted(q, p, side="right")
                bad_nl = np.concatenate([[0], np.cumsum([x[2] for x in bad])])
                rec = p + k
                extra = bad_nl[k]
            else:
                rec, extra = p, 0
            nl = np.zeros(n, dtype=np.int64)
            for c in b.columns:
                cnt = pc.count_substring(c, "\n")
                if pc.max(cnt).as_py():
                    nl += cnt.fill_null(0).to_numpy(zero_copy_only=False)
            if nl.any():
                cum = np.concatenate([[0], np.cumsum(nl)[:-1]]) + nl_before
                self._nl_marks.append((rec[nl > 0], nl[nl > 0]))
            else:
                cum = nl_before
            line = rec + extra + cum
            nl_before += int(nl.sum())
            j += n
            self.records = j
            yield pa.RecordBatch.from_arrays([pa.array(line, pa.int64())] + b.columns,
                                             schema=self.schema())
        self._finish(first_record)

    def _finish(self, first_record: int) -> None:
        # physical line of each malformed record: its record number plus the newlines inside
        # values of the records before it
        if self._nl_marks:
            mrec = np.concatenate([m[0] for m in self._nl_marks])
            mcum = np.concatenate([[0], np.cumsum(np.concatenate([m[1] for m in self._nl_marks]))])
        out, bad_nl = [], 0
        for number, fields, nl, text in sorted(self._bad):
            line = number
            if number >= 0 and self._nl_marks:
                line += int(mcum[np.searchsorted(mrec, number)])
            line = line + bad_nl if number >= 0 else 0
            bad_nl += nl
            if fields <= 1 and not text.strip(self.tf.delimiter + " \t\r\n"):
                continue                               # a blank line: nothing to report
            out.append((line, f"{fields} field(s), expected {self.tf.ncols}"))
        self.invalid = out


def _hint(e: Exception) -> str:
    return " (not UTF-8: try --encoding gb18030)" if "UTF8" in str(e) or "utf-8" in str(e) \
        else ""


def register_source(con, tf: TabularFile, name: str):
    """Register ``tf`` under ``name`` in DuckDB: the CSV's Arrow stream, or a Parquet view.
    Returns the LinedCsv (for its ``invalid`` rows after the query) or None for Parquet."""
    if tf.fmt == "csv":
        lc = LinedCsv(tf)
        con.register(name, lc.reader())
        return lc
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM "
                f"{parquet_source_sql(tf)}").fetchall()
    return None


def unregister_source(con, tf: TabularFile, name: str) -> None:
    try:
        if tf.fmt == "csv":
            con.unregister(name)
        else:
            con.execute(f"DROP VIEW IF EXISTS {name}").fetchall()
    except Exception:  # noqa: BLE001 - best effort cleanup
        pass


def is_numeric_type(t: str) -> bool:
    t = t.upper()
    return t.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")) or t in (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
        "UBIGINT", "UHUGEINT")


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; folders → their CSV/Parquet files (sorted, recursive)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and
                              f.name.lower().endswith(CSV_SUFFIXES + PARQUET_SUFFIXES)))
        else:
            out.append(p)
    return out


@dataclass
class Staging:
    lc: object = None     # the registered stream of the file, once registered


@contextmanager
def staged_transaction(store, tf: TabularFile, view: str, temp_tables: Sequence[str]):
    """BEGIN … COMMIT around staging one file: on any error ROLLBACK (nothing half-ingested)
    and unregister the file's stream; the staging temp tables are dropped either way."""
    run = store._run
    run("BEGIN TRANSACTION")
    st = Staging()
    try:
        yield st
        run("COMMIT")
    except BaseException:
        try:
            run("ROLLBACK")
        except Exception:  # noqa: BLE001 — the original error matters, not the rollback's
            pass
        if st.lc is not None:
            unregister_source(store.con, tf, view)
        raise
    finally:
        for t in temp_tables:
            run(f"DROP TABLE IF EXISTS {t}")
