"""The contract every detector — present and future — passes (river-style conformance suite):
deterministic, empty input → no evidence, evidence rows valid against the schema, picklable."""

from __future__ import annotations

import importlib
import pickle
import pkgutil

import pyarrow as pa
import pytest

import minewatch.detectors as D
from minewatch.evidence import SCHEMA, Evidence, to_table
from minewatch.sources.pcap import read_capture

from .conftest import REAL

# import every detector module so that each registers itself
for _m in pkgutil.iter_modules(D.__path__):
    importlib.import_module(f"{D.__name__}.{_m.name}")

SAMPLES = {
    # record kind → inputs on which detectors of that kind must behave
    "capture": [REAL / "ndpi/mining.pcapng", REAL / "other/zeek-cryptomining/bitcoin-mining.pcap",
                REAL / "benign/jsonrpc.pcap"],
    # (readings, register) built with numpy: households, one with a 5 kW miner from day 40;
    # the same without a register; households only
    "meters": [("miner", True), ("miner", False), ("clean", True)],
}


def _meter_sample(which: str, with_register: bool):
    import numpy as np

    from . import meter_synth as S
    rng = np.random.default_rng(0)
    series = {f"H{i:02d}": S.household(rng, 90) for i in range(25)}
    if which == "miner":
        series["M"] = S.household(rng, 90) + S.miner(90, kw=5.0, start_day=40, rng=rng)
    reg = S.register({a: ("residential", 10, "150102") for a in series})
    return [S.readings(series), reg] if with_register else [S.readings(series)]


def _records(kind):
    if kind == "capture":
        return [list(read_capture(p)) for p in SAMPLES[kind]]
    if kind == "meters":
        return [_meter_sample(*s) for s in SAMPLES[kind]]
    raise AssertionError(f"no contract samples for record kind {kind!r}: add them here")


DETECTORS = sorted(D.REGISTRY.items())


def test_registry_is_not_empty():
    assert "stratum" in D.REGISTRY


@pytest.mark.parametrize("name,cls", DETECTORS)
def test_empty_input_gives_no_evidence(name, cls):
    assert cls().detect([]) == []


@pytest.mark.parametrize("name,cls", DETECTORS)
def test_deterministic_and_valid(name, cls):
    kind = getattr(cls, "record_kind", "capture")
    produced = 0
    for records in _records(kind):
        a = cls().detect(list(records))
        b = cls().detect(list(records))
        assert [e.to_row() for e in a] == [e.to_row() for e in b]
        ids = [e.evidence_id for e in a]
        assert len(ids) == len(set(ids)), "evidence ids collide within one run"
        for e in a:
            assert isinstance(e, Evidence)
            e.validate()
            assert e.detector == cls.name and e.detector_version == cls.version
        table = to_table(a)
        assert table.schema.equals(SCHEMA)
        assert isinstance(table, pa.Table)
        produced += len(a)
    assert produced > 0, "the samples should make every detector say something"


@pytest.mark.parametrize("name,cls", DETECTORS)
def test_picklable(name, cls):
    det = cls()
    det2 = pickle.loads(pickle.dumps(det))
    assert det2.detect([]) == []
