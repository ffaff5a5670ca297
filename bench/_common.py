"""Shared helpers for the bench scripts: locating tools, running them pinned under GNU time,
parsing their output. Nothing here touches the network; everything written goes to bench/out/."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
LOGS = OUT / "logs"
MINEWATCH = REPO / ".venv" / "bin" / "minewatch"
GNU_TIME = "/usr/bin/time"


class ToolMissing(RuntimeError):
    pass


def need(tool: str, hint: str) -> str:
    """Absolute path of `tool` or a ToolMissing that says how to install it."""
    path = tool if os.path.isabs(tool) and os.access(tool, os.X_OK) else shutil.which(tool)
    if not path:
        raise ToolMissing(f"`{tool}` not found — {hint}")
    return path


def need_gnu_time() -> str:
    if not (os.path.exists(GNU_TIME) and os.access(GNU_TIME, os.X_OK)):
        raise ToolMissing(f"{GNU_TIME} not found — install the Debian package `time` (apt-get install time); "
                          "the shell builtin `time` cannot report peak RSS")
    r = subprocess.run([GNU_TIME, "-v", "true"], capture_output=True, text=True)
    if "Maximum resident set size" not in r.stderr:
        raise ToolMissing(f"{GNU_TIME} is not GNU time (no -v / 'Maximum resident set size')")
    return GNU_TIME


def minewatch_status(subcommand: str = "scan") -> tuple[bool, str]:
    """(usable, message). Usable when .venv/bin/minewatch exists and `minewatch scan --help` exits 0."""
    if not MINEWATCH.exists():
        return False, f"{MINEWATCH} does not exist (is the package installed in the venv?)"
    try:
        r = subprocess.run([str(MINEWATCH), subcommand, "--help"], capture_output=True, text=True,
                           timeout=120, cwd=REPO)
    except subprocess.TimeoutExpired:
        return False, f"`minewatch {subcommand} --help` did not finish in 120 s"
    if r.returncode != 0:
        last = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return False, f"`minewatch {subcommand} --help` exits {r.returncode}: {last[0]}"
    return True, "ok"


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rss_kb: int
    returncode: int
    stdout_path: Path | None = None
    stderr_tail: str = ""


@dataclass
class Series:
    name: str
    cmd: list[str]
    runs: list[Run] = field(default_factory=list)
    packets: int = 0

    @property
    def median_wall(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def median_cpu(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def peak_rss_kb(self) -> int:
        return max(r.rss_kb for r in self.runs)


_RSS = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")
_USER = re.compile(r"User time \(seconds\):\s*([\d.]+)")
_SYS = re.compile(r"System time \(seconds\):\s*([\d.]+)")


def timed(cmd: list[str], log_stem: str, stdout_to_file: bool = True, timeout: float | None = None,
          cwd: Path = REPO) -> Run:
    """Run `cmd` under GNU time -v; wall time from perf_counter around the whole child."""
    LOGS.mkdir(parents=True, exist_ok=True)
    out_path = LOGS / f"{log_stem}.stdout" if stdout_to_file else None
    err_path = LOGS / f"{log_stem}.stderr"
    with open(err_path, "w") as err, (open(out_path, "wb") if out_path else open(os.devnull, "wb")) as out:
        t0 = time.perf_counter()
        r = subprocess.run([GNU_TIME, "-v", *cmd], stdout=out, stderr=err, timeout=timeout, cwd=cwd)
        wall = time.perf_counter() - t0
    text = err_path.read_text(errors="replace")
    rss = _RSS.search(text)
    u, s = _USER.search(text), _SYS.search(text)
    tail = "\n".join(line for line in text.splitlines() if not line.startswith("\t"))[-2000:]
    return Run(wall, (float(u.group(1)) if u else 0.0) + (float(s.group(1)) if s else 0.0),
               int(rss.group(1)) if rss else -1, r.returncode, out_path, tail)


def count_packets(path: Path) -> int:
    """Packets in a classic pcap (any byte order / timestamp precision); pcapng via capinfos."""
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0] if len(head) >= 4 else 0
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            capinfos = shutil.which("capinfos")
            if not capinfos:
                raise ToolMissing(f"{path}: not a classic pcap and `capinfos` (Debian tshark/wireshark-common) is missing")
            r = subprocess.run([capinfos, "-M", "-c", str(path)], capture_output=True, text=True, check=True)
            m = re.search(r"Number of packets:\s*(\d+)", r.stdout)
            if not m:
                raise RuntimeError(f"{path}: capinfos gave no packet count")
            return int(m.group(1))
        n, off = 0, 24
        unpack = struct.Struct(endian + "IIII").unpack
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return n
            incl = unpack(rec)[2]
            f.seek(incl, 1)
            n += 1


def mem_available_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def fmt_rate(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f} M/s"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k/s"
    return f"{x:.0f} /s"


def table(rows: list[list[str]], header: list[str], left: tuple[int, ...] = (0,)) -> str:
    """Plain-text table; columns in `left` are left-aligned, the others right-aligned."""
    cols = list(zip(header, *rows))
    widths = [max(len(str(c)) for c in col) for col in cols]
    def line(cells):
        return "  ".join(str(c).ljust(w) if i in left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def die(msg: str, code: int = 2) -> None:
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


# ----------------------------------------------------------------------------- ndpiReader output

# "\t12\tTCP 10.0.2.15:53310 <-> 74.84.128.158:3333 [proto: 42/Mining][ClearText][Confidence: DPI]..."
NDPI_FLOW = re.compile(
    r"^\s*(?P<n>\d+)\s+(?P<l4>TCP|UDP|ICMP|ICMPV6|\S+)\s+(?P<a>\S+)\s+<->\s+(?P<b>\S+)\s+"
    r"\[proto:\s*(?P<proto_id>[\d.]+)/(?P<proto>[^\]]+)\](?P<rest>.*)$")


@dataclass
class NdpiFlow:
    l4: str
    a: str
    b: str
    proto: str
    confidence: str
    category: str

    @property
    def is_mining(self) -> bool:
        return "Mining" in self.proto.split(".") or self.category == "Mining"


def parse_ndpi_flows(text: str) -> list[NdpiFlow]:
    """Per-flow lines of `ndpiReader -v 2` (4.2) and of nDPI's test `.out` files (newer)."""
    flows = []
    for line in text.splitlines():
        m = NDPI_FLOW.match(line)
        if not m:
            continue
        rest = m.group("rest")
        conf = re.search(r"\[Confidence:\s*([^\]]+)\]", rest)
        cat = re.search(r"\[cat:\s*([^/\]]+)", rest)
        flows.append(NdpiFlow(m.group("l4"), m.group("a"), m.group("b"), m.group("proto"),
                              conf.group(1).strip() if conf else "", cat.group(1).strip() if cat else ""))
    return flows


