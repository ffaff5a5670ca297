"""The evaluation population: deterministic, in the documented proportions, with the physics the
detectors are judged on (flat mining load, dropouts as missing rows, the seed household)."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from minewatch.eval import metrics as M
from minewatch.eval.population import (CATEGORIES, DEFAULT_PROPORTIONS, SEED_ACCOUNT, make_population)

KW = dict(n_accounts=420, days=35, interval_min=60, seed=7, miner_fraction=0.12, block_size=64)


@pytest.fixture(scope="module")
def pop():
    return make_population(**KW)


@pytest.fixture(scope="module")
def readings(pop):
    return pop.readings


def test_deterministic_by_seed_and_independent_of_chunking(pop, readings):
    again = make_population(**KW)
    assert again.register.equals(pop.register) and again.truth.equals(pop.truth)
    chunked = pa.concat_tables(list(again.iter_readings(blocks_per_chunk=1)))
    assert chunked.equals(readings)
    other = make_population(**{**KW, "seed": 8})
    assert not other.truth.column("category").equals(pop.truth.column("category"))


def test_proportions(pop):
    cats = pop.truth.column("category").to_numpy(zero_copy_only=False)
    regular = cats[1:]                                    # account 0 is the seed household
    n = KW["n_accounts"]
    for k, p in DEFAULT_PROPORTIONS.items():
        assert abs((regular == k).sum() - p * n) <= 1, k
    owners = {o for o in pop.truth.column("owner").to_pylist() if o and o != "owner-seed"}
    assert len(owners) == round(KW["miner_fraction"] * n)


def _col(t, name):
    return np.asarray(t.column(name).to_pylist(), dtype=object)


def test_every_load_type_and_hiding_pattern_present(pop):
    t = pop.truth
    assert set(_col(t, "category")) == set(CATEGORIES)
    assert set(_col(t, "tariff_class")) == {"residential", "commercial", "industrial", "agricultural"}
    m = _col(t, "is_miner").astype(bool)
    hiding, cat, owner = _col(t, "hiding")[m], _col(t, "category")[m], _col(t, "owner")[m]
    region, kw, hw = _col(t, "region")[m], _col(t, "miner_kw")[m].astype(float), _col(t, "hardware")[m]
    assert {"none", "throttled", "daytime_only", "night_only", "split"} <= set(hiding)
    assert any(h.startswith("household") for h in cat) and "shop" in set(cat)
    # split owners have 2–3 meters, all in one region
    split_owners = set(owner[hiding == "split"])
    sizes = [int((owner == o).sum()) for o in split_owners]
    assert max(sizes) <= 3 and any(s >= 2 for s in sizes)
    assert all(len(set(region[owner == o])) == 1 for o in split_owners)
    # sizes: 0.3–100 kW per owner, known hardware
    assert kw.min() >= 0.29 and max(kw[owner == o].sum() for o in set(owner)) <= 110
    assert set(hw) <= {"gpu_pc", "gpu_rig", "antminer_s9", "antminer_s19"}
    # every category draws power
    for b in range(pop.n_blocks()):
        c = pop.components(b)
        assert np.isfinite(c["host"]).all() and (c["host"] >= 0).all()


def test_onsets_inside_window_with_baseline(pop):
    t = pop.truth
    m = _col(t, "is_miner").astype(bool)
    start = dt.date(2021, 1, 1)
    days = np.array([(d - start).days for d in _col(t, "onset")[m]])
    assert (days >= 14).all() and (days <= KW["days"] - 7).all()
    assert _col(t, "onset_in_window")[m].all()
    assert all(d is None for d in _col(t, "onset")[~m])


def test_mining_load_is_flat_and_hosts_are_not(pop):
    """Physics: while running at full power, a miner's draw varies by a few per cent; a
    household's own load varies by hour and day."""
    rel_spread, hh_cv = [], []
    cats = np.array(pop.cat_names)
    for b in range(pop.n_blocks()):
        c = pop.components(b)
        for j, a in enumerate(c["accounts"]):
            if pop.is_miner[a]:
                x = c["miner"][j]
                s = int(np.ceil(pop.onset_min[a] / pop.gen_step)) + 1
                assert np.all(x[: max(0, s - 2)] == 0), "mining before onset"
                full = x[s:][x[s:] > 0.97 * np.percentile(x[s:], 95)]  # intervals fully on, all units
                if full.size > 24:
                    rel_spread.append(full.std() / full.mean())
                assert x.max() <= pop.miner_kw[a] * 1.1
            elif cats[pop.cat[a]] == "household_richardson":
                x = c["host"][j]
                hh_cv.append(x.std() / x.mean())
    assert np.median(rel_spread) < 0.03 and max(rel_spread) < 0.06
    assert np.median(hh_cv) > 0.5


