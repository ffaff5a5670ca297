"""The load bank: every load shape the evaluation population is built from, computed once from
real models and real data and shipped as one compressed file (``minewatch/data/load_bank.npz``).

Why a bank: demandlib and richardsonpy are heavy (pandas<3, matplotlib) and richardsonpy takes
~10 s per simulated household-year, while a 100 k-account population must be generated in
minutes, offline, on machines where neither is installed (CI installs ``.[test]`` only). So the
models run once, here, and the population draws from their output. ``python -m
minewatch.eval.bank --rebuild`` regenerates the file (needs demandlib, richardsonpy, pandas<3
and the SGSC file in ../shared); ``--check`` recomputes the demandlib part and compares.

Bank calendar: 364 days (52 whole weeks) from Monday 2021-01-04, 15-minute steps (34,944), local
time. A window date D maps to bank day ``(D - 2021-01-04).days mod 364`` — same weekday, same
season (±1 day per year away from 2021). Holidays: China's 2021 statutory days off (treated as
Sundays by demandlib); make-up working weekends are not modelled.

Contents (arrays; `meta` is a JSON string with versions, parameters and sources):
- ``bdew``      float32 [12, 34944]  demandlib 0.2.2 ``bdew.ElecSlp`` H0, H0_dyn, G0–G6, L0–L2
                                    (mean power in kW for 1 MWh/year, i.e. 15-min kWh × 4 / 1000 × 1000)
- ``industrial`` float32 [3, 34944] demandlib ``IndustrialLoadProfile.simple_profile``: one-shift,
                                    two-shift and three-shift factories (kW per MWh/year)
- ``heat``      float32 [2, 8736]   demandlib ``bdew.HeatBuilding`` EFH / MFH space heat (no hot
                                    water), hourly, for the cold-climate temperature below, kW per MWh/year
- ``temp``      float32 [2, 8736]   hourly air temperature °C: DWD TRY2010 region 4 (Potsdam, shipped
                                    with demandlib) weather anomalies on the climate normals of
                                    Hohhot (cold, row 0) and Chengdu (mild, row 1)
- ``rich``      uint16  [N, 34944]  richardsonpy 0.2.3 stochastic households (occupancy Markov
                                    chain + appliances + lighting, UK time-use statistics),
                                    15-min mean power in W; N households with 1–5 occupants,
                                    no electric space/water heating (``prev_heat_dev=True``)
- ``rich_occ``  uint8   [N]         occupants of each richardsonpy household
- ``sgsc``      uint16  [10, 17472] the 10 real SGSC households (Ausgrid Smart Grid Smart City
                                    trial via the gravitas R package), half-hourly Wh, 65535 =
                                    missing; 52 weeks each, shifted by ~26 weeks (southern →
                                    northern hemisphere seasons) and aligned on weekdays
- ``sgsc_ids``  int64   [10]        their SGSC customer ids
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

BANK_PATH = Path(__file__).resolve().parent.parent / "data" / "load_bank.npz"   # minewatch/data (package data)
BANK_START = dt.date(2021, 1, 4)          # a Monday
BANK_DAYS = 364                           # 52 weeks
STEPS_PER_DAY = 96                        # 15-minute resolution
BDEW_NAMES = ("h0", "h0_dyn", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2")
INDUSTRIAL_NAMES = ("one_shift", "two_shift", "three_shift")
HEAT_NAMES = ("efh", "mfh")
CLIMATES = ("cold", "mild")
SGSC_MISSING = 65535

# China's statutory days off (国务院办公厅 holiday notices for 2021 and 2022)
CN_HOLIDAYS = {
    **{dt.date(2021, 1, d): "元旦" for d in (1, 2, 3)},
    **{dt.date(2021, 2, d): "春节" for d in range(11, 18)},
    **{dt.date(2021, 4, d): "清明节" for d in (3, 4, 5)},
    **{dt.date(2021, 5, d): "劳动节" for d in range(1, 6)},
    **{dt.date(2021, 6, d): "端午节" for d in (12, 13, 14)},
    **{dt.date(2021, 9, d): "中秋节" for d in (19, 20, 21)},
    **{dt.date(2021, 10, d): "国庆节" for d in range(1, 8)},
    **{dt.date(2022, 1, d): "元旦" for d in (1, 2, 3)},
}

# monthly mean air temperature normals, °C (1981–2010, China Meteorological Administration)
CLIMATE_NORMALS = {
    "cold": [-11.6, -7.2, 0.3, 8.7, 15.9, 20.6, 22.6, 20.7, 14.9, 7.6, -1.6, -9.1],   # Hohhot
    "mild": [5.6, 7.9, 11.9, 17.2, 21.6, 24.2, 25.8, 25.4, 21.8, 17.5, 12.6, 7.2],    # Chengdu
}
ANOMALY_SCALE = {"cold": 1.3, "mild": 0.8}   # continental vs. humid-subtropical day-to-day swings

RICH_OCCUPANTS = (1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 2, 3)

SHARED_SGSC = Path("power_data/sgsc_smart_meter10/sgsc_smart_meter10_halfhourly.csv.gz")
SGSC_SHA256 = "894263e511a52a065cb447470fd2b58309399389c3c3f9441fd053387c992828"


def bank_day(dates: np.ndarray) -> np.ndarray:
    """Bank day (0..363) of each date (numpy datetime64[D])."""
    start = np.datetime64(BANK_START, "D")
    return ((dates.astype("datetime64[D]") - start).astype(np.int64)) % BANK_DAYS


@functools.lru_cache(maxsize=1)
def load_bank(path: str | None = None) -> dict:
    """The bank as a dict of arrays plus ``meta`` (dict). Cached; never touches the network."""
    p = Path(path) if path else BANK_PATH
    if not p.exists():
        raise FileNotFoundError(f"{p}: load bank missing — rebuild with "
                                "`python -m minewatch.eval.bank --rebuild` (needs demandlib, richardsonpy)")
    with np.load(p, allow_pickle=False) as z:
        out = {k: z[k] for k in z.files}
    out["meta"] = json.loads(str(out["meta"]))
    return out


# ---------------------------------------------------------------------------------------------
# building (needs the optional model packages; never imported by the population generator)
# ---------------------------------------------------------------------------------------------

def _bank_index_15min():
    import pandas as pd
    return pd.date_range(pd.Timestamp(BANK_START), periods=BANK_DAYS * STEPS_PER_DAY, freq="15min")


def build_bdew() -> np.ndarray:
    """demandlib's BDEW electricity profiles on the bank calendar, kW per MWh/year."""
    import pandas as pd
    from demandlib import bdew
    parts = []
    for year in (2021, 2022):
        slp = bdew.ElecSlp(year=year, holidays=CN_HOLIDAYS).get_profiles()
        parts.append(slp[list(BDEW_NAMES)])
    df = pd.concat(parts)
    idx = _bank_index_15min()
    arr = df.loc[idx].to_numpy(dtype=np.float64).T      # share of the year's energy per 15 min
    return (arr * 1000.0 * 4.0).astype(np.float32)      # kWh per 15 min for 1 MWh/yr → kW


