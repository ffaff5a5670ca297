"""Every Stratum flavour, link type and TCP pathology, on the synthetic captures in tests/data/synth
(built by make_synth.py from the reference implementations; ground truth in truth.json)."""

from __future__ import annotations

import collections
import json

import pytest

from minewatch.detectors.stratum import StratumDetector
from minewatch.errors import NotACaptureError
from minewatch.records import CaptureStats, StreamChunk
from minewatch.sources.pcap import read_capture

from .conftest import SYNTH

TRUTH = json.loads((SYNTH / "truth.json").read_text())["files"]


def _ep(s: str) -> str:
    """truth.json writes IPv6 endpoints bare ('2001:db8::1:443'); minewatch brackets them."""
    ip, port = s.rsplit(":", 1)
    return f"[{ip}]:{port}" if ":" in ip else s


for _d in TRUTH.values():
    for _s in _d.get("sessions", []):
        if ":" in _s.get("client", "") and _s["client"].count(":") > 1:
            _s["client"] = _ep(_s["client"])
        if _s.get("server", "").count(":") > 1:
            _s["server"] = _ep(_s["server"])
WITH_LINES = sorted(n for n, d in TRUTH.items()
                    if any("lines" in s for s in d.get("sessions", [])))
FLAVOURS = sorted(n for n, d in TRUTH.items() if d.get("kind") == "flavour")


ALIAS = {"c": "c2s", "s": "s2c"}   # one truth entry spells the directions short


def _lines(path):
    """Complete lines per (client, server, direction), as a line-oriented consumer sees them:
    after a gap the unterminated tail before it is dropped."""
    buf = collections.defaultdict(bytes)
    out = collections.defaultdict(list)
    stats = CaptureStats(str(path))
    for r in read_capture(path, stats):
        if not isinstance(r, StreamChunk):
            continue
        key = (r.conn.client, r.conn.server, "c2s" if r.direction == 0 else "s2c")
        if r.gap_before:
            buf[key] = b""
        buf[key] += r.data
        *done, buf[key] = buf[key].split(b"\n")
        out[key] += [d.decode() for d in done]
    return out, stats


@pytest.mark.parametrize("name", WITH_LINES)
def test_reader_yields_exactly_the_true_lines(name):
    got, stats = _lines(SYNTH / name)
    for sess in TRUTH[name]["sessions"]:
        lines = {ALIAS.get(k, k): v for k, v in sess.get("lines", {}).items()}
        if not (lines.get("c2s") or lines.get("s2c")):
            continue   # HTTP sessions: truth lists requests, not lines
        for d in ("c2s", "s2c"):
            want = lines.get(d, [])
            assert got.get((sess["client"], sess["server"], d), []) == want, (name, d)
    if name != "truncated.pcap":
        assert stats.warnings == []


def test_link_types_are_all_read():
    seen = set()
    for name in WITH_LINES:
        if name.startswith("link_"):
            stats = CaptureStats(name)
            list(read_capture(SYNTH / name, stats))
            seen |= stats.link_types
    assert {0, 1, 12, 14, 101, 113, 276} <= seen


def test_truncated_capture_names_file_and_frame():
    _, stats = _lines(SYNTH / "truncated.pcap")
    assert stats.truncated_at_frame is not None
    assert "truncated.pcap" in stats.warnings[0]
    assert f"frame {stats.truncated_at_frame}" in stats.warnings[0]


def test_not_a_capture():
    with pytest.raises(NotACaptureError):
        list(read_capture(SYNTH / "not_a_capture.bin"))


def _sessions(name):
    ev = StratumDetector().detect(read_capture(SYNTH / name))
    return {e.entity: e for e in ev if e.entity_kind == "ip:port"}, \
        [e for e in ev if e.entity_kind == "ip"]


def test_benign_lookalikes_are_not_mining():
    sessions, hosts = _sessions("benign_jsonrpc_lookalike.pcap")
    assert sessions == {} and hosts == []


