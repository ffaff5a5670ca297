#!/usr/bin/env python3
"""Throughput and memory, side by side: ndpiReader vs `minewatch scan` vs reading the file from the
page cache, on one pinned core, alternating runs, medians and ratios.

    .venv/bin/python bench/bench_throughput.py [--packets 1500000] [--reps 3] [--capture FILE]
                                               [--core 0] [--big-factor 4] [--no-memcheck]
                                               [--no-benign] [--no-minewatch]

Generates bench/out/mixed_<N>_s<seed>.pcap with bench/gen_capture.py unless it exists (or --capture
is given), warms the page cache, then runs every contender --reps times, round-robin (the order
rotates every repetition, so no one always runs first), each pinned to one core under
/usr/bin/time -v (peak RSS):

  ndpiReader   taskset -c CORE ndpiReader -i FILE -q          (a pcap file is always read by one
                                                               thread; -q: no stdout; no -w/-C/-j)
  minewatch    taskset -c CORE .venv/bin/minewatch scan FILE --db :memory: --json   (stdout to a file)
  cat          taskset -c CORE cat FILE                       (stdout to /dev/null)
  py-8MB       taskset -c CORE python -c "<readinto an 8 MB buffer until EOF>"

In the same alternation, ndpiReader and minewatch also run on
  @5k      a 5,000-packet capture of the same generator (same five mining sessions, cut short):
           the fixed cost (start-up, imports/JIT, per-session work such as share verification)
  /benign  the same-size capture without the mining sessions (gen_capture --no-mining): the cost
           of plain traffic alone (skip with --no-benign)

Then the memory-bound check: a capture --big-factor times larger goes through minewatch and
ndpiReader once each, and both peak RSS are printed. Results: tables on stdout and
bench/out/throughput.json; child stdout/stderr in bench/out/logs/.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (MINEWATCH, OUT, SMOKE_PACKETS, Series, ToolMissing, count_packets, die,  # noqa: E402
                     fmt_rate, mem_available_bytes, minewatch_fingerprint, minewatch_smoke, need,
                     need_gnu_time, smoke_capture, table, timed)

PY_READ = ("import sys\n"
           "b = bytearray(8 << 20); m = memoryview(b); n = 0\n"
           "with open(sys.argv[1], 'rb', buffering=0) as f:\n"
           "    while (k := f.readinto(m)):\n"
           "        n += k\n"
           "print(n)\n")


def ensure_capture(packets: int, seed: int, mining: bool = True) -> tuple[Path, int]:
    path = OUT / f"mixed_{packets}_s{seed}{'' if mining else '_nomining'}.pcap"
    truth = Path(str(path) + ".truth.json")
    if path.exists() and truth.exists():
        try:
            if json.loads(truth.read_text()).get("packets") == packets:
                print(f"reusing {path}", file=sys.stderr)
                return path, packets
        except (OSError, ValueError):
            pass
    import gen_capture
    gen_capture.generate(packets, path, seed, mining=mining)
    return path, packets


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def cpu_count() -> int:
    import os
    return os.cpu_count() or 1


def warm(path: Path) -> None:
    size = path.stat().st_size
    avail = mem_available_bytes()
    if avail is not None and size > 0.7 * avail:
        print(f"warning: {path.name} is {size / 1e9:.1f} GB but only {avail / 1e9:.1f} GB is available: "
              "it may not stay in the page cache; the page-cache row and all ratios are then suspect",
              file=sys.stderr)
    with open(path, "rb", buffering=0) as f:
        b = bytearray(8 << 20)
        while f.readinto(b):
            pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--packets", type=int, default=1_500_000, help="size of the generated capture (>= 1.5 M for the record)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--capture", type=Path, default=None,
                    help="use this capture instead of generating one (no /benign rows, no memory check)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per contender (>= 3; medians are reported)")
    ap.add_argument("--core", type=int, default=0, help="CPU to pin every contender to (taskset -c)")
    ap.add_argument("--big-factor", type=int, default=4, help="memory check: capture this many times larger")
    ap.add_argument("--no-memcheck", action="store_true", help="skip the larger-capture peak-RSS check")
    ap.add_argument("--no-benign", action="store_true", help="skip the runs on the capture without mining")
    ap.add_argument("--no-minewatch", action="store_true", help="benchmark only ndpiReader and the page cache")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before one run is abandoned")
    a = ap.parse_args(argv)
    if a.reps < 3:
        ap.error("--reps must be at least 3 (medians of fewer runs mean little on a shared machine)")

    try:
        need_gnu_time()
        taskset = need("taskset", "install the Debian package `util-linux`")
        ndpi = need("ndpiReader", "install the Debian package `libndpi-bin`")
        cat = need("cat", "coreutils")
    except ToolMissing as e:
        die(str(e))
    mw_ok, mw_msg = (False, "disabled by --no-minewatch") if a.no_minewatch else minewatch_smoke()
    if not mw_ok:
        print(f"minewatch: SKIPPED — {mw_msg}", file=sys.stderr)
    OUT.mkdir(parents=True, exist_ok=True)
    pin = [taskset, "-c", str(a.core)]

    if a.capture is not None:
        if not a.capture.exists():
            die(f"--capture {a.capture}: no such file")
        cap, packets = a.capture, count_packets(a.capture)
    else:
        cap, packets = ensure_capture(a.packets, a.seed)
    size = cap.stat().st_size

    def contenders(path: Path, n: int, suffix: str = "", io: bool = False) -> list[Series]:
        s = [Series("ndpiReader" + suffix, pin + [ndpi, "-i", str(path), "-q"], packets=n)]
        if mw_ok:
            s.append(Series("minewatch" + suffix, pin + [str(MINEWATCH), "scan", str(path), "--db", ":memory:",
                                                         "--json"], packets=n))
        if io:
            s.append(Series("cat", pin + [cat, str(path)], packets=n))
            s.append(Series("py-8MB", pin + [sys.executable, "-c", PY_READ, str(path)], packets=n))
        return s

    series = contenders(cap, packets, io=True)
    fixed = contenders(smoke_capture(), SMOKE_PACKETS, "@5k")
    benign: list[Series] = []
    if not a.no_benign and a.capture is None:
        bcap, _ = ensure_capture(packets, a.seed, mining=False)
        warm(bcap)
        benign = contenders(bcap, packets, "/benign")
    print(f"capture: {cap} ({packets:,} packets, {size / 1e6:,.0f} MB); {a.reps} alternating reps, "
          f"pinned to CPU {a.core}", file=sys.stderr)
    warm(cap)
    load_before = loadavg()

    def alive() -> list[Series]:
        return [s for s in series + fixed + benign if mw_ok or not s.name.startswith("minewatch")]

    for rep in range(a.reps):
        everything = alive()
        order = everything[rep % len(everything):] + everything[:rep % len(everything)]
        for s in order:
            if s not in alive():
                continue
            run = timed(s.cmd, f"tp_{s.name.replace('/', '_')}_{rep}", stdout_to_file=s.name.startswith("minewatch"),
                        timeout=a.timeout)
            if run.returncode != 0 and s.name.startswith("minewatch"):
                mw_ok, mw_msg = False, f"{s.name} failed (exit {run.returncode}): {run.stderr_tail[-300:]}"
                print(f"minewatch: DROPPED — {mw_msg}", file=sys.stderr)
                continue
            if run.returncode != 0:
                die(f"{s.name} failed (exit {run.returncode}): {' '.join(s.cmd)}\n{run.stderr_tail}")
            s.runs.append(run)
            print(f"  rep {rep + 1}/{a.reps}  {s.name:<18} {run.wall_s:8.3f} s wall  {run.cpu_s:8.3f} s cpu  "
                  f"{run.rss_kb / 1024:8.1f} MB peak RSS", file=sys.stderr)

    done = alive()
    by = {s.name: s for s in done}
    rows = []
    for s in done:
        rows.append([s.name, f"{s.packets:,}", f"{s.median_wall:.3f}",
                     f"{min(r.wall_s for r in s.runs):.3f}-{max(r.wall_s for r in s.runs):.3f}",
                     f"{s.median_cpu:.3f}", fmt_rate(s.packets / s.median_wall),
                     f"{s.peak_rss_kb / 1024:.1f}"])
    print()
    print(f"Throughput — {cap.name}: {packets:,} packets, {size / 1e6:,.0f} MB; median of {a.reps} alternating "
          f"runs, each pinned to CPU {a.core} ({platform.node()}); minewatch source {minewatch_fingerprint()}")
    print(table(rows, ["run", "packets", "median s", "range s", "cpu s", "packets/s", "peak RSS MB"]))
    load_after = loadavg()
    busy = max(load_before, load_after) > 1 + 0.25 * cpu_count()     # the benchmark itself adds ~1
    print(f"load average (1 min) before / after: {load_before} / {load_after} on {cpu_count()} CPUs "
          f"(this benchmark adds ~1)" + ("  — the machine was busy: prefer the CPU-second ratio" if busy else ""))
    print()
    ratios: dict[str, float] = {}
    cache = min((by["cat"], by["py-8MB"]), key=lambda s: s.median_wall)
    nd = by["ndpiReader"]
    print(f"page cache reference = {cache.name} (the faster of cat / py-8MB): "
          f"{size / cache.median_wall / 1e6:,.0f} MB/s")
    ratios["ndpiReader_over_pagecache"] = cache.median_wall / nd.median_wall
    print(f"ndpiReader / page cache (packets/s):                               {ratios['ndpiReader_over_pagecache']:.3f}")
    if mw_ok:
        mw = by["minewatch"]
        ratios["minewatch_over_ndpiReader"] = nd.median_wall / mw.median_wall
        ratios["minewatch_over_pagecache"] = cache.median_wall / mw.median_wall
        ratios["minewatch_rss_over_ndpiReader_rss"] = mw.peak_rss_kb / nd.peak_rss_kb
        print(f"minewatch / ndpiReader (packets/s; > 1: minewatch faster):         "
              f"{ratios['minewatch_over_ndpiReader']:.3f}")
        print(f"minewatch / page cache (packets/s; 1.0 = as fast as reading):      "
              f"{ratios['minewatch_over_pagecache']:.3f}")
        ratios["minewatch_over_ndpiReader_cpu"] = nd.median_cpu / mw.median_cpu
        print(f"minewatch / ndpiReader (by CPU seconds, less noise-sensitive):     "
              f"{ratios['minewatch_over_ndpiReader_cpu']:.3f}")
        print(f"minewatch / ndpiReader (peak RSS; < 1: minewatch smaller):         "
              f"{ratios['minewatch_rss_over_ndpiReader_rss']:.2f}")
        if "minewatch/benign" in by and "ndpiReader/benign" in by:
            ratios["benign_minewatch_over_ndpiReader"] = by["ndpiReader/benign"].median_wall / by["minewatch/benign"].median_wall
            print(f"without the mining sessions: minewatch / ndpiReader (packets/s):   "
                  f"{ratios['benign_minewatch_over_ndpiReader']:.3f}")
        for name in ("ndpiReader", "minewatch"):
            if f"{name}@5k" in by:
                dt = by[name].median_wall - by[f"{name}@5k"].median_wall
                ratios[f"{name}_marginal_pps"] = (packets - SMOKE_PACKETS) / dt if dt > 0 else float("inf")
        if "minewatch_marginal_pps" in ratios and "ndpiReader_marginal_pps" in ratios:
            ratios["minewatch_over_ndpiReader_marginal"] = (ratios["minewatch_marginal_pps"]
                                                            / ratios["ndpiReader_marginal_pps"])
            print(f"minewatch / ndpiReader, fixed cost removed (marginal packets/s):  "
                  f"{ratios['minewatch_over_ndpiReader_marginal']:.3f}   "
                  f"[marginal = ({packets:,} - {SMOKE_PACKETS:,}) / (median - median@5k): "
                  f"minewatch {fmt_rate(ratios['minewatch_marginal_pps'])}, "
                  f"ndpiReader {fmt_rate(ratios['ndpiReader_marginal_pps'])}]")
    else:
        print(f"minewatch: not measured — {mw_msg}")

    memcheck = None
    if a.no_memcheck:
        pass
    elif a.capture is not None:
        print("\nmemory check: skipped with --capture (it needs a generated capture of known size)")
    else:
        big, big_packets = ensure_capture(packets * a.big_factor, a.seed)
        warm(big)
        mem_rows = []
        memcheck = {"small": str(cap), "big": str(big), "small_packets": packets, "big_packets": big_packets}
        big_series = {s.name: s for s in contenders(big, big_packets)}
        for name in ("ndpiReader", "minewatch"):
            if name not in by:
                continue
            small_s, s_big = by[name], big_series[name]
            run = timed(s_big.cmd, f"mem_{name}_big", stdout_to_file=name == "minewatch",
                        timeout=a.timeout * a.big_factor)
            if run.returncode != 0:
                print(f"{name} failed on {big} (exit {run.returncode}):\n{run.stderr_tail}", file=sys.stderr)
                memcheck[name] = {"error": f"exit {run.returncode}"}
                mem_rows.append([name, f"{small_s.peak_rss_kb / 1024:.1f}", "FAILED", "-", "-", "-"])
                continue
            grow = run.rss_kb / small_s.peak_rss_kb
            mem_rows.append([name, f"{small_s.peak_rss_kb / 1024:.1f}", f"{run.rss_kb / 1024:.1f}", f"{grow:.2f}",
                             f"{run.wall_s:.2f}", fmt_rate(big_packets / run.wall_s)])
            memcheck[name] = {"rss_small_kb": small_s.peak_rss_kb, "rss_big_kb": run.rss_kb, "growth": grow,
                              "big_wall_s": run.wall_s}
        print(f"\nMemory bound — peak RSS on {packets:,} vs {big_packets:,} packets ({big.stat().st_size / 1e6:,.0f} MB, "
              f"{a.big_factor}x the flows); bounded means growth ≈ 1.0, proportional ≈ {a.big_factor}")
        print(table(mem_rows, ["tool", f"RSS MB @{packets / 1e6:g}M", f"RSS MB @{big_packets / 1e6:g}M", "growth",
                               "wall s @big (1 run)", "packets/s @big"]))

    ver = [l.replace("Welcome to ", "").strip() for l in
           subprocess.run([ndpi, "-h"], capture_output=True, text=True).stdout.splitlines()[:1]]
    result = {
        "capture": str(cap), "packets": packets, "bytes": size, "reps": a.reps, "core": a.core,
        "ndpiReader": ver[0] if ver else "", "minewatch": "measured" if mw_ok else f"skipped: {mw_msg}",
        "minewatch_src_sha256_12": minewatch_fingerprint(),
        "series": {s.name: {"cmd": s.cmd, "packets": s.packets, "wall_s": [r.wall_s for r in s.runs],
                            "cpu_s": [r.cpu_s for r in s.runs], "rss_kb": [r.rss_kb for r in s.runs],
                            "median_wall_s": s.median_wall, "packets_per_s": s.packets / s.median_wall}
                   for s in done},
        "page_cache_reference": cache.name, "ratios": ratios, "memcheck": memcheck,
        "loadavg_before_after": [load_before, load_after],
    }
    (OUT / "throughput.json").write_text(json.dumps(result, indent=1))
    print(f"\nwrote {OUT / 'throughput.json'}; logs in {OUT / 'logs'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
