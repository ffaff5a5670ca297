"""Hashrate → electrical power, from bundled hardware tables (CBECI-style lower/upper bounds).

Tables (package data, provenance in ``minewatch/data/PROVENANCE.md``):

* ``asic_sha256_hashrate_watts.csv`` — SHA-256 ASICs, TH/s and W (46 rows), plus the Antminer S21
  from ``asic_supplement.csv``. Efficiency per row = W / (TH/s), i.e. J/TH.
* ``gpu_ethash_benchmarks.csv`` — Ethash GPUs/ASICs, MH/s and (for 422 rows) W.
  Efficiency per row = MH/s / W, i.e. MH/J.
* ``asic_supplement.csv`` — documented single-model figures with their citation (Equihash: Antminer Z15).

Bounds (documented choice, applied the same way for every algorithm with a table):

* **lower** power = low hashrate × the *best* efficiency in the table (the miner cannot be doing
  the measured work with less energy than the most efficient listed hardware);
* **upper** power = high hashrate × the *worst* efficiency still in realistic use.

For SHA-256 the band is the table's full range (best: Antminer S21 17.5 J/TH; worst: Antminer S9
98 J/TH — the cheap second-hand machine typical of covert mining). For Ethash the GPU table is
noisy (benchmark sites, ASICs and 2014 cards in one list), so the band is its 5th–95th percentile
of MH/J. For Equihash only an ASIC lower bound is available (GPU miners are two orders of
magnitude less efficient and no cited GPU table is bundled), so the upper bound is ``None``.
RandomX, CryptoNight, Scrypt and others: no table, ``(None, None, reason)``.

Units: hashrate in H/s (Equihash: Sol/s), power in W.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from importlib import resources

__all__ = ["power_range_w", "hardware_equivalents", "efficiency_band", "normalize_algorithm"]

_ETHASH_PCT_LOW = 5.0
_ETHASH_PCT_HIGH = 95.0

_ALIASES = {
    "sha256": "sha256d", "sha256d": "sha256d", "sha2": "sha256d", "bitcoin": "sha256d",
    "ethash": "ethash", "etchash": "etchash", "daggerhashimoto": "ethash",
    "equihash": "equihash", "equihash2009": "equihash", "zhash": "equihash-144_5",
    "scrypt": "scrypt", "randomx": "randomx", "rx0": "randomx", "cryptonight": "cryptonight",
}


def normalize_algorithm(algorithm: str | None) -> str:
    """Lower-case canonical algorithm name (``"SHA-256"`` → ``"sha256d"``, ``"rx/0"`` → ``"randomx"``)."""
    if not isinstance(algorithm, str):
        return ""
    key = "".join(ch for ch in algorithm.lower() if ch.isalnum())
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith("cryptonight") or key.startswith("cn"):
        return "cryptonight"
    return algorithm.strip().lower()


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("minewatch").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _pretty(model: str) -> str:
    """``"bitmain antminer s19 xp"`` → ``"Bitmain Antminer S19 XP"``."""
    out = []
    for w in model.split():
        if any(ch.isdigit() for ch in w) or w.lower() == "xp":
            out.append(w.upper())
        else:
            out.append(w.capitalize())
    return " ".join(out)


@functools.lru_cache(maxsize=1)
def _sha256_rows() -> tuple[dict, ...]:
    rows = []
    for r in _read_csv("asic_sha256_hashrate_watts.csv"):
        th, w = float(r["hashrate_th_s"]), float(r["power_w"])
        if th > 0 and w > 0:
            rows.append({"model": r["model"].strip().lower(), "hashrate_hs": th * 1e12, "power_w": w,
                         "source": "asic_sha256_hashrate_watts.csv (nhamilton1/asics-tools)"})
    for r in _read_csv("asic_supplement.csv"):
        if r["algorithm"] == "sha256d":
            rows.append({"model": r["model"].strip().lower(), "hashrate_hs": float(r["hashrate_hs"]),
                         "power_w": float(r["power_w"]), "source": r["source"]})
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def _ethash_rows() -> tuple[dict, ...]:
    rows = []
    for r in _read_csv("gpu_ethash_benchmarks.csv"):
        p = (r.get("Power (Watts)") or "").strip()
        h = (r.get("Hashrate (Mh)") or "").strip()
        try:
            mh, w = float(h), float(p)
        except ValueError:
            continue
        if mh > 0 and w > 0:
            rows.append({"model": (r.get("Reference Model") or "").strip() or r["Model"].strip(),
                         "hashrate_hs": mh * 1e6, "power_w": w,
                         "source": f"gpu_ethash_benchmarks.csv ({r.get('Source', '').strip()})"})
    return tuple(rows)


@functools.lru_cache(maxsize=8)
def _supplement(algorithm: str) -> tuple[dict, ...]:
    return tuple({"model": r["model"].strip().lower(), "hashrate_hs": float(r["hashrate_hs"]),
                  "power_w": float(r["power_w"]), "source": r["source"]}
                 for r in _read_csv("asic_supplement.csv") if r["algorithm"] == algorithm)


def _percentile(sorted_vals: list[float], pct: float) -> float:
    """Linear-interpolation percentile (numpy's default method) of pre-sorted values."""
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = (len(sorted_vals) - 1) * pct / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def efficiency_band(algorithm: str) -> tuple[float, float, str] | None:
    """(best, worst) energy per hash in **J/H** for ``algorithm`` and the basis text, or None."""
    algo = normalize_algorithm(algorithm)
    if algo == "sha256d":
        rows = _sha256_rows()
        best = min(rows, key=lambda r: r["power_w"] / r["hashrate_hs"])
        worst = max(rows, key=lambda r: r["power_w"] / r["hashrate_hs"])
        b, w = best["power_w"] / best["hashrate_hs"], worst["power_w"] / worst["hashrate_hs"]
        return b, w, (f"SHA-256 ASIC table ({len(rows)} rows): best {b * 1e12:.1f} J/TH "
                      f"({_pretty(best['model'])}), worst {w * 1e12:.1f} J/TH ({_pretty(worst['model'])})")
    if algo in ("ethash", "etchash"):
        rows = _ethash_rows()
        effs = sorted(r["hashrate_hs"] / 1e6 / r["power_w"] for r in rows)  # MH/J
        hi = _percentile(effs, _ETHASH_PCT_HIGH)
        lo = _percentile(effs, _ETHASH_PCT_LOW)
        return 1e-6 / hi, 1e-6 / lo, (
            f"Ethash benchmark table ({len(rows)} rows with power): {_ETHASH_PCT_LOW:g}th–"
            f"{_ETHASH_PCT_HIGH:g}th percentile efficiency {lo:.3f}–{hi:.3f} MH/J"
            + ("; Etchash uses the same hardware" if algo == "etchash" else ""))
    return None


def _clean_rate(x: object) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v) or v < 0:
        return None
    return v