def build_industrial() -> np.ndarray:
    from datetime import time as t
    from demandlib import particular_profiles as pp
    idx = _bank_index_15min()
    ilp = pp.IndustrialLoadProfile(idx, holidays=CN_HOLIDAYS)
    variants = {
        "one_shift": dict(am=t(7, 30), pm=t(17, 30), profile_factors={
            "week": {"day": 1.0, "night": 0.15}, "weekend": {"day": 0.25, "night": 0.12},
            "holiday": {"day": 0.15, "night": 0.12}}),
        "two_shift": dict(am=t(6, 0), pm=t(22, 0), profile_factors={
            "week": {"day": 1.0, "night": 0.25}, "weekend": {"day": 0.55, "night": 0.2},
            "holiday": {"day": 0.2, "night": 0.15}}),
        "three_shift": dict(am=t(7, 0), pm=t(23, 0), profile_factors={
            "week": {"day": 1.0, "night": 0.85}, "weekend": {"day": 0.8, "night": 0.7},
            "holiday": {"day": 0.45, "night": 0.4}}),
    }
    rows = []
    for name in INDUSTRIAL_NAMES:
        s = ilp.simple_profile(1000.0, **variants[name])     # kW for 1 MWh over the bank year
        rows.append(s.to_numpy(dtype=np.float64))
    return np.asarray(rows, dtype=np.float32), {k: {kk: (str(vv) if not isinstance(vv, dict) else vv)
                                                     for kk, vv in v.items()} for k, v in variants.items()}


def _try_temperature() -> np.ndarray:
    import demandlib
    p = Path(demandlib.__file__).parent / "vdi" / "resources_weather" / "TRY2010_04_Jahr.dat"
    data = np.genfromtxt(p, skip_header=38)
    return data[:8760, 8].astype(np.float64)               # column t: air temperature, hourly


