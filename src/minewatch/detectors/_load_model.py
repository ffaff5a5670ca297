"""Learning from inspection outcomes: a LightGBM re-score of the load-profile features.

Semi-supervised in the simplest honest way: the unsupervised score is one of the inputs, so with
few labels the model mostly re-weights the scorecard, and with many it learns shapes the
scorecard misses. LightGBM handles the missing features (daily-only data, no baseline) natively.
LightGBM is optional: without it ``fit_from_labels`` raises ImportError saying how to install it.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_PARAMS = {
    "objective": "binary", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 5,
    "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1, "lambda_l2": 1.0,
    "seed": 7, "deterministic": True, "num_threads": 1, "verbose": -1,
}


def _lightgbm():
    try:
        import lightgbm
    except ImportError as e:     # pragma: no cover - depends on the environment
        raise ImportError("fit_from_labels needs LightGBM, which is not installed: "
                          "`pip install lightgbm` (an optional dependency of minewatch)") from e
    return lightgbm


def _columns(features: pa.Table) -> list[str]:
    from .load_profile import FEATURES
    return [c for c in ("score",) + FEATURES if c in features.column_names]


def _matrix(features: pa.Table, names: list[str]) -> np.ndarray:
    cols = [pc.cast(features.column(c), pa.float64()).to_numpy(zero_copy_only=False)
            for c in names]
    return np.column_stack(cols) if cols else np.zeros((features.num_rows, 0))


class LoadModel:
    """A fitted re-scorer: ``predict(features) → P(mining)``; picklable."""

    def __init__(self, booster, names: list[str], n_pos: int, n_neg: int):
        self.booster, self.names, self.n_pos, self.n_neg = booster, names, n_pos, n_neg

    def predict(self, features: pa.Table) -> np.ndarray:
        return self.booster.predict(_matrix(features, self.names))

    def __getstate__(self):
        return {"model": self.booster.model_to_string(), "names": self.names,
                "n_pos": self.n_pos, "n_neg": self.n_neg}

    def __setstate__(self, st):
        lgb = _lightgbm()
        self.booster = lgb.Booster(model_str=st["model"])
        self.names, self.n_pos, self.n_neg = st["names"], st["n_pos"], st["n_neg"]


def fit_from_labels(features_table: pa.Table, labels, *, params: dict | None = None,
                    rounds: int = 200) -> LoadModel:
    """Fit on accounts with an inspection outcome.

    ``features_table``: the output of ``score_accounts``. ``labels``: a mapping account → bool
    (True = mining confirmed) or an Arrow table with columns ``account`` and ``label``.
    Accounts without a label are not used. Needs both outcomes among the labels.
    """
    lgb = _lightgbm()
    if isinstance(labels, pa.Table):
        labels = dict(zip(labels.column("account").to_pylist(), labels.column("label").to_pylist()))
    if not isinstance(labels, Mapping):
        raise TypeError("labels: a mapping account → bool or a table (account, label)")
    accounts = features_table.column("account").to_pylist()
    idx = [i for i, a in enumerate(accounts) if labels.get(a) is not None]
    y = np.array([bool(labels[accounts[i]]) for i in idx], dtype=np.float64)
    if len(idx) == 0 or y.min() == y.max():
        raise ValueError("fit_from_labels needs labelled accounts of both outcomes "
                         f"(got {int(y.sum())} mining, {int(len(y) - y.sum())} cleared)")
    names = _columns(features_table)
    x = _matrix(features_table.take(pa.array(idx)), names)
    p = {**DEFAULT_PARAMS, **(params or {})}
    booster = lgb.train(p, lgb.Dataset(x, label=y, feature_name=names,
                                       params={"verbose": -1}), num_boost_round=rounds)
    return LoadModel(booster, names, int(y.sum()), int(len(y) - y.sum()))


def rescore(scored: pa.Table, model: LoadModel, flag_threshold: float = 0.5) -> pa.Table:
    """``scored`` with ``score`` from the model (the scorecard's kept as ``score_unsupervised``)."""
    p = np.clip(model.predict(scored), 0.0, 1.0)
    t = scored
    if "score_unsupervised" not in t.column_names:
        t = t.append_column("score_unsupervised", t.column("score"))
    t = t.set_column(t.column_names.index("score"), "score", pa.array(p))
    return t.set_column(t.column_names.index("flagged"), "flagged", pa.array(p >= flag_threshold))