def power_range_w(algorithm: str, hashrate_low_hs: float | None,
                  hashrate_high_hs: float | None) -> tuple[float | None, float | None, str]:
    """Electrical power band (W) for a hashrate band of one algorithm: ``(w_low, w_high, basis)``.

    ``w_low`` = low hashrate × best listed efficiency; ``w_high`` = high hashrate × worst
    realistic efficiency (see the module docstring). One missing hashrate bound is replaced by the
    other. Algorithms without a bundled table give ``(None, None, "no hardware table for …")``.
    Never raises.
    """
    try:
        algo = normalize_algorithm(algorithm)
        lo, hi = _clean_rate(hashrate_low_hs), _clean_rate(hashrate_high_hs)
        if lo is None and hi is None:
            return None, None, f"no usable hashrate for {algo or algorithm!r}"
        if lo is None:
            lo = hi
        if hi is None:
            hi = lo
        assert lo is not None and hi is not None
        if lo > hi:
            lo, hi = hi, lo
        band = efficiency_band(algo)
        if band is not None:
            best, worst, basis = band
            return lo * best, hi * worst, basis
        if algo == "equihash":
            sup = _supplement("equihash")
            if sup:
                r = min(sup, key=lambda r: r["power_w"] / r["hashrate_hs"])
                eff = r["power_w"] / r["hashrate_hs"]
                return lo * eff, None, (
                    f"Equihash lower bound from {_pretty(r['model'])} ({eff * 1e3:.2f} J/kSol; "
                    f"source: {r['source']}); no upper bound: GPU Equihash miners are far less "
                    "efficient and no cited GPU table is bundled")
        return None, None, f"no hardware table for {algo or algorithm!r}"
    except Exception as e:  # pragma: no cover - defensive
        return None, None, f"power not estimated: {type(e).__name__}: {e}"


