"""Hashrate → power bands from the bundled hardware tables."""

from __future__ import annotations

import csv
import hashlib
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.estimate.energy import (
    efficiency_band, hardware_equivalents, normalize_algorithm, power_range_w,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "power_data" / "mining_hw"


def _data(name: str) -> bytes:
    return resources.files("minewatch").joinpath("data", name).read_bytes()


@pytest.mark.parametrize("name,sha", [
    ("gpu_ethash_benchmarks.csv", "7107073b8546ca46a2d0f56f87ecfac6564d0db8e9b16a4dd273a4a8bca5e95a"),
    ("asic_sha256_hashrate_watts.csv", "e93544b7febc5306d9c3df3772949be906144e17f4e6f94c855a3833a1298b26"),
])
def test_bundled_tables_are_the_provenanced_files(name, sha):
    assert hashlib.sha256(_data(name)).hexdigest() == sha
    prov = _data("PROVENANCE.md").decode()
    assert sha in prov and name in prov


def test_supplement_rows_cite_a_source():
    rows = list(csv.DictReader(_data("asic_supplement.csv").decode().splitlines()))
    assert {r["model"] for r in rows} == {"bitmain antminer s21", "bitmain antminer z15"}
    assert all(len(r["source"]) > 20 for r in rows)


def test_sha256_band_spans_s21_to_s9():
    best, worst, basis = efficiency_band("sha256d")
    assert best * 1e12 == pytest.approx(17.5)            # Antminer S21, 17.5 J/TH
    assert worst * 1e12 == pytest.approx(1323 / 13.5)     # Antminer S9 row: 13.5 TH/s, 1323 W
    assert "S21" in basis and "S9" in basis


def test_province_sha256_figure():
    # ≈10 PH/s SHA-256 (shared/README): between 175 kW (all S21) and 980 kW (all S9)
    lo, hi, basis = power_range_w("sha256d", 10e15, 10e15)
    assert lo == pytest.approx(175_000)
    assert hi == pytest.approx(10e15 / 13.5e12 * 1323)
    assert "J/TH" in basis


def test_power_band_uses_low_and_high_hashrate():
    lo, hi, _ = power_range_w("SHA-256", 90e12, 110e12)
    assert lo == pytest.approx(90 * 17.5) and hi == pytest.approx(110 * 1323 / 13.5)
    # swapped bounds are reordered; one missing bound is replaced by the other
    assert power_range_w("sha256", 110e12, 90e12)[:2] == (lo, hi)
    one = power_range_w("sha256d", None, 100e12)
    assert one[0] == pytest.approx(100 * 17.5) and one[1] == pytest.approx(100 * 1323 / 13.5)


def test_ethash_band_is_gpu_percentiles():
    rows = [r for r in csv.DictReader(_data("gpu_ethash_benchmarks.csv").decode().splitlines())
            if (r["Power (Watts)"] or "").strip()]
    effs = sorted(float(r["Hashrate (Mh)"]) / float(r["Power (Watts)"]) for r in rows)
    assert len(effs) == 422
    best, worst, basis = efficiency_band("ethash")
    # README: GPUs on Ethash ≈ 0.3–0.5 MH/J; the 5–95 % band must contain that range
    assert 1e-6 / best > 0.5 and 1e-6 / worst < 0.3
    assert effs[0] < 1e-6 / worst < 1e-6 / best < effs[-1]  # percentiles, not the outliers
    assert "422 rows" in basis


def test_captured_eth_rig_power():
    # mining.pcapng eth_submitHashrate ≈ 30.45 MH/s: tens to a few hundred watts (one GPU)
    lo, hi, _ = power_range_w("ethash", 30.45e6, 30.45e6)
    assert 40 < lo < 80 and 150 < hi < 300
    assert power_range_w("etchash", 30.45e6, 30.45e6)[:2] == (lo, hi)


def test_province_total_fits_the_seed_figure():
    # ≈10 PH/s SHA-256 + ≈3.4 TH/s Ethash ≈ 260,000 kWh/day must fall inside the summed band
    s = power_range_w("sha256d", 10e15, 10e15)
    e = power_range_w("ethash", 3.4e12, 3.4e12)
    kwh_day = (s[0] + e[0]) * 24 / 1000, (s[1] + e[1]) * 24 / 1000
    assert kwh_day[0] < 260_000 < kwh_day[1]


def test_equihash_lower_bound_only():
    lo, hi, basis = power_range_w("equihash", 420e3, 420e3)
    assert lo == pytest.approx(1510) and hi is None
    assert "Z15" in basis and "Luxor" in basis


@pytest.mark.parametrize("algo", ["randomx", "rx/0", "scrypt", "cryptonight", "kawpow", "", None])
def test_no_table_is_said_plainly(algo):
    lo, hi, basis = power_range_w(algo, 1000.0, 2000.0)
    assert (lo, hi) == (None, None) and "no hardware table" in basis


def test_no_hashrate():
    assert power_range_w("sha256d", None, None)[:2] == (None, None)
    assert power_range_w("sha256d", float("nan"), -5)[:2] == (None, None)


def test_normalize_algorithm():
    assert normalize_algorithm("SHA-256") == "sha256d"
    assert normalize_algorithm("rx/0") == "randomx"
    assert normalize_algorithm("Ethash") == "ethash"
    assert normalize_algorithm("cn/r") == "cryptonight"


def test_hardware_equivalents_sha256():
    eq = {d["model"]: d for d in hardware_equivalents("sha256d", 10e15)}
    assert eq["Bitmain Antminer S19 XP"]["units"] == pytest.approx(10e15 / 140e12)
    assert eq["Bitmain Antminer S9"]["power_w"] == pytest.approx(10e15 / 13.5e12 * 1323)
    assert eq["Bitmain Antminer S19"]["unit_hashrate_hs"] == pytest.approx(95e12)  # top bin
    assert eq["Bitmain Antminer S19 XP"]["text"] == "≈ 71.4 × Bitmain Antminer S19 XP"
    items = hardware_equivalents("sha256d", 10e15)
    effs = [d["unit_power_w"] / d["unit_hashrate_hs"] for d in items]
    assert effs == sorted(effs)  # most efficient first


def test_hardware_equivalents_gpu():
    eq = {d["model"]: d for d in hardware_equivalents("ethash", 30.45e6)}
    rtx = eq["GeForce RTX 3070"]
    assert 50e6 < rtx["unit_hashrate_hs"] < 70e6 and 100 < rtx["unit_power_w"] < 250
    assert eq["Radeon RX 580"]["units"] == pytest.approx(1.0, abs=0.2)  # the rig ≈ one RX 580
    assert hardware_equivalents("randomx", 1000) == []
    assert hardware_equivalents("sha256d", 0) == [] and hardware_equivalents("sha256d", None) == []


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["sha256d", "ethash", "equihash"])),
       st.one_of(st.none(), st.floats(), st.integers(-10, 10**20)),
       st.one_of(st.none(), st.floats(), st.integers(-10, 10**20)))
def test_energy_never_raises(algo, lo, hi):
    w_lo, w_hi, basis = power_range_w(algo, lo, hi)
    assert isinstance(basis, str)
    if w_lo is not None and w_hi is not None:
        assert 0 <= w_lo <= w_hi
    assert isinstance(hardware_equivalents(algo, lo), list)
