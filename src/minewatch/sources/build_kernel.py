"""Ahead-of-time build of the packet kernel (`python -m minewatch.sources.build_kernel`).

The JIT path works without this, but every process then pays ~0.5 s to import Numba and load its
cached code: a quarter of a 1.5 M-packet scan (bench/bench_throughput.py). `make setup` runs this;
`_kernel_aot*.so` is a build product next to this file, never committed. The same Python source
is compiled either way, so both paths compute the same thing (tests/test_kernel_aot.py).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

A_U8 = "uint8[::1]"
A_I64_2D = "int64[:, ::1]"
A_F64_2D = "float64[:, ::1]"
A_I64 = "int64[::1]"
A_F64 = "float64[::1]"
A_U8_2D = "uint8[:, ::1]"
TAIL = f"{A_I64_2D}, {A_F64_2D}, {A_I64}, {A_I64_2D}, {A_F64}, {A_I64_2D}, {A_F64_2D}"

SIGNATURES = {
    "walk_pcap": (f"UniTuple(int64, 5)({A_U8}, int64, int64, boolean, float64, int64, int64, "
                  f"int64, {TAIL}, {A_I64}, float64, {A_I64_2D}, {A_F64}, {A_U8_2D})"),
    "walk_pcapng": (f"Tuple((int64, int64, int64, int64, int64, float64))({A_U8}, int64, int64, "
                    f"boolean, {A_I64}, {A_F64}, float64, int64, int64, {TAIL}, {A_I64}, "
                    f"float64, {A_I64_2D}, {A_F64}, {A_U8_2D})"),
    "sweep": f"int64({A_I64_2D}, {A_F64_2D}, float64, float64, {A_I64_2D}, {A_F64_2D}, int64)",
}


def build(out_dir: Path | None = None) -> Path:
    from numba.pycc import CC

    from . import _kernel as K
    out_dir = out_dir or Path(__file__).parent
    cc = CC("_kernel_aot")
    cc.output_dir = str(out_dir)
    cc.verbose = False
    for name, sig in SIGNATURES.items():
        cc.export(name, sig)(getattr(K, name).py_func)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cc.compile()
    from ._engine import STAMP, source_hash
    STAMP.write_text(source_hash() + "\n")
    return out_dir


if __name__ == "__main__":
    print(f"built the packet kernel in {build()}", file=sys.stderr)
