"""The evidence record, its Arrow schema, stable ids and the idempotent DuckDB store."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from minewatch.evidence import SCHEMA, Evidence, evidence_id, to_table
from minewatch.store.duckdb import DuckDBStore


def _ev(**kw):
    base = dict(detector="stratum", detector_version="1", entity_kind="ip:port",
                entity="10.0.0.1:40000", first_seen=1_600_000_000.0, last_seen=1_600_000_100.0,
                score=0.9, confidence="high", reasons=["client sent mining.subscribe"],
                counterpart="1.2.3.4:3333", coin="BTC", algorithm="sha256d",
                hashrate_hs=1e12, hashrate_low_hs=8e11, hashrate_high_hs=1.3e12,
                observables={"wallet": "bc1q…", "shares_accepted": 12},
                provenance={"file": "x.pcap", "frames": [1, 9]})
    base.update(kw)
    return Evidence(**base)


def test_id_is_stable_and_distinguishes_key_facts():
    a, b = _ev(), _ev()
    assert a.evidence_id == b.evidence_id and len(a.evidence_id) == 32
    assert _ev(entity="10.0.0.2:40000").evidence_id != a.evidence_id
    assert _ev(key_facts=("frame 7",)).evidence_id != a.evidence_id
    assert _ev(first_seen=1_600_000_001.0).evidence_id != a.evidence_id
    assert evidence_id("d", "ip", "1.1.1.1", None, 0.0) == evidence_id("d", "ip", "1.1.1.1", "", 0)


@pytest.mark.parametrize("bad", [dict(score=1.5), dict(confidence="sure"), dict(reasons=[]),
                                 dict(entity_kind="mac"), dict(algorithm="sha3"),
                                 dict(last_seen=1.0), dict(hashrate_low_hs=2e12)])
def test_invalid_evidence_is_refused(bad):
    with pytest.raises(ValueError):
        _ev(**bad)


def test_arrow_table_has_the_canonical_schema():
    t = to_table([_ev(), _ev(entity="10.0.0.9:1")])
    assert t.schema.equals(SCHEMA)
    assert t.num_rows == 2
    assert json.loads(t.column("observables")[0].as_py())["shares_accepted"] == 12
    assert t.column("first_seen").type == pa.timestamp("us", tz="UTC")


def test_store_is_idempotent(store):
    rows = [_ev(), _ev(entity="10.0.0.9:1")]
    assert store.add(rows) == 2
    assert store.add(rows) == 0
    assert store.add(rows + [_ev(entity="10.0.0.7:2")]) == 1
    assert store.count() == 3
    got = store.query(entity_kind="ip:port")
    assert [r["entity"] for r in got] == sorted(r["entity"] for r in got) or len(got) == 3
    assert got[0]["observables"]["wallet"] == "bc1q…"
    assert store.arrow().num_rows == 3


def test_duplicate_ids_within_one_batch_are_stored_once(store):
    assert store.add([_ev(), _ev()]) == 1


def test_file_store_persists(tmp_path):
    p = tmp_path / "sub" / "ev.duckdb"
    s = DuckDBStore(str(p))
    s.add([_ev()])
    s.close()
    s2 = DuckDBStore(str(p))
    assert s2.count() == 1
    assert s2.add([_ev()]) == 0
    s2.close()
