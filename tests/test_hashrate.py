"""estimate/hashrate.py: difficulty conversions, k factors, the Poisson interval, the estimator,
difficulty-in-force binding and host-level combination. Expected numbers are computed by hand
in each test from the protocol definitions."""

from __future__ import annotations

import math

import pytest

from minewatch.estimate import hashrate as hr
from minewatch.estimate.hashrate import DifficultyTracker, Share

ZEC_TARGET = "0004189374bc6a7ef9db22d0e5604189374bc6a7ef9db22d0e5604189374bc6a"
ETH_BOUNDARY = "0x00000000dbe6fecebdedd5beb573440e5a884d1b2fbf06fcce912adcb8d8422e"


def test_cryptonote_4_byte_target_as_xmrig_expands_it():
    # "dc460300" little-endian = 0x000346dc = 214748; 0xFFFFFFFF // 214748 = 20000
    t64 = 0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // 0x000346DC)
    assert hr.cryptonote_difficulty("dc460300") == pytest.approx(2 ** 64 / t64)
    assert hr.cryptonote_difficulty("dc460300") == pytest.approx(20000, rel=1e-9)


def test_cryptonote_8_byte_target_used_directly():
    t64 = 2 ** 64 // 1000
    assert hr.cryptonote_difficulty(t64.to_bytes(8, "little").hex()) == pytest.approx(1000, rel=1e-12)
    assert hr.cryptonote_difficulty("zz") is None and hr.cryptonote_difficulty("00000000") is None
    assert hr.cryptonote_difficulty("0102") is None           # neither 4 nor 8 bytes


def test_256_bit_targets():
    assert hr.target_to_hashes(ZEC_TARGET) == pytest.approx(2 ** 256 / int(ZEC_TARGET, 16))
    assert hr.target_to_hashes(ZEC_TARGET) == pytest.approx(16000, rel=1e-6)
    assert hr.target_to_hashes(ETH_BOUNDARY) == pytest.approx(2 ** 256 / int(ETH_BOUNDARY, 16))
    assert hr.target_to_hashes("0x00") is None and hr.target_to_hashes("nothex") is None
    le = (2 ** 224).to_bytes(32, "little").hex()               # getwork target, little-endian
    assert hr.getwork_target_to_hashes(le) == pytest.approx(2 ** 32)


def test_k_factors():
    assert hr.k_factor("stratum1", "sha256d")[0] == 2 ** 32
    assert hr.k_factor("stratum1", "scrypt")[0] == 2 ** 16
    assert hr.k_factor("ethstratum1", None)[0] == 2 ** 32
    k, why = hr.k_factor("stratum1", None)
    assert k is None and "sha256d" in why and "scrypt" in why
    assert hr.k_factor("stratum1", "equihash")[0] is None      # pool-specific diff-1


def test_poisson_interval_matches_garwood_tables():
    assert hr.poisson_interval(0) == (0.0, pytest.approx(3.6889, abs=1e-4))
    lo, hi = hr.poisson_interval(10)
    assert lo == pytest.approx(4.7954, abs=1e-4) and hi == pytest.approx(18.390, abs=1e-3)


def test_estimate_over_accepted_shares():
    shares = [Share(t, 20000.0, "accepted") for t in (10, 20, 30)] + \
             [Share(40, 20000.0, "rejected"), Share(50, 20000.0, "pending")]
    e = hr.estimate(shares, 0.0, 100.0)
    assert e.basis == "accepted" and e.shares == 3
    assert e.hashrate_hs == pytest.approx(3 * 20000 / 100)
    lo, hi = hr.poisson_interval(3)
    assert e.low_hs == pytest.approx(600 * lo / 3) and e.high_hs == pytest.approx(600 * hi / 3)


def test_estimate_uses_submitted_when_no_reply_was_captured():
    e = hr.estimate([Share(1, 5.0, "pending"), Share(2, 5.0, "pending")], 0, 10)
    assert e.basis == "submitted" and e.hashrate_hs == pytest.approx(1.0)
    assert "no share replies" in e.reason


