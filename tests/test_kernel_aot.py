"""The ahead-of-time kernel is built by `make setup` and computes exactly what the JIT does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from minewatch.sources import _engine

from .conftest import REAL, SYNTH

DUMP = """
import json, sys
from minewatch.sources import _engine
from minewatch.sources.pcap import read_capture
out = []
for path in sys.argv[1:]:
    for r in read_capture(path, all_names=True):
        d = {k: getattr(r, k) for k in r.__slots__ if k != "conn"}
        if hasattr(r, "conn"):
            d["conn"] = [r.conn.client, r.conn.server, r.conn.syn_seen]
        out.append({k: (v.hex() if isinstance(v, bytes) else v) for k, v in d.items()})
print(json.dumps({"kind": _engine.kind, "records": out}, default=str))
"""

FILES = [REAL / "ndpi/mining.pcapng", REAL / "benign/netflix.pcap",
         SYNTH / "link_pcapng_multi_if.pcapng", SYNTH / "tcp_reorder.pcap"]


def _dump(kernel: str) -> dict:
    env = dict(os.environ, MINEWATCH_KERNEL=kernel)
    proc = subprocess.run([sys.executable, "-c", DUMP, *map(str, FILES)], env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_the_ahead_of_time_kernel_is_in_use():
    assert _engine.kind == "aot", "run `make setup` (python -m minewatch.sources.build_kernel)"


def test_aot_and_jit_give_identical_records():
    aot, jit = _dump("aot"), _dump("jit")
    assert aot["kind"] == "aot" and jit["kind"] == "jit"
    assert len(aot["records"]) > 100
    assert aot["records"] == jit["records"]
