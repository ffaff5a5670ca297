"""Evaluation metrics against hand-computed values (and independent implementations when present)."""

import numpy as np
import pytest

from minewatch.eval import metrics as M


def test_auc_classic_example():
    # the textbook example (also sklearn's docstring): 3 of 4 positive/negative pairs ordered right
    assert M.roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_auc_ties_count_half():
    # pos {0.5, 0.9}, neg {0.2, 0.5}: 1 + ½ + 1 + 1 = 3.5 of 4 pairs
    assert M.roc_auc([0.2, 0.5, 0.5, 0.9], [0, 1, 0, 1]) == pytest.approx(0.875)
    assert M.roc_auc([1, 1, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.5)


def test_auc_perfect_inverted_nan_and_empty_class():
    assert M.roc_auc([1, 2, 3, 4], [0, 0, 1, 1]) == 1.0
    assert M.roc_auc([4, 3, 2, 1], [0, 0, 1, 1]) == 0.0
    # NaN scores rank lowest: the positive with NaN loses to both negatives
    assert M.roc_auc([np.nan, 0.5, 0.1, 0.9], [1, 0, 0, 1]) == pytest.approx(0.5)
    assert np.isnan(M.roc_auc([1, 2], [1, 1]))


def test_auc_matches_mann_whitney_and_sklearn():
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.2
    s = np.round(rng.normal(y * 0.8, 1.0), 1)          # rounded: many ties
    ours = M.roc_auc(s, y)
    stats = pytest.importorskip("scipy.stats")
    u = stats.mannwhitneyu(s[y], s[~y]).statistic
    assert ours == pytest.approx(u / (y.sum() * (~y).sum()))
    try:
        from sklearn.metrics import roc_auc_score
    except ImportError:
        return
    assert ours == pytest.approx(roc_auc_score(y, s))


def test_precision_recall_and_top_k():
    assert M.precision_recall([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]) == pytest.approx((2 / 3, 2 / 3))
    p, r = M.precision_recall([0, 0], [1, 0])
    assert np.isnan(p) and r == 0.0
    # ties broken by position: of the two 0.5s, the earlier one is taken
    assert M.top_k([0.5, 0.9, 0.5, 0.1], 2).tolist() == [True, True, False, False]
    assert M.top_k([np.nan, 0.1], 1).tolist() == [False, True]
    assert M.top_k([1, 2], 5).sum() == 2


def test_onset_errors_median_p90():
    true = np.array(["2021-02-01", "2021-02-01", "2021-02-01", "2021-02-01", "2021-03-01"], "datetime64[D]")
    pred = np.array(["2021-02-01", "2021-01-31", "2021-02-03", "2021-02-11", "NaT"], "datetime64[D]")
    err = M.onset_errors(pred, true)
    assert sorted(err.tolist()) == [0, 1, 2, 10]
    assert M.percentile(err, 50) == pytest.approx(1.5)
    assert M.percentile(err, 90) == pytest.approx(7.6)     # 2 + 0.7 × (10 − 2)
    assert M.onset_errors(pred, true, mask=[1, 0, 0, 0, 0]).tolist() == [0.0]


def test_monthly_kwh_local_months_and_duplicates():
    # UTC 2021-01-31 15:30 = 23:30 local (January); 16:00 UTC = 00:00 local 1 February
    ts = np.array(["2021-01-31T15:30", "2021-01-31T16:00", "2021-01-31T16:00", "2021-01-15T00:00",
                   "2021-02-10T00:00"], "datetime64[s]")
    acc = np.array([0, 0, 0, 1, 1])
    kwh = np.array([1.0, 2.0, 2.0, 5.0, 7.0])            # row 3 repeats row 2: counted once
    months, tot = M.monthly_kwh(acc, ts, kwh, n_accounts=3)
    assert months.tolist() == list(np.array(["2021-01", "2021-02"], "datetime64[M]"))
    assert tot.tolist() == [[1.0, 2.0], [5.0, 7.0], [0.0, 0.0]]
    flagged, score = M.monthly_rule(tot, 4.0)
    assert flagged.tolist() == [False, True, False]
    assert score.tolist() == [2.0, 7.0, 0.0]
    flagged, score = M.monthly_rule(tot, 1.5, eligible=[True, False, True])   # e.g. residential only
    assert flagged.tolist() == [True, False, False] and score[1] == -np.inf
    # integer seconds work too
    _, tot2 = M.monthly_kwh(acc, M.to_epoch_s(ts), kwh, n_accounts=3)
    assert np.array_equal(tot, tot2)


def test_evaluate_equal_alarms_and_per_category():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0], bool)
    kw = np.array([5.0, 0.5, 2.0, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.2, 0.8, 0.7, 0.1, 0.1, 0.3, 0.0])
    flagged = scores >= 0.75                                   # accounts 0, 2
    base_scores = np.array([9e3, 100, 200, 8e3, 300, 100, 7e3, 50])
    base_flag = base_scores > 1000                             # accounts 0, 3, 6
    true_on = np.array(["2021-02-01", "2021-02-05", "2021-03-01"] + ["NaT"] * 5, "datetime64[D]")
    pred_on = np.array(["2021-02-03", "NaT", "2021-03-01"] + ["NaT"] * 5, "datetime64[D]")
    r = M.evaluate(scores, flagged, y, kw, onset_pred=pred_on, onset_true=true_on,
                   baseline_flagged=base_flag, baseline_scores=base_scores)
    assert r["precision"] == 1.0 and r["recall"] == pytest.approx(2 / 3) and r["recall_ge_1kw"] == 1.0
    # AUC: positives {0.9, 0.2, 0.8} vs negatives {0.7, 0.1, 0.1, 0.3, 0.0}: 5 + 3 + 5 = 13 of 15
    assert r["auc"] == pytest.approx(13 / 15)
    assert r["onset_n"] == 2 and r["onset_err_median_days"] == pytest.approx(1.0)
    eq = r["equal_alarms"]
    assert eq["k"] == 3
    assert eq["baseline"]["precision"] == pytest.approx(1 / 3) and eq["baseline"]["recall"] == pytest.approx(1 / 3)
    # detector top 3: 0.9, 0.8, 0.7 → two miners
    assert eq["detector"]["precision"] == pytest.approx(2 / 3) and eq["detector"]["recall"] == pytest.approx(2 / 3)
    # baseline AUC: positives {9e3, 100, 200} vs negatives {8e3, 300, 100, 7e3, 50}: 5 + 1.5 + 2 = 8.5 of 15
    assert eq["baseline"]["auc"] == pytest.approx(8.5 / 15)
    cats = np.array(["hh", "hh", "shop", "shop", "hh", "hh", "server", "server"])
    pc = M.per_category(base_flag, y, cats)
    assert pc["server"]["false_alarms"] == 1 and pc["shop"]["false_alarms"] == 1
    assert pc["hh"]["recall"] == pytest.approx(0.5)


def test_align():
    out = M.align(["b", "x", "a"], ["a", "b"], np.array([1.0, 2.0]), np.nan)
    assert out[0] == 2.0 and np.isnan(out[1]) and out[2] == 1.0
    d = M.align(["a", "z"], ["a"], np.array(["2021-01-02"], "datetime64[D]"), np.datetime64("NaT"))
    assert str(d[0]) == "2021-01-02" and np.isnat(d[1])
