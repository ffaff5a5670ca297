"""Load-profile detector (issue 3): physics on hand-built series, onset, estimates, evidence."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pyarrow as pa
import pytest

from minewatch.detectors._load_onset import best_step_up, step_up_1d
from minewatch.detectors.load_profile import LoadProfileDetector, score_accounts
from minewatch.estimate import energy
from minewatch.estimate.load import excess_power_w, load_estimate

from . import meter_synth as S

DAYS = 240
START_DAY = 80                      # miners switch on 2021-03-22
ONSET = S.START + dt.timedelta(START_DAY)


def _neighbours(rng, n=40, days=DAYS, step_s=1800):
    """A residential peer group so that 'level against peers' has something to compare with."""
    return {f"N{i:03d}": S.household(rng, days, step_s, mean_kw=rng.lognormal(np.log(0.35), 0.5))
            for i in range(n)}


def _score(series, classes=None, step_s=1800, drop=None, config=None):
    reg = {a: (classes or {}).get(a, ("residential", 10, "150102")) for a in series}
    out = score_accounts(S.readings(series, step_s, drop=drop), S.register(reg), config)
    return {r["account"]: r for r in out.to_pylist()}


# --- onset: O(n) step-up vs references ----------------------------------------------------------

def _brute_force(x, min_side):
    """O(n²) reference: every split, two-sample pooled t from explicit slices."""
    v = x[~np.isnan(x)]
    best, arg = -np.inf, -1
    for k in range(min_side, len(v) - min_side + 1):
        left, right = v[:k], v[k:]
        s2 = (((left - left.mean()) ** 2).sum() + ((right - right.mean()) ** 2).sum()) / (len(v) - 2)
        t = (right.mean() - left.mean()) / np.sqrt(max(s2, 1e-300) * (1 / len(left) + 1 / len(right)))
        if t > best:
            best, arg = t, k
    return arg, best


@pytest.mark.parametrize("seed", range(12))
def test_onset_matches_brute_force_on_random_series(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 200))
    x = rng.normal(10, 2, n) + (np.arange(n) >= rng.integers(5, n - 5)) * rng.uniform(-3, 6)
    x[rng.random(n) < 0.15] = np.nan                      # missing days are skipped, not zero
    onset, t = step_up_1d(x, 5)
    k, tb = _brute_force(x, 5)
    valid_cols = np.flatnonzero(~np.isnan(x))
    if tb <= 0:
        assert onset == -1
        return
    assert onset == valid_cols[k]
    assert t == pytest.approx(tb, rel=1e-6)


def test_onset_vectorised_equals_row_by_row():
    rng = np.random.default_rng(3)
    m = rng.normal(5, 1, (30, 90))
    m[:, 40:] += rng.uniform(0, 3, (30, 1))
    m[rng.random(m.shape) < 0.1] = np.nan
    oc, t = best_step_up(m, 7)
    for i in range(30):
        assert (oc[i], t[i]) == pytest.approx(step_up_1d(m[i], 7))


def test_onset_agrees_with_ruptures_exact_single_change():
    ruptures = pytest.importorskip("ruptures")
    rng = np.random.default_rng(11)
    for _ in range(5):
        n, k = 150, int(rng.integers(20, 130))
        x = rng.normal(10, 2, n) + (np.arange(n) >= k) * rng.uniform(3, 8)
        # max t² ⇔ max between-segment SS ⇔ least-squares single change point (Dynp, l2)
        bkp = ruptures.Dynp(model="l2", min_size=7, jump=1).fit(x).predict(n_bkps=1)[0]
        assert step_up_1d(x, 7)[0] == bkp


def test_onset_is_linear_in_series_length():
    import time
    rng = np.random.default_rng(0)
    small, big = rng.normal(size=(1000, 200)), rng.normal(size=(1000, 2000))

    def best_of_3(m):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            best_step_up(m)
            times.append(time.perf_counter() - t0)
        return min(times)

    t_small, t_big = best_of_3(small), best_of_3(big)
    assert t_big < 30 * t_small + 0.2                     # 10× the data, not 100×


# --- physics on hand-built series --------------------------------------------------------------

def test_flat_miner_on_household_is_flagged_with_onset_within_3_days():
    rng = np.random.default_rng(1)
    series = _neighbours(rng)
    for kw in (1.0, 2.0, 5.0):
        series[f"M{kw}"] = (S.household(rng, DAYS) +
                            S.miner(DAYS, kw=kw, start_day=START_DAY, pauses=[(130, 4)], rng=rng))
    got = _score(series)
    for kw in (1.0, 2.0, 5.0):
        r = got[f"M{kw}"]
        assert r["flagged"] and r["score"] > 0.9, r["reasons"]
        assert abs((r["onset"] - ONSET).days) <= 3
        assert r["power_w_low"] <= kw * 1000 * 1.05 and r["power_w_high"] >= kw * 1000 * 0.95
        assert any("since 2021-03-2" in line for line in r["reasons"])
    assert not any(r["flagged"] for a, r in got.items() if a.startswith("N"))


def test_paused_miner_keeps_its_first_onset():
    rng = np.random.default_rng(2)
    series = _neighbours(rng, 25)
    series["M"] = S.household(rng, DAYS) + S.miner(DAYS, kw=2.0, start_day=START_DAY,
                                                    pauses=[(START_DAY + 12, 10)], rng=rng)
    r = _score(series)["M"]
    assert r["flagged"] and abs((r["onset"] - ONSET).days) <= 3


def test_daytime_only_miner_is_flagged():
    rng = np.random.default_rng(4)
    series = _neighbours(rng, 25)
    series["M"] = S.household(rng, DAYS) + S.miner(DAYS, kw=2.0, start_day=START_DAY, rng=rng,
                                                    hours=(8, 20))
    r = _score(series)["M"]
    assert r["flagged"], r["reasons"]
    assert r["duty"] == pytest.approx(0.5, abs=0.1)


def test_dropout_is_not_evidence():
    """A meter dropout (missing readings, a partial day) never raises a score or flags."""
    rng = np.random.default_rng(5)
    series = _neighbours(rng, 30)
    series["H"] = S.household(rng, DAYS)
    series["M"] = S.household(rng, DAYS) + S.miner(DAYS, kw=2.0, start_day=START_DAY, rng=rng)
    clean = _score(series)
    drop = {}
    for acc in ("H", "M"):
        gap = np.zeros(series[acc].shape, bool)
        gap[100:115] = True                              # 15 days without readings
        gap[150, 10:30] = True                           # and a partial day
        gap[60:62] = True
        drop[acc] = gap
    gapped = _score(series, drop=drop)
    assert not gapped["H"]["flagged"] and gapped["H"]["onset"] is None
    assert abs(gapped["H"]["score"] - clean["H"]["score"]) < 0.01
    assert gapped["H"]["n_days"] == clean["H"]["n_days"] - 18
    assert gapped["M"]["onset"] == clean["M"]["onset"]
    assert gapped["M"]["score"] <= clean["M"]["score"] + 0.01
    assert any("missing" in line for line in gapped["M"]["reasons"])


def test_zero_reading_dropout_is_not_a_step():
    """Meters that report a dropout as zeros: all-zero days are left out, no step-up from them."""
    rng = np.random.default_rng(6)
    series = _neighbours(rng, 25)
    h = S.household(rng, DAYS, mean_kw=0.8)
    h[:70] = 0.0                                         # 70 days of zeros, then normal use
    series["Z"] = h
    r = _score(series)["Z"]
    assert not r["flagged"] and r["onset"] is None and r["n_days"] == DAYS - 70


def test_legit_flat_loads_score_below_a_miner_of_the_same_mean():
    rng = np.random.default_rng(7)
    mean = 3.0
    series = {f"N{i}": S.household(rng, DAYS, 900, rng.lognormal(np.log(0.4), 0.5))
              for i in range(25)}
    classes = {a: ("residential", 10, "150102") for a in series}
    for i in range(25):                                   # commercial peers
        a = f"C{i}"
        series[a] = S.server_room(rng, DAYS, mean_kw=rng.lognormal(np.log(3), 0.8)) * \
            rng.uniform(0.5, 1.5, (DAYS, 1)) ** (i % 2)
        classes[a] = ("commercial", 50, "150102")
    series["cold"] = S.cold_storage(rng, DAYS, mean_kw=mean)
    series["server"] = S.server_room(rng, DAYS, mean_kw=mean)
    classes["cold"] = classes["server"] = ("commercial", 50, "150102")
    series["ev"] = S.household(rng, DAYS, 900) + S.ev_charging(rng, DAYS, 900, kw=7.0,
                                                                 start_day=START_DAY, nights=0.7)
    series["heat"] = S.household(rng, DAYS, 900) + S.heating(rng, DAYS, 900, kw=mean * 2.5)
    miner_on = S.miner(DAYS, 900, kw=mean, start_day=START_DAY, rng=rng)
    series["miner"] = S.household(rng, DAYS, 900, mean_kw=0.4) + miner_on
    series["miner_shop"] = S.household(rng, DAYS, 900, mean_kw=2.0) + miner_on
    classes["miner_shop"] = ("commercial", 50, "150102")
    # a server room that grows by a quarter (new racks) fits its tariff; one whose load doubles
    # with a constant draw does not
    grow = np.where(np.arange(DAYS)[:, None] >= START_DAY, 1.25, 1.0)
    series["server_growth"] = S.server_room(rng, DAYS, mean_kw=mean) * grow
    series["miner_srv"] = S.server_room(rng, DAYS, mean_kw=mean) + miner_on
    classes["server_growth"] = classes["miner_srv"] = ("commercial", 50, "150102")
    got = _score(series, classes, step_s=900)
    for legit in ("cold", "server", "ev", "heat", "server_growth"):
        assert got[legit]["score"] < got["miner"]["score"] - 0.3, (legit, got[legit]["reasons"])
        assert not got[legit]["flagged"], (legit, got[legit]["reasons"])
    assert got["miner"]["flagged"] and got["miner_shop"]["flagged"] and got["miner_srv"]["flagged"]


def test_daily_kwh_only_still_finds_a_miner():
    rng = np.random.default_rng(8)
    series = _neighbours(rng, 30)
    series["M"] = S.household(rng, DAYS) + S.miner(DAYS, kw=3.0, start_day=START_DAY, rng=rng)
    daily = {a: v.mean(axis=1, keepdims=True) for a, v in series.items()}     # one kWh per day
    got = _score(daily, step_s=86400)
    r = got["M"]
    assert r["flagged"] and abs((r["onset"] - ONSET).days) <= 3
    assert np.isnan(r["const"])                          # no intraday shape to judge
    assert not any(r2["flagged"] for a, r2 in got.items() if a != "M")


# --- the seed household and the estimates ------------------------------------------------------

def test_seed_household_35000_kwh_month():
    rng = np.random.default_rng(9)
    series = _neighbours(rng, 40)
    series["SEED"] = S.household(rng, DAYS) + S.miner(DAYS, kw=48.6, start_day=START_DAY, rng=rng)
    r = _score(series)["SEED"]
    assert r["flagged"] and r["score"] > 0.99
    assert r["monthly_kwh"] == pytest.approx(35000, rel=0.03)
    est = load_estimate(r["power_w_low"], r["power_w_mid"], r["power_w_high"],
                        level_kwh_day=r["level_kwh_day"], tariff_class="residential")
    assert est["gpu_rigs"]["low"] <= 50 <= est["gpu_rigs"]["high"]
    assert est["bill"]["price_cny_per_kwh"] == 0.57
    assert est["bill"]["account_cny"] == pytest.approx(20000, rel=0.03)
    text = "\n".join(r["reasons"])
    assert "flat 24 h load of +48" in text and "residential accounts in region 150102" in text
    assert "GPU rigs" in text and "CNY/month" in text and "industrial-like" in text
    print("\n".join(r["reasons"]))


def test_seed_household_without_a_visible_onset():
    """Mining since before the data starts: flagged on level, flatness and tariff alone."""
    rng = np.random.default_rng(10)
    series = _neighbours(rng, 40)
    series["SEED"] = S.household(rng, DAYS) + S.miner(DAYS, kw=48.6, start_day=0, rng=rng)
    r = _score(series)["SEED"]
    assert r["flagged"] and r["onset"] is None
    assert r["power_w_low"] == pytest.approx(48600, rel=0.03)


def test_load_estimate_hardware_hashrate_and_bill():
    est = load_estimate(40_000, 48_600, 50_000, level_kwh_day=1166.4, tariff_class="residential")
    assert est["gpu_rigs"] == {"low": pytest.approx(40_000 / 1500, rel=5e-3),
                               "mid": pytest.approx(48.6, rel=5e-3),
                               "high": pytest.approx(50_000 / 800, rel=5e-3),
                               "rig_kw": 1.0, "rig_kw_band": [0.8, 1.5]}
    s9 = next(a for a in est["asics"] if a["model"] == "Bitmain Antminer S9")
    assert s9["units_low"] == pytest.approx(40_000 / 1323, rel=5e-3)
    rates = {h["algorithm"]: h for h in est["hashrate"]}
    assert set(rates) == {"sha256d", "ethash"}           # one range per algorithm, never a sum
    best, worst, _ = energy.efficiency_band("sha256d")
    assert rates["sha256d"]["low_hs"] == pytest.approx(40_000 / worst, rel=5e-3)
    assert rates["sha256d"]["high_hs"] == pytest.approx(50_000 / best, rel=5e-3)
    best, worst, _ = energy.efficiency_band("ethash")
    assert rates["ethash"]["low_hs"] == pytest.approx(40_000 / worst, rel=5e-3)
    assert est["monthly_kwh"]["account"] == pytest.approx(34992, rel=5e-3)
    assert est["bill"]["account_cny"] == pytest.approx(34992 * 0.57, rel=5e-3)
    assert est["bill"]["punitive_surcharge_cny"][0] == pytest.approx(34992 * 0.5, rel=5e-3)


def test_excess_power_range_from_quartiles():
    lo, mid, hi = excess_power_w(10.0, 11.0, 12.0, 34.0, 35.0, 36.0)
    assert (lo, mid, hi) == pytest.approx((22 / 24 * 1000, 24 / 24 * 1000, 26 / 24 * 1000))
    lo, mid, hi = excess_power_w(10.0, 11.0, 12.0, 9.0, 10.0, 11.0)
    assert lo == 0 and mid == 0 and hi == pytest.approx(1 / 24 * 1000)


# --- configuration, rules, evidence, learning ---------------------------------------------------

def test_thresholds_and_rules_come_from_configuration():
    rng = np.random.default_rng(12)
    series = _neighbours(rng, 25)
    series["M"] = S.household(rng, DAYS) + S.miner(DAYS, kw=10, start_day=START_DAY, rng=rng)
    r = _score(series)["M"]
    assert set(r["rule_hits"]) == {"inner_mongolia_residential_monthly_kwh"}   # 7,600 kWh/month
    strict = _score(series, config={"score": {"flag_threshold": 0.99999}})["M"]
    assert strict["score"] == pytest.approx(r["score"]) and not strict["flagged"]
    policy = {"score": {"flag_threshold": 0.99999},
              "rules": [{"name": "any_over_1000", "region_prefix": "", "tariff_class": "",
                         "monthly_kwh_over": 1000, "flag": True}]}
    assert _score(series, config=policy)["M"]["flagged"]


def test_detector_evidence_rows():
    rng = np.random.default_rng(13)
    series = _neighbours(rng, 25)
    series["M"] = S.household(rng, DAYS) + S.miner(DAYS, kw=48.6, start_day=START_DAY, rng=rng)
    reg = S.register({a: ("residential", 10, "150102") for a in series})
    readings = S.readings(series)
    ev = LoadProfileDetector().detect([readings, reg])
    assert [e.entity for e in ev] == ["M"]
    e = ev[0]
    assert e.entity_kind == "account" and e.detector == "load_profile"
    assert e.coin is None and e.algorithm is None and e.hashrate_hs is None
    # first_seen: local (+08:00) midnight of the onset day
    assert e.first_seen == dt.datetime(2021, 3, 21, 16, 0, tzinfo=dt.timezone.utc)
    assert e.last_seen > e.first_seen and e.confidence == "high"
    assert 48_000 < e.power_w_low < e.power_w_high < 49_500
    obs = e.observables
    assert obs["onset"] == "2021-03-22" and obs["excess_kw"] == pytest.approx(48.6, rel=0.02)
    assert {h["algorithm"] for h in obs["estimate"]["hashrate"]} == {"sha256d", "ethash"}
    assert obs["estimate"]["gpu_rigs"]["low"] <= 50 <= obs["estimate"]["gpu_rigs"]["high"]
    assert e.provenance["complete_days"] == DAYS
    again = LoadProfileDetector().detect([readings, reg])
    assert again[0].evidence_id == e.evidence_id
    assert pickle.loads(pickle.dumps(LoadProfileDetector())).detect([]) == []


def test_fit_from_labels_rescores():
    pytest.importorskip("lightgbm")
    from minewatch.detectors.load_profile import fit_from_labels, rescore
    rng = np.random.default_rng(14)
    series, labels = {}, {}
    for i in range(60):
        a = f"A{i:02d}"
        series[a] = S.household(rng, 120, mean_kw=rng.lognormal(np.log(0.4), 0.4))
        if i % 3 == 0:
            series[a] = series[a] + S.miner(120, kw=rng.uniform(0.3, 3), start_day=40, rng=rng)
        labels[a] = i % 3 == 0
    scored = score_accounts(S.readings(series),
                            S.register({a: ("residential", 10, "150102") for a in series}))
    model = fit_from_labels(scored, labels)
    again = pickle.loads(pickle.dumps(model))
    out = rescore(scored, again)
    assert "score_unsupervised" in out.column_names
    p = dict(zip(out.column("account").to_pylist(), out.column("score").to_pylist()))
    assert min(p[a] for a in labels if labels[a]) > max(p[a] for a in labels if not labels[a])
    with pytest.raises(ValueError):
        fit_from_labels(scored, {a: True for a in labels})


def test_empty_and_tiny_inputs():
    empty = S.readings({})
    assert score_accounts(empty, None).num_rows == 0
    one = S.readings({"X": np.full((3, 48), 0.5)})
    out = score_accounts(one, None).to_pylist()
    assert len(out) == 1 and not out[0]["flagged"] and out[0]["onset"] is None
    assert LoadProfileDetector().detect([empty]) == []


def test_moving_window_t_equals_a_direct_computation():
    from minewatch.detectors._load_onset import local_step_t
    rng = np.random.default_rng(16)
    x = rng.normal(5, 1, (4, 60))
    x[:, 30:] += 2
    x[1, 50:] = np.nan                                     # compressed rows: NaN only at the end
    w, side = 10, 3
    got = local_step_t(x, w, side)
    for i in range(4):
        v = x[i][~np.isnan(x[i])]
        for k in range(60):
            left, right = v[max(k - w, 0):k], v[k:k + w]
            if k >= len(v) or len(left) < side or len(right) < side:
                assert got[i, k] == -np.inf
                continue
            se = np.sqrt(left.var(ddof=1) / len(left) + right.var(ddof=1) / len(right))
            assert got[i, k] == pytest.approx((right.mean() - left.mean()) / se, rel=1e-6)