def test_dropouts_are_missing_rows_never_zeros(pop, readings):
    T = KW["days"] * 24
    t = pop.truth
    g = readings.group_by("account").aggregate([("kwh", "count")])
    counts = dict(zip(g["account"].to_pylist(), g["kwh_count"].to_pylist()))
    expect = T - _col(t, "dq_missing_rows") + _col(t, "dq_duplicates")
    assert [counts.get(a, 0) for a in _col(t, "account")] == expect.tolist()
    assert (_col(t, "dq_missing_rows") > 0).sum() > 10
    gappy = [a for a in range(pop.n) if a in pop.dq_gaps]
    assert gappy, "no dropouts drawn"
    ts0 = pop.ts_utc_s
    for a in gappy[:20]:
        acc = pop.accounts[a]
        rows = readings.filter(pc.equal(readings["account"], acc))
        have = set((rows["timestamp"].cast(pa.int64()).to_numpy() // 1000).tolist())
        for s, k, _ in pop.dq_gaps[a]:
            assert not (set(ts0[s:s + k].tolist()) & have)
    # the same population without faults has every row, and the same loads elsewhere
    clean = make_population(**KW, data_quality=None)
    cr = clean.readings
    assert cr.num_rows == clean.n * T
    assert clean.truth.column("dq_gaps").to_numpy().sum() == 0
    c0, c1 = pop.components(0), clean.components(0)
    assert np.array_equal(c0["host"], c1["host"]) and np.array_equal(c0["miner"], c1["miner"])


def test_seed_household_35000_kwh_a_month(pop, readings):
    rows = readings.filter(pc.equal(readings["account"], SEED_ACCOUNT))
    ts = rows["timestamp"].cast(pa.int64()).to_numpy() // 1000
    kwh = rows["kwh"].to_numpy()
    t = pop.truth.filter(pc.equal(pop.truth["account"], SEED_ACCOUNT)).to_pylist()[0]
    assert t["is_miner"] and t["hiding"] == "none" and t["tariff_class"] == "residential"
    onset = (np.datetime64(t["onset"], "s").astype(np.int64) - 8 * 3600) + 86400
    after = ts >= onset
    per_30_days = kwh[after].sum() / (after.sum() / 24) * 30
    assert per_30_days == pytest.approx(35_000, rel=0.03)
    assert kwh[ts < onset - 86400].mean() < 2.0                  # an ordinary household before
    reg = pop.register.filter(pc.equal(pop.register["account"], SEED_ACCOUNT)).to_pylist()[0]
    assert reg["tariff_class"] == "residential" and reg["contract_kva"] > 0


def test_readings_format_and_writers(pop, tmp_path):
    small = make_population(n_accounts=30, days=22, interval_min=30, seed=1, miner_fraction=0.1)
    r = small.readings
    assert r.column_names == ["account", "timestamp", "kwh"]
    assert r.schema.field("timestamp").type == pa.timestamp("ms", tz="+08:00")
    first = r["timestamp"][0].as_py()
    assert first.isoformat() == "2021-01-01T00:00:00+08:00"
    # registers resolve to 0.01 kWh
    v = r["kwh"].to_numpy()
    assert np.allclose(np.round(v * 100), v * 100)
    assert set(small.register.column_names) == {"account", "tariff_class", "contract_kva", "address",
                                                "business_name", "region"}
    paths = small.write(tmp_path / "pq", fmt="parquet")
    import pyarrow.parquet as pq
    assert pq.read_table(paths["readings"]).equals(r)
    paths = small.write(tmp_path / "csv", fmt="csv")
    head = paths["readings"].read_text().splitlines()[:2]
    assert head[0] == "account,timestamp,kwh"
    assert head[1].split(",")[1] == "2021-01-01T00:00:00+08:00"
    import pyarrow.csv as pcsv
    assert pcsv.read_csv(paths["readings"]).num_rows == r.num_rows
    # daily kWh: one reading per day at local midnight
    daily = make_population(n_accounts=10, days=22, interval_min=1440, seed=1, miner_fraction=0.0,
                            include_seed=False, data_quality=None).readings
    assert daily.num_rows == 10 * 22


def test_baseline_rule_runs_on_population(pop, readings):
    acc = readings["account"].to_numpy(zero_copy_only=False)
    idx = M.align(acc, pop.accounts.astype(str), np.arange(pop.n), -1)
    months, tot = M.monthly_kwh(idx, readings["timestamp"].cast(pa.int64()).to_numpy() // 1000,
                                readings["kwh"].to_numpy(), pop.n)
    flagged, score = M.monthly_rule(tot, 15_000)
    assert flagged[0]                                            # the seed household
    assert len(months) == 2


def test_shipped_small_population_is_current():
    """tests/data/meters/population_small is what the generator makes today (else rebuild it with
    `bench/eval_meters.py --write-small` and say so)."""
    import pathlib

    import pyarrow.parquet as pq
    d = pathlib.Path(__file__).parent / "data" / "meters" / "population_small"
    pop = make_population(300, days=60, interval_min=60, seed=20210301, miner_fraction=0.06)
    assert pq.read_table(d / "truth.parquet").equals(pop.truth)
    assert pq.read_table(d / "register.parquet").equals(pop.register)
    r = pq.read_table(d / "readings.parquet")
    assert r.num_rows == pq.read_metadata(d / "readings.parquet").num_rows
    assert sum(b.num_rows for b in pop.iter_readings()) == r.num_rows
    readme = (d / "README.md").read_text()
    assert "SGSC" in readme and "894263e511a52a065cb447470fd2b58309399389c3c3f9441fd053387c992828" in readme
