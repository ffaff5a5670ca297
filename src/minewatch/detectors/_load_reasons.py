"""Reason lines a grid inspector can read and check against the meter data."""

from __future__ import annotations

import math

import numpy as np

from ..estimate.load import hardware_text


def day_iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _ok(x) -> bool:
    return x is not None and isinstance(x, (int, float, np.floating, np.integer)) \
        and math.isfinite(float(x))


def _headline_new_load(g: dict) -> str:
    duty, const, load = g.get("duty"), g.get("const"), g.get("load_kw")
    since = f"since {day_iso(g['onset_day'])}"
    if _ok(duty) and _ok(const) and _ok(load) and const >= 0.7:
        if duty >= 0.8:
            return f"flat 24 h load of +{load:.1f} kW {since}"
        return (f"constant load of +{load:.1f} kW for ≈{24 * duty:.0f} h a day {since} "
                f"(+{g['excess_kw']:.1f} kW on average)")
    return f"new load of +{g['excess_kw']:.1f} kW on average {since}"


def reasons(g: dict, points: dict, cfg: dict, est: dict | None) -> list[str]:
    """Lines for one account; ``g`` maps feature name → value, ``points`` term → points."""
    out = []
    if g["has_onset"] > 0:
        out.append(f"{_headline_new_load(g)} (mean power {g['base_kwh_day'] / 24:.2f} → "
                   f"{g['after_q50'] / 24:.2f} kW; step t = {g['step_t']:.0f}; present on "
                   f"{g['persistence']:.0%} of the days since)")
    elif _ok(g.get("floor_ratio")) and g["floor_ratio"] >= 0.6:
        out.append(f"flat 24 h load at {g['level_kw']:.1f} kW (never below {g['floor_kw']:.1f} kW)"
                   f" from {day_iso(g['first_day'])} to {day_iso(g['last_day'])}")
    else:
        out.append(f"load at {g['level_kw']:.1f} kW ({g['monthly_kwh']:,.0f} kWh/month) from "
                   f"{day_iso(g['first_day'])} to {day_iso(g['last_day'])}")
    shape = [f"day-to-day CV {g['cv_day']:.2f}"] if _ok(g["cv_day"]) else []
    for key, label in (("cv_hour", "within-day CV"), ("night_day", "night/day"),
                       ("weekend_ratio", "weekend/weekday")):
        if _ok(g.get(key)):
            shape.append(f"{label} {g[key]:.2f}")
    if shape:
        out.append("; ".join(shape))
    if _ok(g.get("level_vs_peers")):
        cls, n = g["tariff_class"], int(g["peer_n"])
        who = {"region": f"{cls} accounts in region {g['region']} (n = {n})",
               "class": f"{cls} accounts, all regions (n = {n})",
               "reference": f"the reference {cls} level in meter_rules.toml (too few peers)"}
        out.append(f"{g['level_vs_peers']:.3g}× the median of {who[g['peer_scope']]}")
    if points.get("capacity_use", 0) > 0:
        out.append(f"uses {g['capacity_use']:.0%} of the {g['contract_kva']:g} kVA contract "
                   "capacity on average")
    if points.get("tariff_mismatch", 0) > 0:
        out.append(f"industrial-like flat load on a {g['tariff_class']} meter")
    if points.get("tariff_fits", 0) < 0:
        out.append(f"flat load present from the start on a {g['tariff_class']} tariff, which fits it")
    if g["n_days"] < g["span_days"]:
        out.append(f"{int(g['span_days'] - g['n_days'])} of {int(g['span_days'])} days incomplete "
                   "or missing (left out, not counted as evidence)")
    for name in g.get("rule_hits", []):
        rule = next(r for r in cfg.get("rules", []) if r["name"] == name)
        out.append(f"{g['monthly_kwh']:,.0f} kWh/month is over the {name} rule "
                   f"({rule['monthly_kwh_over']:,} kWh)")
    if est is not None and est["power_w"]["high"] > 0:
        p, b = est["power_w"], est["bill"]
        hours = est.get("hours_per_day", 24)
        line = (f"mining load {p['low'] / 1000:.1f}–{p['high'] / 1000:.1f} kW"
                + (f" for ≈{hours:.0f} h a day" if hours < 23.5 else "") + f": {hardware_text(est)}")
        if "account_cny" in b:
            line += (f"; bill ≈ {b['account_cny']:,.0f} {b['currency']}/month at "
                     f"{b['price_cny_per_kwh']:g} {b['currency']}/kWh ({b['tariff_class']})")
        out.append(line)
    top = sorted(((v, k) for k, v in points.items() if abs(v) >= 0.05), reverse=True)
    out.append(f"score {g['score']:.2f} = logistic({cfg['score']['bias']:g} "
               + " ".join(f"{'+' if v >= 0 else '−'} {abs(v):.1f} {k}" for v, k in top) + ")")
    return out
