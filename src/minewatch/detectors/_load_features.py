"""Step 2 of load-profile scoring: per-account features from whole daily series (numpy).

Input: a chunk of the daily table (:mod:`._load_daily`), sorted by (account, day), whole accounts.
The chunk is laid out as a matrix accounts × days (NaN = no complete day), so every feature is a
handful of vectorised passes, the same for one meter or a million (Spark: ``mapInArrow`` over
partitions sorted by account).

Only complete days count (readings covering exactly 24 h, and not 0 kWh in total — an all-zero
day is how many meters report a dropout). Missing days are left out, never filled: a dropout can
lower the amount of evidence, never add to it. Robust statistics (medians, quantiles, MAD)
throughout, so a meter's spike or catch-up reading moves nothing.

Two daily series are searched for the onset: daily kWh, and the "quiet" series (per day, the sum
of each hour's minimum power), which a constant load lifts by its full energy while household
bursts and seasons barely move it. Features of the new load (sharpness, novelty, persistence,
day-to-day and hour-to-hour steadiness, duty, constancy) then describe the step at that onset.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._load_daily import DAY_S, HOURS, intraday
from ._load_onset import (T_CAP, backtrack_onset, best_step_up, mosum_step_up,
                          refine_step_up)

IQR_TO_SD = 1.349           # IQR of a normal distribution in units of sd
MAD_TO_SD = 1.4826


def _quantiles(m: np.ndarray, mask: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Row quantiles (linear interpolation) of ``m`` over ``mask``; NaN for empty rows."""
    w = np.where(mask, m, np.inf)
    w.sort(axis=1)
    cnt = mask.sum(axis=1)
    rows = np.arange(m.shape[0])
    out = []
    for q in qs:
        pos = np.maximum(cnt - 1, 0) * q
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(cnt - 1, 0))
        vlo, vhi = w[rows, lo], w[rows, hi]
        with np.errstate(invalid="ignore"):
            v = vlo + (vhi - vlo) * (pos - lo)
        out.append(np.where(cnt > 0, v, np.nan))
    return out


def _median(m, mask):
    return _quantiles(m, mask, (0.5,))[0]


def _mean(m, mask):
    cnt = mask.sum(axis=-1)
    s = np.where(mask, m, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)


def _div(a, b):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((b > 0) & np.isfinite(b), a / np.where(b > 0, b, 1.0), np.nan)


