"""Onset of a new load: O(n) step-up detectors over an account's daily series.

* :func:`best_step_up` — the single best split of the whole series. For every split k into a
  left part (baseline) and a right part, the two-sample t with pooled variance

      t(k) = (mean_R − mean_L) / sqrt(s² · (1/n_L + 1/n_R)),   s² = (SS_L + SS_R) / (n − 2)

  is computed for all k at once from prefix sums of x and x² (one pass); the largest positive t
  wins. Because SS_total = SS_between + SS_within, maximising t² is the least-squares single
  change point (ruptures' ``Dynp(model="l2")`` with one break), restricted to step-ups.
* :func:`mosum_step_up` — moving-window (MOSUM) t at every day, also from prefix sums: a
  household's seasons barely register over a few weeks, a switch-on does; its few largest peaks
  are further candidates.
* :func:`refine_step_up` — re-places an onset by the best split within a few weeks of it.
* :func:`backtrack_onset` — CUSUM of on/off days back to the first switch-on, so a miner that
  paused for days after starting keeps one onset (its first), not one per restart.

Missing days (NaN) are skipped, never treated as zero: a meter dropout cannot create a step.
Everything is vectorised over a matrix (accounts × days): millions of meters cost a few array
passes, no per-meter search (ruptures' Pelt takes seconds per meter).
"""

from __future__ import annotations

import numpy as np

T_CAP = 1e6     # a noise-free synthetic step gives an infinite t; keep numbers finite


