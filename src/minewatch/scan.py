"""The scan job: packet captures → records → detectors → evidence → store.

Kept apart from the CLI so the API, the demo and tests run the same job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .errors import CaptureError, NotACaptureError
from .evidence import Evidence
from .records import CaptureStats
from .sources.pcap import PCAP_MAGICS, PCAPNG_SHB, read_capture

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".dmp")


@dataclass
class ScanResult:
    evidence: list[Evidence] = field(default_factory=list)
    files: list[CaptureStats] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)     # files that could not be read at all
    new_rows: int = 0

    @property
    def warnings(self) -> list[str]:
        return [w for f in self.files for w in f.warnings]

    def sessions(self) -> list[Evidence]:
        return [e for e in self.evidence if e.entity_kind == "ip:port"]

    def hosts(self) -> list[Evidence]:
        return [e for e in self.evidence if e.entity_kind == "ip"]


def looks_like_capture(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return head in PCAP_MAGICS or head == PCAPNG_SHB or head[:2] == b"\x1f\x8b" and \
        path.name.endswith(CAPTURE_SUFFIXES)


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Files named directly are taken as given (a non-capture is an error later); folders are
    walked, keeping files that look like captures, in a stable order."""
    out: list[Path] = []
    errors: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    f = Path(root) / name
                    if looks_like_capture(f):
                        out.append(f)
        elif p.exists():
            out.append(p)
        else:
            errors.append(f"{p}: no such file or folder")
    return out, errors


DEFAULT_VERIFY = 8   # shares recomputed per session: one valid share already proves hashing, and
                     # RandomX costs ~35 ms a hash; `--verify N` raises it


def scan_paths(paths: Iterable[str | Path], store=None,
               progress: Callable[[str, int, int], None] | None = None,
               verify: int = DEFAULT_VERIFY, verify_randomx: bool = False) -> ScanResult:
    """Scan captures; evidence goes to `store` (if given). `progress(file, done, total)` is
    called with byte counts; `verify` shares per session are recomputed."""
    from .detectors.stratum import StratumDetector

    files, errors = expand(paths)
    result = ScanResult(errors=errors)
    total = sum(f.stat().st_size for f in files) or 1
    done_before = 0
    detector = StratumDetector(verify_limit=verify, verify_randomx=verify_randomx)
    for f in files:
        stats = CaptureStats(str(f))
        size = f.stat().st_size
        cb = (lambda n, _f=str(f), _b=done_before: progress(_f, _b + min(n, size), total)) \
            if progress else None
        try:
            for rec in read_capture(f, stats, cb):
                detector.feed_record(rec)
        except NotACaptureError as e:
            result.errors.append(str(e))
            continue
        except CaptureError as e:
            stats.warnings.append(str(e))
        except OSError as e:
            result.errors.append(f"{f}: {e.strerror or e}")
            continue
        result.files.append(stats)
        done_before += size
        if progress:
            progress(str(f), done_before, total)
    result.evidence = detector.finish()
    if store is not None:
        result.new_rows = store.add(result.evidence)
        for st in result.files:
            n = sum(1 for e in result.evidence if e.entity_kind == "ip:port"
                    and e.provenance.get("file") == st.path)
            p = Path(st.path)
            store.record_scan(st.path, p.stat().st_size, p.stat().st_mtime, st.frames, n,
                              st.warnings)
    return result
