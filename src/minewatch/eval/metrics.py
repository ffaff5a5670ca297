"""Scoring a detector against a population's truth, and the baseline it must beat.

Pure numpy. Conventions:
- positives are mining meters (``is_miner``); "≥ 1 kW" recall counts meters whose miners *draw*
  at least 1 kW while running (``miner_kw_drawn``: nominal × throttle) — a split owner's meters
  each count on their own;
- at an equal alarm count k, a detector's alarms are its k highest scores, ties broken by the
  order of the accounts (stable), so the figure never depends on a threshold;
- onset error: |detected onset − true onset| in days, over true positives whose true onset lies
  inside the window and whose detector gave one;
- the baseline rule "monthly kWh over N": sum each account's readings per calendar month in local
  time (+08:00 by default; duplicate (account, timestamp) rows counted once), flag the accounts
  whose any month exceeds N kWh, rank everyone by their largest month.
"""

from __future__ import annotations

import numpy as np

DAY_S = 86_400


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve = P(score of a random positive > a random negative), ties ½
    (Mann–Whitney U with average ranks). NaN when a class is empty; NaN scores count as lowest."""
    s = np.asarray(scores, float)
    y = np.asarray(labels, bool)
    s = np.where(np.isnan(s), -np.inf, s)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ss = s[order]
    ranks = np.empty(len(s), float)
    # average ranks over ties
    edges = np.flatnonzero(np.diff(ss) != 0) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(s)]])
    avg = (starts + ends + 1) / 2.0            # 1-based average rank of each tie group
    ranks[order] = np.repeat(avg, ends - starts)
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def precision_recall(flagged, positive) -> tuple[float, float]:
    f = np.asarray(flagged, bool)
    p = np.asarray(positive, bool)
    tp = int((f & p).sum())
    prec = tp / int(f.sum()) if f.any() else float("nan")
    rec = tp / int(p.sum()) if p.any() else float("nan")
    return prec, rec


def top_k(scores, k: int) -> np.ndarray:
    """Boolean mask of the k highest scores (NaN lowest; ties by position, stable)."""
    s = np.asarray(scores, float)
    s = np.where(np.isnan(s), -np.inf, s)
    k = max(0, min(int(k), len(s)))
    order = np.argsort(-s, kind="mergesort")
    out = np.zeros(len(s), bool)
    out[order[:k]] = True
    return out


def onset_errors(predicted, true, mask=None) -> np.ndarray:
    """|predicted − true| in days (float) where both are known (and mask, if given)."""
    p = np.asarray(predicted, "datetime64[D]")
    t = np.asarray(true, "datetime64[D]")
    ok = ~np.isnat(p) & ~np.isnat(t)
    if mask is not None:
        ok &= np.asarray(mask, bool)
    return np.abs((p[ok] - t[ok]).astype(np.int64)).astype(float)


def percentile(x, q) -> float:
    x = np.asarray(x, float)
    return float(np.percentile(x, q)) if x.size else float("nan")


# --- baseline ------------------------------------------------------------------------------------

def to_epoch_s(ts) -> np.ndarray:
    """Timestamps (datetime64 of any unit, or integer seconds) → int64 UTC seconds."""
    a = np.asarray(ts)
    if np.issubdtype(a.dtype, np.datetime64):
        return a.astype("datetime64[s]").astype(np.int64)
    return a.astype(np.int64)


def monthly_kwh(account_idx, ts, kwh, n_accounts: int, tz_offset_s: int = 8 * 3600):
    """Per-account calendar-month totals. Returns (months: datetime64[M] [m], totals [n, m]).
    ``account_idx``: int index per row (0..n_accounts-1); ``ts``: interval start (UTC)."""
    a = np.asarray(account_idx, np.int64)
    t = to_epoch_s(ts)
    v = np.asarray(kwh, float)
    if a.size == 0:
        return np.array([], "datetime64[M]"), np.zeros((n_accounts, 0))
    # count each (account, timestamp) once
    key = a * (1 << 34) + (t - t.min())
    _, first = np.unique(key, return_index=True)
    if first.size != a.size:
        a, t, v = a[first], t[first], v[first]
    month = (t + tz_offset_s).astype("datetime64[s]").astype("datetime64[M]")
    m0 = month.min()
    mi = (month - m0).astype(np.int64)
    nm = int(mi.max()) + 1
    tot = np.bincount(a * nm + mi, weights=v, minlength=n_accounts * nm).reshape(n_accounts, nm)
    return m0 + np.arange(nm), tot


def monthly_rule(totals: np.ndarray, n_kwh: float, eligible=None) -> tuple[np.ndarray, np.ndarray]:
    """The baseline "any calendar month over N kWh": (flagged, score = largest month).
    ``eligible`` (bool per account, e.g. residential tariff only): others are never flagged and
    score −inf."""
    score = totals.max(axis=1) if totals.shape[1] else np.zeros(totals.shape[0])
    if eligible is not None:
        score = np.where(np.asarray(eligible, bool), score, -np.inf)
    return score > n_kwh, score


# --- one call --------------------------------------------------------------------------------------

def evaluate(scores, flagged, truth_is_miner, truth_kw_drawn, *, onset_pred=None, onset_true=None,
             onset_in_window=None, baseline_flagged=None, baseline_scores=None) -> dict:
    """All the figures for one detector run, aligned arrays (one entry per account)."""
    s = np.asarray(scores, float)
    f = np.asarray(flagged, bool)
    y = np.asarray(truth_is_miner, bool)
    big = y & (np.asarray(truth_kw_drawn, float) >= 1.0)
    prec, rec = precision_recall(f, y)
    out = {
        "accounts": int(len(s)), "miners": int(y.sum()), "miners_ge_1kw": int(big.sum()),
        "alarms": int(f.sum()), "precision": prec, "recall": rec,
        "recall_ge_1kw": precision_recall(f, big)[1] if big.any() else float("nan"),
        "auc": roc_auc(s, y),
        "auc_ge_1kw": roc_auc(s[big | ~y], big[big | ~y]),
    }
    if onset_pred is not None and onset_true is not None:
        m = f & y if onset_in_window is None else f & y & np.asarray(onset_in_window, bool)
        err = onset_errors(onset_pred, onset_true, m)
        out.update({"onset_n": int(err.size), "onset_missing": int(m.sum() - err.size),
                    "onset_err_median_days": percentile(err, 50), "onset_err_p90_days": percentile(err, 90),
                    "onset_within_3d": float((err <= 3).mean()) if err.size else float("nan")})
    if baseline_flagged is not None:
        bf = np.asarray(baseline_flagged, bool)
        k = int(bf.sum())
        dk = top_k(s, k)
        bp, br = precision_recall(bf, y)
        dp, dr = precision_recall(dk, y)
        out["equal_alarms"] = {
            "k": k,
            "baseline": {"precision": bp, "recall": br, "recall_ge_1kw": precision_recall(bf, big)[1]},
            "detector": {"precision": dp, "recall": dr, "recall_ge_1kw": precision_recall(dk, big)[1]},
        }
        if baseline_scores is not None:
            out["equal_alarms"]["baseline"]["auc"] = roc_auc(baseline_scores, y)
    return out


def per_category(flagged, truth_is_miner, categories) -> dict[str, dict]:
    """Per category: accounts, miners, alarms, false alarms, true positives, precision, recall."""
    f = np.asarray(flagged, bool)
    y = np.asarray(truth_is_miner, bool)
    c = np.asarray(categories).astype(str)
    out = {}
    for k in np.unique(c):
        m = c == k
        tp = int((f & y & m).sum())
        fp = int((f & ~y & m).sum())
        out[str(k)] = {"accounts": int(m.sum()), "miners": int((y & m).sum()), "alarms": int((f & m).sum()),
                       "true_alarms": tp, "false_alarms": fp,
                       "false_alarm_rate": fp / int((~y & m).sum()) if (~y & m).any() else float("nan"),
                       "precision": tp / (tp + fp) if tp + fp else float("nan"),
                       "recall": tp / int((y & m).sum()) if (y & m).any() else float("nan")}
    return out


def align(order_accounts, accounts, values, fill):
    """values (given per ``accounts``) re-ordered to ``order_accounts``; missing → fill."""
    order_accounts = np.asarray(order_accounts).astype(str)
    accounts = np.asarray(accounts).astype(str)
    values = np.asarray(values)
    srt = np.argsort(accounts, kind="mergesort")
    pos = np.searchsorted(accounts[srt], order_accounts)
    pos = np.clip(pos, 0, max(0, len(accounts) - 1))
    hit = (accounts[srt][pos] == order_accounts) if len(accounts) else np.zeros(len(order_accounts), bool)
    out = np.full(len(order_accounts), fill, dtype=values.dtype if values.size else object)
    if len(accounts):
        out[hit] = values[srt][pos][hit]
    return out
