"""Which build of the packet kernel runs: the ahead-of-time one (`build_kernel.py`) when it was
built from the current source, else Numba's JIT of the same source. MINEWATCH_KERNEL=jit forces
the JIT (tests compare the two)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).parent
STAMP = HERE / "_kernel_aot.hash"


def source_hash() -> str:
    h = hashlib.sha256()
    for name in ("_kernel.py", "_layout.py"):
        h.update((HERE / name).read_bytes())
    return h.hexdigest()


def load() -> tuple[ModuleType, str]:
    if os.environ.get("MINEWATCH_KERNEL", "").lower() != "jit":
        try:
            if STAMP.read_text().strip() == source_hash():
                from . import _kernel_aot
                return _kernel_aot, "aot"
        except (OSError, ImportError):
            pass   # not built, or built from other source: the JIT path is always there
    from . import _kernel
    return _kernel, "jit"


kernel, kind = load()
