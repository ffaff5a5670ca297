"""Load-profile detector: covert mining in smart-meter data (issue 3).

Mining is a constant draw added on top of an account's usual load, round the clock (or at least
for long blocks), every day of the week, from the day the machines were switched on. The score
reads that physics off the meter data in three steps:

1. relational (:mod:`._load_daily`, SQL on DuckDB; Spark: :mod:`minewatch.engines.spark_meters`):
   readings → (account, local day) with coverage and the day's interval readings;
2. per account (:mod:`._load_features`, vectorised numpy over accounts × days): complete days only,
   O(n) onset detection (:mod:`._load_onset`), levels, day-to-day and within-day variability,
   night/day and weekend/weekday ratios, and what the new load looks like hour by hour;
3. population (:mod:`._load_score`): level against peers of the same tariff class and region
   (median/MAD of ln level), capacity use, tariff-class mismatch, the scorecard and province rules
   from ``minewatch/data/meter_rules.toml`` (data, not code);
4. estimates (:mod:`minewatch.estimate.load`): power while running → GPU rigs / ASICs, hashrate
   ranges per algorithm, monthly kWh and bill; reasons (:mod:`._load_reasons`).

What separates legitimate loads (documented in the rules file): a switch-on that is abrupt
(heating and cold stores creep in with the season), new (not a factory back from its New Year
shutdown), steady from day to day and hour to hour (cold stores follow the weather), present
every day of the week (production shifts) and on most days (irrigation runs in episodes), and not
a flat business growing by a fraction (servers, production lines; the tariff fits them).

A supervised re-score from inspection outcomes lives in :mod:`._load_model` (LightGBM).
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import numpy as np
import pyarrow as pa

from ..estimate.load import excess_power_w, load_estimate
from ..evidence import Evidence
from . import register
from ._load_daily import stream_daily
from ._load_features import chunk_features
from ._load_model import fit_from_labels, rescore  # noqa: F401  (public API)
from ._load_reasons import reasons as _reasons
from ._load_score import derived, load_rules, peer_columns, rule_hits, scorecard

__all__ = ["score_accounts", "score_accounts_sql", "score_features", "LoadProfileDetector",
           "fit_from_labels", "rescore", "load_rules", "FEATURES"]

FEATURES = ("n_days", "span_days", "has_onset", "step_t", "base_kwh_day", "level_kwh_day",
            "level_kw", "excess_kw", "step_rel", "sharpness", "persistence", "novelty", "cv_excess", "cv_day",
            "weekend_ratio", "weekly_dev", "excess_weekly_dev", "load_factor", "cv_hour",
            "night_day", "floor_kw", "floor_ratio", "const", "duty", "on_kw", "on_cv", "load_kw", "base_floor_ratio", "flatness", "level_z",
            "floor_z", "level_vs_peers", "capacity_use", "contract_kva", "residential_like",
            "monthly_kwh")


def score_accounts(readings: pa.Table, register: pa.Table | None = None,
                   config: dict | None = None) -> pa.Table:
    """Score every account of a ``meter_readings``-shaped Arrow table (see module docstring).

    Columns: account, score, onset (date32 or null), power_w_low, power_w_high, flagged, reasons,
    rule_hits, tariff_class, region, then the features (``FEATURES`` and a few more).
    """
    con = duckdb.connect()
    try:
        con.register("mw_readings", readings)
        return score_accounts_sql(con, "mw_readings", register, config)
    finally:
        con.close()


def score_accounts_sql(con, source: str, register: pa.Table | None = None,
                       config: dict | None = None, chunk_rows: int = 200_000) -> pa.Table:
    """The same on any relation ``source`` of ``con`` (table name, ``read_parquet('…')``, …)."""
    cfg = load_rules(config)
    parts = [chunk_features(chunk, cfg) for chunk in stream_daily(con, source, chunk_rows)]
    if not parts:
        return _empty()
    return score_features(con, pa.concat_tables(parts), register, cfg)


def score_features(con, feats: pa.Table, register: pa.Table | None = None,
                   config: dict | None = None) -> pa.Table:
    """Step 3 alone: the population scoring of per-account features (``chunk_features`` rows,
    sorted by account), whichever engine computed them (DuckDB above, Spark in
    :mod:`minewatch.engines.spark_meters`). ``con``: a DuckDB connection for the peer SQL."""
    cfg = load_rules(config)
    if feats.num_rows == 0:
        return _empty()
    f = {c: feats.column(c).to_numpy(zero_copy_only=False) for c in feats.column_names}
    f["account"] = feats.column("account")
    f.update(peer_columns(con, feats, register, cfg))
    derived(f, cfg)
    score, points = scorecard(f, cfg)
    f["score"] = score
    hits, rule_flag = rule_hits(f, cfg)
    flagged = (score >= cfg["score"]["flag_threshold"]) | rule_flag

    # mining load: the step against the own baseline (weeks either side of the onset, on the
    # series the onset was found on), else the level against the peers' median level; as the
    # power while running (÷ duty: a daytime-only rig draws its full power for fewer hours)
    peer_day = f["peer_level_kw"] * 24.0
    on = f["has_onset"] > 0
    base = [np.where(on, f[k], peer_day) for k in ("base_q25", "base_kwh_day", "base_q75")]
    after = [np.where(on, f[a], f[b]) for a, b in (("after_q25", "level_q25"),
                                                    ("after_q50", "level_kwh_day"),
                                                    ("after_q75", "level_q75"))]
    duty = np.where(on & np.isfinite(f["duty"]), np.clip(np.nan_to_num(f["duty"], nan=1.0),
                                                         0.25, 1.0), 1.0)
    duty = np.where(duty >= 0.8, 1.0, duty)                # a round-the-clock load is 24 h
    lo, mid, hi = (v / duty for v in excess_power_w(*base, *after))
    f["power_w_mid"] = mid
    f["run_duty"] = duty

    why: list[list[str]] = []
    floor = cfg["score"]["reasons_min_score"]
    names = [k for k in points if not k.startswith("gate_")]
    for i in range(len(score)):
        if score[i] < floor and not hits[i]:
            why.append([])
            continue
        g = {k: (v[i] if isinstance(v, np.ndarray) else None) for k, v in f.items()}
        g["rule_hits"] = hits[i]
        est = load_estimate(lo[i], mid[i], hi[i], duty=duty[i], level_kwh_day=f["level_kwh_day"][i],
                            tariff_class=str(f["tariff_class"][i]), rules=cfg) \
            if hi[i] > 0 else None
        why.append(_reasons(g, {k: float(points[k][i]) for k in names}, cfg, est))

    onset = np.where(on, f["onset_day"], 0).astype("datetime64[D]")
    out = {
        "account": f["account"],
        "score": pa.array(score),
        "onset": pa.array(onset, pa.date32(), mask=~on),
        "power_w_low": pa.array(lo, pa.float64(), mask=~np.isfinite(lo)),
        "power_w_high": pa.array(hi, pa.float64(), mask=~np.isfinite(hi)),
        "flagged": pa.array(flagged),
        "reasons": pa.array(why, pa.list_(pa.string())),
        "rule_hits": pa.array(hits, pa.list_(pa.string())),
        "tariff_class": pa.array(f["tariff_class"], pa.string()),
        "region": pa.array(f["region"], pa.string()),
        "peer_scope": pa.array(f["peer_scope"], pa.string()),
        "peer_n": pa.array(f["peer_n"], pa.int64()),
        "peer_level_kw": pa.array(f["peer_level_kw"]),
        "power_w_mid": pa.array(mid, pa.float64(), mask=~np.isfinite(mid)),
    }
    for k in FEATURES + ("level_q25", "level_q75", "base_q25", "base_q75", "after_q25",
                         "after_q50", "after_q75", "run_duty", "first_day", "last_day",
                         "ts_first", "ts_last", "utc_offset_min", "enough"):
        if k not in out:
            out[k] = pa.array(f[k])
    for k in ("first_day", "last_day"):
        out[k] = pa.array(f[k].astype("datetime64[D]"), pa.date32())
    for k in ("ts_first", "ts_last"):
        out[k] = pa.array(f[k].astype("datetime64[us]"), pa.timestamp("us", tz="UTC"))
    for name in names:
        out[f"points_{name}"] = pa.array(points[name])
    for name in points:
        if name.startswith("gate_"):
            out[name] = pa.array(points[name])
    return pa.table(out)


def _empty() -> pa.Table:
    return pa.table({"account": pa.array([], pa.string()), "score": pa.array([], pa.float64()),
                     "onset": pa.array([], pa.date32()),
                     "power_w_low": pa.array([], pa.float64()),
                     "power_w_high": pa.array([], pa.float64()),
                     "flagged": pa.array([], pa.bool_()),
                     "reasons": pa.array([], pa.list_(pa.string()))})


def _utc(us: int) -> datetime:
    return datetime.fromtimestamp(int(us) / 1e6, tz=timezone.utc)


def _finite(v):
    if isinstance(v, (float, np.floating)):
        return round(float(v), 6) if np.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


@register
class LoadProfileDetector:
    """Evidence (entity_kind "account") for accounts whose load profile looks like mining."""

    name = "load_profile"
    version = "1"
    record_kind = "meters"

    def __init__(self, config: dict | None = None):
        self.config = config

    def detect(self, records) -> list[Evidence]:
        """``records``: ``(readings, register)`` Arrow tables (register optional)."""
        records = list(records) if not isinstance(records, pa.Table) else [records]
        if not records or records[0] is None or records[0].num_rows == 0:
            return []
        readings, reg = records[0], (records[1] if len(records) > 1 else None)
        cfg = load_rules(self.config)
        table = score_accounts(readings, reg, cfg)
        keep = cfg["score"].get("evidence_min_score", cfg["score"]["flag_threshold"])
        rows = table.to_pylist()
        out = []
        for r in rows:
            if r["score"] < keep and not r["flagged"]:
                continue
            out.append(self._evidence(r, cfg))
        return out

    def evidence(self, r: dict, cfg: dict | None = None) -> Evidence:
        """The Evidence of one scored row (a ``score_accounts`` row as a dict)."""
        return self._evidence(r, load_rules(self.config) if cfg is None else cfg)

    def _evidence(self, r: dict, cfg: dict) -> Evidence:
        first, last = r["ts_first"], r["ts_last"]
        onset = r["onset"]
        if onset is not None:
            # local midnight of the onset day, in UTC
            day = (onset - datetime(1970, 1, 1).date()).days
            first = max(first, _utc((day * 86400 - 60 * r["utc_offset_min"]) * 1e6))
        first = min(first, last)
        est = None
        if r["power_w_high"]:
            est = load_estimate(r["power_w_low"], r["power_w_mid"] or 0.0, r["power_w_high"],
                                duty=r["run_duty"],
                                level_kwh_day=r["level_kwh_day"], tariff_class=r["tariff_class"],
                                rules=cfg)
        obs = {k: _finite(r[k]) for k in FEATURES if k in r}
        obs.update({"onset": onset.isoformat() if onset else None, "estimate": est,
                    "rule_hits": r["rule_hits"], "tariff_class": r["tariff_class"],
                    "region": r["region"],
                    "points": {k[7:]: round(v, 3) for k, v in r.items()
                               if k.startswith("points_") and abs(v) >= 0.005}})
        obs["excess_kw"] = _finite(r["excess_kw"])
        s = float(r["score"])
        conf = "high" if s >= 0.9 else "medium" if s >= cfg["score"]["flag_threshold"] else "low"
        prov = {"account": r["account"], "table": "meter_readings",
                "first_reading": r["ts_first"].isoformat(), "last_reading": r["ts_last"].isoformat(),
                "first_day": r["first_day"].isoformat(), "last_day": r["last_day"].isoformat(),
                "complete_days": int(r["n_days"]), "span_days": int(r["span_days"]),
                "utc_offset_min": int(r["utc_offset_min"])}
        reasons = r["reasons"] or [f"load-profile score {s:.2f}"]
        return Evidence(
            detector=self.name, detector_version=self.version, entity_kind="account",
            entity=str(r["account"]), first_seen=first, last_seen=last, score=s, confidence=conf,
            reasons=reasons, power_w_low=r["power_w_low"], power_w_high=r["power_w_high"],
            observables=obs, provenance=prov,
            key_facts=(self.version, last.isoformat(), obs["onset"]))