_SHA_REFERENCE = ("bitmain antminer s9", "bitmain antminer s19", "bitmain antminer s19 pro",
                  "bitmain antminer s19 xp", "whatsminer m30s", "bitmain antminer s21")
_ETHASH_REFERENCE = ("Radeon RX 580", "GeForce GTX 1060 6GB", "GeForce RTX 3060 Ti",
                     "GeForce RTX 3070", "GeForce RTX 3080", "GeForce RTX 3090",
                     "Innosilicon A10 PRO ETHMaster")


def _count(n: float) -> str:
    return f"{n:,.0f}" if n >= 100 else f"{n:.3g}"


def _median(vals: list[float]) -> float:
    s = sorted(vals)
    return _percentile(s, 50.0)


def hardware_equivalents(algorithm: str, hashrate_hs: float) -> list[dict]:
    """How many units of well-known hardware would produce ``hashrate_hs``.

    Each item: ``model``, ``units`` (float), ``unit_hashrate_hs``, ``unit_power_w``,
    ``power_w`` (units × unit power), ``text`` (e.g. ``"≈ 12.3 × Bitmain Antminer S19"``), and
    ``source``. SHA-256 uses the top hashrate bin listed per model; Ethash the median hashrate and
    median power of the model's benchmark rows with power. Empty list when no table applies or the
    hashrate is not a positive number. Never raises.
    """
    try:
        rate = _clean_rate(hashrate_hs)
        if not rate:
            return []
        algo = normalize_algorithm(algorithm)
        units: list[dict] = []
        if algo == "sha256d":
            for model in _SHA_REFERENCE:
                rows = [r for r in _sha256_rows() if r["model"] == model]
                if not rows:
                    continue
                r = max(rows, key=lambda r: r["hashrate_hs"])
                units.append({"model": _pretty(model), "unit_hashrate_hs": r["hashrate_hs"],
                              "unit_power_w": r["power_w"], "source": r["source"]})
        elif algo in ("ethash", "etchash"):
            for model in _ETHASH_REFERENCE:
                rows = [r for r in _ethash_rows() if r["model"] == model]
                if not rows:
                    continue
                units.append({"model": model,
                              "unit_hashrate_hs": _median([r["hashrate_hs"] for r in rows]),
                              "unit_power_w": _median([r["power_w"] for r in rows]),
                              "source": f"gpu_ethash_benchmarks.csv, median of {len(rows)} rows"})
        elif algo == "equihash":
            for r in _supplement("equihash"):
                units.append({"model": _pretty(r["model"]), "unit_hashrate_hs": r["hashrate_hs"],
                              "unit_power_w": r["power_w"], "source": r["source"]})
        out = []
        for u in units:
            n = rate / u["unit_hashrate_hs"]
            out.append({**u, "units": n, "power_w": n * u["unit_power_w"],
                        "text": f"≈ {_count(n)} × {u['model']}"})
        out.sort(key=lambda d: d["unit_power_w"] / d["unit_hashrate_hs"])
        return out
    except Exception:  # pragma: no cover - defensive
        return []
