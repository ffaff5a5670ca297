#!/usr/bin/env python3
"""Detection, side by side: how many flows ndpiReader and `minewatch scan` call mining, per capture.

    .venv/bin/python bench/bench_detection.py [--generated 200000] [--no-minewatch] [EXTRA.pcap ...]

Captures: every pcap/pcapng in /work/shared/pcaps/{ndpi,benign,other/zeek-cryptomining}, every
tests/data/synth/*.pcap* of the repo, a generated mixed capture (bench/gen_capture.py, with its
truth file) unless --generated 0, and any paths given on the command line.

  ndpiReader -i FILE -v 2                      a flow is "mining" when its [proto: …] has Mining
                                               (42/Mining) or its [cat: Mining]; flows labelled from
                                               nDPI's host-pair cache ("Confidence: DPI (cache)") are
                                               counted and also shown apart
  minewatch scan FILE --db :memory: --json     one JSON line per mining session; distinct
                                               {client, server} pairs are counted

Columns: `expected` is what the capture is known to hold (README, FILE.truth.json, or the folder's
truth.json as in tests/data/synth; a session spread over several TCP connections counts each); `nDPI .out` is what
the newer nDPI that produced the shared .out files reported (where one exists), next to the
installed ndpiReader. Below the table, every flow on which the two tools disagree is listed, and
for generated captures each truth session and decoy is checked. Output: stdout and
bench/out/detection.json; raw tool output in bench/out/logs/.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (LOGS, MINEWATCH, OUT, REPO, ToolMissing, count_packets, die,  # noqa: E402
                     minewatch_fingerprint, minewatch_smoke, need, parse_ndpi_flows, table)

SHARED = Path("/work/shared/pcaps")
SHARED_DIRS = ["ndpi", "benign", "other/zeek-cryptomining"]
SYNTH = REPO / "tests" / "data" / "synth"

# What the shared captures are known to hold (README.md / PROVENANCE / reading the trace)
EXPECTED = {
    "ndpi/mining.pcapng": ("4", "4 real pool sessions (ZEC x2, ETH eth-proxy, XMR)"),
    "ndpi/monero.pcap": ("0", "Monero node P2P, not mining"),
    "ndpi/ethereum.pcap": ("0", "Ethereum node P2P, not mining"),
    "ndpi/bitcoin.pcap": ("0", "Bitcoin node P2P, not mining"),
    "benign/android.pcap": ("0", "benign"),
    "benign/bittorrent.pcap": ("0", "benign"),
    "benign/jsonrpc.pcap": ("0", "JSON-RPC over TCP: the false-positive trap"),
    "benign/netflix.pcap": ("0", "benign"),
    "benign/sites.pcapng": ("0", "benign TLS sites"),
    "other/zeek-cryptomining/coinhive-stratum.pcap": ("3", "3 CryptoNote login sessions, no agent"),
    "other/zeek-cryptomining/bitcoin-mining.pcap":
        ("3+", "3 Stratum sessions (bfgminer); + rejected getwork/GBT over HTTP and TLS attempts to :3333"),
}


def endpoint(e: str) -> tuple[str, str]:
    """'1.2.3.4:80', '[2001:db8::1]:80' or '2001:db8::1:80' -> (ip, port); '1.2.3.4' -> (ip, '')."""
    e = e.strip()
    if e.startswith("["):
        ip, _, port = e[1:].partition("]:")
        return ip, port
    if e.count(":") == 1 or (e.count(":") > 1 and "." not in e and e.rsplit(":", 1)[1].isdigit()
                             and e.count(":") > 2):
        ip, port = e.rsplit(":", 1)
        return ip, port
    return e, ""


def pair(a: str, b: str) -> frozenset:
    return frozenset((endpoint(a), endpoint(b)))


def matches(truth_client: str, truth_server: str, pairs: dict) -> int:
    """How many of a tool's flows belong to this truth session (a client without a port matches
    every connection of that host to the server)."""
    c, srv = endpoint(truth_client), endpoint(truth_server)
    if c[1]:
        return int(frozenset((c, srv)) in pairs)
    return sum(1 for k in pairs if srv in k and any(e[0] == c[0] and e != srv for e in k))


def run_ndpi(ndpi: str, path: Path, stem: str, timeout: float) -> dict:
    r = subprocess.run([ndpi, "-i", str(path), "-v", "2"], capture_output=True, text=True, timeout=timeout,
                       errors="replace")
    (LOGS / f"{stem}.ndpi.txt").write_text(r.stdout + r.stderr)
    text = r.stdout + r.stderr
    err = re.search(r"Error while reading pcap file: '?([^'\n]*)", text)
    if r.returncode != 0 or err:
        why = err.group(1) if err else (text.strip().splitlines() or [""])[-1]
        return {"error": f"read error: {why[:18]}…" if err else f"exit {r.returncode}: {why[:18]}"}
    if "Traffic statistics" not in text:      # e.g. a link type 4.2 does not decode: it says nothing
        return {"error": "no report (link type?)"}
    flows = parse_ndpi_flows(r.stdout)
    mining = [f for f in flows if f.is_mining]
    return {"flows": len(flows), "mining": len(mining),
            "mining_cache": sum("cache" in f.confidence for f in mining),
            "mining_guess": sum(f.confidence.lower().startswith(("match by port", "guess", "match by ip"))
                                for f in mining),
            "pairs": {pair(f.a, f.b): f"{f.a} <-> {f.b} [{f.proto}, {f.confidence}]" for f in mining}}


def _how(nd: dict) -> str:
    parts = [f"{nd[k]} {w}" for k, w in (("mining_cache", "cache"), ("mining_guess", "by port")) if nd.get(k)]
    return f" ({', '.join(parts)})" if parts else ""


def ndpi_out_file(path: Path) -> dict | None:
    out = Path(str(path) + ".out")
    if not out.exists():
        return None
    flows = parse_ndpi_flows(out.read_text(errors="replace"))
    return {"flows": len(flows), "mining": sum(f.is_mining for f in flows)}


def run_minewatch(path: Path, stem: str, timeout: float) -> dict:
    r = subprocess.run([str(MINEWATCH), "scan", str(path), "--db", ":memory:", "--json"], capture_output=True,
                       text=True, timeout=timeout, cwd=REPO, errors="replace")
    (LOGS / f"{stem}.minewatch.jsonl").write_text(r.stdout)
    (LOGS / f"{stem}.minewatch.stderr").write_text(r.stderr)
    if r.returncode != 0:
        lines = [l.strip() for l in r.stderr.strip().splitlines() if l.strip("│╰╭─ ")]
        return {"error": f"exit {r.returncode}: {lines[-1] if lines else ''}"}
    pairs = {}
    n_lines = 0
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        try:
            s = json.loads(line)
        except ValueError:
            return {"error": f"not JSON Lines: {line[:120]!r}"}
        n_lines += 1
        c, sv = s.get("client"), s.get("server")
        pairs[pair(c, sv)] = (f"{c} -> {sv} [{s.get('protocol')}, {s.get('coin')}, "
                              f"confidence {s.get('confidence')}, score {s.get('score')}]")
    warn = sum(1 for l in r.stderr.splitlines() if "warning" in l.lower())
    return {"sessions": n_lines, "mining": len(pairs), "pairs": pairs, "warnings": warn}


def truth_for(path: Path) -> dict | None:
    """Ground truth, normalised to {"sessions": [{client, server, mining, label, connections}], "note"}:
    FILE.truth.json from gen_capture.py, or the `files` entry of a folder's truth.json
    (tests/data/synth/truth.json, written by make_synth.py)."""
    t = Path(str(path) + ".truth.json")
    if t.exists():
        try:
            g = json.loads(t.read_text())
        except ValueError:
            return None
        sess = [{"client": x["client"], "server": x["server"], "mining": True, "label": x["flavour"],
                 "connections": 1} for x in g.get("mining_sessions", [])]
        sess += [{"client": x["client"], "server": x["server"], "mining": False, "label": x["what"],
                  "connections": 1} for x in g.get("decoys", [])]
        return {"sessions": sess, "note": f"generated: {len(g.get('mining_sessions', []))} mining sessions, "
                                          f"{len(g.get('decoys', []))} JSON-RPC decoys", "verbose": True}
    folder = path.parent / "truth.json"
    if folder.exists():
        try:
            f = json.loads(folder.read_text()).get("files", {}).get(path.name)
        except (ValueError, AttributeError):
            return None
        if not f:
            return None
        sess = [{"client": x.get("client", ""), "server": x.get("server", ""),
                 "mining": bool(x.get("mining", f.get("mining", True))),
                 "label": x.get("protocol") or x.get("flavour") or f.get("description", "")[:40],
                 "connections": int(x.get("tcp_connections", 1))} for x in f.get("sessions", [])]
        return {"sessions": sess, "note": f.get("description", "")[:90], "verbose": False}
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("extra", nargs="*", type=Path, help="more captures to include")
    ap.add_argument("--generated", type=int, default=200_000,
                    help="also generate and include a mixed capture of this many packets (0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-minewatch", action="store_true")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per tool per capture")
    ap.add_argument("--max-list", type=int, default=6, help="disagreeing flows listed per capture and tool")
    a = ap.parse_args(argv)

    try:
        ndpi = need("ndpiReader", "install the Debian package `libndpi-bin`")
    except ToolMissing as e:
        die(str(e))
    mw_ok, mw_msg = (False, "disabled by --no-minewatch") if a.no_minewatch else minewatch_smoke()
    if not mw_ok:
        print(f"minewatch: SKIPPED — {mw_msg}", file=sys.stderr)
    LOGS.mkdir(parents=True, exist_ok=True)

    caps: list[tuple[str, Path]] = []
    for d in SHARED_DIRS:
        base = SHARED / d
        if not base.is_dir():
            print(f"note: {base} missing, skipped", file=sys.stderr)
            continue
        for p in sorted(base.iterdir()):
            if re.search(r"\.(pcap|pcapng|cap)(\.gz)?$", p.name):
                caps.append((f"{d}/{p.name}", p))
    if SYNTH.is_dir():
        for p in sorted(SYNTH.glob("*.pcap*")):
            if not p.name.endswith((".json", ".out", ".txt")):
                caps.append((f"tests/data/synth/{p.name}", p))
    else:
        print(f"note: {SYNTH} does not exist (yet), skipped", file=sys.stderr)
    if a.generated:
        import gen_capture
        g = OUT / f"mixed_{a.generated}_s{a.seed}.pcap"
        try:
            t = json.loads(Path(str(g) + ".truth.json").read_text())
        except (OSError, ValueError):
            t = None
        if not (g.exists() and t and t.get("packets") == a.generated):
            gen_capture.generate(a.generated, g, a.seed)
        caps.append((f"bench/out/{g.name}", g))
    for p in a.extra:
        if not p.exists():
            die(f"{p}: no such file")
        caps.append((str(p), p))

    rows, results, details = [], [], []
    for label, path in caps:
        stem = re.sub(r"[^\w.-]+", "_", label)
        truth = truth_for(path)
        if truth:
            exp = str(sum(x["connections"] for x in truth["sessions"] if x["mining"]))
            note = truth["note"]
        else:
            exp, note = EXPECTED.get(label, ("?", ""))
        try:
            npk = count_packets(path)
        except Exception as e:  # noqa: BLE001 - a count is only informative
            npk, note = -1, f"{note}; packet count failed: {e}"
        nd = run_ndpi(ndpi, path, stem, a.timeout)
        up = ndpi_out_file(path)
        mw = run_minewatch(path, stem, a.timeout) if mw_ok else {"error": "skipped"}
        nd_cell = nd.get("error") or (f"{nd['mining']}" + _how(nd))
        mw_cell = "n/a" if not mw_ok else (mw.get("error") or str(mw["mining"]))
        rows.append([label, f"{npk:,}", exp, nd_cell, "" if up is None else str(up["mining"]), mw_cell, note])
        results.append({"capture": label, "path": str(path), "packets": npk, "expected": exp, "note": note,
                        "ndpiReader": {k: v for k, v in nd.items() if k != "pairs"} | {"mining_flows": sorted(nd.get("pairs", {}).values())},
                        "ndpi_out_newer": up,
                        "minewatch": {k: v for k, v in mw.items() if k != "pairs"} | {"mining_flows": sorted(mw.get("pairs", {}).values())}})
        # disagreements
        if "pairs" in nd and "pairs" in mw:
            only_nd = [nd["pairs"][k] for k in nd["pairs"] if k not in mw["pairs"]]
            only_mw = [mw["pairs"][k] for k in mw["pairs"] if k not in nd["pairs"]]
            if only_nd or only_mw:
                details.append(f"{label}:")
                for who, xs in (("ndpiReader", sorted(only_nd)), ("minewatch ", sorted(only_mw))):
                    details += [f"    only {who}: {x}" for x in xs[:a.max_list]]
                    if len(xs) > a.max_list:
                        details.append(f"    only {who}: … {len(xs) - a.max_list} more (see bench/out/detection.json)")
        if truth:
            lines = []
            for x in truth["sessions"]:
                hits = {who: matches(x["client"], x["server"], r.get("pairs", {})) for who, r in
                        (("ndpi", nd), ("minewatch", mw))}
                def verdict(who: str) -> str:
                    if who == "minewatch" and not mw_ok:
                        return "n/a"
                    if "error" in {"ndpi": nd, "minewatch": mw}[who]:
                        return "error"
                    h, n = hits[who], x["connections"]
                    if x["mining"]:
                        return "yes" if h >= n else f"{h}/{n}" if h else "MISSED"
                    return "FLAGGED" if h else "ok"
                v = {who: verdict(who) for who in hits}
                bad = any(val in ("MISSED", "FLAGGED") or "/" in val for val in v.values())
                if truth["verbose"] or bad:
                    lines.append(f"    {'mining' if x['mining'] else 'benign'} {x['client']:>21} -> {x['server']:<21} "
                                 f"{x['label'][:46]:<46} ndpi={v['ndpi']:<8} minewatch={v['minewatch']}")
            if lines:
                details.append(f"{label} (against its truth file):")
                details += lines

    ver = [l.replace("Welcome to ", "") for l in
           subprocess.run([ndpi, "-h"], capture_output=True, text=True).stdout.splitlines()[:1]]
    print(f"\nFlows labelled mining, per capture — installed ndpiReader ({ver[0].strip() if ver else '?'}) "
          f"vs minewatch{' (source ' + minewatch_fingerprint() + ')' if mw_ok else ' (not run: ' + mw_msg + ')'}")
    print(table(rows, ["capture", "packets", "expected", "ndpiReader", "nDPI .out", "minewatch", "note"], left=(0, 6)))
    scored = [r for r in results if r["expected"].isdigit()]
    if scored:
        def agree(tool: str) -> str:
            ok = sum(1 for r in scored if "error" not in r[tool] and str(r[tool].get("mining")) == r["expected"])
            return f"{ok}/{len(scored)}"
        print(f"\ncount equals `expected` on {len(scored)} captures with a numeric expectation: "
              f"ndpiReader {agree('ndpiReader')}, minewatch {agree('minewatch') if mw_ok else 'n/a'}")
    if details:
        print("\nPer flow:")
        print("\n".join(details))
    (OUT / "detection.json").write_text(json.dumps({"ndpiReader": ver[0].strip() if ver else "",
                                                     "minewatch": "ran" if mw_ok else f"skipped: {mw_msg}",
                                                     "minewatch_src_sha256_12": minewatch_fingerprint(),
                                                     "captures": results}, indent=1, default=str))
    print(f"\nwrote {OUT / 'detection.json'}; raw tool output in {LOGS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
