"""Step 3 of load-profile scoring: peers (relational), the scorecard, province rules.

The scorecard is data (``minewatch/data/meter_rules.toml``)::

    score = 1 / (1 + exp(−z)),   z = bias + Σ_terms weight · Π ramp(feature, lo, hi) · Π gates
    ramp(x, lo, hi) = clip((x − lo) / (hi − lo), 0, 1)       (hi < lo: decreasing)

A missing feature makes its ramp 0 (or the ramp's optional 4th value, e.g. 1 for a gate that
daily-only data cannot check), so it contributes 0 points (no evidence either way), so accounts with daily kWh only,
without a baseline or without peers are scored on what they have, and missing data never adds.
"""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa

MAD_TO_SD = 1.4826
RESIDENTIAL_LIKE = ("residential", "agricultural")
BUSINESS = ("commercial", "industrial")


def load_rules(config: dict | str | Path | None = None) -> dict:
    """Packaged meter_rules.toml, overlaid with ``config`` (a dict or a TOML path)."""
    text = resources.files("minewatch").joinpath("data", "meter_rules.toml").read_text("utf-8")
    base = tomllib.loads(text)
    if config is None:
        return base
    if isinstance(config, (str, Path)):
        config = tomllib.loads(Path(config).read_text("utf-8"))
    return _merge(base, config)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


PEER_SQL = """
WITH f AS (
  SELECT f.rid, f.account, f.level_kw, f.floor_kw,
         COALESCE(lower(trim(r.tariff_class)), 'unknown') AS cls,
         COALESCE(CAST(r.region AS VARCHAR), '') AS region, r.contract_kva
  FROM feats f LEFT JOIN (
    SELECT CAST(account AS VARCHAR) AS account, min(tariff_class) AS tariff_class,
           min(CAST(region AS VARCHAR)) AS region, max(CAST(contract_kva AS DOUBLE)) AS contract_kva
    FROM reg GROUP BY 1) r ON f.account = r.account
), g AS (
  SELECT cls, region, count(level_kw) AS n, median(level_kw) AS med,
         median(ln(level_kw + {off})) AS mln, mad(ln(level_kw + {off})) AS madln,
         count(floor_kw) AS nf, median(floor_kw) AS fmed,
         median(ln(floor_kw + {off})) AS fmln, mad(ln(floor_kw + {off})) AS fmadln
  FROM f GROUP BY cls, region
), c AS (
  SELECT cls, count(level_kw) AS n, median(level_kw) AS med,
         median(ln(level_kw + {off})) AS mln, mad(ln(level_kw + {off})) AS madln,
         count(floor_kw) AS nf, median(floor_kw) AS fmed,
         median(ln(floor_kw + {off})) AS fmln, mad(ln(floor_kw + {off})) AS fmadln
  FROM f GROUP BY cls
)
SELECT f.rid, f.account, f.cls AS tariff_class, f.region, f.contract_kva,
  CASE WHEN g.n >= {k} THEN 'region' WHEN c.n >= {k} THEN 'class' ELSE 'reference' END AS peer_scope,
  CASE WHEN g.n >= {k} THEN g.n WHEN c.n >= {k} THEN c.n ELSE 0 END AS peer_n,
  CASE WHEN g.n >= {k} THEN g.med WHEN c.n >= {k} THEN c.med END AS peer_level_kw,
  CASE WHEN g.n >= {k} THEN g.mln WHEN c.n >= {k} THEN c.mln END AS peer_mln,
  CASE WHEN g.n >= {k} THEN g.madln WHEN c.n >= {k} THEN c.madln END AS peer_madln,
  CASE WHEN g.nf >= {k} THEN g.fmed WHEN c.nf >= {k} THEN c.fmed END AS peer_floor_kw,
  CASE WHEN g.nf >= {k} THEN g.fmln WHEN c.nf >= {k} THEN c.fmln END AS peer_fmln,
  CASE WHEN g.nf >= {k} THEN g.fmadln WHEN c.nf >= {k} THEN c.fmadln END AS peer_fmadln
FROM f LEFT JOIN g ON f.cls = g.cls AND f.region = g.region LEFT JOIN c ON f.cls = c.cls
ORDER BY f.rid
"""


def peer_columns(con, feats: pa.Table, register: pa.Table | None, cfg: dict) -> dict:
    """Tariff class, region, capacity and the peer statistics for each account of ``feats``."""
    pcfg = cfg["peers"]
    reg = _register_columns(register)
    slim = feats.select(["account", "level_kw", "floor_kw"])
    con.register("feats", slim.append_column("rid", pa.array(np.arange(slim.num_rows))))
    con.register("reg", reg)
    try:
        sql = PEER_SQL.format(off=float(pcfg["offset_kw"]), k=int(pcfg["min_peers"]))
        got = con.sql(sql).to_arrow_table()       # one row per account, in feats order
    finally:
        con.unregister("feats")
        con.unregister("reg")
    out = {c: got.column(c).to_numpy(zero_copy_only=False) for c in got.column_names}
    for c in ("contract_kva", "peer_level_kw", "peer_mln", "peer_madln", "peer_floor_kw",
              "peer_fmln", "peer_fmadln"):
        out[c] = np.array(pa.array(out[c]).cast(pa.float64()).to_numpy(zero_copy_only=False))
    out["tariff_class"] = out["tariff_class"].astype(str)
    out["region"] = out["region"].astype(str)
    # too few peers: the class's reference level from the rules file
    refs, off = pcfg["reference"], float(pcfg["offset_kw"])
    for cls in np.unique(out["tariff_class"]):
        ref = refs.get(cls, refs["unknown"])
        m = out["tariff_class"] == cls
        for pre, key in (("peer_", "level_kw"), ("peer_f", "floor_kw")):
            miss = m & np.isnan(out[pre + "mln"])
            out["peer_" + key][miss] = ref[key]
            out[pre + "mln"][miss] = np.log(ref[key] + off)
            out[pre + "madln"][miss] = ref["sd_ln"] / MAD_TO_SD
    return out