def test_unknown_difficulty_gives_null_with_reason():
    e = hr.estimate([Share(1, None, "accepted")], 0, 10)
    assert e.hashrate_hs is None and "difficulty in force unknown" in e.reason


def test_partly_unknown_difficulty_is_left_out_and_said():
    e = hr.estimate([Share(1, None, "accepted"), Share(2, 10.0, "accepted")], 0, 10)
    assert e.hashrate_hs == pytest.approx(1.0) and "left out" in e.reason


@pytest.mark.parametrize("shares,start,end,word", [
    ([], 0, 10, "no shares"),
    ([Share(1, 1.0, "accepted")], 5, 5, "too short"),
    ([Share(1, 1.0, "rejected")], 0, 10, "no accepted"),
])
def test_null_cases(shares, start, end, word):
    e = hr.estimate(shares, start, end)
    assert e.hashrate_hs is None and word in e.reason


def test_zero_share_upper_bound():
    assert hr.zero_share_upper(100.0, 10.0) == pytest.approx(3.6889 * 10, rel=1e-4)
    assert hr.zero_share_upper(100.0, 0.0) is None


def test_new_difficulty_applies_from_the_next_job():
    t = DifficultyTracker()
    t.set_default(1.0, "diff")
    t.bind("a")
    t.set_next(8.0, "diff")             # arrives while job "a" is being worked
    assert t.for_job("a") == (1.0, "diff")
    t.bind("b")
    assert t.for_job("b") == (8.0, "diff") and t.current == (8.0, "diff")
    t.set_default(2.0, "diff")          # a default never overrides what the pool said
    t.bind("c")
    assert t.for_job("c") == (8.0, "diff") and t.for_job("zz") is None and not t.known("zz")


def test_invalid_difficulties_are_ignored():
    t = DifficultyTracker()
    for bad in (None, 0, -1, math.inf, math.nan):
        t.set_next(bad, "diff")
    assert t.current is None


def _est(h, n, hashes, basis="accepted"):
    return hr.HashrateEstimate(h, None, None, n, hashes, 0, basis, "")


def test_combine_side_by_side_sessions_add_up():
    a = (_est(10.0, 5, 1000.0), 0.0, 100.0)
    b = (_est(20.0, 10, 2000.0), 0.0, 100.0)
    e = hr.combine([a, b])
    assert e.hashrate_hs == pytest.approx(30.0) and e.shares == 15


def test_combine_back_to_back_reconnects_do_not_double_count():
    a = (_est(10.0, 5, 1000.0), 0.0, 100.0)
    b = (_est(10.0, 5, 1000.0), 100.0, 200.0)
    assert hr.combine([a, b]).hashrate_hs == pytest.approx(10.0)


def test_combine_skips_sessions_without_estimate():
    none = (hr.HashrateEstimate(None, None, None, 0, 0.0, 0, "none", "x"), 0.0, 50.0)
    a = (_est(10.0, 5, 1000.0), 0.0, 100.0)
    assert hr.combine([none, a]).hashrate_hs == pytest.approx(10.0)
    assert hr.combine([none]).hashrate_hs is None


def test_poisson_interval_matches_scipy_chi2():
    from scipy.stats import chi2

    from minewatch.estimate.hashrate import poisson_interval
    for n in (0, 1, 2, 5, 30, 33, 100, 1000, 2000, 2001, 5000, 10**6):
        lo, hi = poisson_interval(n)
        want_lo = 0.0 if n == 0 else chi2.ppf(0.025, 2 * n) / 2
        want_hi = chi2.ppf(0.975, 2 * n + 2) / 2
        assert lo == pytest.approx(want_lo, rel=1e-6, abs=1e-12)
        assert hi == pytest.approx(want_hi, rel=1e-6)