def build_temperature() -> np.ndarray:
    """Hourly temperature on the bank calendar for each climate: TRY anomalies on CMA normals."""
    t_try = _try_temperature()                              # 365 days from Jan 1
    daily = t_try.reshape(365, 24).mean(axis=1)
    k = 31
    ext = np.concatenate([daily[-k:], daily, daily[:k]])
    smooth = np.convolve(ext, np.ones(k) / k, mode="same")[k:-k]
    anomaly = t_try - np.repeat(smooth, 24)
    mid = np.array([dt.date(2021, m, 15).timetuple().tm_yday for m in range(1, 13)], float)
    doy = np.arange(1, 366, dtype=float)
    out = []
    for clim in CLIMATES:
        normals = np.asarray(CLIMATE_NORMALS[clim], float)
        xs = np.concatenate([mid - 365, mid, mid + 365])
        ys = np.concatenate([normals, normals, normals])
        clim_daily = np.interp(doy, xs, ys)
        t = np.repeat(clim_daily, 24) + ANOMALY_SCALE[clim] * anomaly      # 8760 h from Jan 1
        # bank calendar: 2021-01-04 .. (364 days) → day-of-year 3..366 (wrap to Jan 1–2)
        days = (np.arange(BANK_DAYS) + 3) % 365
        out.append(t.reshape(365, 24)[days].ravel())
    return np.asarray(out, dtype=np.float32)


def build_heat(temp_cold: np.ndarray) -> np.ndarray:
    import pandas as pd
    from demandlib import bdew
    idx = pd.date_range(pd.Timestamp(BANK_START), periods=BANK_DAYS * 24, freq="h")
    rows = []
    for shlp, bclass in (("EFH", 3), ("MFH", 2)):
        hb = bdew.HeatBuilding(idx, holidays=CN_HOLIDAYS, temperature=pd.Series(temp_cold, index=idx),
                               shlp_type=shlp, building_class=bclass, wind_class=0,
                               annual_heat_demand=1000.0, name=shlp, ww_incl=False)
        rows.append(hb.get_bdew_profile().to_numpy(dtype=np.float64))   # kWh per hour = kW
    return np.asarray(rows, dtype=np.float32)


def build_richardson(seed: int = 20210104) -> tuple[np.ndarray, np.ndarray]:
    import random
    import richardsonpy.classes.electric_load as eload
    import richardsonpy.classes.occupancy as occ
    import richardsonpy.functions.change_resolution as cr
    import richardsonpy.functions.load_radiation as loadrad
    q_direct, q_diffuse = loadrad.get_rad_from_try_path()
    # bank day 0 is Jan 4: rotate the year's radiation so that index 0 is Jan 4
    q_direct = np.roll(np.asarray(q_direct, float), -3 * 24)
    q_diffuse = np.roll(np.asarray(q_diffuse, float), -3 * 24)
    q_direct = cr.change_resolution(q_direct, old_res=3600, new_res=60)
    q_diffuse = cr.change_resolution(q_diffuse, old_res=3600, new_res=60)
    rows = []
    for i, n_occ in enumerate(RICH_OCCUPANTS):
        random.seed(seed + i)
        np.random.seed((seed + i) % 2**32)
        o = occ.Occupancy(number_occupants=n_occ, initial_day=1, nb_days=365)
        el = eload.ElectricLoad(occ_profile=o.occupancy, total_nb_occ=n_occ, q_direct=q_direct,
                                q_diffuse=q_diffuse, timestep=60, initial_day=1,
                                prev_heat_dev=True, is_sfh=bool(i % 2))
        w = np.asarray(el.loadcurve, float)[: BANK_DAYS * 1440]
        rows.append(np.round(w.reshape(-1, 15).mean(axis=1)))
        print(f"  richardsonpy household {i + 1}/{len(RICH_OCCUPANTS)}: {n_occ} occupants, "
              f"{w.sum() / 60 / 1000:.0f} kWh/364 d", file=sys.stderr)
    arr = np.clip(np.asarray(rows), 0, 65534).astype(np.uint16)
    return arr, np.asarray(RICH_OCCUPANTS, np.uint8)


