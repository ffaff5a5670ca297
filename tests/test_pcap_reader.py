"""The capture reader on real captures, broken captures and random bytes."""

from __future__ import annotations

import collections
import gzip
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minewatch.errors import MinewatchError, NotACaptureError
from minewatch.records import CaptureStats, ConnSummary, NameObservation, StreamChunk
from minewatch.sources.pcap import read_capture

from .conftest import REAL

# frame counts as printed by `tshark -r FILE | wc -l` (an independent reader)
TSHARK_FRAMES = {
    "benign/netflix.pcap": 1793, "benign/sites.pcapng": 699, "benign/jsonrpc.pcap": 16,
    "benign/bittorrent.pcap": 299, "benign/android.pcap": 500, "ndpi/monero.pcap": 60,
    "ndpi/mining.pcapng": 673, "ndpi/bitcoin.pcap": 529, "ndpi/ethereum.pcap": 2000,
    "other/zeek-cryptomining/coinhive-stratum.pcap": 320,
    "other/zeek-cryptomining/bitcoin-mining.pcap": 188,
}


def _read(path):
    st_ = CaptureStats(str(path))
    recs = list(read_capture(path, st_))
    return recs, st_


@pytest.mark.parametrize("name", sorted(TSHARK_FRAMES))
def test_frame_count_matches_tshark(name):
    _, stats = _read(REAL / name)
    assert stats.frames == TSHARK_FRAMES[name]
    assert stats.warnings == []


def _streams(recs):
    data = collections.defaultdict(bytes)
    for r in recs:
        if isinstance(r, StreamChunk):
            data[(r.conn.client, r.conn.server, r.direction)] += r.data
    return data


def test_mining_capture_streams_are_whole_json_lines():
    recs, _ = _read(REAL / "ndpi/mining.pcapng")
    data = _streams(recs)
    conns = {(c, s) for c, s, _ in data}
    assert conns == {("192.168.2.148:46838", "94.23.199.191:3333"),
                     ("147.229.13.222:49307", "185.71.66.39:9999"),
                     ("192.168.2.92:55190", "178.32.196.217:9050"),
                     ("192.168.2.148:53846", "116.211.167.195:3333")}
    up = data[("192.168.2.148:46838", "94.23.199.191:3333", 0)]
    assert up.startswith(b'{"id":1,"method":"mining.subscribe","params":["EWBF 0.3.4b"')
    # every line of every stream is complete JSON (reassembly kept line boundaries)
    import json
    for key, blob in data.items():
        lines = [ln for ln in blob.split(b"\n") if ln.strip()]
        assert lines, key
        for ln in lines:
            json.loads(ln)
    # client→server payload bytes equal the sum the flow table counted (no loss, no duplicates)
    summaries = {r.conn.client: r for r in recs if isinstance(r, ConnSummary)}
    assert len(up) == summaries["192.168.2.148:46838"].payload_bytes[0]


def test_summaries_know_the_client_from_the_syn():
    recs, _ = _read(REAL / "ndpi/mining.pcapng")
    sums = [r for r in recs if isinstance(r, ConnSummary)]
    assert len(sums) == 4
    assert all(s.conn.syn_seen for s in sums)
    eth = next(s for s in sums if s.conn.server_port == 9999)
    assert eth.first_payload_dir == 0 and eth.first_payload_head == b'{"wo'
    assert eth.conn.community_id.startswith("1:")


def test_dns_and_sni_names_are_observed():
    path = REAL / "other/zeek-cryptomining/coinhive-stratum.pcap"
    recs, _ = _read(path)
    names = {(r.kind, r.name, r.ip) for r in recs if isinstance(r, NameObservation)}
    # by default only the servers of flows handed to detectors are named …
    assert names == {("dns", "la01.supportxmr.com", "192.110.160.114")}
    every = {(r.kind, r.name, r.ip) for r in read_capture(path, all_names=True)
             if isinstance(r, NameObservation)}
    # … and on request every name seen
    assert ("sni", "coinhive.com", "104.20.208.59") in every
    assert names < every


def test_benign_tls_traffic_is_not_handed_to_python():
    _, stats = _read(REAL / "benign/netflix.pcap")
    # only JSON/HTTP-POST flows, DNS, TLS hellos and HTTP heads are selected
    assert stats.selected_packets < stats.tcp_payload_packets / 4


def test_gzip_capture_reads_the_same(tmp_path):
    src = REAL / "ndpi/mining.pcapng"
    gz = tmp_path / "mining.pcapng.gz"
    with open(src, "rb") as fi, gzip.open(gz, "wb") as fo:
        shutil.copyfileobj(fi, fo)
    a, _ = _read(src)
    b, _ = _read(gz)
    assert _streams(a) == _streams(b)


