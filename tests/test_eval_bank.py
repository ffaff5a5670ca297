"""The shipped load bank is what the models produce (checked where demandlib is installed)."""

import numpy as np
import pytest

from minewatch.eval import bank


def test_bank_ships_and_is_sane():
    b = bank.load_bank()
    n = bank.BANK_DAYS * bank.STEPS_PER_DAY
    assert b["bdew"].shape == (12, n) and b["industrial"].shape == (3, n)
    assert b["rich"].shape[1] == n and b["sgsc"].shape == (10, n // 2)
    # BDEW profiles: 1 MWh/yr → mean 1000/8760 kW over the (52-week) bank year
    assert np.allclose(b["bdew"].mean(axis=1), 1000 / 8760, rtol=0.01)
    # SGSC: real households, 2.9–19 kWh/day, a few source gaps only
    s = b["sgsc"].astype(float)
    s[b["sgsc"] == bank.SGSC_MISSING] = np.nan
    per_day = np.nansum(s, axis=1) / 1000 / bank.BANK_DAYS
    assert per_day.min() > 2 and per_day.max() < 25
    assert np.isnan(s).mean() < 0.02
    assert b["meta"]["sgsc"]["sha256"] == bank.SGSC_SHA256
    # cold climate: Hohhot-like winters, mild: Chengdu-like
    t = b["temp"].reshape(2, bank.BANK_DAYS, 24).mean(axis=2)
    assert t[0, :28].mean() < -5 and t[1, :28].mean() > 0
    assert (bank.bank_day(np.array(["2021-01-04", "2021-01-01", "2022-01-03"], "datetime64[D]")) == [0, 361, 0]).all()


@pytest.mark.slow
def test_bank_matches_a_fresh_demandlib_run():
    pytest.importorskip("demandlib")
    pytest.importorskip("pandas")
    assert bank.check() == []