SMOKE_PACKETS = 5000


def smoke_capture() -> Path:
    """A 5,000-packet capture from the same generator (same five mining sessions, cut short)."""
    sys.path.insert(0, str(BENCH))
    import gen_capture
    tiny = OUT / f"smoke_{SMOKE_PACKETS}_s1.pcap"
    if not tiny.exists():
        gen_capture.generate(SMOKE_PACKETS, tiny, 1, quiet=True)
    return tiny


def minewatch_smoke(timeout: float = 300) -> tuple[bool, str]:
    """`minewatch scan` on a tiny generated capture: (works, message)."""
    ok, msg = minewatch_status("scan")
    if not ok:
        return ok, msg
    tiny = smoke_capture()
    try:
        r = subprocess.run([str(MINEWATCH), "scan", str(tiny), "--db", ":memory:", "--json"],
                           capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return False, f"`minewatch scan {tiny.name}` (5,000 packets) did not finish in {timeout:.0f} s"
    if r.returncode != 0:
        lines = [l for l in r.stderr.strip().splitlines() if l.strip("│╰╭─ ")]
        return False, (f"`minewatch scan {tiny.name} --db :memory: --json` exits {r.returncode}: "
                       + (lines[-1].strip() if lines else "(no stderr)"))
    return True, "ok"


def minewatch_fingerprint() -> str:
    """Short hash of src/minewatch/**/*.py: ties numbers to the code they were measured on
    (the tree may be uncommitted)."""
    import hashlib
    h = hashlib.sha256()
    src = REPO / "src" / "minewatch"
    for p in sorted(src.rglob("*.py")):
        h.update(str(p.relative_to(src)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]