@pytest.mark.parametrize("name", FLAVOURS)
def test_flavour_sessions_match_truth(name):
    sessions, _ = _sessions(name)
    truth = [s for s in TRUTH[name]["sessions"] if ":" in s["client"]]
    assert {s["client"] for s in truth} <= set(sessions), sessions.keys()
    for t in truth:
        e = sessions[t["client"]]
        obs = e.observables
        assert e.counterpart == t["server"]
        assert obs["protocol"], name
        for field in ("coin", "algorithm"):
            if t.get(field):
                assert getattr(e, field) == t[field], (name, field)
        for field in ("wallet", "worker"):
            if t.get(field):
                assert obs[field] == t[field], (name, field)
        if t.get("agent"):
            assert obs["agent"] and t["agent"].split("/")[0].lower() in obs["agent"].lower()
        if "shares_accepted" in t and t.get("protocol") != "stratum-v2":  # SV2 is encrypted
            assert obs["shares_accepted"] == t["shares_accepted"], name
            assert obs["shares_submitted"] == t["shares_submitted"], name
        want = t.get("expected_hashrate_hs")
        if want:
            assert e.hashrate_hs is not None, (name, obs.get("hashrate_reason"))
            assert e.hashrate_low_hs <= want <= e.hashrate_high_hs, name
            assert abs(e.hashrate_hs - want) / want < 0.35, (name, e.hashrate_hs, want)
        if t.get("reported_hashrate_hs"):
            claims = [c["hashrate_hs"] for c in t["reported_hashrate_hs"]]
            assert obs["reported_hashrate_hs"] == pytest.approx(sum(claims) / len(claims),
                                                                rel=0.05)


def test_http_eth_getwork_session_is_found():
    sessions, hosts = _sessions("http_getwork_ethgetwork.pcap")
    truth = [s for s in TRUTH["http_getwork_ethgetwork.pcap"]["sessions"]]
    eth = [e for e in sessions.values() if e.coin == "ETH"]
    assert eth, "eth_getWork over HTTP"
    want = next(t for t in truth if t["coin"] == "ETH")["expected_hashrate_hs"]
    host = next(h for h in hosts if h.algorithm == "ethash")
    assert host.hashrate_low_hs <= want <= host.hashrate_high_hs


def test_server_only_capture_is_evidence_without_a_rate():
    sessions, _ = _sessions("server_only_notify.pcap")
    (e,) = sessions.values()
    assert e.hashrate_hs is None and e.observables["hashrate_reason"]
    assert e.confidence in ("medium", "high")
    assert any("mining.notify" in r for r in e.reasons)


def test_stratum_v2_handshake_is_low_confidence_evidence():
    sessions, _ = _sessions("stratum_v2_noise.pcap")
    (e,) = sessions.values()
    assert e.confidence == "low" and e.score < 0.5
    assert any("64" in r and "234" in r for r in e.reasons)


def test_verified_shares_tell_sha256d_from_scrypt():
    btc, _ = _sessions("btc_stratum_v1.pcap")
    ltc, _ = _sessions("ltc_scrypt_stratum.pcap")
    (b,), (l,) = btc.values(), ltc.values()
    assert b.algorithm == "sha256d" and l.algorithm == "scrypt"
    assert b.observables["shares_verified"] >= 20 and l.observables["shares_verified"] >= 20


@pytest.mark.parametrize("name", sorted(n for n, d in TRUTH.items() if d.get("first_ts_ns")
                                        and n.startswith(("link_", "tcp_"))))
def test_timestamps_follow_each_interface_resolution(name):
    from minewatch.records import ConnSummary
    first = min(r.first_ts for r in read_capture(SYNTH / name) if isinstance(r, ConnSummary))
    assert first == pytest.approx(TRUTH[name]["first_ts_ns"] / 1e9, abs=1e-6)