def build_sgsc(shared: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """The 10 SGSC households on the bank calendar (southern-hemisphere seasons shifted by
    ~26 weeks, weekdays kept), half-hourly Wh, local wall-clock time (DST folded)."""
    import pandas as pd
    path = shared / SHARED_SGSC
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if sha != SGSC_SHA256:
        raise ValueError(f"{path}: sha256 {sha} != {SGSC_SHA256} (see shared/power_data/PROVENANCE.md)")
    df = pd.read_csv(gzip.open(path), dtype={"customer_id": np.int64})
    # local wall clock: drop the offset, keep the clock reading (that is what habits follow)
    df["local"] = pd.to_datetime(df["reading_datetime"].str.slice(0, 19))
    ids = np.sort(df["customer_id"].unique())
    rows, chosen = [], {}
    for cid in ids:
        d = df[df.customer_id == cid].groupby("local")["general_supply_kwh"].mean()
        start, end = d.index.min().normalize(), d.index.max().normalize()
        grid = pd.date_range(start, end + pd.Timedelta(days=1), freq="30min", inclusive="left")
        s = d.reindex(grid)
        # candidate starts: Mondays whose day-of-year is near (Jan 4 + 26 weeks) ≈ Jul 5 in the
        # southern year, i.e. the SGSC winter lines up with the bank's (northern) winter
        best = None
        for monday in pd.date_range(start, end, freq="W-MON"):
            if monday + pd.Timedelta(days=BANK_DAYS) > end + pd.Timedelta(days=1):
                break
            doy = monday.dayofyear
            season_miss = min(abs(doy - 186), 365 - abs(doy - 186))
            w = s[monday: monday + pd.Timedelta(days=BANK_DAYS) - pd.Timedelta(minutes=30)]
            miss = int(w.isna().sum())
            key = (season_miss > 21, miss, season_miss)
            if best is None or key < best[0]:
                best = (key, monday, w.to_numpy())
        assert best is not None, cid
        _, monday, vals = best
        # SGSC readings are period-ending; the bank is period-starting: shift by one step
        vals = np.concatenate([vals[1:], vals[:1]])
        wh = np.where(np.isnan(vals), SGSC_MISSING, np.clip(np.round(vals * 1000.0), 0, 65534))
        rows.append(wh.astype(np.uint16))
        chosen[int(cid)] = {"first_day": str(monday.date()), "missing_half_hours": int(np.isnan(vals).sum()),
                            "kwh_per_day": round(float(np.nansum(vals)) / BANK_DAYS, 2)}
        print(f"  SGSC {cid}: 52 weeks from {monday.date()}, {chosen[int(cid)]}", file=sys.stderr)
    return np.asarray(rows), ids, {"sha256": sha, "households": chosen}


def rebuild(out: Path = BANK_PATH, shared: Path | None = None) -> dict:
    import demandlib
    import pandas as pd
    import richardsonpy
    shared = shared or (Path(__file__).resolve().parents[3].parent / "shared")
    print("demandlib BDEW profiles…", file=sys.stderr)
    bdew_arr = build_bdew()
    industrial, ind_params = build_industrial()
    temp = build_temperature()
    heat = build_heat(temp[0])
    print("SGSC households…", file=sys.stderr)
    sgsc, sgsc_ids, sgsc_meta = build_sgsc(shared)
    print("richardsonpy households (≈10 s each)…", file=sys.stderr)
    rich, rich_occ = build_richardson()
    meta = {
        "calendar": {"start": str(BANK_START), "days": BANK_DAYS, "steps_per_day": STEPS_PER_DAY,
                     "holidays": sorted(str(d) for d in CN_HOLIDAYS)},
        "versions": {"demandlib": demandlib.__version__, "richardsonpy": richardsonpy.__version__,
                     "pandas": pd.__version__, "numpy": np.__version__},
        "bdew_names": list(BDEW_NAMES), "industrial_names": list(INDUSTRIAL_NAMES),
        "industrial_params": ind_params, "heat_names": list(HEAT_NAMES), "climates": list(CLIMATES),
        "climate_normals": CLIMATE_NORMALS, "anomaly_scale": ANOMALY_SCALE,
        "weather": "DWD TRY2010 region 04 (Potsdam), mean year, shipped with demandlib",
        "richardson": {"occupants": list(RICH_OCCUPANTS), "seed": 20210104, "prev_heat_dev": True,
                       "radiation": "TRY2010_05 shipped with richardsonpy"},
        "sgsc": {"source": "shared/" + str(SHARED_SGSC),
                 "upstream": "Sayani07/gravitas @ c1430843c5cd9bc547dc0f768cd38b979f4b5f6a data/smart_meter10.RData "
                             "(Smart Grid Smart City customer trial, data.gov.au; package GPL-3)",
                 **sgsc_meta},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, bdew=bdew_arr, industrial=industrial, heat=heat, temp=temp, rich=rich,
                        rich_occ=rich_occ, sgsc=sgsc, sgsc_ids=sgsc_ids, meta=np.array(json.dumps(meta)))
    load_bank.cache_clear()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return meta


def check(path: Path = BANK_PATH) -> list[str]:
    """Recompute the deterministic (demandlib) parts and compare with the shipped bank."""
    b = load_bank(str(path))
    problems = []
    for name, fresh in (("bdew", build_bdew()), ("industrial", build_industrial()[0]),
                        ("temp", build_temperature())):
        if not np.allclose(b[name], fresh, rtol=1e-5, atol=1e-7):
            problems.append(f"{name} differs from a fresh demandlib run")
    if not np.allclose(b["heat"], build_heat(b["temp"][0]), rtol=1e-4, atol=1e-6):
        problems.append("heat differs from a fresh demandlib run")
    return problems


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--shared", type=Path, default=None)
    a = ap.parse_args()
    if a.rebuild:
        rebuild(shared=a.shared)
    if a.check:
        probs = check()
        print("\n".join(probs) or "bank matches demandlib")
        sys.exit(1 if probs else 0)
