"""Do two engines' score tables agree? (DuckDB vs Spark, in tests and in bench/.)

Exact: the accounts and their order, every non-float column (flags, onsets, reasons, rule hits,
tariff class, region, peer scope and count, day counts, first/last day and reading, …) and where
each float column is null/NaN.

Floats (scores, power ranges, features, points): ``|a − b| ≤ rel · max(|a|, |b|) + abs_``, by
default rel = abs_ = 1e-9. Why not bit-equal: step 1 sums a day's readings (and, per account,
numpy sums the days) in an order each engine chooses; a float sum in another order differs in
the last bits (~1e-16 relative for the ≤ 96 readings of a day). The features are medians,
quantiles and ratios of those sums, which carry such an error through with a small factor; the
largest seen on tests/data/meters/population_small is 5e-15 relative on scores and 2e-11 W
absolute on power ranges. 1e-9 leaves six orders of magnitude of room for that, and is still
far below anything that shows in a score (printed to 2 decimals) or a power range (W).
A discontinuity can turn such an ulp into a different decision (an onset candidate chosen on an
exact tie, a threshold met exactly); the exact columns above are there to catch that.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def diff_scores(a: pa.Table, b: pa.Table, rel: float = 1e-9, abs_: float = 1e-9,
                limit: int = 5) -> list[str]:
    """Differences between two score tables (empty list = the same results), each a readable
    line naming the column and a few accounts."""
    out: list[str] = []
    if set(a.column_names) != set(b.column_names):
        out.append(f"columns differ: only in a {sorted(set(a.column_names) - set(b.column_names))}, "
                   f"only in b {sorted(set(b.column_names) - set(a.column_names))}")
    acc_a, acc_b = a.column("account"), b.column("account")
    if not acc_a.equals(acc_b):
        out.append(f"accounts differ ({a.num_rows} vs {b.num_rows} rows, or another order)")
        return out
    acc = acc_a.to_pylist()
    for name in a.column_names:
        if name not in b.column_names:
            continue
        x, y = a.column(name), b.column(name)
        if pa.types.is_floating(x.type) and pa.types.is_floating(y.type):
            xv, yv = _floats(x), _floats(y)
            nx, ny = np.isnan(xv), np.isnan(yv)
            with np.errstate(invalid="ignore"):
                far = np.abs(xv - yv) > rel * np.maximum(np.abs(xv), np.abs(yv)) + abs_
            bad = (nx != ny) | (far & ~nx & ~ny)
            if bad.any():
                i = np.flatnonzero(bad)
                ex = ", ".join(f"{acc[k]}: {xv[k]!r} vs {yv[k]!r}" for k in i[:limit])
                out.append(f"{name}: {len(i)} accounts beyond rel {rel:g} / abs {abs_:g} ({ex})")
            continue
        if x.type != y.type:
            out.append(f"{name}: type {x.type} vs {y.type}")
            continue
        xl, yl = x.to_pylist(), y.to_pylist()
        i = [k for k in range(len(xl)) if xl[k] != yl[k]]
        if i:
            ex = "; ".join(f"{acc[k]}: {xl[k]!r} vs {yl[k]!r}" for k in i[:limit])
            out.append(f"{name}: {len(i)} accounts differ ({ex})")
    return out
