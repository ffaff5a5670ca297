"""The one evidence record every detector writes (see DESIGN.md), its Arrow schema and stable ids.

An evidence row is an opinion with a score and its reasons; it decides nothing. Its id is a hash
of (detector, entity, counterpart, window, key facts), so re-running a detector on the same input
yields the same ids and the store adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

ENTITY_KINDS = ("ip", "ip:port", "meter", "account", "subscriber", "site")

# Coin → algorithm names used everywhere (DESIGN.md conventions).
ALGORITHMS = ("sha256d", "scrypt", "ethash", "etchash", "randomx", "cryptonight", "equihash",
              "kawpow", "autolykos2", "kheavyhash", "blake3", "x11", "unknown")

SCHEMA = pa.schema([
    pa.field("evidence_id", pa.string(), nullable=False),
    pa.field("detector", pa.string(), nullable=False),
    pa.field("detector_version", pa.string(), nullable=False),
    pa.field("entity_kind", pa.string(), nullable=False),
    pa.field("entity", pa.string(), nullable=False),
    pa.field("counterpart", pa.string()),
    pa.field("first_seen", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("last_seen", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("score", pa.float64(), nullable=False),
    pa.field("confidence", pa.string(), nullable=False),
    pa.field("coin", pa.string()),
    pa.field("algorithm", pa.string()),
    pa.field("hashrate_hs", pa.float64()),
    pa.field("hashrate_low_hs", pa.float64()),
    pa.field("hashrate_high_hs", pa.float64()),
    pa.field("power_w_low", pa.float64()),
    pa.field("power_w_high", pa.float64()),
    pa.field("observables", pa.string()),   # JSON object: wallet, worker, agent, protocol, SNI …
    pa.field("reasons", pa.list_(pa.string()), nullable=False),
    pa.field("provenance", pa.string()),    # JSON object: file, frames, community_id …
])

CONFIDENCE = ("low", "medium", "high")


def _utc(ts: float | datetime) -> datetime:
    if isinstance(ts, datetime):
        return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(float(ts), tz=timezone.utc)


def evidence_id(detector: str, entity_kind: str, entity: str, counterpart: str | None,
                first_seen: float | datetime, *key_facts: Any) -> str:
    """Stable id: the same detector seeing the same thing in the same window gives the same id."""
    parts = [detector, entity_kind, entity, counterpart or "",
             _utc(first_seen).isoformat(timespec="microseconds"), *map(_canon, key_facts)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _canon(v: Any) -> str:
    if isinstance(v, (dict, list, tuple)):
        return json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)
    return "" if v is None else str(v)


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass
class Evidence:
    detector: str
    detector_version: str
    entity_kind: str
    entity: str
    first_seen: float | datetime
    last_seen: float | datetime
    score: float
    confidence: str
    reasons: list[str]
    counterpart: str | None = None
    coin: str | None = None
    algorithm: str | None = None
    hashrate_hs: float | None = None
    hashrate_low_hs: float | None = None
    hashrate_high_hs: float | None = None
    power_w_low: float | None = None
    power_w_high: float | None = None
    observables: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    evidence_id: str = ""
    key_facts: tuple = ()          # extra facts that distinguish two rows of one window

    def __post_init__(self) -> None:
        self.validate()
        if not self.evidence_id:
            self.evidence_id = evidence_id(self.detector, self.entity_kind, self.entity,
                                           self.counterpart, self.first_seen, *self.key_facts)

    def validate(self) -> None:
        if self.entity_kind not in ENTITY_KINDS:
            raise ValueError(f"entity_kind {self.entity_kind!r} not in {ENTITY_KINDS}")
        if not (0.0 <= float(self.score) <= 1.0):
            raise ValueError(f"score {self.score} outside [0, 1]")
        if self.confidence not in CONFIDENCE:
            raise ValueError(f"confidence {self.confidence!r} not in {CONFIDENCE}")
        if not self.reasons or not all(isinstance(r, str) and r for r in self.reasons):
            raise ValueError("evidence needs at least one human-readable reason")
        if _utc(self.last_seen) < _utc(self.first_seen):
            raise ValueError("last_seen before first_seen")
        if self.algorithm is not None and self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm {self.algorithm!r} not in {ALGORITHMS}")
        lo, mid, hi = self.hashrate_low_hs, self.hashrate_hs, self.hashrate_high_hs
        if mid is not None and lo is not None and hi is not None and not (lo <= mid <= hi):
            raise ValueError("hashrate interval does not hold the estimate")

    def to_row(self) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "detector": self.detector,
            "detector_version": self.detector_version,
            "entity_kind": self.entity_kind,
            "entity": self.entity,
            "counterpart": self.counterpart,
            "first_seen": _utc(self.first_seen),
            "last_seen": _utc(self.last_seen),
            "score": float(self.score),
            "confidence": self.confidence,
            "coin": self.coin,
            "algorithm": self.algorithm,
            "hashrate_hs": _finite(self.hashrate_hs),
            "hashrate_low_hs": _finite(self.hashrate_low_hs),
            "hashrate_high_hs": _finite(self.hashrate_high_hs),
            "power_w_low": _finite(self.power_w_low),
            "power_w_high": _finite(self.power_w_high),
            "observables": json.dumps(self.observables, sort_keys=True, default=str),
            "reasons": list(self.reasons),
            "provenance": json.dumps(self.provenance, sort_keys=True, default=str),
        }


def to_table(rows: list[Evidence]) -> pa.Table:
    """Evidence rows → an Arrow table with the canonical schema (validated by Arrow itself)."""
    return pa.Table.from_pylist([r.to_row() for r in rows], schema=SCHEMA)


def from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its JSON columns decoded (for CLI/API views)."""
    out = dict(row)
    for k in ("observables", "provenance"):
        v = out.get(k)
        out[k] = json.loads(v) if isinstance(v, str) and v else (v or {})
    return out
