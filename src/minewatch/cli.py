"""`minewatch …` — the command line.

Exit codes: 0 success (possibly with warnings about truncated captures); 2 bad input that could not
be read at all (a non-capture file, a missing path); 1 unexpected failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .store import default_db_path
from .views import fmt_power, fmt_rate, host_json, session_json, short

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="minewatch: find covert cryptocurrency mining (网络与电力证据 → 挖矿线索).")
from .cli_meters import meters_app  # noqa: E402 — sub-commands register on import

app.add_typer(meters_app, name="meters")
err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 200)

DB_HELP = "Evidence store: a DuckDB file, or ':memory:'. Default: $MINEWATCH_DB or " \
          "~/.local/share/minewatch/minewatch.duckdb"
PROGRESS_MIN_BYTES = 32 << 20   # show a progress bar for inputs at least this large


@app.command()
def scan(paths: list[Path] = typer.Argument(..., help="Capture files (pcap, pcapng, .gz) or "
                                                          "folders"),
         db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
         as_json: bool = typer.Option(False, "--json", help="JSON Lines, one per session"),
         progress: Optional[bool] = typer.Option(None, "--progress/--no-progress",
                                                 help="Progress bar (default: on for large "
                                                      "inputs on a terminal)"),
         verify: int = typer.Option(8, "--verify", min=0,
                                    help="Shares per session to recompute as proof of work "
                                         "(0: none)"),
         verify_randomx: bool = typer.Option(False, "--verify-randomx",
                                             help="Also recompute RandomX (Monero) shares: "
                                                  "256 MiB and ~0.7 s per seed")) -> None:
    """Scan packet captures for mining sessions and store them as evidence."""
    from .scan import expand, scan_paths
    from .store.duckdb import DuckDBStore

    store = DuckDBStore(db or default_db_path())
    files, _ = expand(paths)
    total = sum(f.stat().st_size for f in files)
    show = progress if progress is not None else (err.is_terminal and total >= PROGRESS_MIN_BYTES)
    if show:
        with Progress(TextColumn("[bold]scan[/] {task.fields[file]}"), BarColumn(),
                      DownloadColumn(), TimeRemainingColumn(), console=err) as bar:
            task = bar.add_task("scan", total=total or 1, file="")
            result = scan_paths(paths, store, lambda f, done, tot: bar.update(
                task, completed=done, file=Path(f).name), verify=verify,
                                verify_randomx=verify_randomx)
    else:
        result = scan_paths(paths, store, verify=verify, verify_randomx=verify_randomx)
    for w in result.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
    for e in result.errors:
        err.print(f"[red]error:[/] {e}", highlight=False)
    sessions = sorted(result.sessions(), key=lambda e: (e.first_seen, e.entity))
    if as_json:
        for e in sessions:
            sys.stdout.write(json.dumps(session_json(e), ensure_ascii=False) + "\n")
    else:
        _print_sessions(sessions)
        _print_hosts(result.hosts())
        frames = sum(f.frames for f in result.files)
        err.print(f"{len(result.files)} capture(s), {frames} frames, {len(sessions)} mining "
                  f"session(s); {result.new_rows} new evidence row(s) in {store.path}",
                  highlight=False)
    store.close()
    if result.errors and (not result.files or any("not a pcap" in e or "no such" in e
                                                  for e in result.errors)):
        raise typer.Exit(2)


def _print_sessions(sessions) -> None:
    t = Table(title="Mining sessions 挖矿会话", show_lines=False)
    for col in ("client", "pool", "protocol", "coin/algo", "wallet · worker", "agent",
                "shares acc/sub", "hashrate [95 % CI]", "claimed", "conf."):
        t.add_column(col, overflow="fold")
    for e in sessions:
        s = session_json(e)
        algo = s["algorithm"]
        pool = s["server"] + (f" {s['pool_host']}" if s["pool_host"] else "")
        wallet = short(s["wallet"]) + (f" · {s['worker']}" if s["worker"] else "")
        shares = f"{s['shares_accepted'] or 0}/{s['shares_submitted'] or 0}"
        if s["hashrate_hs"] is not None:
            rate = f"{fmt_rate(s['hashrate_hs'], algo)} [{fmt_rate(s['hashrate_low_hs'], algo)}" \
                   f"–{fmt_rate(s['hashrate_high_hs'], algo)}]"
        else:
            rate = "unknown" + (f": {s['hashrate_reason']}" if s["hashrate_reason"] else "")
        t.add_row(s["client"], pool, s["protocol"] or "—", f"{s['coin'] or '?'}/{algo or '?'}",
                  wallet, s["agent"] or "—", shares, rate,
                  fmt_rate(s["reported_hashrate_hs"], algo), s["confidence"])
    out.print(t)


def _print_hosts(hosts) -> None:
    if not hosts:
        return
    t = Table(title="Per host 按主机汇总")
    for col in ("host", "coin/algo", "sessions", "hashrate [95 % CI]", "power"):
        t.add_column(col)
    for e in sorted(hosts, key=lambda e: (e.entity, e.algorithm or "")):
        h = host_json(e)
        algo = h["algorithm"]
        rate = fmt_rate(h["hashrate_hs"], algo)
        if h["hashrate_hs"] is not None:
            rate += f" [{fmt_rate(h['hashrate_low_hs'], algo)}–" \
                    f"{fmt_rate(h['hashrate_high_hs'], algo)}]"
        n = h["sessions"]
        t.add_row(h["host"], f"{h['coin'] or '?'}/{algo or '?'}",
                  str(len(n) if isinstance(n, list) else (n or "—")),
                  rate, fmt_power(h["power_w_low"], h["power_w_high"]))
    out.print(t)


@app.command()
def evidence(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
             as_json: bool = typer.Option(False, "--json", help="JSON Lines, one per row"),
             detector: Optional[str] = typer.Option(None, help="Only this detector"),
             kind: Optional[str] = typer.Option(None, help="Only this entity kind (ip, ip:port…)"),
             limit: Optional[int] = typer.Option(None, help="At most this many rows")) -> None:
    """List the evidence the store holds."""
    from .store.duckdb import DuckDBStore

    path = db or default_db_path()
    if path != ":memory:" and not Path(path).exists():
        err.print(f"[red]error:[/] no evidence store at {path} (run `minewatch scan` first)")
        raise typer.Exit(2)
    store = DuckDBStore(path)
    rows = store.query(detector, kind, limit)
    store.close()
    if as_json:
        for r in rows:
            r = dict(r)
            for k in ("first_seen", "last_seen"):
                r[k] = r[k].isoformat().replace("+00:00", "Z")
            sys.stdout.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
        return
    t = Table(title=f"Evidence 证据 ({len(rows)} rows, {path})")
    for col in ("first seen (UTC)", "detector", "entity", "counterpart", "coin", "hashrate",
                "score", "reason"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["first_seen"].strftime("%Y-%m-%d %H:%M:%S"), r["detector"],
                  f"{r['entity_kind']} {r['entity']}", r["counterpart"] or "—",
                  f"{r['coin'] or '?'}/{r['algorithm'] or '?'}",
                  fmt_rate(r["hashrate_hs"], r["algorithm"]),
                  f"{r['score']:.2f}", (r["reasons"] or [""])[0])
    out.print(t)


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
