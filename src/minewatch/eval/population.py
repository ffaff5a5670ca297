"""A synthetic meter population with ground truth: the evaluation set for the power detectors.

Every legitimate load comes from a real model or real data (see ``bank.py`` and the population
README): demandlib's BDEW electricity, industrial and heat profiles, richardsonpy's stochastic
households and the 10 real SGSC households, plus physical models (compressor duty cycles,
heat-pump COP, EV charging sessions, pump motors) driven by real weather. Miners are injected on
top of host loads with the physics of mining hardware: a constant draw per unit, running round the
clock once installed, with restarts, outages, failed units and partial hiding.

    pop = make_population(5000, days=120, interval_min=30, seed=1)
    pop.register, pop.truth            # pyarrow Tables
    for chunk in pop.iter_readings():  # pyarrow Tables: account, timestamp, kwh
        ...
    pop.write("out/pop", fmt="parquet")

Generation is vectorised numpy over blocks of accounts, each block with its own random streams
(seeded from (seed, block)), so the result does not depend on how it is chunked, and a population
built with ``data_quality=False`` has exactly the same loads, only without the meter faults.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from .bank import BANK_DAYS, STEPS_PER_DAY, bank_day, load_bank

TZ = "+08:00"
TZ_OFFSET_S = 8 * 3600

# ---------------------------------------------------------------------------------------------
# categories, proportions
# ---------------------------------------------------------------------------------------------

#: category → (tariff class(es) with weights, default share of accounts, what it is)
CATEGORIES: dict[str, tuple[dict[str, float], str]] = {
    "household_h0": ({"residential": 1.0}, "demandlib BDEW H0 (dynamic) shape with individual day and interval variation"),
    "household_richardson": ({"residential": 1.0}, "richardsonpy stochastic occupancy/appliance/lighting household, days resampled"),
    "household_sgsc": ({"residential": 1.0}, "real SGSC (Australia) household, seasons shifted 26 weeks, days resampled"),
    "household_eheat": ({"residential": 1.0}, "煤改电 household: direct or night-storage electric heating (demandlib BDEW heat, real weather)"),
    "household_heatpump": ({"residential": 1.0}, "household with an air-source heat pump (BDEW heat / COP(T))"),
    "household_ev": ({"residential": 1.0}, "household with EV charging (3.3/7 kW, timer at valley tariff or on arrival)"),
    "shop": ({"commercial": 1.0}, "small business / shop: demandlib G0–G6, refrigeration floor; some 24-h stores"),
    "internet_cafe": ({"commercial": 1.0}, "internet café: PCs × occupancy from BDEW G2 (evening), open 10–02 or 24 h"),
    "cold_storage": ({"commercial": 0.5, "agricultural": 0.5}, "cold store: compressor duty cycle around a flat, temperature-driven mean, defrost"),
    "server_room": ({"commercial": 0.6, "industrial": 0.4}, "server room: flat IT load + cooling (COP(T)), office bump, sometimes a step-up"),
    "industrial_shift": ({"industrial": 1.0}, "factory on 1/2/3 shifts: demandlib IndustrialLoadProfile, Spring Festival closure"),
    "factory_24h": ({"industrial": 1.0}, "small 24-h factory: flat three-shift process load, maintenance days, Spring Festival closure"),
    "farm": ({"agricultural": 1.0}, "farm: demandlib BDEW L0/L1/L2"),
    "irrigation_pump": ({"agricultural": 1.0}, "irrigation pump: motor at constant draw in episodes, seasonal; daytime or 24 h"),
}

DEFAULT_PROPORTIONS: dict[str, float] = {
    "household_h0": 0.20, "household_richardson": 0.20, "household_sgsc": 0.20,
    "household_eheat": 0.035, "household_heatpump": 0.03, "household_ev": 0.04,
    "shop": 0.12, "internet_cafe": 0.02, "cold_storage": 0.015, "server_room": 0.01,
    "industrial_shift": 0.03, "factory_24h": 0.015, "farm": 0.04, "irrigation_pump": 0.045,
}

#: share of miners hosted by each category (the host's own load keeps running)
DEFAULT_MINER_HOSTS: dict[str, float] = {
    "household_h0": 0.20, "household_richardson": 0.20, "household_sgsc": 0.20,
    "household_eheat": 0.02, "household_heatpump": 0.015, "household_ev": 0.015,
    "shop": 0.12, "internet_cafe": 0.06, "farm": 0.07, "irrigation_pump": 0.03,
    "industrial_shift": 0.03, "factory_24h": 0.02, "cold_storage": 0.01, "server_room": 0.01,
}

#: how miners hide (share of miner *owners*; a split owner uses 2–3 meters)
DEFAULT_HIDING: dict[str, float] = {
    "none": 0.55, "throttled": 0.15, "daytime_only": 0.08, "night_only": 0.07, "split": 0.15,
}

#: mining hardware: (share among miners ≥ 0.8 kW, unit power range kW)
HARDWARE: dict[str, tuple[float, tuple[float, float]]] = {
    "gpu_rig": (0.45, (0.8, 1.5)),        # 6–8 GPU rig, Ethash/Etchash
    "antminer_s9": (0.30, (1.32, 1.45)),  # ~1.4 kW
    "antminer_s19": (0.25, (3.05, 3.35)), # ~3.25 kW
}
SMALL_HARDWARE = "gpu_pc"                 # one or two GPUs in a desktop, 0.3–0.8 kW

REGIONS = (  # code, province, city, district, climate
    ("150102", "内蒙古自治区", "呼和浩特市", "新城区", "cold"),
    ("150203", "内蒙古自治区", "包头市", "昆都仑区", "cold"),
    ("150602", "内蒙古自治区", "鄂尔多斯市", "东胜区", "cold"),
    ("650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "cold"),
    ("510104", "四川省", "成都市", "锦江区", "mild"),
    ("511802", "四川省", "雅安市", "雨城区", "mild"),
)
COLD_ONLY = {"household_eheat", "household_heatpump"}

SPRING_FESTIVAL = {2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25), 2021: dt.date(2021, 2, 12),
                   2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10),
                   2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6)}

KVA_SIZES = np.array([4, 6, 8, 10, 12, 16, 20, 25, 32, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315,
                      400, 500, 630, 800, 1000, 1250, 1600], float)

SEED_ACCOUNT = "SEED-HOUSEHOLD"
SEED_MINER_KW = 48.3        # + ~0.3 kW of household load ≈ 48.6 kW ≈ 35,000 kWh per 30 days


@dataclasses.dataclass(frozen=True)
class DataQuality:
    """Meter faults, as shares of accounts (or of gaps)."""
    dropout: float = 0.12          # accounts with 1–3 gaps of 1 h … 21 days (missing rows)
    gap_hours: tuple[float, float] = (1.0, 21 * 24.0)
    catchup: float = 0.25          # of gaps: the first reading after carries the gap's energy
    spike: float = 0.02            # accounts with 1–3 single-reading spikes (×20–100 or 999.99)
    reset: float = 0.005           # accounts with a meter reset/replacement (one negative reading)
    duplicate: float = 0.005       # accounts with 1–5 exactly repeated rows


@dataclasses.dataclass(frozen=True)
class PopulationConfig:
    n_accounts: int = 5000
    days: int = 120
    interval_min: int = 30                     # 15, 30, 60, or 1440 (daily kWh)
    seed: int = 0
    start: dt.date = dt.date(2021, 1, 1)       # local (+08:00) midnight
    proportions: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_PROPORTIONS))
    miner_fraction: float = 0.04               # share of accounts that are mining hosts (before splits)
    miner_hosts: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_MINER_HOSTS))
    hiding: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(DEFAULT_HIDING))
    miner_kw_range: tuple[float, float] = (0.3, 100.0)   # log-uniform total power per owner
    min_baseline_days: int = 14                # onset no earlier than this many days into the window
    min_after_days: int = 7                    # … and no later than this many days before its end
    preexisting_fraction: float = 0.0          # miners already running before the window (onset earlier)
    include_seed: bool = True                  # the seed household (SEED-HOUSEHOLD), extra to n_accounts
    household_vacancy: float = 0.08            # households away 5–30 days (standby only)
    data_quality: DataQuality | None = dataclasses.field(default_factory=DataQuality)
    kwh_decimals: int = 2                      # register resolution (DL/T 645: 0.01 kWh)
    block_size: int = 512                      # accounts per random-stream block


# ---------------------------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------------------------

def _lognoise(rng, shape, sigma) -> np.ndarray:
    """Mean-one lognormal multiplicative noise (float32); sigma scalar or broadcastable."""
    z = rng.standard_normal(shape, dtype=np.float32)
    s = np.asarray(sigma, np.float32)
    return np.exp(s * z - 0.5 * s * s)


def _ar1_days(rng, n, d, sigma, rho=0.6) -> np.ndarray:
    """Mean-one lognormal day factors with AR(1) persistence, [n, d]."""
    z = rng.standard_normal((n, d)).astype(np.float32)
    x = np.empty_like(z)
    x[:, 0] = z[:, 0]
    k = math.sqrt(1 - rho * rho)
    for j in range(1, d):
        x[:, j] = rho * x[:, j - 1] + k * z[:, j]
    s = np.asarray(sigma, np.float32).reshape(-1, 1) if np.ndim(sigma) else np.float32(sigma)
    return np.exp(s * x - 0.5 * s * s)


def _sessions(starts_min: np.ndarray, durs_min: np.ndarray, total_min: int, step_min: int) -> np.ndarray:
    """Fraction of each interval covered by sessions. starts/durs: [n, k] minutes from the window
    start (NaN or dur ≤ 0 = no session). Returns float32 [n, total_min // step_min]."""
    n = starts_min.shape[0]
    diff = np.zeros((n, total_min + 1), np.int32)
    s = np.asarray(starts_min, float)
    e = s + np.asarray(durs_min, float)
    ok = np.isfinite(s) & np.isfinite(e) & (e > s)
    rows = np.broadcast_to(np.arange(n)[:, None], s.shape)[ok]
    s0 = np.clip(np.round(s[ok]), 0, total_min).astype(np.int64)
    e0 = np.clip(np.round(e[ok]), 0, total_min).astype(np.int64)
    np.add.at(diff, (rows, s0), 1)
    np.add.at(diff, (rows, e0), -1)
    on = np.cumsum(diff[:, :total_min], axis=1) > 0
    return on.reshape(n, -1, step_min).mean(axis=2, dtype=np.float32)


def _kva(kw: np.ndarray) -> np.ndarray:
    """Smallest standard capacity ≥ kw (kVA at pf≈0.9 with headroom handled by the caller)."""
    i = np.searchsorted(KVA_SIZES, np.asarray(kw, float) / 0.9)
    return KVA_SIZES[np.minimum(i, len(KVA_SIZES) - 1)]


def _exact_counts(shares: Mapping[str, float], n: int, rng) -> np.ndarray:
    """n labels (indices into shares) with counts by largest remainder, shuffled."""
    names = list(shares)
    p = np.array([shares[k] for k in names], float)
    if (p < 0).any() or p.sum() <= 0:
        raise ValueError("proportions must be non-negative and not all zero")
    p = p / p.sum()
    raw = p * n
    c = np.floor(raw).astype(int)
    rem = n - c.sum()
    if rem:
        c[np.argsort(-(raw - c), kind="stable")[:rem]] += 1
    lab = np.repeat(np.arange(len(names)), c)
    rng.shuffle(lab)
    return lab


# ---------------------------------------------------------------------------------------------
# the population
# ---------------------------------------------------------------------------------------------

class Population:
    """Register and truth up front; readings generated block by block on demand."""

    def __init__(self, config: PopulationConfig):
        c = config
        if c.interval_min not in (15, 30, 60, 1440):
            raise ValueError(f"interval_min must be 15, 30, 60 or 1440, not {c.interval_min}")
        if c.days < c.min_baseline_days + c.min_after_days + 1 and c.miner_fraction > 0:
            raise ValueError(f"days={c.days} leaves no room for an onset after {c.min_baseline_days} "
                             f"baseline days and {c.min_after_days} days of mining")
        unknown = (set(c.proportions) | set(c.miner_hosts)) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"unknown categories: {sorted(unknown)}")
        self.config = c
        self.bank = load_bank()
        self._calendar()
        self._bank_at_resolution()
        self._plan()
        self.register = self._register_table()
        self.truth = self._truth_table()

    # -- time ------------------------------------------------------------------------------------
    def _calendar(self):
        c = self.config
        self.gen_step = 60 if c.interval_min == 1440 else c.interval_min   # generation resolution
        self.P = 1440 // self.gen_step                                        # steps per day
        self.D = c.days
        self.T = self.D * self.P
        self.minutes = self.D * 1440
        start = np.datetime64(c.start, "D")
        self.dates = start + np.arange(self.D)
        self.bday = bank_day(self.dates)                                      # [D]
        self.weekday = ((self.dates.astype(np.int64) + 3) % 7).astype(np.int8)   # 0 = Monday
        self.step_day = np.repeat(np.arange(self.D), self.P)
        self.step_q = np.tile(np.arange(self.P), self.D)
        self.hour = (self.step_q * self.gen_step / 60.0).astype(np.float32)   # start hour of step
        # interval start, UTC seconds
        t0 = (start.astype("datetime64[s]").astype(np.int64) - TZ_OFFSET_S)
        step_s = c.interval_min * 60
        n_out = self.D if c.interval_min == 1440 else self.T
        self.ts_utc_s = t0 + np.arange(n_out, dtype=np.int64) * step_s

    def _bank_at_resolution(self):
        """Bank arrays resampled to the generation step, as kW, shape [k, 364 * P]."""
        b, P = self.bank, self.P
        f = STEPS_PER_DAY // P              # 15-min steps per generation step (1, 2, 4)

        def agg15(a):
            a = np.asarray(a, np.float32)
            return a.reshape(a.shape[0], -1, f).mean(axis=2) if f > 1 else a

        self.bdew = agg15(b["bdew"])                          # kW per MWh/yr
        self.bdew_i = {n: i for i, n in enumerate(b["meta"]["bdew_names"])}
        self.ind = agg15(b["industrial"])
        self.rich = agg15(b["rich"].astype(np.float32) / 1000.0)          # kW
        # SGSC: half-hourly Wh → kW; fill its own few missing readings from the same slot a week
        # earlier/later (those are the source's gaps, not this population's dropouts)
        s = b["sgsc"].astype(np.float32)
        s[b["sgsc"] == 65535] = np.nan
        s = s.reshape(s.shape[0], BANK_DAYS, 48)
        for _ in range(60):
            if not np.isnan(s).any():
                break
            for shift in (7, -7, 14, -14):
                m = np.isnan(s)
                s[m] = np.roll(s, shift, axis=1)[m]
        s = np.nan_to_num(s, nan=float(np.nanmean(s))).reshape(s.shape[0], -1) / 1000.0 * 2.0   # kW
        if P == 96:
            self.sgsc = np.repeat(s, 2, axis=1)    # split evenly; jitter is added per account
        elif P == 48:
            self.sgsc = s
        else:
            self.sgsc = s.reshape(s.shape[0], -1, 2).mean(axis=2)
        self.sgsc_split = P == 96
        # hourly arrays → P
        hr = lambda a: np.repeat(a, P // 24, axis=1) if P >= 24 else a  # noqa: E731
        self.heat = hr(np.asarray(b["heat"], np.float32))                # kW per MWh/yr
        self.temp = hr(np.asarray(b["temp"], np.float32))                # °C, [cold, mild]
        self.bank_len = BANK_DAYS * P
        self.rich_annual = self.rich.mean(axis=1) * 8760.0               # kWh/yr of each source
        self.sgsc_annual = self.sgsc.mean(axis=1) * 8760.0

    def _bank_idx(self, n, rng, resample_weeks=0, shift_steps=None):
        """[n, T] indices into a bank row for each account: each window day maps to the bank day
        with the same weekday, optionally resampled ±resample_weeks, plus an intraday shift."""
        bd = np.broadcast_to(self.bday, (n, self.D)).astype(np.int64)
        if resample_weeks:
            bd = (bd + 7 * rng.integers(-resample_weeks, resample_weeks + 1, size=(n, self.D))) % BANK_DAYS
        idx = bd[:, self.step_day] * self.P + self.step_q[None, :]
        if shift_steps is not None:
            idx = (idx + np.asarray(shift_steps)[:, None]) % self.bank_len
        return idx

    def _day_mask_dates(self, month_day_from: tuple[int, int], month_day_to: tuple[int, int]) -> np.ndarray:
        """[D] True where the date's (month, day) lies in a season that may wrap the year end."""
        md = np.array([(d.astype(object).month, d.astype(object).day) for d in self.dates])
        key = md[:, 0] * 100 + md[:, 1]
        a = month_day_from[0] * 100 + month_day_from[1]
        b = month_day_to[0] * 100 + month_day_to[1]
        return (key >= a) | (key <= b) if a > b else (key >= a) & (key <= b)

    # -- plan ------------------------------------------------------------------------------------
    def _plan(self):
        c = self.config
        rng = np.random.default_rng([c.seed, 0xC0FFEE])
        cats = list(CATEGORIES)
        n_regular = c.n_accounts
        n = n_regular + (1 if c.include_seed else 0)
        self.n = n
        props = {k: c.proportions.get(k, 0.0) for k in cats}
        cat = _exact_counts(props, n_regular, rng)
        region = rng.integers(0, len(REGIONS), n_regular)
        cold = [i for i, r in enumerate(REGIONS) if r[4] == "cold"]
        for k in sorted(COLD_ONLY):
            m = cat == cats.index(k)
            region[m] = rng.choice(cold, m.sum())
        if c.include_seed:
            cat = np.concatenate([[cats.index("household_richardson")], cat])
            region = np.concatenate([[0], region])
        self.cat = cat.astype(np.int16)
        self.cat_names = cats
        self.region = region.astype(np.int16)
        self.climate = np.array([0 if REGIONS[r][4] == "cold" else 1 for r in region], np.int8)

        # tariff class within category
        tcls = np.empty(n, object)
        for i, k in enumerate(cats):
            m = np.flatnonzero(cat == i)
            opts = CATEGORIES[k][0]
            tcls[m] = rng.choice(list(opts), size=m.size, p=np.array(list(opts.values())) / sum(opts.values()))
        self.tariff = tcls

        # size parameters (meaning depends on category) and sub-types
        u = rng.random(n)
        self.size = np.zeros(n)          # annual kWh, or rated kW, per category
        self.sub = np.zeros(n, np.int16)
        self.src = np.zeros(n, np.int16)
        self.extra = np.zeros(n)         # heat MWh, charger kW, …
        hh_annual = np.clip(np.exp(rng.normal(math.log(2800), 0.35, n)), 1500, 6000)
        logu = lambda lo, hi: np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))  # noqa: E731
        for i, k in enumerate(cats):
            m = cat == i
            if k.startswith("household"):
                self.size[m] = hh_annual[m]
                self.sub[m] = rng.integers(0, 3, m.sum())        # base model for composite households
            if k == "household_richardson" or (k.startswith("household") and k not in ("household_h0", "household_sgsc")):
                self.src[m] = rng.integers(0, self.rich.shape[0], m.sum())
            if k == "household_sgsc":
                self.src[m] = rng.integers(0, self.sgsc.shape[0], m.sum())
            if k == "household_eheat":
                self.extra[m] = rng.uniform(3.0, 10.0, m.sum())     # MWh of electricity for heat
            if k == "household_heatpump":
                self.extra[m] = rng.uniform(6.0, 15.0, m.sum())     # MWh of heat
            if k == "household_ev":
                self.extra[m] = np.where(rng.random(m.sum()) < 0.6, 3.3, 7.0)
            if k == "shop":
                self.size[m] = logu(4000, 80000)[m]
                self.sub[m] = rng.choice([self.bdew_i[g] for g in ("g4", "g1", "g0", "g5", "g6", "g2")],
                                         size=m.sum(), p=[0.35, 0.2, 0.2, 0.1, 0.05, 0.1])
                self.extra[m] = (rng.random(m.sum()) < 0.12).astype(float)   # 24-h store
            if k == "internet_cafe":
                self.size[m] = np.round(logu(30, 200)[m])                   # PCs
                self.extra[m] = (rng.random(m.sum()) < 0.6).astype(float)   # open 24 h
            if k == "cold_storage":
                self.size[m] = logu(5, 60)[m]                               # compressor kW
            if k == "server_room":
                self.size[m] = logu(3, 50)[m]                               # IT kW
                self.extra[m] = np.where(rng.random(m.sum()) < 0.3, rng.uniform(1.1, 1.4, m.sum()), 0.0)
            if k == "industrial_shift":
                self.size[m] = logu(50_000, 1_000_000)[m]
                self.sub[m] = rng.choice(3, size=m.sum(), p=[0.4, 0.4, 0.2])
            if k == "factory_24h":
                self.size[m] = logu(100_000, 1_500_000)[m]
            if k == "farm":
                self.size[m] = logu(8_000, 150_000)[m]
                self.sub[m] = rng.choice([self.bdew_i[g] for g in ("l0", "l1", "l2")], size=m.sum())
            if k == "irrigation_pump":
                self.size[m] = rng.choice([5.5, 7.5, 11, 15, 18.5, 22, 30, 37, 45], size=m.sum())
                self.extra[m] = (rng.random(m.sum()) < 0.3).astype(float)   # runs 24 h in episodes

        # vacancy (households): start day, length
        self.vac_start = np.full(n, -1, np.int32)
        self.vac_len = np.zeros(n, np.int32)
        hh = np.flatnonzero(np.char.startswith(np.array(cats, str)[cat], "household"))
        vac = hh[rng.random(hh.size) < c.household_vacancy]
        if c.include_seed:
            vac = vac[vac != 0]
        self.vac_len[vac] = rng.integers(5, 31, vac.size)
        self.vac_start[vac] = rng.integers(-10, self.D, vac.size)
        sf = self._spring_festival_day()
        near_sf = vac[rng.random(vac.size) < 0.6]
        if sf is not None and near_sf.size:
            self.vac_start[near_sf] = sf - rng.integers(2, 10, near_sf.size)

        self._plan_miners(rng)
        self._plan_data_quality()
        self._plan_register(rng)

    def _spring_festival_day(self) -> int | None:
        for y in sorted({int(str(self.dates[0])[:4]), int(str(self.dates[-1])[:4])}):
            d = SPRING_FESTIVAL.get(y)
            if d is not None:
                k = int((np.datetime64(d, "D") - self.dates[0]).astype(int))
                if -30 < k < self.D + 30:
                    return k
        return None

    def _plan_miners(self, rng):
        c = self.config
        n, cats = self.n, self.cat_names
        self.is_miner = np.zeros(n, bool)
        self.miner_kw = np.zeros(n)           # nominal power of the hardware on this meter
        self.throttle = np.ones(n)
        self.hiding = np.full(n, "", object)
        self.hardware = np.full(n, "", object)
        self.units = np.zeros(n, np.int32)
        self.onset_min = np.full(n, np.nan)   # minutes from window start
        self.owner = np.full(n, "", object)
        self.sched = np.zeros((n, 2))         # daily on-window start/end hour (daytime/night_only)
        first = 1 if c.include_seed else 0
        n_owners = int(round(c.miner_fraction * c.n_accounts))
        # pick host accounts by host-category shares, without replacement
        free = {i: list(rng.permutation(np.flatnonzero(self.cat[first:] == i) + first)) for i in range(len(cats))}
        host_share = {k: c.miner_hosts.get(k, 0.0) for k in cats}
        hid_names = list(c.hiding)
        hid_p = np.array([c.hiding[k] for k in hid_names], float)
        hid_p /= hid_p.sum()
        lo, hi = c.miner_kw_range
        lo_day = c.min_baseline_days
        hi_day = self.D - c.min_after_days
        owner_no = 0

        def take(cat_i):
            if free[cat_i]:
                return free[cat_i].pop()
            pool = [j for j in free if free[j] and host_share[cats[j]] > 0] or [j for j in free if free[j]]
            return free[rng.choice(pool)].pop() if pool else None

        cat_p = np.array([host_share[k] for k in cats], float)
        cat_p /= cat_p.sum()
        for _ in range(n_owners):
            hiding = hid_names[rng.choice(len(hid_names), p=hid_p)]
            n_meters = int(rng.integers(2, 4)) if hiding == "split" else 1
            host = take(int(rng.choice(len(cats), p=cat_p)))
            if host is None:
                break
            hosts = [host]
            for _ in range(n_meters - 1):   # the owner's other meters: same region
                same = [j for j in range(len(cats)) if free[j]]
                h = None
                for j in rng.permutation(same):
                    cand = [a for a in free[j] if self.region[a] == self.region[host]]
                    if cand:
                        h = cand[0]
                        free[j].remove(h)
                        break
                if h is None:
                    break
                hosts.append(h)
            total_kw = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            shares = rng.dirichlet(np.full(len(hosts), 2.0)) if len(hosts) > 1 else np.ones(1)
            if rng.random() < c.preexisting_fraction:
                onset_day = -rng.uniform(1, 180)
            else:
                onset_day = rng.uniform(lo_day, hi_day)
            onset_day = math.floor(onset_day) + rng.uniform(8, 23) / 24.0   # installed in the day/evening
            owner_no += 1
            for h, sh in zip(hosts, shares):
                kw = max(total_kw * sh, lo)
                hw, unit_kw, units = self._hardware(kw, rng)
                self.is_miner[h] = True
                self.miner_kw[h] = unit_kw * units
                self.hardware[h] = hw
                self.units[h] = units
                self.hiding[h] = hiding
                self.owner[h] = f"owner-{owner_no:05d}"
                self.throttle[h] = rng.uniform(0.5, 0.7) if hiding == "throttled" else 1.0
                # split meters start within a few days of each other
                od = onset_day + (rng.uniform(0, 3) if len(hosts) > 1 else 0.0)
                self.onset_min[h] = min(od, hi_day + 0.99) * 1440.0 if od >= 0 else od * 1440.0
                if hiding == "daytime_only":
                    self.sched[h] = (rng.uniform(7, 9), rng.uniform(18, 21))
                elif hiding == "night_only":
                    self.sched[h] = (rng.uniform(22, 23.5), rng.uniform(6.5, 8))
        if c.include_seed:
            self.is_miner[0] = True
            self.miner_kw[0] = SEED_MINER_KW
            self.hardware[0] = "gpu_rig"
            self.units[0] = 46                       # ≈1.05 kW rigs
            self.hiding[0] = "none"
            self.owner[0] = "owner-seed"
            self.size[0] = 2600.0
            self.src[0] = 6
            seed_day = max(c.min_baseline_days, min(self.D // 3, self.D - c.min_after_days))
            self.onset_min[0] = (seed_day + 20 / 24.0) * 1440.0
        self.miner_kw = np.round(self.miner_kw, 3)

    @staticmethod
    def _hardware(kw, rng):
        if kw < 0.8:
            return SMALL_HARDWARE, kw, 1
        names = list(HARDWARE)
        p = np.array([HARDWARE[k][0] for k in names])
        hw = names[rng.choice(len(names), p=p / p.sum())]
        lo, hi = HARDWARE[hw][1]
        unit = rng.uniform(lo, hi)
        units = max(1, int(round(kw / unit)))
        return hw, unit, units

    def _plan_data_quality(self):
        c, n = self.config, self.n
        rng = np.random.default_rng([c.seed, 0xD0D0])
        q = c.data_quality
        self.dq_gaps: dict[int, list[tuple[int, int, bool]]] = {}   # account → [(start_step, n_steps, catchup)]
        self.dq_spikes: dict[int, list[tuple[int, float]]] = {}
        self.dq_reset: dict[int, int] = {}
        self.dq_dup: dict[int, list[int]] = {}
        if q is None:
            return
        T = self.D if c.interval_min == 1440 else self.T
        step_h = c.interval_min / 60.0
        first = 1 if c.include_seed else 0
        for a in range(first, n):
            r = rng.random(4)
            if r[0] < q.dropout:
                gaps = []
                for _ in range(int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))):
                    hours = math.exp(rng.uniform(math.log(q.gap_hours[0]), math.log(q.gap_hours[1])))
                    k = max(1, int(math.ceil(hours / step_h)))
                    s = int(rng.integers(0, max(1, T - k)))
                    gaps.append((s, min(k, T - s), bool(rng.random() < q.catchup)))
                self.dq_gaps[a] = gaps
            if r[1] < q.spike:
                self.dq_spikes[a] = [(int(rng.integers(0, T)),
                                      -1.0 if rng.random() < 0.3 else float(rng.uniform(20, 100)))
                                     for _ in range(int(rng.integers(1, 4)))]
            if r[2] < q.reset:
                self.dq_reset[a] = int(rng.integers(1, T))
            if r[3] < q.duplicate:
                self.dq_dup[a] = [int(x) for x in rng.integers(0, T, int(rng.integers(1, 6)))]

    # -- register & truth --------------------------------------------------------------------------
    def _plan_register(self, rng):
        n, c = self.n, self.config
        first = 1 if c.include_seed else 0
        serial = rng.permutation(np.arange(1, 10_000_000))[:n]
        self.accounts = np.array([f"{REGIONS[r][0]}{s:07d}" for r, s in zip(self.region, serial)], dtype=object)
        if c.include_seed:
            self.accounts[0] = SEED_ACCOUNT
        # typical peak kW of the host (for contract capacity)
        cats = self.cat_names
        peak = np.zeros(n)
        for i, k in enumerate(cats):
            m = self.cat == i
            s = self.size[m]
            if k.startswith("household"):
                base = np.clip(s / 8760 * 6, 3, 8)
                if k == "household_eheat":
                    base = base + self.extra[m] * 1000 / 8760 * 4
                if k == "household_heatpump":
                    base = base + self.extra[m] * 1000 / 8760 * 1.5
                if k == "household_ev":
                    base = base + self.extra[m]
                peak[m] = base
            elif k in ("shop", "industrial_shift", "factory_24h", "farm"):
                peak[m] = s / 8760 * 2.5
            elif k == "internet_cafe":
                peak[m] = s * 0.3
            elif k in ("cold_storage", "irrigation_pump"):
                peak[m] = s * 1.15
            elif k == "server_room":
                peak[m] = s * 1.6 * np.maximum(1, self.extra[m])
        kva = _kva(peak * 1.2)
        # miners: some apply for more capacity, others stay under the old contract
        need = peak + self.miner_kw
        upgrade = self.is_miner & (need > kva * 0.9) & (rng.random(n) < 0.6)
        kva = np.where(upgrade, _kva(need * 1.1), kva)
        if c.include_seed:
            kva[0] = 50.0
        self.contract_kva = kva
        streets = ["新华路", "人民路", "建设街", "解放路", "团结路", "光明街", "胜利路", "和平街", "兴安路", "锡林路",
                   "滨河路", "文化街"]
        villages = ["红旗", "前进", "太平", "新民", "长胜", "东升", "永丰", "三合"]
        names = ["鑫源", "恒达", "宏发", "金鹏", "瑞丰", "华通", "兴隆", "永盛", "德顺", "鼎盛", "天泽", "蒙原"]
        kinds = {"shop": ["便利店", "超市", "理发店", "餐馆", "烟酒店", "五金店", "面包房"],
                 "internet_cafe": ["网吧", "网咖", "电竞馆"], "cold_storage": ["冷库", "冷链物流有限公司", "果蔬保鲜库"],
                 "server_room": ["网络科技有限公司机房", "数据服务中心", "信息技术有限公司机房"],
                 "industrial_shift": ["机械厂", "塑料制品厂", "服装厂", "印刷厂", "家具厂"],
                 "factory_24h": ["化工有限公司", "铸造厂", "纺织厂", "砖厂"],
                 "farm": ["养殖场", "奶牛场", "农民专业合作社", "种植基地"], "irrigation_pump": ["机井"]}
        addr, biz = [], []
        owner_street: dict[str, tuple[int, int]] = {}
        for a in range(n):
            r = REGIONS[self.region[a]]
            k = cats[self.cat[a]]
            h = (a * 2654435761 + c.seed) & 0xFFFFFFFF
            st, num = h % len(streets), 1 + (h >> 8) % 300
            own = self.owner[a]
            if own and own in owner_street:              # an owner's meters are neighbours
                st, num0 = owner_street[own]
                num = num0 + 2 * sum(1 for b in owner_street if b == own)
            elif own:
                owner_street[own] = (st, num)
            rural = k in ("farm", "irrigation_pump") or (k.startswith("household") and (h >> 20) % 4 == 0)
            if rural:
                v = villages[(h >> 12) % len(villages)]
                place = f"{r[1]}{r[2]}{r[3]}{v}村{1 + (h >> 16) % 8}组{num}号"
            elif k.startswith("household"):
                place = f"{r[1]}{r[2]}{r[3]}{streets[st]}{num}号{1 + (h >> 16) % 20}栋{1 + (h >> 4) % 4}单元{1 + (h >> 24) % 18}0{1 + h % 4}室"
            else:
                place = f"{r[1]}{r[2]}{r[3]}{streets[st]}{num}号"
            addr.append(place)
            if k.startswith("household"):
                biz.append("")
            elif k == "irrigation_pump":
                biz.append(f"{villages[(h >> 12) % len(villages)]}村机井{1 + (h >> 16) % 40}号")
            else:
                kk = kinds[k]
                biz.append(f"{names[(h >> 12) % len(names)]}{kk[(h >> 16) % len(kk)]}")
        if c.include_seed:
            addr[0] = "内蒙古自治区呼和浩特市新城区红旗村3组17号"
        self.address = addr
        self.business = biz

    def _register_table(self) -> pa.Table:
        return pa.table({
            "account": pa.array(self.accounts.astype(str)),
            "tariff_class": pa.array(self.tariff.astype(str)),
            "contract_kva": pa.array(self.contract_kva, pa.float64()),
            "address": pa.array(self.address),
            "business_name": pa.array(self.business),
            "region": pa.array([REGIONS[r][0] for r in self.region]),
        })

    def _truth_table(self) -> pa.Table:
        c = self.config
        start = np.datetime64(c.start, "D")
        onset = np.full(self.n, np.datetime64("NaT"), "datetime64[D]")
        m = self.is_miner
        onset[m] = start + np.floor(self.onset_min[m] / 1440.0).astype(np.int64)
        gaps = np.zeros(self.n, np.int32)
        missing = np.zeros(self.n, np.int64)
        catch = np.zeros(self.n, np.int32)
        for a, g in self.dq_gaps.items():
            gaps[a] = len(g)
            cover = np.zeros(self.D if c.interval_min == 1440 else self.T, bool)
            for s, k, _ in g:
                cover[s:s + k] = True
            missing[a] = cover.sum()
            catch[a] = sum(1 for *_, cu in g if cu)
        notes = self._notes()
        return pa.table({
            "account": pa.array(self.accounts.astype(str)),
            "is_miner": pa.array(m),
            "miner_kw": pa.array(self.miner_kw),                          # nominal hardware power
            "miner_kw_drawn": pa.array(np.round(self.miner_kw * self.throttle, 3)),   # while running
            "onset": pa.array(onset, pa.date32()),
            "onset_time": pa.array(np.where(m, (self.ts_utc_s[0] + np.nan_to_num(self.onset_min) * 60) * 1000, 0)
                                   .astype(np.int64), pa.timestamp("ms", tz=TZ), mask=~m),   # first draw
            "onset_in_window": pa.array(m & (self.onset_min >= 0)),
            "hiding": pa.array([h or None for h in self.hiding], pa.string()),
            "hardware": pa.array([h or None for h in self.hardware], pa.string()),
            "units": pa.array(self.units),
            "owner": pa.array([o or None for o in self.owner], pa.string()),
            "category": pa.array(np.array(self.cat_names, object)[self.cat].astype(str)),
            "tariff_class": pa.array(self.tariff.astype(str)),
            "region": pa.array([REGIONS[r][0] for r in self.region]),
            "climate": pa.array(np.where(self.climate == 0, "cold", "mild")),
            "dq_gaps": pa.array(gaps),
            "dq_missing_rows": pa.array(missing),
            "dq_catchup": pa.array(catch),
            "dq_spikes": pa.array(np.array([len(self.dq_spikes.get(a, ())) for a in range(self.n)], np.int32)),
            "dq_reset": pa.array(np.array([a in self.dq_reset for a in range(self.n)])),
            "dq_duplicates": pa.array(np.array([len(self.dq_dup.get(a, ())) for a in range(self.n)], np.int32)),
            "notes": pa.array(notes, pa.string()),
        })

    def _notes(self) -> list[str | None]:
        start = np.datetime64(self.config.start, "D")
        out: list[str | None] = []
        for a in range(self.n):
            k = self.cat_names[self.cat[a]]
            parts = []
            if self.vac_len[a] and self.vac_start[a] + self.vac_len[a] > 0 and self.vac_start[a] < self.D:
                s = max(0, int(self.vac_start[a]))
                parts.append(f"vacant {start + s}..{start + int(self.vac_start[a] + self.vac_len[a]) - 1}")
            if k == "server_room" and self.extra[a] > 0:
                parts.append(f"IT load steps up ×{self.extra[a]:.2f} on {start + self._server_step_day(a)}")
            if k == "shop" and self.extra[a]:
                parts.append("24-h store")
            if k == "internet_cafe":
                parts.append(f"{int(self.size[a])} PCs, " + ("open 24 h" if self.extra[a] else "open 10:00-02:00"))
            if k == "irrigation_pump" and self.extra[a]:
                parts.append("runs 24 h during irrigation episodes")
            if k == "household_eheat":
                parts.append(("night-storage" if self.sub[a] == 0 else "direct") + " electric heating")
            if self.is_miner[a]:
                parts.append(f"{self.units[a]}× {self.hardware[a]}, {self.hiding[a]}"
                             + (f" {self.throttle[a]:.0%}" if self.hiding[a] == "throttled" else ""))
            out.append("; ".join(parts) or None)
        return out

    def _server_step_day(self, a: int) -> int:
        return int((a * 7919 + self.config.seed) % max(1, self.D - 10)) + 5

    # -- loads -----------------------------------------------------------------------------------
    def n_blocks(self) -> int:
        return -(-self.n // self.config.block_size)

    def block_accounts(self, b: int) -> np.ndarray:
        bs = self.config.block_size
        return np.arange(b * bs, min(self.n, (b + 1) * bs))

    def _streams(self, b: int):
        ss = np.random.SeedSequence([self.config.seed, 0xB10C, b])
        return [np.random.default_rng(s) for s in ss.spawn(2)]

    def components(self, b: int) -> dict[str, np.ndarray]:
        """Loads of block b at the generation step, mean kW [n, T]: ``host`` and ``miner``.
        (The meter faults are applied after, in ``_block_readings``.)"""
        rng_load, rng_miner = self._streams(b)
        acc = self.block_accounts(b)
        host = np.zeros((acc.size, self.T), np.float32)
        for i, k in enumerate(self.cat_names):
            sel = np.flatnonzero(self.cat[acc] == i)
            if sel.size:
                host[sel] = getattr(self, f"_gen_{k}")(acc[sel], rng_load)
        self._apply_vacancy(acc, host, rng_load)
        miner = np.zeros_like(host)
        sel = np.flatnonzero(self.is_miner[acc])
        if sel.size:
            miner[sel] = self._gen_miners(acc[sel], rng_miner)
        return {"accounts": acc, "host": host, "miner": miner}

    # households --------------------------------------------------------------------------------
    def _hh_h0(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, rng.integers(-60 // self.gen_step, 60 // self.gen_step + 1, n))
        shape = self.bdew[self.bdew_i["h0_dyn"]][idx] * 8.76          # mean 1 over a year
        floor = rng.uniform(0.03, 0.08, n).astype(np.float32)[:, None]
        mean_kw = (self.size[acc] / 8760.0).astype(np.float32)[:, None]
        dayf = _ar1_days(rng, n, self.D, 0.25)[:, self.step_day]
        sig = 0.55 if self.gen_step <= 30 else 0.45
        return floor + np.maximum(mean_kw - floor, 0.02) * shape * dayf * _lognoise(rng, (n, self.T), sig)

    def _hh_rich(self, acc, rng, src=None):
        n = acc.size
        src = self.src[acc] if src is None else src
        shift = rng.integers(-45 // self.gen_step, 45 // self.gen_step + 1, n)
        idx = self._bank_idx(n, rng, 3, shift)
        base = self.rich[src[:, None], idx]
        scale = (self.size[acc] / self.rich_annual[src]).astype(np.float32)[:, None]
        dayf = _ar1_days(rng, n, self.D, 0.08)[:, self.step_day]
        return base * scale * dayf

    def _hh_sgsc(self, acc, rng, src=None):
        n = acc.size
        src = self.src[acc] if src is None else src
        shift = rng.integers(-60 // self.gen_step, 60 // self.gen_step + 1, n)
        if self.sgsc_split:      # keep half-hours whole when shifting at 15-min resolution
            shift = shift - shift % 2
        idx = self._bank_idx(n, rng, 3, shift)
        base = self.sgsc[src[:, None], idx]
        if self.sgsc_split:      # split each half-hour unevenly between its two quarters
            e = rng.uniform(-0.3, 0.3, (n, self.T // 2)).astype(np.float32)
            base = base * np.stack([1 + e, 1 - e], axis=2).reshape(n, -1)
        scale = (self.size[acc] / self.sgsc_annual[src]).astype(np.float32)[:, None]
        return base * scale

    def _hh_mixed(self, acc, rng):
        """Base household for composite categories: richardsonpy, SGSC or H0, by ``sub``."""
        out = np.empty((acc.size, self.T), np.float32)
        for s, f in ((0, self._hh_rich), (1, self._hh_sgsc), (2, self._hh_h0)):
            m = self.sub[acc] == s
            if m.any():
                if s == 1:
                    out[m] = f(acc[m], rng, src=self.src[acc[m]] % self.sgsc.shape[0])
                else:
                    out[m] = f(acc[m], rng)
        return out

    def _gen_household_h0(self, acc, rng):
        return self._hh_h0(acc, rng)

    def _gen_household_richardson(self, acc, rng):
        return self._hh_rich(acc, rng)

    def _gen_household_sgsc(self, acc, rng):
        return self._hh_sgsc(acc, rng)

    def _heating_season(self) -> np.ndarray:
        return self._day_mask_dates((10, 15), (4, 15))      # northern China: 15 Oct – 15 Apr

    def _gen_household_eheat(self, acc, rng):
        n = acc.size
        base = self._hh_mixed(acc, rng)
        idx = self._bank_idx(n, rng, 0, None)
        efh = self.heat[0][idx]                            # kW per MWh/yr
        season = self._heating_season()[self.step_day]
        heat_kw = efh * self.extra[acc].astype(np.float32)[:, None] * season
        storage = self.sub[acc] == 0
        out = base.copy()
        direct = ~storage
        if direct.any():
            out[direct] += heat_kw[direct] * _lognoise(rng, (int(direct.sum()), self.T), 0.15)
        if storage.any():
            hs = heat_kw[storage]
            daily_kwh = hs.reshape(hs.shape[0], self.D, self.P).sum(axis=2) * self.gen_step / 60.0
            # rated power: the bank year's coldest day fits in 8 h
            bank_day_max = (self.heat[0].reshape(BANK_DAYS, self.P).sum(axis=1) * self.gen_step / 60.0).max()
            p_kw = (bank_day_max * self.extra[acc[storage]] / 8.0 * 1.1)[:, None]
            hours = np.minimum(daily_kwh / p_kw, 9.0)
            start_h = rng.uniform(22.0, 23.0, (hs.shape[0], 1))
            starts = (np.arange(self.D)[None, :] * 1440 + start_h * 60.0)
            frac = _sessions(starts, hours * 60.0, self.minutes, self.gen_step)
            out[storage] += (frac * p_kw).astype(np.float32)
        return out

    def _gen_household_heatpump(self, acc, rng):
        n = acc.size
        base = self._hh_mixed(acc, rng)
        idx = self._bank_idx(n, rng, 0, None)
        heat = self.heat[0][idx] * self.extra[acc].astype(np.float32)[:, None]
        t = self.temp[self.climate[acc][:, None], idx]
        cop = np.clip(3.2 + 0.06 * t, 1.6, 4.5)
        season = self._heating_season()[self.step_day]
        return base + heat / cop * season * _lognoise(rng, (n, self.T), 0.25)

    def _gen_household_ev(self, acc, rng):
        n = acc.size
        base = self._hh_mixed(acc, rng)
        p = self.extra[acc][:, None]
        charge = rng.random((n, self.D)) < rng.uniform(0.25, 0.7, (n, 1))
        kwh = rng.uniform(6, 35, (n, self.D))
        timer = rng.random((n, 1)) < 0.6
        start_h = np.where(timer, rng.uniform(22.0, 24.0, (n, 1)) + rng.normal(0, 0.05, (n, self.D)),
                           rng.uniform(18.0, 21.5, (n, self.D)))
        starts = np.where(charge, np.arange(self.D)[None, :] * 1440 + start_h * 60.0, np.nan)
        frac = _sessions(starts, kwh / p * 60.0, self.minutes, self.gen_step)
        return base + (frac * p * 0.97).astype(np.float32)

    # commercial ----------------------------------------------------------------------------------
    def _gen_shop(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, rng.integers(-30 // self.gen_step, 30 // self.gen_step + 1, n))
        shape = self.bdew[self.sub[acc][:, None], idx] * 8.76
        mean_kw = (self.size[acc] / 8760.0).astype(np.float32)[:, None]
        floor = np.where(self.extra[acc] > 0, rng.uniform(0.5, 0.7, n), rng.uniform(0.1, 0.3, n)).astype(np.float32)[:, None]
        dayf = _ar1_days(rng, n, self.D, 0.15)[:, self.step_day]
        var = shape * dayf * _lognoise(rng, (n, self.T), 0.25)
        fridge = _lognoise(rng, (n, self.T), 0.08)
        return mean_kw * (floor * fridge + (1 - floor) * var)

    def _gen_internet_cafe(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, None)
        g2 = self.bdew[self.bdew_i["g2"]]
        occ = np.clip(0.08 + 0.85 * g2[idx] / g2.max(), 0, 1)
        occ = np.clip(occ * _ar1_days(rng, n, self.D, 0.12)[:, self.step_day] * _lognoise(rng, (n, self.T), 0.1), 0, 1)
        pcs = self.size[acc].astype(np.float32)[:, None]
        load = pcs * (0.05 + 0.17 * occ) + pcs * 0.03 * _lognoise(rng, (n, self.T), 0.1)
        closed = ~(self.extra[acc] > 0)
        if closed.any():
            h = self.hour[None, :]
            shut = (h >= 2.0) & (h < 10.0)
            load[closed] = np.where(shut, pcs[closed] * 0.008, load[closed])
        return load

    def _gen_cold_storage(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, None)
        t = self.temp[self.climate[acc][:, None], idx]
        cap = self.size[acc].astype(np.float32)[:, None]
        d0 = rng.uniform(0.45, 0.65, (n, 1)).astype(np.float32)
        work = ((self.weekday[self.step_day] < 6) & (self.hour >= 8) & (self.hour < 17))[None, :]
        duty = np.clip(d0 + 0.012 * (t - 10.0) + 0.08 * work, 0.2, 0.95)
        kappa = 4.0 * self.gen_step / 15.0
        on = rng.beta(duty * kappa, (1 - duty) * kappa).astype(np.float32)
        defrost_every = rng.choice([6, 8, 12], n)[:, None]
        defrost = ((self.hour[None, :] % defrost_every) < (0.5 if self.gen_step <= 30 else 1.0)).astype(np.float32)
        defrost *= 0.3 * min(1.0, 30.0 / self.gen_step)
        return cap * (on + defrost + 0.03)

    def _gen_server_room(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, None)
        t = self.temp[self.climate[acc][:, None], idx]
        it = self.size[acc].astype(np.float32)[:, None] * _ar1_days(rng, n, self.D, 0.01, 0.9)[:, self.step_day]
        step = self.extra[acc] > 0
        if step.any():
            day = np.array([self._server_step_day(a) for a in acc[step]])
            it[step] *= np.where(self.step_day[None, :] >= day[:, None], self.extra[acc[step]][:, None], 1.0).astype(np.float32)
        office = ((self.weekday[self.step_day] < 5) & (self.hour >= 9) & (self.hour < 18))[None, :]
        it = it * (1 + rng.uniform(0.03, 0.08, (n, 1)).astype(np.float32) * office)
        cop = np.clip(4.5 - 0.08 * (t - 20.0), 2.0, 8.0)
        cooling = it / cop * _lognoise(rng, (n, self.T), 0.3 * math.sqrt(15 / self.gen_step))
        return it * _lognoise(rng, (n, self.T), 0.01) + cooling

    # industrial / agricultural -----------------------------------------------------------------
    def _closure(self, acc, rng, share):
        """[n, D] multiplier: Spring Festival closure for a share of the sites."""
        n = acc.size
        mult = np.ones((n, self.D), np.float32)
        sf = self._spring_festival_day()
        if sf is None:
            return mult
        closes = rng.random(n) < share
        a = sf - rng.integers(3, 11, n)
        b = sf + rng.integers(7, 21, n)
        d = np.arange(self.D)[None, :]
        mult[(d >= a[:, None]) & (d < b[:, None]) & closes[:, None]] = 0.08
        return mult

    def _gen_industrial_shift(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, None)
        shape = self.ind[self.sub[acc][:, None], idx] * 8.76
        mean_kw = (self.size[acc] / 8760.0).astype(np.float32)[:, None]
        dayf = (_ar1_days(rng, n, self.D, 0.1) * self._closure(acc, rng, 0.7))[:, self.step_day]
        return mean_kw * shape * dayf * _lognoise(rng, (n, self.T), 0.15)

    def _gen_factory_24h(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, None)
        shape = self.ind[2][idx] * 8.76
        mean_kw = (self.size[acc] / 8760.0).astype(np.float32)[:, None]
        maint = np.where(rng.random((n, self.D)) < 1.5 / 30, 0.2, 1.0).astype(np.float32)
        dayf = (_ar1_days(rng, n, self.D, 0.05, 0.8) * self._closure(acc, rng, 0.6) * maint)[:, self.step_day]
        # process noise: AR(1) across steps (slow batch changes)
        z = rng.standard_normal((n, self.T)).astype(np.float32)
        k = max(1, 60 // self.gen_step)
        z = np.cumsum(z, axis=1)
        z = (z - np.concatenate([np.zeros((n, k), np.float32), z[:, :-k]], axis=1)) / math.sqrt(k)
        proc = np.exp(0.07 * z - 0.5 * 0.07 ** 2)
        return mean_kw * (0.85 + 0.15 * shape) * dayf * proc

    def _gen_farm(self, acc, rng):
        n = acc.size
        idx = self._bank_idx(n, rng, 0, rng.integers(-30 // self.gen_step, 30 // self.gen_step + 1, n))
        shape = self.bdew[self.sub[acc][:, None], idx] * 8.76
        mean_kw = (self.size[acc] / 8760.0).astype(np.float32)[:, None]
        dayf = _ar1_days(rng, n, self.D, 0.12)[:, self.step_day]
        return mean_kw * shape * dayf * _lognoise(rng, (n, self.T), 0.3)

    def _gen_irrigation_pump(self, acc, rng):
        n = acc.size
        months = np.array([d.astype(object).month for d in self.dates])
        doy = np.array([d.astype(object).timetuple().tm_yday for d in self.dates])
        cold = self.climate[acc] == 0
        season_start = np.where(cold, 91, 60) + rng.integers(-15, 16, n)      # ~1 Apr / ~1 Mar
        season_end = 273 + rng.integers(-15, 16, n)
        winter = cold & (rng.random(n) < 0.4)                                  # 冬灌 in November
        in_season = ((doy[None, :] >= season_start[:, None]) & (doy[None, :] <= season_end[:, None])) | \
                    (winter[:, None] & (months[None, :] == 11))
        run = np.zeros((n, self.D), bool)
        for i in range(n):              # irrigation episodes: every 4–12 days, 1–4 days long
            d = int(rng.integers(0, 8))
            while d < self.D:
                ln = int(rng.integers(1, 5))
                run[i, d:d + ln] = True
                d += ln + int(rng.integers(4, 13))
        run &= in_season
        full = self.extra[acc] > 0
        start_h = np.where(full[:, None], 0.0, rng.uniform(6.5, 8.0, (n, self.D)))
        dur_h = np.where(full[:, None], 24.0, rng.uniform(10.0, 12.5, (n, self.D)))
        starts = np.where(run, np.arange(self.D)[None, :] * 1440 + start_h * 60, np.nan)
        frac = _sessions(starts, dur_h * 60, self.minutes, self.gen_step)
        motor = (self.size[acc] * rng.uniform(0.8, 0.95, n)).astype(np.float32)[:, None]
        return frac * motor * _lognoise(rng, (n, self.T), 0.015) + 0.01

    def _apply_vacancy(self, acc, host, rng):
        v = np.flatnonzero(self.vac_len[acc] > 0)
        if not v.size:
            return
        a = acc[v]
        d = self.step_day[None, :]
        away = (d >= self.vac_start[a][:, None]) & (d < (self.vac_start[a] + self.vac_len[a])[:, None])
        standby = rng.uniform(0.03, 0.07, (v.size, 1)).astype(np.float32) * _lognoise(rng, (v.size, self.T), 0.3)
        host[v] = np.where(away, standby, host[v])

    # miners --------------------------------------------------------------------------------------
    def _gen_miners(self, acc, rng):
        """Mining load [n, T] kW: units × unit power × throttle, constant apart from ±2–5 %
        (PSU/fan with temperature, slow drift), off before onset, during outages and restarts,
        outside the schedule for daytime/night-only miners; failed units drop out for days."""
        n, M, I = acc.size, self.minutes, self.gen_step
        out = np.zeros((n, self.T), np.float32)
        hours = self.hour
        for j, a in enumerate(acc):
            on = np.zeros(M, bool)
            s = int(max(0, round(self.onset_min[a])))
            on[s:] = True
            units = int(self.units[a])
            seed_case = self.accounts[a] == SEED_ACCOUNT
            if units >= 10 and rng.random() < 0.3 and not seed_case:   # racks added over 1–5 days
                ramp_min = int(rng.uniform(1, 5) * 1440)
                lvl = np.ones(M, np.float32)
                k = np.arange(M) - s
                m = (k >= 0) & (k < ramp_min)
                lvl[m] = np.ceil((k[m] + 1) / ramp_min * 4) / 4   # 4 steps
            else:
                lvl = None
            span_days = max(0.0, (M - s) / 1440.0)
            # outages: hours to days (power cuts, pool/network trouble, maintenance, fear of inspection)
            for _ in range(rng.poisson(span_days * (0.01 if seed_case else rng.uniform(0.02, 0.08)))):
                st = s + rng.uniform(0, M - s)
                du = min(np.exp(rng.normal(math.log(6 * 60), 1.2)), 7 * 1440) if not seed_case else rng.uniform(30, 240)
                on[int(st):int(st + du)] = False
            # restarts: a few minutes to half an hour
            for _ in range(rng.poisson(span_days * rng.uniform(0.1, 0.5))):
                st = s + rng.uniform(0, M - s)
                on[int(st):int(st + rng.uniform(3, 30))] = False
            # schedule
            lo, hi = self.sched[a]
            if self.hiding[a] in ("daytime_only", "night_only"):
                mod = (np.arange(M) % 1440) / 60.0
                run = ((mod >= lo) & (mod < hi)) if lo < hi else ((mod >= lo) | (mod < hi))
                on &= run
            frac = on.reshape(self.T, I).mean(axis=1, dtype=np.float32)
            if lvl is not None:
                frac = frac * lvl.reshape(self.T, I).mean(axis=1)
            # failed units: each failure takes one unit out for 1–10 days
            working = np.full(self.T, float(units), np.float32)
            for _ in range(rng.poisson(units * span_days * 0.002)):
                st = int(rng.integers(s // I, self.T)) if s // I < self.T else self.T
                working[st:st + int(rng.uniform(1, 10) * self.P)] -= 1
            working = np.maximum(working, 0) / max(units, 1)
            # power variation: fans/PSU follow the afternoon temperature, slow drift, jitter
            amp = rng.uniform(0.005, 0.02)
            drift = np.repeat(_ar1_days(rng, 1, self.D, rng.uniform(0.005, 0.015), 0.8)[0], self.P)
            jitter = 1 + rng.normal(0, rng.uniform(0.005, 0.015) * math.sqrt(15 / I), self.T)
            var = (1 + amp * np.cos(2 * np.pi * (hours - 15.0) / 24.0)) * drift * jitter
            out[j] = self.miner_kw[a] * self.throttle[a] * frac * working * var
        return out

    # -- readings ----------------------------------------------------------------------------------
    def _block_readings(self, b: int, data_quality: bool = True) -> tuple[np.ndarray, ...]:
        """(account index, step index, kwh) of block b after register quantisation and faults."""
        comp = self.components(b)
        acc = comp["accounts"]
        kw = comp["host"] + comp["miner"]
        c = self.config
        kwh = kw.astype(np.float64) * (self.gen_step / 60.0)
        if c.interval_min == 1440:
            kwh = kwh.reshape(acc.size, self.D, self.P).sum(axis=2)
        T = kwh.shape[1]
        # register quantisation: the meter's cumulative register has finite resolution
        q = 10.0 ** c.kwh_decimals
        rng = np.random.default_rng([c.seed, 0x5E6, b])
        reg0 = np.floor(rng.uniform(100, 50_000, (acc.size, 1)) * q) / q
        cum = np.floor((reg0 + np.cumsum(kwh, axis=1)) * q + 1e-9)
        read = np.diff(np.concatenate([np.round(reg0 * q), cum], axis=1), axis=1) / q
        present = np.ones((acc.size, T), bool)
        dup_rows = []
        if data_quality and c.data_quality is not None:
            for j, a in enumerate(acc):
                a = int(a)
                for s, k, cu in self.dq_gaps.get(a, ()):
                    present[j, s:s + k] = False
                    if cu and s + k < T:
                        read[j, s + k] += read[j, s:s + k].sum()
                for pos, mult in self.dq_spikes.get(a, ()):
                    read[j, pos] = 999.99 if mult < 0 else round(read[j, pos] * mult + 1.0, c.kwh_decimals)
                if a in self.dq_reset:
                    pos = self.dq_reset[a]
                    read[j, pos] = -round(float(cum[j, pos - 1]) / q, c.kwh_decimals)
                for pos in self.dq_dup.get(a, ()):
                    if present[j, pos]:
                        dup_rows.append((j, pos))
            # a gap may have swallowed a spike position: the spike then simply is not there
        read = np.round(read, c.kwh_decimals)
        jj, tt = np.nonzero(present)
        vals = read[jj, tt]
        if dup_rows:
            dj, dt_ = np.array(dup_rows).T
            jj = np.concatenate([jj, dj])
            tt = np.concatenate([tt, dt_])
            vals = np.concatenate([vals, read[dj, dt_]])
        return acc[jj], tt, vals

    def iter_readings(self, blocks_per_chunk: int = 4, data_quality: bool = True,
                      timestamp: str = "native") -> Iterator[pa.Table]:
        """Readings in long format, ``account, timestamp, kwh``, a few blocks at a time.
        timestamp="native": timestamp[ms, tz=+08:00]; "iso": ISO 8601 strings with +08:00."""
        iso = self._iso_strings() if timestamp == "iso" else None
        acc_arr = pa.array(self.accounts.astype(str))
        for b0 in range(0, self.n_blocks(), blocks_per_chunk):
            parts = [self._block_readings(b, data_quality) for b in range(b0, min(self.n_blocks(), b0 + blocks_per_chunk))]
            a = np.concatenate([p[0] for p in parts])
            t = np.concatenate([p[1] for p in parts])
            v = np.concatenate([p[2] for p in parts])
            if iso is not None:
                ts = iso.take(pa.array(t))
            else:
                ts = pa.array(self.ts_utc_s[t] * 1000, pa.timestamp("ms", tz=TZ))
            yield pa.table({"account": acc_arr.take(pa.array(a)), "timestamp": ts, "kwh": pa.array(v, pa.float64())})

    def _iso_strings(self) -> pa.Array:
        local = (self.ts_utc_s + TZ_OFFSET_S).astype("datetime64[s]")
        return pa.array([f"{str(x)}{TZ}" for x in local])

    @property
    def readings(self) -> pa.Table:
        """All readings in memory (small populations only)."""
        rows = self.n * (self.D if self.config.interval_min == 1440 else self.T)
        if rows > 60_000_000:
            raise MemoryError(f"{rows:,} readings: use iter_readings() or write()")
        return pa.concat_tables(list(self.iter_readings(blocks_per_chunk=16)))

    def write(self, directory: str | Path, fmt: str = "parquet", data_quality: bool = True,
              blocks_per_chunk: int = 4, compression: str = "zstd") -> dict[str, Path]:
        """readings.<fmt>, register.<fmt>, truth.<fmt> and population.json into ``directory``.
        CSV readings carry ISO 8601 timestamps with +08:00; Parquet a timestamp with tz +08:00."""
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        paths = {k: d / f"{k}.{'csv' if fmt == 'csv' else 'parquet'}" for k in ("readings", "register", "truth")}
        if fmt == "parquet":
            writer = None
            for tbl in self.iter_readings(blocks_per_chunk, data_quality):
                if writer is None:
                    writer = pq.ParquetWriter(paths["readings"], tbl.schema, compression=compression,
                                              use_dictionary=["account", "timestamp", "kwh"])
                writer.write_table(tbl, row_group_size=1 << 22)
            writer.close()
            pq.write_table(self.register, paths["register"], compression=compression)
            pq.write_table(self.truth, paths["truth"], compression=compression)
        elif fmt == "csv":
            opts = pcsv.WriteOptions(quoting_style="needed", quoting_header="none")
            with pcsv.CSVWriter(paths["readings"], pa.schema([("account", pa.string()), ("timestamp", pa.string()),
                                                              ("kwh", pa.float64())]),
                                 write_options=pcsv.WriteOptions(quoting_style="none", quoting_header="none")) as w:
                for tbl in self.iter_readings(blocks_per_chunk, data_quality, timestamp="iso"):
                    w.write_table(tbl)
            pcsv.write_csv(self.register, paths["register"], write_options=opts)
            pcsv.write_csv(self.truth, paths["truth"], write_options=opts)
        else:
            raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
        (d / "population.json").write_text(json.dumps(self.describe(), ensure_ascii=False, indent=1, default=str))
        paths["meta"] = d / "population.json"
        return paths

    def describe(self) -> dict:
        c = self.config
        cat_counts = {k: int((self.cat == i).sum()) for i, k in enumerate(self.cat_names)}
        return {
            "config": {**dataclasses.asdict(c), "start": str(c.start)},
            "accounts": self.n, "miners": int(self.is_miner.sum()),
            "miners_ge_1kw": int((self.miner_kw >= 1.0).sum()),
            "categories": cat_counts,
            "readings_per_account": self.D if c.interval_min == 1440 else self.T,
            "timestamp": f"interval start, local time {TZ}",
            "bank": {k: self.bank["meta"][k] for k in ("versions", "weather")},
        }


def make_population(n_accounts: int = 5000, days: int = 120, interval_min: int = 30, seed: int = 0,
                    start: dt.date | str = dt.date(2021, 1, 1), **overrides) -> Population:
    """Build a population (register and truth at once; readings on demand)."""
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    return Population(PopulationConfig(n_accounts=n_accounts, days=days, interval_min=interval_min,
                                       seed=seed, start=start, **overrides))
