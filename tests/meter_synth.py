"""Hand-built meter series for the load-profile tests (numpy; deterministic with a seed).

Each generator returns interval power in kW as an array (days × intervals per day). They model
the physics the detector must separate, not any one data set: households with morning/evening
peaks, appliance bursts and seasons; a miner = constant draw with ~1 % ripple; cold storage =
compressor cycling following the season; a server room = flat with an office-hours bump; EV
charging = 7 kW blocks on some nights; electric heating = thermostat cycling following the cold.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

START = dt.date(2021, 1, 1)


def _grid(days: int, step_s: int):
    per = 86400 // step_s
    hours = (np.arange(per) * step_s / 3600.0)[None, :]
    day = np.arange(days)[:, None]
    return per, hours, day


def household(rng, days=240, step_s=1800, mean_kw=0.4, start=START) -> np.ndarray:
    per, h, d = _grid(days, step_s)
    doy = (np.array([(start + dt.timedelta(int(i))).timetuple().tm_yday for i in range(days)])
           [:, None])
    dow = np.array([(start + dt.timedelta(int(i))).weekday() for i in range(days)])[:, None]
    shape = (0.15 + 0.6 * np.exp(-((h - 7.5) / 1.2) ** 2) + 1.0 * np.exp(-((h - 19.5) / 2.0) ** 2)
             + 0.25 * ((h > 10) & (h < 17)))
    season = 1 + 0.2 * np.cos(2 * np.pi * (doy - 15) / 365.0)
    daily = rng.lognormal(0, 0.2, size=(days, 1)) * np.where(dow >= 5, 1.15, 1.0) * season
    load = shape * daily
    bursts = rng.random((days, per)) < 0.06
    load = load + bursts * rng.uniform(0.5, 2.5, (days, per))
    fridge = 0.08 * (rng.random((days, per)) < 0.5)
    load = load + fridge
    return load * (mean_kw / load.mean())


def miner(days=240, step_s=1800, kw=2.0, start_day=60, pauses=(), rng=None, hours=None):
    """Constant draw from ``start_day``; ``pauses`` = (first_day, n_days) off; ``hours`` = (from,
    to) to run only part of the day (hidden daytime mining)."""
    per, h, d = _grid(days, step_s)
    on = (d >= start_day) & np.ones_like(h, dtype=bool)
    for p0, n in pauses:
        on &= ~((d >= p0) & (d < p0 + n))
    if hours is not None:
        on &= (h >= hours[0]) & (h < hours[1])
    ripple = 1 + 0.01 * (rng.standard_normal((days, per)) if rng is not None else 0)
    return on * kw * ripple


def cold_storage(rng, days=240, step_s=900, mean_kw=2.0, start=START):
    per, h, d = _grid(days, step_s)
    doy = np.array([(start + dt.timedelta(int(i))).timetuple().tm_yday for i in range(days)])
    duty = 0.45 + 0.2 * np.cos(2 * np.pi * (doy - 200) / 365.0)[:, None] + 0.05 * ((h > 8) & (h < 18))
    on = rng.random((days, per)) < duty
    return (on * 1.0 + 0.1) * mean_kw / (duty.mean() + 0.1)


def server_room(rng, days=240, step_s=900, mean_kw=2.0, start=START):
    per, h, d = _grid(days, step_s)
    dow = np.array([(start + dt.timedelta(int(i))).weekday() for i in range(days)])[:, None]
    office = 0.12 * ((h > 8) & (h < 19)) * (dow < 5)
    cooling = 0.08 * (rng.random((days, per)) < 0.4)
    load = 1 + office + cooling + 0.02 * rng.standard_normal((days, per))
    return load * mean_kw / load.mean()


def ev_charging(rng, days=240, step_s=1800, kw=7.0, start_day=60, nights=0.6):
    per, h, d = _grid(days, step_s)
    night_on = (rng.random((days, 1)) < nights) & (d >= start_day)
    length = rng.uniform(1.5, 4.5, (days, 1))
    return night_on * (h < length) * kw          # from midnight, 1.5–4.5 h


def heating(rng, days=240, step_s=1800, kw=6.0, start=START):
    per, h, d = _grid(days, step_s)
    doy = np.array([(start + dt.timedelta(int(i))).timetuple().tm_yday for i in range(days)])
    temp = 10 - 12 * np.cos(2 * np.pi * (doy - 200) / 365.0) + rng.normal(0, 3, days)
    duty = np.clip((16 - temp) / 20, 0, 1)[:, None] * (0.6 + 0.4 * ((h > 6) & (h < 23)))
    return (rng.random((days, per)) < duty) * kw


def readings(series: dict[str, np.ndarray], step_s=1800, start=START, offset_min=480,
             drop: dict[str, np.ndarray] | None = None) -> pa.Table:
    """Long ``meter_readings`` table from {account: kW (days × intervals)}; ``drop`` = masks of
    readings that never arrived (meter dropouts)."""
    accts, ts, kwh = [np.array([], object)], [np.array([], "datetime64[s]")], [np.array([])]
    t0 = np.datetime64(start.isoformat(), "s") - np.timedelta64(offset_min, "m")
    for acc, kw in series.items():
        days, per = kw.shape
        step = 86400 // per
        t = t0 + np.arange(days * per) * np.timedelta64(step, "s")
        v = kw.reshape(-1) * step / 3600.0
        keep = np.ones(v.size, bool) if not drop or acc not in drop else ~drop[acc].reshape(-1)
        accts.append(np.full(int(keep.sum()), acc, dtype=object))
        ts.append(t[keep])
        kwh.append(v[keep])
    n = sum(len(a) for a in accts)
    per_acc = {acc: 86400 // kw.shape[1] for acc, kw in series.items()}
    acc_col = np.concatenate(accts) if accts else np.array([], object)
    return pa.table({
        "account": pa.array(acc_col, pa.string()),
        "ts": pa.array(np.concatenate(ts).astype("datetime64[us]"), pa.timestamp("us", tz="UTC")),
        "utc_offset_min": pa.array(np.full(n, offset_min), pa.int16()),
        "interval_s": pa.array([per_acc[a] for a in acc_col], pa.int32()),
        "kwh": pa.array(np.concatenate(kwh)),
    })


def register(rows: dict[str, tuple[str, float, str]]) -> pa.Table:
    """{account: (tariff_class, contract_kva, region)} → register table."""
    accs = list(rows)
    return pa.table({
        "account": accs,
        "tariff_class": [rows[a][0] for a in accs],
        "contract_kva": pa.array([float(rows[a][1]) for a in accs]),
        "address": [f"{a} 号" for a in accs],
        "business_name": [None] * len(accs),
        "region": [rows[a][2] for a in accs],
    })