def _codes(acc: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Sorted account column → (row → account code, row index where each account starts)."""
    n = len(acc)
    if n == 1:
        return np.zeros(1, np.int64), np.zeros(1, np.int64)
    change = pc.not_equal(acc.slice(1), acc.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    code = np.concatenate([[0], np.cumsum(change)])
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    return code, starts


def _window(x: np.ndarray, at: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``at + lo … at + hi − 1`` of each row of ``x`` and their validity (in range, not NaN)."""
    offs = np.arange(lo, hi)[None, :]
    idx = at[:, None] + offs
    inside = (idx >= 0) & (idx < x.shape[1])
    v = x[np.arange(x.shape[0])[:, None], np.clip(idx, 0, x.shape[1] - 1)]
    return v, inside & ~np.isnan(v)


def _step(x, at, w):
    """Median of the ``w`` days from ``at`` minus median of the ``w`` days before it."""
    xa, ma = _window(x, at, 0, w)
    xb, mb = _window(x, at, -w, 0)
    return _median(xa, ma) - _median(xb, mb)


def _quiet_grid(daily, iv, code, cidx, complete, shape):
    """Per day, the sum over the 24 hours of each hour's minimum power (kWh-equivalent; NaN
    without interval data). A load that is constant while it runs lifts it by its full energy,
    while the household's bursts, which the hourly minima filter out, barely move it."""
    g = np.full(shape, np.nan)
    ivl = daily.column("ivl").to_numpy(zero_copy_only=False)
    ok = complete & (ivl < DAY_S)
    if not ok.any():
        return g
    m = iv["m"][ok].astype(np.float64)
    n = (~np.isnan(m)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        g[code[ok], cidx[ok]] = np.where(n > 0, np.nansum(m, axis=1) * HOURS / n, np.nan)
    return g


def _robust_t(x: np.ndarray, at: np.ndarray, w: int, side: int) -> np.ndarray:
    """Step-up t at ``at`` from medians and MADs of the ``w`` days each side: a miner paused
    for a week just after switching on still shows its step."""
    out = []
    for lo, hi in ((-w, 0), (0, w)):
        v, m = _window(x, at, lo, hi)
        med = _median(v, m)
        mad = _median(np.abs(v - med[:, None]), m)
        out.append((med, MAD_TO_SD * mad, m.sum(axis=1)))
    (mb, sb, nb), (ma, sa, na) = out
    with np.errstate(invalid="ignore", divide="ignore"):
        floor = 1e-3 * np.maximum(np.abs(mb), np.abs(ma)) + 1e-9
        t = (ma - mb) / np.sqrt((sb * sb + floor * floor) / nb + (sa * sa + floor * floor) / na)
    return np.where((nb >= side) & (na >= side) & np.isfinite(t), t, -np.inf)


def _novelty(x: np.ndarray, at: np.ndarray, lw: int, ocfg: dict) -> np.ndarray:
    """Share of the step above what the account drew on its high days in the months before the
    onset: 1 for a new load, 0 for a return to a recent level (a factory back from its New Year
    shutdown). Last winter's peaks are too far back to count."""
    xa, ma = _window(x, at, 0, lw)
    xb, mb = _window(x, at, -lw, 0)
    level, base = _median(xa, ma), _median(xb, mb)
    xp, mp = _window(x, at, -int(ocfg["novelty_days"]), 0)
    seen = _quantiles(xp, mp, (float(ocfg["novelty_quantile"]),))[0]
    return np.clip(_div(level - seen, level - base), 0, 1)


def _onset(x: np.ndarray, quiet: np.ndarray, ocfg: dict):
    """Onset (compressed position), its robust t and the series it was found on (0 = daily kWh,
    1 = quiet-hours kWh), for compressed series ``x`` and ``quiet``.

    Candidates: on each series, the best whole-series split and the few largest moving-window
    steps (a household's seasons can outweigh a small miner in the first, not in the second;
    a factory's return from its New Year shutdown can outweigh a miner in both), each
    refined locally. Among the candidates with a significant local t, the largest new step wins
    (step × novelty; the quiet series sees a 24 h miner through a household's seasons). Then the onset is moved back
    across pauses to the first switch-on (see :mod:`._load_onset`), if the step there holds."""
    side, lw = int(ocfg["min_side_days"]), int(ocfg["level_window_days"])
    rw, rs = int(ocfg["refine_window_days"]), int(ocfg["refine_min_side_days"])
    tmin = float(ocfg["t_min"])
    best = None
    for k, series in enumerate((x, quiet)):
        if np.isnan(series).all():
            continue
        cands = [best_step_up(series, side)] + mosum_step_up(series, lw, side,
                                                             int(ocfg["mosum_peaks"]))
        for oc, _ in cands:
            oc = refine_step_up(series, oc, rw, rs)
            at = np.maximum(oc, 0)
            tl = _robust_t(series, at, lw, side)
            # significant candidates rank by step size (kWh/day), the rest below them by t
            size = np.nan_to_num(_step(series, at, lw), nan=-np.inf)
            nov = np.nan_to_num(_novelty(series, at, lw, ocfg), nan=0.0)
            with np.errstate(invalid="ignore"):
                size = np.where(np.isfinite(size), size * nov, size)
            rank = np.where(oc < 0, -np.inf, np.where(tl >= tmin, size, tl - 1e9))
            cand = (oc, rank, np.full(len(oc), k), tl)
            best = cand if best is None else tuple(
                np.where(rank > best[1], new, old) for new, old in zip(cand, best))
    oc, _, which, t = best
    xs = np.where((which == 1)[:, None], quiet, x)
    at = np.maximum(oc, 0)
    xb, mb = _window(xs, at, -lw, 0)
    xa, ma = _window(xs, at, 0, lw)
    back = backtrack_onset(xs, oc, (_median(xb, mb) + _median(xa, ma)) / 2.0,
                           int(ocfg["backtrack_days"]))
    tb = _robust_t(xs, np.maximum(back, 0), lw, side)
    keep = (tb >= tmin) | (t < tmin)
    oc, t = np.where(keep, back, oc), np.where(keep, tb, t)
    oc = np.where(np.isfinite(t), oc, -1)
    return oc, np.where(np.isfinite(t), np.minimum(t, T_CAP), 0.0), which, xs


def chunk_features(daily: pa.Table, cfg: dict) -> pa.Table:
    """One row of features per account in ``daily`` (see module docstring)."""
    dcfg, ocfg = cfg["days"], cfg["onset"]
    acc = daily.column("account").combine_chunks()
    code, starts = _codes(acc)
    a = len(starts)
    col = lambda name: daily.column(name).to_numpy(zero_copy_only=False)  # noqa: E731
    day = col("day").astype(np.int64)
    first_day = day[starts]
    ends = np.append(starts[1:], len(day)) - 1
    cidx = day - first_day[code]
    d = int(cidx.max()) + 1
    # engines add a day's readings in different orders: round away the last bits so that every
    # feature (and every tie between onset candidates) is the same on DuckDB and Spark
    kwh, cover = np.round(col("kwh").astype(np.float64), 9), col("cover_s").astype(np.float64)
    # a day counts when its readings cover exactly 24 h (23 or 25 h on a day the offset changed):
    # a duplicate reading makes it too long, a dropout too short — either way it is left out
    dst = col("off") != col("off_min")
    complete = (np.where(dst, np.abs(cover - DAY_S) <= dcfg["complete_tolerance_s"], cover == DAY_S)
                & (kwh > 0))

    x = np.full((a, d), np.nan)
    x[code[complete], cidx[complete]] = kwh[complete] * DAY_S / cover[complete]
    valid = ~np.isnan(x)
    cols = np.arange(d)[None, :]
    n_days = valid.sum(axis=1)
    enough = n_days >= dcfg["min_complete"]

    # --- onset and the step, on the series that shows it best -------------------------------
    # Series are compressed to their complete days (valid days first, in order): windows of
    # "28 days" are 28 measured days, and a gap in the data never splits a window.
    order = np.argsort(~valid, axis=1, kind="stable")
    xc = np.take_along_axis(x, order, axis=1)
    iv = {k: None if v is None else np.round(v, 9) for k, v in intraday(daily).items()}
    qc = np.take_along_axis(_quiet_grid(daily, iv, code, cidx, complete, (a, d)), order, axis=1)
    oc, t, which, xs = _onset(xc, qc, ocfg)
    split = oc >= 0
    at = np.maximum(oc, 0)
    lw = int(ocfg["level_window_days"])
    xb, mb = _window(xs, at, -lw, 0)
    xa, ma = _window(xs, at, 0, lw)
    bq25, bq50, bq75 = _quantiles(xb, mb, (0.25, 0.5, 0.75))
    aq25, aq50, aq75 = _quantiles(xa, ma, (0.25, 0.5, 0.75))
    delta = aq50 - bq50                                   # local step: seasons don't leak in
    excess_kw = delta / 24.0
    has_onset = (split & enough & (t >= ocfg["t_min"])
                 & (np.nan_to_num(excess_kw) >= ocfg["min_excess_kw"]))
    onset_col = np.where(split, order[np.arange(a), at], -1)
    after_s = valid & (cols >= onset_col[:, None]) & split[:, None]
    before = valid & (cols < onset_col[:, None]) & has_onset[:, None]
    after = np.where(has_onset[:, None], after_s, valid)
    lq25, lq50, lq75 = _quantiles(x, after, (0.25, 0.5, 0.75))

    # a switch-on is as big over a week as over three months; a heating season creeps in
    sw = int(ocfg["sharp_window_days"])
    sharp = _div(_step(xs, at, sw), _step(xs, at, int(ocfg["sharp_long_days"])))
    after_c = (np.arange(d)[None, :] >= at[:, None]) & ~np.isnan(xs) & split[:, None]
    novelty = _novelty(xs, at, lw, ocfg)
    # present on most days, and as big each day, in the weeks after the onset (a pump runs in
    # episodes, a cold store follows the weather); later months would mix in the seasons
    soon = after_c & (np.arange(d)[None, :] < (at + int(ocfg["persistence_days"]))[:, None])
    persistence = _mean((xs > (bq50 + delta / 2.0)[:, None]).astype(np.float64), soon)
    iqr = _quantiles(xs, soon, (0.25, 0.75))
    cv_excess = _div((iqr[1] - iqr[0]) / IQR_TO_SD, delta)

    dow = (first_day[:, None] + cols + 3) % 7           # 1970-01-01 was a Thursday; Monday = 0
    wkend = dow >= 5
    weekend_ratio = _div(_median(x, after & wkend), _median(x, after & ~wkend))
    # the new load on weekends vs weekdays, over the same weeks either side of the onset
    pd_ = int(ocfg["persistence_days"])
    near_a = after & (cols < (onset_col + pd_)[:, None])
    near_b = before & (cols >= (onset_col - pd_)[:, None])
    e_we = _median(x, near_a & wkend) - _median(x, near_b & wkend)
    e_wd = _median(x, near_a & ~wkend) - _median(x, near_b & ~wkend)
    n_we, n_wd = (near_a & wkend).sum(axis=1), (near_a & ~wkend).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        excess_weekly_dev = np.where((e_we > 0) & (e_wd > 0), np.abs(np.log(e_we / e_wd)), 5.0)
        weekly_dev = np.abs(np.log(weekend_ratio))
    # no weekend readings at all while weekdays run (a plant idle, zero, on weekends): weekday
    # load; too few weekends after the onset to say: unknown
    excess_weekly_dev = np.where((n_we == 0) & (n_wd >= 10), 5.0,
                                 np.where(n_we < 4, np.nan, excess_weekly_dev))
    excess_weekly_dev = np.where(has_onset, excess_weekly_dev, np.nan)

    nan_if = lambda v: np.where(has_onset, v, np.nan)  # noqa: E731
    f = {
        "n_days": n_days, "span_days": (day[ends] - first_day + 1),
        "first_day": first_day, "last_day": day[ends],
        "has_onset": has_onset.astype(np.float64),
        "onset_day": np.where(has_onset, first_day + onset_col, -1),
        "step_t": np.where(split, t, 0.0),
        "onset_series": np.where(has_onset, which, -1),
        "base_kwh_day": nan_if(bq50), "base_q25": nan_if(bq25), "base_q75": nan_if(bq75),
        "after_q25": nan_if(aq25), "after_q50": nan_if(aq50), "after_q75": nan_if(aq75),
        "level_kwh_day": lq50, "level_q25": lq25, "level_q75": lq75,
        "level_kw": lq50 / 24.0,
        "excess_kw": nan_if(excess_kw),
        "step_rel": nan_if(_div(delta, bq50)),
        "sharpness": nan_if(sharp),
        "persistence": nan_if(persistence),
        "novelty": nan_if(novelty),
        "cv_excess": nan_if(cv_excess),
        "cv_day": _div((lq75 - lq25) / IQR_TO_SD, lq50),
        "weekend_ratio": weekend_ratio, "weekly_dev": weekly_dev,
        "excess_weekly_dev": excess_weekly_dev,
    }
    f.update(_intraday(daily, iv, code, cidx, complete, (a, d), after, before, has_onset, lq50,
                       cfg))
    f["enough"] = enough.astype(np.float64)
    f["ts_first"] = col("ts_first")[starts]
    f["ts_last"] = col("ts_last")[ends]
    f["utc_offset_min"] = col("off")[ends].astype(np.int64)
    out = {"account": acc.take(pa.array(starts))}
    for k, v in f.items():
        out[k] = pa.array(v)
    return pa.table(out)


INTRADAY = ("load_factor", "cv_hour", "night_day", "floor_kw", "floor_ratio", "const", "duty",
            "on_kw", "on_cv", "base_floor_ratio")


def _intraday(daily, iv, code, cidx, complete, shape, after, before, has_onset, lq50, cfg) -> dict:
    """Within-day features from interval readings; NaN for accounts with daily kWh only."""
    a, d = shape
    ivl = daily.column("ivl").to_numpy(zero_copy_only=False)
    intr = complete & (ivl < DAY_S)
    if not intr.any():
        return {k: np.full(a, np.nan) for k in INTRADAY}
    ci, di = code[intr], cidx[intr]

    def grid(values, dtype=np.float64):
        g = np.full((a, d), np.nan, dtype=dtype)
        g[ci, di] = values[intr]
        return g

    kw_min, kw_max, kw_sd = grid(iv["kw_min"]), grid(iv["kw_max"]), grid(iv["kw_sd"])
    have = ~np.isnan(kw_min)
    aft, bef = after & have, before & have
    mean_kw = np.full((a, d), np.nan)
    mean_kw[ci, di] = (daily.column("kwh").to_numpy(zero_copy_only=False)[intr] * 3600.0
                       / daily.column("cover_s").to_numpy(zero_copy_only=False)[intr])
    hr = np.stack([grid(iv["h"][:, h], np.float32) for h in range(HOURS)], axis=1)  # a × 24 × d
    hr_ok = ~np.isnan(hr)                     # a DST day has no 02:00 hour (or two)
    am = aft[:, None, :] & hr_ok
    bm = bef[:, None, :] & hr_ok
    flat = lambda g: g.reshape(a * HOURS, d)  # noqa: E731
    # medians over days, hour by hour: a meter's spike (a 999.99 kWh reading) moves no median
    hour_after = _median(flat(hr), flat(am)).reshape(a, HOURS)                  # a × 24
    days_cfg = cfg["days"]
    floor_kw = _median(kw_min, aft)
    out = {
        "load_factor": _median(_div(mean_kw, kw_max), aft),
        "cv_hour": _median(_div(kw_sd, mean_kw), aft),
        "night_day": _div(hour_after[:, days_cfg["night_hours"]].mean(axis=1),
                          hour_after[:, days_cfg["day_hours"]].mean(axis=1)),
        "floor_kw": floor_kw,
        "floor_ratio": _div(floor_kw, lq50 / 24.0),
        # how flat the account was before the onset (a server room that grows was flat already)
        "base_floor_ratio": np.where(has_onset, _median(_div(kw_min, mean_kw), bef), np.nan),
    }
    # The new load hour by hour: rise of the hourly level E_h, and rise F_h of the hourly minimum
    # (native resolution) on a quiet day (low quantile over days). A load that is constant
    # whenever it runs lifts both alike; a cycling compressor or thermostat keeps dropping to
    # off within the hour, EV charging on some nights leaves the quiet days unchanged. q = 0.2
    # tolerates a miner being off one day in five.
    q = float(cfg["onset"]["low_quantile"])
    hm = np.stack([grid(iv["m"][:, h], np.float32) for h in range(HOURS)], axis=1)
    e = hour_after - _median(flat(hr), flat(bm)).reshape(a, HOURS)
    am2, bm2 = flat(am), flat(bm)
    fq = (_quantiles(flat(hm), am2, (q,))[0] - _quantiles(flat(hm), bm2, (q,))[0]).reshape(a, HOURS)
    pos = np.clip(e, 0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        # the load's level while on: a high quantile over the hours, so that one hour where the
        # household itself changed (an evening peak) neither sets the level nor the duty
        peak = _quantiles(pos, np.isfinite(pos), (0.9,))[0]
        duty = np.clip(pos, None, peak[:, None]).sum(axis=1) / (HOURS * peak)
        on = (e >= 0.5 * peak[:, None]) & (e > 0)
        const = (np.where(on, np.clip(np.minimum(fq, e), 0, None), 0).sum(axis=1)
                 / np.where(on, e, 0).sum(axis=1))
        on_kw = np.where(on, np.clip(fq, 0, None), 0).sum(axis=1) / on.sum(axis=1)
        # how even the new load is across its running hours (a cold store follows the afternoon)
        n_on = on.sum(axis=1)
        m_on = np.where(on, e, 0).sum(axis=1) / n_on
        on_cv = np.sqrt(np.where(on, (e - m_on[:, None]) ** 2, 0).sum(axis=1) / n_on) / m_on
    ok = has_onset & np.isfinite(const) & (pos.sum(axis=1) > 0)
    out["const"] = np.where(ok, np.clip(const, 0, 1), np.nan)
    out["duty"] = np.where(ok, duty, np.nan)
    out["on_kw"] = np.where(ok, on_kw, np.nan)
    out["on_cv"] = np.where(ok, on_cv, np.nan)
    return out
