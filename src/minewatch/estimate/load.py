"""What a metered excess load could be mining: power range → hardware, hashrate, kWh, bill.

* **Excess load** (the mining load) = level after the onset − baseline before it, from daily kWh
  quartiles: ``low = (after_q25 − before_q75) / 24 h``, ``high = (after_q75 − before_q25) / 24 h``,
  ``mid = (after_median − before_median) / 24 h`` clipped into [low, high]. Without an onset the
  baseline is the median level of the account's peers (the account's own baseline is unseen).
  The detector divides it by the load's duty (share of the day it runs) to get the power while
  running, which sets the hardware; energy and bills use power × hours per day.
* **GPU rigs**: power / rig power, with the rig band of ``meter_rules.toml`` (1 kW; 0.8–1.5 kW):
  ``rigs_low = P_low / 1.5 kW``, ``rigs_high = P_high / 0.8 kW``.
* **ASICs**: units = power / unit power of each listed model (``energy.hardware_equivalents``).
* **Hashrate per algorithm** (never summed): ``low = P_low / worst J/H``,
  ``high = P_high / best J/H`` with ``energy.efficiency_band`` (SHA-256: S9 … S21 table;
  Ethash: 5th–95th percentile MH/J of the GPU table).
* **kWh and bill**: monthly kWh = daily level × days_per_month; bill = monthly kWh × the tariff of
  the account's class (CNY/kWh, ``[tariff]``), with the punitive surcharge band shown apart.
"""

from __future__ import annotations

import functools

import numpy as np

from . import energy

__all__ = ["excess_power_w", "load_estimate"]


def excess_power_w(base_q25, base_q50, base_q75, level_q25, level_q50, level_q75):
    """Mining load in W from daily-kWh quartiles before/after the onset: ``(low, mid, high)``.

    Works on scalars or numpy arrays; negative excess → 0; NaN propagates.
    """
    k = 1000.0 / 24.0                       # kWh/day → W
    with np.errstate(invalid="ignore"):
        lo = np.clip((np.asarray(level_q25, float) - base_q75) * k, 0, None)
        hi = np.clip((np.asarray(level_q75, float) - base_q25) * k, 0, None)
        hi = np.maximum(hi, lo)
        mid = np.clip((np.asarray(level_q50, float) - base_q50) * k, lo, hi)
    return lo, mid, hi


@functools.lru_cache(maxsize=4)
def _asic_units(models: tuple[str, ...]) -> tuple[dict, ...]:
    known = {r["model"]: r for r in energy.hardware_equivalents("sha256d", 1e12)}
    return tuple({"model": m, "unit_power_w": known[m]["unit_power_w"],
                  "unit_hashrate_hs": known[m]["unit_hashrate_hs"], "source": known[m]["source"]}
                 for m in models if m in known)


def _r(x: float, digits: int = 3) -> float:
    return float(f"{x:.{digits}g}") if x else 0.0


def load_estimate(power_w_low: float, power_w_mid: float, power_w_high: float, *,
                  duty: float = 1.0, level_kwh_day: float | None = None,
                  tariff_class: str | None = None, rules: dict | None = None) -> dict:
    """Hardware, hashrate per algorithm, monthly kWh and bill for one mining-load range (W,
    while running); ``duty``: the share of the day it runs (1 = round the clock)."""
    if rules is None:
        from ..detectors._load_score import load_rules
        rules = load_rules()
    hw, tariff = rules["hardware"], rules["tariff"]
    lo, mid, hi = (max(0.0, float(v)) for v in (power_w_low, power_w_mid, power_w_high))
    rig = float(hw["gpu_rig_kw"]) * 1000
    rig_lo, rig_hi = (float(v) * 1000 for v in hw["gpu_rig_kw_band"])
    out: dict = {"power_w": {"low": _r(lo), "mid": _r(mid), "high": _r(hi)}}
    out["gpu_rigs"] = {"low": _r(lo / rig_hi), "mid": _r(mid / rig), "high": _r(hi / rig_lo),
                       "rig_kw": hw["gpu_rig_kw"], "rig_kw_band": list(hw["gpu_rig_kw_band"])}
    out["asics"] = [{"model": u["model"], "units_low": _r(lo / u["unit_power_w"]),
                     "units_high": _r(hi / u["unit_power_w"]), "unit_power_w": u["unit_power_w"],
                     "source": u["source"]}
                    for u in _asic_units(tuple(hw["asic_models"]))]
    rates = []
    for algo in hw["algorithms"]:
        band = energy.efficiency_band(algo)
        if band is None:
            continue
        best, worst, basis = band
        rates.append({"algorithm": algo, "low_hs": _r(lo / worst), "high_hs": _r(hi / best),
                      "basis": basis})
    out["hashrate"] = rates
    days = float(rules["days"]["days_per_month"])
    cls = tariff_class if tariff_class in tariff else "unknown"
    price = float(tariff[cls])
    hours = 24.0 * min(max(float(duty), 0.0), 1.0)
    mining = {"low": _r(lo * hours * days / 1000), "mid": _r(mid * hours * days / 1000),
              "high": _r(hi * hours * days / 1000)}
    out["hours_per_day"] = _r(hours)
    out["monthly_kwh"] = {"mining": mining}
    bill = {"tariff_class": cls, "price_cny_per_kwh": price, "currency": tariff["currency"],
            "mining_cny": {k: _r(v * price) for k, v in mining.items()}}
    if level_kwh_day is not None and np.isfinite(level_kwh_day):
        acct = float(level_kwh_day) * days
        out["monthly_kwh"]["account"] = _r(acct, 4)
        bill["account_cny"] = _r(acct * price, 4)
        s_lo, s_hi = tariff["punitive_surcharge_cny_per_kwh"]
        bill["punitive_surcharge_cny"] = [_r(acct * s_lo), _r(acct * s_hi)]
        bill["rule"] = (f"{acct:,.0f} kWh/month × {price:g} CNY/kWh ({cls} tariff, "
                        f"meter_rules.toml); a punitive surcharge of {s_lo:g}–{s_hi:g} CNY/kWh "
                        "on the whole account would add the second figure")
    out["bill"] = bill
    return out


def hardware_text(est: dict) -> str:
    """One line for a reason: rigs and the first ASIC model, e.g. '≈ 32–61 GPU rigs …'."""
    g = est["gpu_rigs"]
    parts = [f"≈ {g['low']:,.3g}–{g['high']:,.3g} GPU rigs ({g['rig_kw_band'][0]:g}–"
             f"{g['rig_kw_band'][1]:g} kW each)"]
    for a in est["asics"][:2]:
        parts.append(f"{a['units_low']:,.3g}–{a['units_high']:,.3g} × {a['model']}")
    return " or ".join(parts)
