"""The Stratum detector on real third-party captures (tests/data/real, see PROVENANCE.tsv)."""

from __future__ import annotations

import pytest

from minewatch.detectors.stratum import StratumDetector
from minewatch.sources.pcap import read_capture

from .conftest import REAL

ZEEK = REAL / "other/zeek-cryptomining"


def sessions(path):
    evs = StratumDetector().detect(read_capture(path))
    return ({e.entity: e for e in evs if e.entity_kind == "ip:port"},
            [e for e in evs if e.entity_kind == "ip"])


@pytest.fixture(scope="module")
def ndpi_mining():
    return sessions(REAL / "ndpi/mining.pcapng")


def test_ndpi_mining_four_sessions_with_their_coins(ndpi_mining):
    by, _ = ndpi_mining
    assert {k: e.coin for k, e in by.items()} == {
        "192.168.2.148:46838": "ZEC", "192.168.2.148:53846": "ZEC",
        "147.229.13.222:49307": "ETH", "192.168.2.92:55190": "XMR"}
    assert {e.observables["protocol"] for e in by.values()} == {"stratum1", "ethproxy",
                                                               "cryptonote"}
    assert all(e.confidence == "high" for e in by.values())


def test_ndpi_eth_proxy_reported_hashrate(ndpi_mining):
    eth = ndpi_mining[0]["147.229.13.222:49307"]
    o = eth.observables
    assert o["reported_hashrate_n"] == 14
    assert o["reported_hashrate_hs"] == pytest.approx(30.45e6, rel=1e-3)
    assert o["wallet"] == "0x9c99d212f7e5daa18ab50810e0fd255d1f04303b" and o["wallet_valid"]
    # one accepted share at boundary 0x00000000dbe6… over the 296 s session
    assert o["shares_accepted"] == 1
    assert eth.hashrate_low_hs < 30.45e6 < eth.hashrate_high_hs


def test_ndpi_xmr_estimate(ndpi_mining):
    xmr = ndpi_mining[0]["192.168.2.92:55190"]
    o = xmr.observables
    # 33 frames carry a submit, but frames 229–231 are TCP retransmissions of the one at frame
    # 228 (seq 810): 30 distinct shares, all accepted, at difficulty 20000 ("dc460300").
    assert (o["shares_submitted"], o["shares_accepted"]) == (30, 30)
    assert o["hashrate_window_s"] == pytest.approx(1154, abs=1)
    assert xmr.hashrate_hs == pytest.approx(30 * 20000 / o["hashrate_window_s"], rel=1e-6)
    assert xmr.hashrate_low_hs <= 572 <= xmr.hashrate_high_hs   # the 33-frame figure fits too
    assert o["agent"] == "xmr-stak-cpu/1.3.0-1.5.0" and o["worker"] == "ryzen"
    assert any("difficulty 20000" in r for r in xmr.reasons)


def test_ndpi_zec_sessions(ndpi_mining):
    by, hosts = ndpi_mining
    zec = by["192.168.2.148:46838"]
    o = zec.observables
    assert (o["agent"], o["pool_host"]) == ("EWBF 0.3.4b", "eu1-zcash.flypool.org")
    assert (o["shares_accepted"], o["shares_rejected"]) == (45, 1)     # one "21 Stale job!"
    assert zec.algorithm == "equihash" and o["hashrate_unit"] == "Sol/s"
    assert any("mining.subscribe and mining.authorize" in r for r in zec.reasons)
    host = [h for h in hosts if h.entity == "192.168.2.148"]
    assert len(host) == 1 and host[0].algorithm == "equihash"       # both sessions, one row


def test_bitcoin_mining_stratum_and_every_http_getwork_session():
    by, _ = sessions(ZEEK / "bitcoin-mining.pcap")
    http = {k for k, e in by.items() if e.observables["protocol"] == "getwork"}
    stratum = {k for k, e in by.items() if e.observables["protocol"] == "stratum1"}
    assert http == {"10.0.2.15:50496", "10.0.2.15:50498", "10.0.2.15:53294", "10.0.2.15:53300",
                    "10.0.2.15:53302"}      # every POST getwork/getblocktemplate connection
    assert stratum == {"10.0.2.15:53288", "10.0.2.15:50520", "10.0.2.15:53310"}
    full = by["10.0.2.15:53310"]
    assert full.observables["agent"] == "bfgminer/5.2.0"
    assert full.observables["pool_host"] == "us1.bitminter.com"
    assert full.observables["wallet"] == "broatcast"
    for k in http:
        assert by[k].observables["agent"] == "bfgminer/5.2.0"


def test_coinhive_three_login_sessions():
    by, _ = sessions(ZEEK / "coinhive-stratum.pcap")
    assert set(by) == {"10.0.2.15:46080", "10.0.2.15:46082", "10.0.2.15:46084"}
    for e in by.values():
        assert e.observables["protocol"] == "cryptonote" and e.observables["agent"] is None
        assert e.coin == "XMR" and e.observables["wallet_valid"]


@pytest.mark.parametrize("name", ["benign/android.pcap", "benign/bittorrent.pcap",
                                  "benign/jsonrpc.pcap", "benign/netflix.pcap",
                                  "benign/sites.pcapng", "ndpi/monero.pcap",
                                  "ndpi/ethereum.pcap", "ndpi/bitcoin.pcap"])
def test_no_sessions_on_benign_and_node_traffic(name):
    assert StratumDetector().detect(read_capture(REAL / name)) == []
