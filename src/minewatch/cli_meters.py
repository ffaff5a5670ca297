"""`minewatch meters …` — the grid company's side: meter readings and customer registers in,
mining suspicions out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

meters_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="Smart-meter data: ingest readings and registers, score accounts "
                              "(电表数据：导入与评分).")

_err = Console(stderr=True, soft_wrap=True)   # file:line messages stay whole
_out = Console(width=None if sys.stdout.isatty() else 200)

MAP_HELP = ("Column mapping ROLE=HEADER, repeatable. Readings roles: account, timestamp, kwh, "
            "interval, date, time; register roles: account, tariff_class, contract_kva, address, "
            "business_name, region. Without it the defaults and the usual Chinese headers are "
            "recognised (户号, 抄表时间/采集时间, 日期 + 时间, 电量/用电量, 用电类别, 合同容量, "
            "用电地址, 户名, 区域编码…). Example: --map account=户号 --map kwh=电量")
TZ_HELP = ("Zone of timestamps without a UTC offset (and of wide files' days): an offset "
           "(+08:00) or an IANA name (Asia/Shanghai, Australia/Sydney; DST handled per reading). "
           "Timestamps carrying an offset keep it.")


@meters_app.command("ingest")
def ingest(readings: list[Path] = typer.Argument(
               None, help="Readings files (CSV, CSV.gz, Parquet; long or wide) or folders"),
           register: Optional[Path] = typer.Option(
               None, "--register", help="Customer register (CSV or Parquet) 用户档案"),
           db: Optional[str] = typer.Option(
               None, "--db", help="Evidence store: a DuckDB file, or ':memory:'. Default: "
                                  "$MINEWATCH_DB or ~/.local/share/minewatch/minewatch.duckdb"),
           mapping: list[str] = typer.Option([], "--map", help=MAP_HELP),
           tz: str = typer.Option("+08:00", "--tz", help=TZ_HELP),
           interval: Optional[str] = typer.Option(
               None, "--interval", help="Force the interval of every reading (15min, 30min, "
                                        "1h, daily) instead of inferring it per account"),
           stamp: str = typer.Option("start", "--stamp", help="'start' (default) or 'end': "
                                                              "what the timestamps label"),
           encoding: Optional[str] = typer.Option(
               None, "--encoding", help="CSV encoding (default: UTF-8, else GB18030 detected)"),
           as_json: bool = typer.Option(False, "--json", help="Print the ingest report as one "
                                                              "JSON object")) -> None:
    """Ingest meter readings (and a customer register) into the store 导入电表读数与用户档案.

    Exit 0: ingested (rows may have been rejected: see the report).
    Exit 2: a file could not be read at all, or nothing was given."""
    from .sources._tabular import MeterInputError
    from .sources.meters import ingest_readings
    from .sources.register import ingest_register
    from .store import default_db_path
    from .store.duckdb import DuckDBStore

    readings = list(readings or [])
    if not readings and register is None:
        _err.print("[red]error:[/] give readings files and/or --register FILE")
        raise typer.Exit(2)
    store = DuckDBStore(db or default_db_path())
    reg_rep = None
    try:
        if register is not None:
            reg_rep = ingest_register(store, register, mapping=mapping, encoding=encoding)
        rep = ingest_readings(store, readings, mapping=mapping, tz=tz, interval=interval,
                              stamp=stamp, encoding=encoding) if readings else None
    except MeterInputError as e:            # bad options: --tz, --map, --interval
        store.close()
        _err.print(f"[red]error:[/] {e}", highlight=False)
        raise typer.Exit(2)
    store.close()
    failed = (rep.errors if rep else []) + ([f"{reg_rep.source}: {reg_rep.error}"]
                                             if reg_rep and reg_rep.error else [])
    if as_json:
        doc = {"db": store.path, "readings": rep.to_dict() if rep else None,
               "register": reg_rep.to_dict() if reg_rep else None, "errors": failed}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
    else:
        if reg_rep:
            _print_register(reg_rep)
        if rep:
            _print_readings(rep)
        for e in failed:
            _err.print(f"[red]error:[/] {e}", highlight=False)
        _summary(rep, reg_rep, store.path)
    if failed:
        raise typer.Exit(2)


def _n(x: int) -> str:
    return f"{x:,}"


def _print_readings(rep) -> None:
    t = Table(title="Meter readings 电表读数")
    for c in ("file", "format", "read", "new", "duplicate", "conflict", "missing", "rejected",
              "accounts", "interval", "s"):
        t.add_column(c, overflow="fold", justify="right" if c not in ("file", "format",
                                                                         "interval") else "left")
    for f in rep.files:
        if f.error:
            t.add_row(f.source, f.fmt or "—", "[red]unreadable[/]", "", "", "", "", "", "", "",
                      f"{f.seconds:.2f}")
            continue
        t.add_row(f.source, f"{f.fmt} {f.layout}", _n(f.rows_read), _n(f.rows_new),
                  _n(f.rows_duplicate), _n(f.rows_conflict), _n(f.rows_missing),
                  _n(f.rows_rejected), _n(f.accounts),
                  ", ".join(f"{k}: {v}" for k, v in f.intervals.items()) or "—",
                  f"{f.seconds:.2f}")
    _out.print(t)
    for f in rep.files:
        for note in f.notes:
            _err.print(f"[yellow]note:[/] {f.source}: {note}", highlight=False)
        if f.columns and not f.error:
            cols = ", ".join(f"{k}={v}" for k, v in f.columns.items())
            ign = f"; ignored: {', '.join(f.ignored)}" if f.ignored else ""
            _err.print(f"[dim]{f.source}: columns {cols}{ign}[/]", highlight=False)
        for r in f.rejects[:10]:
            _err.print(f"[yellow]rejected:[/] {r}", highlight=False)
        if f.rows_rejected > min(len(f.rejects), 10):
            _err.print(f"[yellow]rejected:[/] … {f.rows_rejected - min(len(f.rejects), 10)} "
                       "more (meter_ingest_log keeps the first 20)", highlight=False)
        for c in f.conflicts:
            _err.print(f"[yellow]conflict:[/] {c}", highlight=False)
    if rep.accounts:
        gaps = [a for a in rep.accounts if a.missing]
        t = Table(title=f"Data quality 数据质量: {len(rep.accounts)} account(s), "
                        f"{len(rep.accounts) - len(gaps)} complete, {len(gaps)} with missing "
                        "readings (absent, never zero)")
        for c in ("account", "interval", "first (UTC)", "last (UTC)", "present", "expected",
                  "missing"):
            t.add_column(c, justify="right" if c in ("present", "expected", "missing")
                         else "left")
        shown = sorted(rep.accounts, key=lambda a: (-a.missing, a.account))[:15]
        for a in shown:
            t.add_row(a.account, "daily" if a.interval_s == 86400 else f"{a.interval_s // 60} min",
                      a.first[:16], a.last[:16], _n(a.present), _n(a.expected),
                      f"{_n(a.missing)} ({100 * (1 - a.coverage):.1f} %)")
        _out.print(t)


def _print_register(r) -> None:
    if r.error:
        return
    t = Table(title="Customer register 用户档案")
    for c in ("file", "read", "new", "updated", "unchanged", "duplicate", "rejected",
              "tariff classes"):
        t.add_column(c, overflow="fold")
    t.add_row(r.source, _n(r.rows_read), _n(r.rows_new), _n(r.rows_updated),
              _n(r.rows_unchanged), _n(r.rows_duplicate), _n(r.rows_rejected),
              ", ".join(f"{k} {v}" for k, v in r.tariff_classes.items()) or "—")
    _out.print(t)
    for x in r.notes:
        _err.print(f"[yellow]note:[/] {r.source}: {x}", highlight=False)
    for x in r.rejects[:10]:
        _err.print(f"[yellow]rejected:[/] {x}", highlight=False)
    for x in r.warnings[:10]:
        _err.print(f"[yellow]warning:[/] {x}", highlight=False)
    for x in r.changes[:10]:
        _err.print(f"[cyan]updated:[/] {x}", highlight=False)


def _summary(rep, reg, path: str) -> None:
    parts = []
    if rep is not None:
        ok = [f for f in rep.files if not f.error]
        parts.append(
            f"{len(ok)}/{len(rep.files)} readings file(s): {_n(rep.total('rows_read'))} rows "
            f"read, {_n(rep.total('rows_new'))} new, {_n(rep.total('rows_duplicate'))} duplicate "
            f"({_n(rep.total('rows_conflict'))} conflicting), {_n(rep.total('rows_missing'))} "
            f"missing, {_n(rep.total('rows_rejected'))} rejected; "
            f"{len({a.account for a in rep.accounts})} account(s)")
    if reg is not None and not reg.error:
        parts.append(f"register: {reg.rows_new} new, {reg.rows_updated} updated, "
                     f"{reg.rows_unchanged} unchanged, {reg.rows_rejected} rejected")
    _err.print(("; ".join(parts) or "nothing ingested") + f" → {path}", highlight=False)


@meters_app.command("score")
def score(db: Optional[str] = typer.Option(
              None, "--db", help="Evidence store: a DuckDB file. Default: $MINEWATCH_DB or "
                                 "~/.local/share/minewatch/minewatch.duckdb"),
          as_json: bool = typer.Option(False, "--json", help="JSON Lines, one per flagged "
                                                             "account"),
          every: bool = typer.Option(False, "--all", help="Every scored account, not only "
                                                          "the flagged ones"),
          limit: int = typer.Option(50, "--limit", help="Rows in the table (not in --json)"),
          engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark"),
          master: Optional[str] = typer.Option(None, "--master", help="Spark master: local[N] "
                                                                       "(default local[2]) or a "
                                                                       "cluster URL")
          ) -> None:
    """Score every account's load profile; flagged accounts become evidence 电表负荷评分."""
    from .power import account_json, score_store
    from .store import default_db_path
    from .store.duckdb import DuckDBStore

    path = db or default_db_path()
    if path != ":memory:" and not Path(path).exists():
        _err.print(f"[red]error:[/] no store at {path} (run `minewatch meters ingest` first)")
        raise typer.Exit(2)
    store = DuckDBStore(path)
    try:
        result = score_store(store, engine=engine, master=master)
    finally:
        store.close()
    ids = {e.entity: e.evidence_id for e in result.evidence}
    rows = [dict(r, evidence_id=ids.get(r["account"])) for r in result.table.to_pylist()]
    rows.sort(key=lambda r: (-r["score"], str(r["account"])))
    shown = rows if every else [r for r in rows if r["flagged"]]
    if as_json:
        for r in shown:
            sys.stdout.write(json.dumps(account_json(r), ensure_ascii=False, default=str) + "\n")
        return
    t = Table(title=f"Accounts 电表账户 ({len(shown)} of {len(rows)} scored)")
    for col in ("account", "class", "score", "onset", "mining load", "why"):
        t.add_column(col, overflow="fold")
    for r in shown[:limit]:
        lo, hi = r.get("power_w_low"), r.get("power_w_high")
        load = f"{lo / 1000:.3g}–{hi / 1000:.3g} kW" if lo is not None and hi else "—"
        t.add_row(str(r["account"]), r.get("tariff_class") or "?", f"{r['score']:.2f}",
                  r["onset"].isoformat() if r.get("onset") else "—", load,
                  (r.get("reasons") or [""])[0])
    _out.print(t)
    _err.print(f"{sum(r['flagged'] for r in rows)} flagged of {len(rows)} accounts; "
               f"{result.new_rows} new evidence row(s) in {path}", highlight=False)
