"""The customer register → the store's ``meter_accounts`` table.

Columns by name: ``account,tariff_class,contract_kva,address,business_name,region`` by default, the
Chinese names registers use (户号, 用电类别, 合同容量, 用电地址, 户名, 区域编码… see
:data:`REGISTER_COLUMNS`), or an explicit mapping (CLI ``--map tariff_class=电价类别``). Only
``account`` is required; a column the file lacks leaves the stored value alone.

Tariff classes are stored as residential | commercial | industrial | agricultural; Chinese names are
mapped (居民/居民生活用电 → residential, 一般工商业/商业/非居民/普通工业 → commercial,
大工业 → industrial, 农业/农业生产/农排 → agricultural). An unknown class is stored as unknown (NULL)
and reported as a warning with its line. Rows without an account, or with a contract capacity that
is not a non-negative number, are rejected with file and line. The first row of an account wins; a
later row of the same account with different data is counted as a conflict.

Re-ingesting an unchanged register writes nothing; changed accounts are updated and listed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ._tabular import (MeterInputError, TabularFile, clip_sql, col, find_columns,
                       is_numeric_type, number_sql, parse_mapping, register_source, sniff,
                       staged_transaction, unregister_source)
from .meters import READING_COLUMNS

__all__ = ["REGISTER_COLUMNS", "TARIFF_NAMES", "RegisterReport", "ingest_register",
           "tariff_class_sql"]

REGISTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "account": READING_COLUMNS["account"],
    "tariff_class": ("tariff_class", "tariff", "tariff_category", "用电类别", "电价类别",
                     "电价分类", "用户类别", "用电分类", "电价类型"),
    "contract_kva": ("contract_kva", "kva", "capacity_kva", "contract_capacity", "合同容量",
                     "运行容量", "报装容量", "受电容量", "容量"),
    "address": ("address", "用电地址", "地址", "用户地址", "客户地址"),
    "business_name": ("business_name", "name", "customer_name", "户名", "用户名称", "客户名称",
                      "单位名称", "户主"),
    "region": ("region", "region_code", "区域编码", "行政区划代码", "行政区划", "地区编码",
               "区划代码", "区域代码"),
}
FIELDS = ("tariff_class", "contract_kva", "address", "business_name", "region")
# checked in this order (非居民 before 居民, 大工业 before 工业)
TARIFF_NAMES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("commercial", ("非居民", "非工业", "普通工业"), ()),
    ("residential", ("居民",), ("residential", "resident", "household", "domestic", "res")),
    ("industrial", ("大工业",), ("industrial", "industry", "large_industrial", "ind")),
    ("agricultural", ("农业", "农排", "排灌"), ("agricultural", "agriculture", "agri", "farm",
                                              "farming", "agr")),
    ("commercial", ("工商业", "商业"), ("commercial", "business", "commerce", "general",
                                        "small_business", "com")),
    ("industrial", ("工业",), ()),
)


def tariff_class_sql(v: str) -> str:
    """SQL: the tariff class of a VARCHAR expression, NULL when unknown."""
    t = f"replace(lower(trim({v})), ' ', '_')"
    arms = []
    for cls, zh, en in TARIFF_NAMES:
        conds = [f"contains({v}, '{z}')" for z in zh]
        if en:
            conds.append(f"{t} IN ({', '.join(repr(e) for e in en)})")
        arms.append(f"WHEN {' OR '.join(conds)} THEN '{cls}'")
    return f"CASE {' '.join(arms)} END"


@dataclass
class RegisterReport:
    source: str
    fmt: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_new: int = 0                 # accounts not stored before
    rows_updated: int = 0             # stored accounts whose data changed
    rows_unchanged: int = 0
    rows_duplicate: int = 0           # a later row of an account already in this file
    rows_conflict: int = 0            # … carrying different data (the first row is kept)
    rows_rejected: int = 0
    rejects: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)     # stored, with a remark (unknown class)
    changes: list[str] = field(default_factory=list)      # 'A1: tariff_class residential → …'
    tariff_classes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "register", **asdict(self)}


def _looks_like_header(fields: list[str], mapping: dict[str, str]) -> bool:
    try:
        roles, _ = find_columns(fields, REGISTER_COLUMNS, mapping)
    except MeterInputError:
        return True
    return "account" in roles and len(roles) >= 2


def ingest_register(store, path: str | Path, *, mapping: Sequence[str] | dict | None = None,
                    encoding: str | None = None, max_rejects: int = 20) -> RegisterReport:
    """Ingest one register file (CSV or Parquet) into ``meter_accounts`` of ``store``, logged in
    ``meter_ingest_log`` (kind 'register'; rows_new = accounts inserted + updated). Unreadable
    files come back with ``error`` set and nothing stored."""
    t0 = time.perf_counter()
    roles_map = parse_mapping(mapping, tuple(READING_COLUMNS) + tuple(REGISTER_COLUMNS))
    rep = RegisterReport(source=str(path))
    store._run("SET TimeZone='UTC'")
    try:
        tf = sniff(path, lambda f: _looks_like_header(f, roles_map), encoding, store.con)
        rep.fmt = tf.fmt
        rep.notes.extend(tf.notes)
        roles, warns = find_columns(tf.header, REGISTER_COLUMNS, roles_map, tf.path)
        rep.notes.extend(warns)
        if "account" not in roles:
            raise MeterInputError(
                "no account column (looked for account, 户号, 用户编号…; columns: "
                f"{', '.join(tf.header)}); name it with --map account=COLUMN", tf.path)
        if not set(FIELDS) & set(roles):
            raise MeterInputError(
                "no register columns besides the account (looked for tariff_class/用电类别, "
                f"contract_kva/合同容量, address/用电地址, business_name/户名, region/区域编码; "
                f"columns: {', '.join(tf.header)}); name them with --map", tf.path)
        rep.columns = {k: tf.header[i] for k, i in roles.items()}
        rep.ignored = [h for i, h in enumerate(tf.header) if i not in roles.values() and h]
        _ingest(store, tf, roles, rep, max_rejects)
        if rep.rows_read and rep.rows_rejected == rep.rows_read:
            raise MeterInputError(f"no readable rows: {rep.rows_rejected} rejected (first: "
                                  f"{rep.rejects[0] if rep.rejects else '?'})", path)
        if not rep.rows_read:
            raise MeterInputError("no rows below the header", path)
    except MeterInputError as e:
        rep.error = e.reason if e.path else str(e)
    except Exception as e:  # noqa: BLE001
        rep.error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    rep.seconds = round(time.perf_counter() - t0, 3)
    rejects = rep.rejects if not rep.error else ([f"{path}: {rep.error}"] + rep.rejects)
    store._run("INSERT INTO meter_ingest_log (source, kind, rows_read, rows_new, rows_rejected, "
               "rejects) VALUES (?, 'register', ?, ?, ?, ?)",
               [str(path), rep.rows_read, rep.rows_new + rep.rows_updated, rep.rows_rejected,
                rejects[:max_rejects]])
    return rep


def _field_sql(tf: TabularFile, roles: dict[str, int], name: str) -> str:
    if name not in roles:
        return "CAST(NULL AS VARCHAR)"
    i = roles[name]
    typ = tf.types[i].upper()
    if name == "region" and is_numeric_type(typ) and not typ.startswith(("DOUBLE", "FLOAT")):
        return f"nullif(trim(CAST(CAST({col(i)} AS HUGEINT) AS VARCHAR)), '')"
    if name == "contract_kva" and is_numeric_type(typ):
        return f"CAST({col(i)} AS VARCHAR)"
    return f"nullif(trim(CAST({col(i)} AS VARCHAR)), '')"


def _ingest(store, tf: TabularFile, roles: dict[str, int], rep: RegisterReport,
            max_rejects: int) -> None:
    run = store._run
    label = str(tf.path)
    present = [f for f in FIELDS if f in roles]
    blank = " AND ".join(f"{col(i)} IS NULL" for i in range(len(tf.types)))
    sel = ", ".join(f"{_field_sql(tf, roles, f)} AS {f}_raw" for f in FIELDS)
    kva = number_sql("contract_kva_raw")
    kva_unit = number_sql(r"regexp_extract(lower(contract_kva_raw), "
                          r"'^([0-9][0-9.,]*)\s*(kva|千伏安)$', 1)")
    lc = None
    with staged_transaction(store, tf, "_mw_rsrc", ("_mw_rstage", "_mw_reg")) as st:
        lc = st.lc = register_source(store.con, tf, "_mw_rsrc")
        stage_sql = (f"""
            CREATE OR REPLACE TEMP TABLE _mw_rstage AS
            WITH a AS (
              SELECT line, nullif(trim(CAST({col(roles['account'])} AS VARCHAR)), '') AS account,
                     {sel} FROM _mw_rsrc WHERE NOT ({blank})
            ), b AS (
              SELECT *, {tariff_class_sql('tariff_class_raw')} AS tariff_class,
                     COALESCE({kva}, {kva_unit}) AS contract_kva,
                     address_raw AS address, business_name_raw AS business_name,
                     region_raw AS region FROM a
            )
            SELECT *, CASE
              WHEN account IS NULL THEN 'missing account'
              WHEN contract_kva_raw IS NOT NULL AND contract_kva IS NULL
                THEN 'contract kVA ' || {clip_sql('contract_kva_raw')} || ' is not a number'
              WHEN contract_kva < 0 OR isinf(contract_kva) OR isnan(contract_kva)
                THEN 'contract kVA ' || {clip_sql('contract_kva_raw')} || ' is not valid'
              END AS err
            FROM b""")
        try:
            run(stage_sql)
        except Exception:
            if lc is not None and lc.failure is not None:
                raise lc.failure from None
            raise
        unregister_source(store.con, tf, "_mw_rsrc")
        invalid = lc.invalid if lc else []
        n, rejected = run("SELECT count(*), count(err) FROM _mw_rstage")[0]
        rep.rows_read = int(n) + len(invalid)
        rep.rows_rejected = int(rejected) + len(invalid)
        rej = run(f"SELECT line, err FROM _mw_rstage WHERE err IS NOT NULL ORDER BY line "
                  f"LIMIT {int(max_rejects)}") + invalid[:max_rejects]
        rep.rejects = [f"{label}:{ln}: {e}" for ln, e in sorted(rej)[:max_rejects]]
        for ln, raw in run(f"SELECT line, tariff_class_raw FROM _mw_rstage WHERE err IS NULL "
                           f"AND tariff_class_raw IS NOT NULL AND tariff_class IS NULL "
                           f"ORDER BY line LIMIT {int(max_rejects)}"):
            rep.warnings.append(f"{label}:{ln}: unknown tariff class {raw!r} (stored without "
                                "a class; map it to residential/commercial/industrial/"
                                "agricultural)")
        cols = ["account"] + present
        diff = " OR ".join(f"s.{f} IS DISTINCT FROM k.{f}" for f in present) or "FALSE"
        run(f"""CREATE OR REPLACE TEMP TABLE _mw_reg AS
                SELECT account, min(line) AS line, count(*) AS n,
                       {', '.join(f'arg_min({f}, line) AS {f}' for f in present) or 'NULL AS x'}
                FROM _mw_rstage WHERE err IS NULL GROUP BY account""")
        valid, accounts = run("SELECT coalesce(sum(n), 0), count(*) FROM _mw_reg")[0]
        rep.rows_duplicate = int(valid - accounts)
        if rep.rows_duplicate:
            q = f"""FROM _mw_rstage s JOIN _mw_reg k USING (account)
                    WHERE s.err IS NULL AND s.line <> k.line AND ({diff})"""
            rep.rows_conflict = int(run(f"SELECT count(*) {q}")[0][0])
            for ln, acc, kl in run(f"SELECT s.line, s.account, k.line {q} ORDER BY s.line "
                                   "LIMIT 5"):
                rep.warnings.append(f"{label}:{ln}: account {acc} again with different data "
                                    f"(line {kl} kept)")
        # against the store
        sdiff = " OR ".join(f"a.{f} IS DISTINCT FROM k.{f}" for f in present) or "FALSE"
        changed = run(f"""SELECT k.account, {', '.join(f'a.{f}, k.{f}' for f in present) or 'NULL'}
                          FROM _mw_reg k JOIN meter_accounts a USING (account)
                          WHERE {sdiff} ORDER BY k.line""")
        rep.rows_updated = len(changed)
        for row in changed[:max_rejects]:
            parts = []
            for j, f in enumerate(present):
                old, new = row[1 + 2 * j], row[2 + 2 * j]
                if old != new:
                    parts.append(f"{f} {old!r} → {new!r}")
            rep.changes.append(f"{row[0]}: " + "; ".join(parts))
        existing = run("SELECT count(*) FROM _mw_reg k JOIN meter_accounts a USING (account)")[0][0]
        rep.rows_new = int(accounts - existing)
        rep.rows_unchanged = int(existing - rep.rows_updated)
        run(f"""INSERT INTO meter_accounts ({', '.join(cols)}, source)
                SELECT {', '.join('k.' + c for c in cols)}, ? FROM _mw_reg k
                WHERE NOT EXISTS (SELECT 1 FROM meter_accounts a WHERE a.account = k.account)
                ORDER BY k.line""", [label])
        if changed:
            sets = ", ".join(f"{f} = k.{f}" for f in present)
            run(f"""UPDATE meter_accounts AS a SET {sets}, source = ? FROM _mw_reg k
                    WHERE a.account = k.account AND ({sdiff})""", [label])
        for cls, cnt in run("SELECT coalesce(tariff_class, 'unknown'), count(*) FROM _mw_reg "
                            "GROUP BY 1 ORDER BY 2 DESC, 1") if "tariff_class" in present else []:
            rep.tariff_classes[cls] = int(cnt)