def best_step_up(x: np.ndarray, min_side: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``x`` (accounts × days, NaN = missing): ``(onset_col, t)``.

    ``onset_col`` is the column of the first valid day of the right segment (−1 where the row has
    fewer than ``2 × min_side`` valid days or no step up); ``t`` the statistic there (0 if none).
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    a, d = x.shape
    valid = ~np.isnan(x)
    n_tot = valid.sum(axis=1)
    onset = np.full(a, -1, dtype=np.int64)
    tbest = np.zeros(a)
    if a == 0 or d == 0:
        return onset, tbest
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = np.where(n_tot > 0, np.nansum(x, axis=1) / np.maximum(n_tot, 1), 0.0)
        x0 = np.where(valid, x - mu[:, None], 0.0)      # centred: no cancellation in SS
        s1 = np.cumsum(x0, axis=1)
        s2 = np.cumsum(x0 * x0, axis=1)
        nl = np.cumsum(valid, axis=1).astype(np.float64)
        t1, t2, n = s1[:, -1:], s2[:, -1:], nl[:, -1:]
        nr = n - nl
        ssl = s2 - s1 * s1 / nl
        ssr = (t2 - s2) - (t1 - s1) ** 2 / nr
        var = (ssl + ssr) / (n - 2)
        scale = (t2 / np.maximum(n, 1)) + mu[:, None] ** 2 + 1e-300
        var = np.maximum(var, 1e-12 * scale)
        t = ((t1 - s1) / nr - s1 / nl) / np.sqrt(var * (1.0 / nl + 1.0 / nr))
    ok = valid & (nl >= min_side) & (nr >= min_side) & np.isfinite(t)
    t = np.where(ok, np.minimum(t, T_CAP), -np.inf)
    j = np.argmax(t, axis=1)
    rows = np.arange(a)
    tj = t[rows, j]
    has = np.isfinite(tj) & (tj > 0)
    # the onset is the first valid day after the split column j
    idx = np.where(valid, np.arange(d)[None, :], d)
    next_valid = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
    jn = np.minimum(j + 1, d - 1)
    onset = np.where(has, next_valid[rows, jn], -1).astype(np.int64)
    tbest = np.where(has, tj, 0.0)
    return onset, tbest


def step_up_1d(x: np.ndarray, min_side: int = 7) -> tuple[int, float]:
    """One series: ``(onset_index, t)``; onset −1 when there is no step up."""
    o, t = best_step_up(np.asarray(x, dtype=np.float64)[None, :], min_side)
    return int(o[0]), float(t[0])


def local_step_t(x: np.ndarray, window: int, min_side: int = 3) -> np.ndarray:
    """Moving-window (MOSUM) t of a step up at every position of each row, in O(n).

    T_k compares the ``window`` values before position k with the ``window`` values from k on
    (fewer at the ends, at least ``min_side``): (mean_R − mean_L) / sqrt(var_L/n_L + var_R/n_R).
    Rows must be compressed (valid values first, NaN padding only at the end). Slow drifts
    (seasons) hardly register over a few weeks; a switch-on does. −inf where undefined.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    a, d = x.shape
    valid = ~np.isnan(x)
    n = valid.sum(axis=1)[:, None]
    mu = np.where(n > 0, np.nansum(x, axis=1)[:, None] / np.maximum(n, 1), 0.0)
    x0 = np.where(valid, x - mu, 0.0)
    z = np.zeros((a, 1))
    s1 = np.concatenate([z, np.cumsum(x0, axis=1)], axis=1)       # s[k] = sum of the first k
    s2 = np.concatenate([z, np.cumsum(x0 * x0, axis=1)], axis=1)
    k = np.arange(d)[None, :]
    w = window
    # prefix sums are flat past the last valid value (padding adds 0), so the window ends need
    # no per-row clamping: edge-padding by w turns them into three contiguous slices
    p1 = np.pad(s1, ((0, 0), (w, w)), mode="edge")
    p2 = np.pad(s2, ((0, 0), (w, w)), mode="edge")
    nl = np.minimum(k, w).astype(np.float64)
    nr = (np.minimum(k + w, n) - k).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sl, sr = p1[:, w:w + d] - p1[:, :d], p1[:, 2 * w:2 * w + d] - p1[:, w:w + d]
        ql, qr = p2[:, w:w + d] - p2[:, :d], p2[:, 2 * w:2 * w + d] - p2[:, w:w + d]
        ml, mr = sl / nl, sr / nr
        vl = np.maximum(ql / nl - ml * ml, 0) * nl / np.maximum(nl - 1, 1)
        vr = np.maximum(qr / nr - mr * mr, 0) * nr / np.maximum(nr - 1, 1)
        scale = np.maximum(np.abs(mu), 1.0)
        t = (mr - ml) / np.sqrt(vl / nl + vr / nr + 1e-12 * scale * scale)
    ok = (nl >= min_side) & (nr >= min_side) & (k < n) & np.isfinite(t)
    return np.where(ok, np.minimum(t, T_CAP), -np.inf)


def mosum_step_up(x: np.ndarray, window: int, min_side: int = 3, peaks: int = 1):
    """Per row, the ``peaks`` largest moving-window steps up, at least ``window`` apart:
    a list of ``(onset, t)`` pairs, best first (onset −1 where there is none)."""
    t = local_step_t(x, window, min_side)
    a, d = t.shape
    out = []
    rows = np.arange(a)
    for _ in range(peaks):
        if d == 0:
            out.append((np.full(a, -1, dtype=np.int64), np.zeros(a)))
            continue
        j = np.argmax(t, axis=1)
        tj = t[rows, j]
        has = np.isfinite(tj) & (tj > 0)
        out.append((np.where(has, j, -1).astype(np.int64), np.where(has, tj, 0.0)))
        near = np.abs(np.arange(d)[None, :] - j[:, None]) < window
        t = np.where(near, -np.inf, t)
    return out


def refine_step_up(x: np.ndarray, onset: np.ndarray, window: int, min_side: int) -> np.ndarray:
    """Re-place each onset by the best step-up within ``window`` days either side of it.

    The whole-series split is pulled towards slow drifts (a household's seasons); within a few
    weeks of the switch-on the local split is exact. O(window) per account.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    a, d = x.shape
    if a == 0 or d == 0:
        return onset
    at = np.maximum(onset, 0)
    idx = at[:, None] + np.arange(-window, window)[None, :]
    inside = (idx >= 0) & (idx < d)
    sub = np.where(inside, x[np.arange(a)[:, None], np.clip(idx, 0, d - 1)], np.nan)
    local, _ = best_step_up(sub, min_side)
    ok = (onset >= 0) & (local >= 0)
    return np.where(ok, at - window + local, onset)


def _gather(x: np.ndarray, at: np.ndarray, lo: int, hi: int) -> np.ndarray:
    idx = at[:, None] + np.arange(lo, hi)[None, :]
    inside = (idx >= 0) & (idx < x.shape[1])
    return np.where(inside, x[np.arange(x.shape[0])[:, None], np.clip(idx, 0, x.shape[1] - 1)],
                    np.nan)


def backtrack_onset(x: np.ndarray, onset: np.ndarray, threshold: np.ndarray,
                    window: int) -> np.ndarray:
    """Move each onset back to the start of the "on" state, across pauses: CUSUM of on/off days.

    A day is "on" when above ``threshold`` (half-way between baseline and new level). Within
    ``window`` days either side of the onset, S_j = Σ_{i<j} (on_i − ½) falls through the baseline
    and rises once the load runs; its minimum is the switch-on. A pause shorter than the run
    before it only dents S, so a miner that started, stopped for days and restarted keeps its
    first start. Missing days count neither way. O(window) per account.
    """
    a = x.shape[0] if x.ndim == 2 else 0
    if a == 0:
        return onset
    at = np.maximum(onset, 0)
    sub = _gather(x, at, -window, window)
    with np.errstate(invalid="ignore"):
        step = np.where(np.isnan(sub), 0.0, (sub > threshold[:, None]) - 0.5)
    s = np.concatenate([np.zeros((a, 1)), np.cumsum(step, axis=1)], axis=1)[:, :-1]
    # only valid days at or before the onset can be the first switch-on
    s = np.where(np.isnan(sub) | (np.arange(2 * window)[None, :] > window), np.inf, s)
    j = np.argmin(s, axis=1)
    ok = (onset >= 0) & np.isfinite(threshold) & np.isfinite(s[np.arange(a), j])
    return np.where(ok, at - window + j, onset)