@pytest.mark.parametrize("name", ["ndpi/mining.pcapng", "other/zeek-cryptomining/bitcoin-mining.pcap"])
def test_truncated_capture_keeps_what_was_read(tmp_path, name):
    src = REAL / name
    data = src.read_bytes()
    cut = tmp_path / ("cut-" + src.name)
    cut.write_bytes(data[: len(data) * 2 // 3])
    full, fstats = _read(src)
    recs, stats = _read(cut)
    assert 0 < stats.frames < fstats.frames
    assert stats.truncated_at_frame == stats.frames + 1
    assert len(stats.warnings) == 1
    w = stats.warnings[0]
    assert str(cut) in w and f"frame {stats.frames + 1}" in w
    assert any(isinstance(r, StreamChunk) for r in recs)


def test_not_a_capture_is_a_clear_error(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("this is not a capture\n")
    with pytest.raises(NotACaptureError) as ei:
        list(read_capture(p))
    assert str(p) in str(ei.value)
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    with pytest.raises(NotACaptureError):
        list(read_capture(empty))


SEED = (REAL / "ndpi/mining.pcapng").read_bytes()[:6000]
SEED_PCAP = (REAL / "benign/jsonrpc.pcap").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=2000),
    st.tuples(st.sampled_from([SEED, SEED_PCAP]), st.lists(
        st.tuples(st.integers(0, 5999), st.integers(0, 255)), max_size=40),
        st.integers(24, 6000)).map(
        lambda t: bytes(_mutate(t[0], t[1]))[: t[2]])))
def test_random_and_mutated_bytes_raise_only_our_error(tmp_path_factory, blob):
    p = tmp_path_factory.mktemp("fuzz") / "f.pcap"
    p.write_bytes(blob)
    try:
        for _ in read_capture(p):
            pass
    except MinewatchError:
        pass


def _mutate(data: bytes, edits):
    b = bytearray(data)
    for pos, val in edits:
        if pos < len(b):
            b[pos] = val
    return b


def test_kernel_names_agree_with_dpkt():
    """DNS answers and SNI decoded by the compiled kernel = what dpkt decodes, on real captures."""
    import socket

    import dpkt
    for name in ("benign/netflix.pcap", "other/zeek-cryptomining/coinhive-stratum.pcap",
                 "benign/android.pcap"):
        want_dns, want_sni = set(), set()
        with open(REAL / name, "rb") as fh:
            for frame, (_ts, raw) in enumerate(dpkt.pcap.Reader(fh), start=1):
                eth = dpkt.ethernet.Ethernet(raw)
                ip = eth.data
                l4 = getattr(ip, "data", None)
                if isinstance(l4, dpkt.udp.UDP) and 53 in (l4.sport, l4.dport):
                    msg = dpkt.dns.DNS(l4.data)
                    if msg.qr != dpkt.dns.DNS_R or not msg.qd:
                        continue
                    for rr in msg.an:
                        if rr.type == dpkt.dns.DNS_A:
                            want_dns.add((frame, msg.qd[0].name.lower(),
                                          socket.inet_ntop(socket.AF_INET, rr.rdata), rr.ttl))
                        elif rr.type == dpkt.dns.DNS_AAAA:
                            want_dns.add((frame, msg.qd[0].name.lower(),
                                          socket.inet_ntop(socket.AF_INET6, rr.rdata), rr.ttl))
                elif isinstance(l4, dpkt.tcp.TCP) and l4.data[:1] == b"\x16" \
                        and l4.data[5:6] == b"\x01":
                    try:
                        rec = dpkt.ssl.TLSRecord(l4.data)
                        hello = dpkt.ssl.TLSHandshake(rec.data).data
                    except (dpkt.NeedData, dpkt.UnpackError):
                        continue
                    for ext_type, ext in getattr(hello, "extensions", []):
                        if ext_type == 0:
                            host = ext[5:].decode().lower()
                            want_sni.add((frame, host, socket.inet_ntop(socket.AF_INET, ip.dst)))
        recs = list(read_capture(REAL / name, all_names=True))
        got = [r for r in recs if isinstance(r, NameObservation)]
        got_dns = {(o.frame, o.name, o.ip, o.ttl) for o in got if o.kind == "dns"}
        got_sni = {(o.frame, o.name, o.ip) for o in got if o.kind == "sni"}
        assert got_dns == want_dns, name
        assert got_sni == want_sni, name
        assert want_dns or want_sni


def test_cut_gzip_capture_keeps_what_was_read(tmp_path):
    src = REAL / "ndpi/mining.pcapng"
    gz = tmp_path / "mining.pcapng.gz"
    with open(src, "rb") as fi, gzip.open(gz, "wb") as fo:
        shutil.copyfileobj(fi, fo)
    cut = tmp_path / "cut.pcapng.gz"
    cut.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])
    recs, stats = _read(cut)
    assert stats.warnings and "cut.pcapng.gz" in stats.warnings[0]
    assert 0 < stats.frames < 673
    assert any(isinstance(r, StreamChunk) for r in recs)