def _register_columns(register: pa.Table | None) -> pa.Table:
    types = {"account": pa.string(), "tariff_class": pa.string(), "region": pa.string(),
             "contract_kva": pa.float64()}
    n = 0 if register is None else register.num_rows
    cols = {}
    for name, typ in types.items():
        if register is not None and name in register.column_names:
            cols[name] = register.column(name).cast(typ)
        else:
            cols[name] = pa.nulls(n, typ)
    return pa.table(cols)


def derived(f: dict, cfg: dict) -> None:
    """Features that need peers or the register, added to ``f`` in place."""
    off, floor = float(cfg["peers"]["offset_kw"]), float(cfg["peers"]["mad_floor"])
    with np.errstate(invalid="ignore", divide="ignore"):
        f["level_z"] = (np.log(f["level_kw"] + off) - f["peer_mln"]) / np.maximum(
            MAD_TO_SD * f["peer_madln"], floor)
        f["floor_z"] = (np.log(f["floor_kw"] + off) - f["peer_fmln"]) / np.maximum(
            MAD_TO_SD * f["peer_fmadln"], floor)
        f["level_vs_peers"] = f["level_kw"] / f["peer_level_kw"]
        f["capacity_use"] = np.where(f["contract_kva"] > 0, f["level_kw"] / f["contract_kva"],
                                     np.nan)
    cls = f["tariff_class"]
    f["residential_like"] = np.array([1.0 if c in RESIDENTIAL_LIKE else 0.0 if c in BUSINESS
                                      else np.nan for c in cls])
    f["business"] = 1.0 - f["residential_like"]
    f["no_onset"] = 1.0 - f["has_onset"]
    # a business that was already flat before the onset (servers, a 24 h line) and grew by less
    # than about half: IT racks and production lines grow like that; a miner's rack doubles it
    f["flat_business"] = (np.nan_to_num(f["business"]) * ramp(f["base_floor_ratio"], 0.55, 0.8)
                          * ramp(f["step_rel"], 0.8, 0.4, 1.0))
    # flatness: the always-on share of the level (interval data), else day-to-day steadiness
    f["flatness"] = np.where(np.isfinite(f["floor_ratio"]), np.clip(f["floor_ratio"], 0, 1),
                             np.clip(1.0 - f["cv_day"] / 0.25, 0, 1))
    # the power of the new load while it runs (hourly data), else its daily average
    f["load_kw"] = np.where(np.isfinite(f["on_kw"]), f["on_kw"], f["excess_kw"])
    f["monthly_kwh"] = f["level_kwh_day"] * float(cfg["days"]["days_per_month"])


def ramp(x: np.ndarray, lo: float, hi: float, missing: float = 0.0) -> np.ndarray:
    """clip((x − lo) / (hi − lo), 0, 1); ``missing`` where x is NaN (0: no evidence; 1 for a
    gate that daily-only data cannot check)."""
    with np.errstate(invalid="ignore"):
        r = np.clip((np.asarray(x, dtype=np.float64) - lo) / (hi - lo), 0.0, 1.0)
    return np.nan_to_num(r, nan=missing)


def scorecard(f: dict, cfg: dict) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(score in [0, 1], points per term and ``gate_<name>`` values) for the feature columns."""
    scfg = cfg["score"]
    n = len(f["account"])

    def product(ramps):
        v = np.ones(n)
        for feat, lo, hi, *missing in ramps:
            v = v * ramp(f[feat], lo, hi, *missing)
        return v

    gates = {name: product(r) for name, r in scfg.get("gates", {}).items()}
    z = np.full(n, float(scfg["bias"]))
    points: dict[str, np.ndarray] = {}
    for term in scfg["terms"]:
        v = product(term["ramps"])
        for g in term.get("gates", []):
            v = v * gates[g]
        points[term["name"]] = term["weight"] * v
        z += points[term["name"]]
    points.update({f"gate_{k}": v for k, v in gates.items()})
    return 1.0 / (1.0 + np.exp(-z)), points


def rule_hits(f: dict, cfg: dict) -> tuple[list[list[str]], np.ndarray]:
    """Province rules ("monthly kWh over N"): names hit per account, and which accounts they flag."""
    n = len(f["account"])
    hits: list[list[str]] = [[] for _ in range(n)]
    flag = np.zeros(n, dtype=bool)
    for rule in cfg.get("rules", []):
        pre, cls = str(rule.get("region_prefix", "")), rule.get("tariff_class")
        m = np.nan_to_num(f["monthly_kwh"]) > float(rule["monthly_kwh_over"])
        m &= np.array([str(r).startswith(pre) for r in f["region"]])
        if cls:
            m &= f["tariff_class"] == cls
        for i in np.flatnonzero(m):
            hits[i].append(rule["name"])
        if rule.get("flag"):
            flag |= m
    return hits, flag
