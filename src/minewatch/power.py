"""The meter-scoring job: the store's readings and register → scores per account → evidence.

Kept apart from the CLI (like scan.py) so the API and the demo run the same job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from .evidence import Evidence


@dataclass
class ScoreResult:
    table: pa.Table                      # every scored account (score_accounts columns)
    evidence: list[Evidence] = field(default_factory=list)
    new_rows: int = 0


def score_store(store, config: dict | None = None, engine: str = "duckdb",
                master: str | None = None) -> ScoreResult:
    """Score every account in `store`'s meter_readings; flagged accounts become evidence.
    `engine` "spark" runs the same scoring on Spark (`master`: local[N] or a cluster URL)."""
    from .detectors.load_profile import LoadProfileDetector, load_rules, score_accounts_sql

    cfg = load_rules(config)
    register = store.con.sql("SELECT * FROM meter_accounts").to_arrow_table()
    if register.num_rows == 0:
        register = None
    if engine == "spark":
        table = _score_on_spark(store, register, cfg, master)
    elif engine == "duckdb":
        table = score_accounts_sql(store.con, "meter_readings", register, cfg)
    else:
        raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")
    det = LoadProfileDetector(config)
    keep = cfg["score"].get("evidence_min_score", cfg["score"]["flag_threshold"])
    evidence = [det.evidence(r, cfg) for r in table.to_pylist()
                if r["flagged"] or r["score"] >= keep]
    return ScoreResult(table, evidence, store.add(evidence))


def _score_on_spark(store, register, cfg, master):
    """Readings leave the store as Parquet (what a cluster reads), then Spark scores them."""
    import tempfile

    from .engines.spark_meters import score_accounts_spark
    from .store.spark import spark_session
    with tempfile.TemporaryDirectory(prefix="minewatch-spark-") as tmp:
        path = f"{tmp}/readings.parquet"
        store._run(f"COPY (SELECT account, ts, utc_offset_min, interval_s, kwh FROM "
                   f"meter_readings ORDER BY account, ts) TO '{path}' (FORMAT parquet)")
        spark = spark_session(master)
        try:
            return score_accounts_spark(spark, path, register, cfg, stage2="partition")
        finally:
            spark.stop()


def account_json(r: dict) -> dict:
    """The `meters score --json` line of one account."""
    onset = r.get("onset")
    return {
        "account": r["account"],
        "score": round(float(r["score"]), 4),
        "flagged": bool(r["flagged"]),
        "onset": onset.isoformat() if onset else None,
        "power_w_low": r.get("power_w_low"),
        "power_w_high": r.get("power_w_high"),
        "tariff_class": r.get("tariff_class"),
        "region": r.get("region"),
        "reasons": list(r.get("reasons") or []),
        "rule_hits": list(r.get("rule_hits") or []),
        "evidence_id": r.get("evidence_id"),
    }
