"""detectors/stratum.py on hand-built StreamChunk sequences: one checked hashrate per flavour
(expected value computed by hand from the messages in the test), orientation, gaps, one-sided
captures, names, host rows and determinism."""

from __future__ import annotations

import functools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.detectors.stratum import StratumDetector
from minewatch.estimate.hashrate import cryptonote_difficulty
from minewatch.estimate.verify import check_stratum_v1_share
from minewatch.records import Conn, ConnSummary, NameObservation, StreamChunk

T0 = 1_600_000_000.0
CONN = Conn("10.0.0.2", 50000, "198.51.100.7", 3333, "tcp", True, "t.pcap", "1:test")
BTC_ADDR = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
ZEC_ADDR = "t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd"
XMR_ADDR = ("46WNbmwXpYxiBpkbHjAgjC65cyzAxtaaBQjcGpAZquhBKw2r8NtPQniEgMJcwFMCZzSBrEJtmPsTR54MoGB"
            "DbjTi2W1XmgM")
ETH_ADDR = "0x9c99d212f7e5daa18ab50810e0fd255d1f04303b"
ZEC_TARGET = "0004189374bc6a7ef9db22d0e5604189374bc6a7ef9db22d0e5604189374bc6a"
ZEC_NOTIFY = ["8c6f2d4c6d2c7014fb26", "04000000",
              "9e2fc768bd1977528c8d6096d46376758179e25bf3293428b65f120100000000",
              "35d341a8b19a38cd584cb5494185b4dbf1a7eaa91a9ff6541e851de50cbc88a2", "00" * 32,
              "a9cc405a", "09d8151c", True]
BTC_NOTIFY = ["j1", "4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000",
              "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008",
              "072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000",
              [], "00000002", "1c2ac4af", "504e86b9", False]
EN1 = "08000002"


def chunks(*steps, conn=CONN, t0=T0, first_frame=1, last_ts=None):
    """steps: (who, seconds, message) with who "c" (miner) or "s" (pool); a dict message is one
    JSON line, bytes are sent as is. A ConnSummary closes the connection at `last_ts`."""
    out, frame = [], first_frame
    for who, t, msg in steps:
        data = msg if isinstance(msg, bytes) else (json.dumps(msg) + "\n").encode()
        out.append(StreamChunk(conn, 0 if who == "c" else 1, t0 + t, frame, data))
        frame += 1
    if last_ts is not None:
        out.append(ConnSummary(conn, t0, t0 + last_ts, first_frame, frame,
                               payload_bytes=(1, 1), first_payload_len=(10, 10),
                               first_payload_dir=0))
    return out


def run(records):
    evs = StratumDetector().detect(records)
    sessions = [e for e in evs if e.entity_kind == "ip:port"]
    hosts = [e for e in evs if e.entity_kind == "ip"]
    return sessions, hosts


def only(records):
    sessions, _ = run(records)
    assert len(sessions) == 1
    return sessions[0]


# --------------------------------------------------------------------------- Stratum v1

@functools.lru_cache(maxsize=None)
def find_nonces(difficulty: float, algorithm: str, n: int) -> tuple[str, ...]:
    """Nonces whose header meets `difficulty` for `algorithm` (sha256d is tried first by the
    verifier, so a scrypt nonce must fail sha256d): real proof of work at a tiny difficulty."""
    found = []
    for i in range(20000):
        nonce = f"{i:08x}"
        c = check_stratum_v1_share(BTC_NOTIFY, EN1, ["w", "j1", "00000000", "504e86b9", nonce],
                                   difficulty)
        if c.status == "valid" and c.algorithm == algorithm:
            found.append(nonce)
            if len(found) == n:
                return tuple(found)
    raise AssertionError("no nonce found")


def stratum1(difficulty, nonces, user=f"{BTC_ADDR}.rig1", agent="cgminer/4.10.0", end=102.0):
    steps = [("c", 0, {"id": 1, "method": "mining.subscribe", "params": [agent]}),
             ("s", 0.1, {"id": 1, "result": [[["mining.notify", "ae"]], EN1, 4], "error": None}),
             ("c", 0.2, {"id": 2, "method": "mining.authorize", "params": [user, "x"]}),
             ("s", 0.3, {"id": 2, "result": True, "error": None}),
             ("s", 1, {"id": None, "method": "mining.set_difficulty", "params": [difficulty]}),
             ("s", 2, {"id": None, "method": "mining.notify", "params": BTC_NOTIFY})]
    for i, nonce in enumerate(nonces):
        steps.append(("c", 10 + 10 * i, {"id": 10 + i, "method": "mining.submit",
                                         "params": [user, "j1", "00000000", "504e86b9", nonce]}))
        steps.append(("s", 10.5 + 10 * i, {"id": 10 + i, "result": True, "error": None}))
    return chunks(*steps, last_ts=end)


def test_stratum1_sha256d_verified_hashrate():
    d = 2.0 ** -28
    e = only(stratum1(d, find_nonces(d, "sha256d", 3)))
    # 3 accepted shares × d × 2^32 hashes over (102 s end − 2 s first job)
    assert e.hashrate_hs == pytest.approx(3 * d * 2 ** 32 / 100)
    assert e.hashrate_low_hs < e.hashrate_hs < e.hashrate_high_hs
    assert (e.algorithm, e.coin, e.confidence) == ("sha256d", "BTC", "high")
    o = e.observables
    assert (o["shares_submitted"], o["shares_accepted"], o["shares_verified"]) == (3, 3, 3)
    assert (o["wallet"], o["wallet_valid"], o["worker"], o["agent"]) == (BTC_ADDR, True, "rig1",
                                                                       "cgminer/4.10.0")
    assert o["algorithm_basis"].startswith("3 share(s) verified")
    assert "client sent mining.subscribe and mining.authorize to 198.51.100.7:3333 (frames 1, 3)" \
        in e.reasons
    assert e.provenance == {"file": "t.pcap", "frames": [1, 13], "community_id": "1:test"}


def test_stratum1_scrypt_picked_by_verification():
    d = 2.0 ** -12
    e = only(stratum1(d, find_nonces(d, "scrypt", 3), user="LTCaccount.rig1"))
    assert e.algorithm == "scrypt"
    assert e.hashrate_hs == pytest.approx(3 * d * 2 ** 16 / 100)    # k = 2^16 for Scrypt


def test_stratum1_ambiguous_algorithm_gives_null_with_reason():
    e = only(stratum1(1e6, ["00000000", "00000001"], user="someuser.rig1", agent="miner/1"))
    assert e.algorithm is None and e.hashrate_hs is None
    reason = e.observables["hashrate_reason"]
    assert "sha256d" in reason and "scrypt" in reason
    assert e.observables["shares_verified"] == 0 and e.observables["shares_invalid"] == 2


def test_stratum1_pool_host_resolves_ambiguity():
    recs = stratum1(1e6, ["00000000", "00000001"], user="someuser.rig1", agent="miner/1")
    recs.insert(0, NameObservation(T0 - 5, "ltc.example-pool.com", CONN.server_ip, "dns", frame=1))
    e = only(recs)
    assert (e.algorithm, e.coin) == ("scrypt", "LTC")
    assert e.observables["pool_host"] == "ltc.example-pool.com"
    assert e.hashrate_hs == pytest.approx(2 * 1e6 * 2 ** 16 / 100)


def test_set_difficulty_applies_from_next_notify():
    steps = [("c", 0, {"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.10.0"]}),
             ("s", 1, {"id": None, "method": "mining.set_difficulty", "params": [4]}),
             ("s", 2, {"id": None, "method": "mining.notify", "params": BTC_NOTIFY}),
             ("s", 3, {"id": None, "method": "mining.set_difficulty", "params": [1000]}),
             ("c", 10, {"id": 5, "method": "mining.submit",
                        "params": ["u", "j1", "00000000", "504e86b9", "00000000"]}),
             ("s", 11, {"id": 5, "result": True})]
    recs = chunks(*steps, last_ts=52.0)
    recs.insert(0, NameObservation(T0, "btc.example-pool.com", CONN.server_ip, "dns"))
    e = only(recs)
    assert e.hashrate_hs == pytest.approx(4 * 2 ** 32 / 50)     # job j1 was sent at difficulty 4


def test_equihash_zec_hashrate_in_solutions():
    sol = "fd4005" + "00" * 1344
    steps = [("c", 0, {"id": 1, "method": "mining.subscribe",
                       "params": ["EWBF 0.3.4b", None, "eu1-zcash.flypool.org", "3333"]}),
             ("s", 0.1, {"id": 1, "result": ["04d567b212", "04d567b212"], "error": None}),
             ("c", 0.2, {"id": 2, "method": "mining.authorize", "params": [f"{ZEC_ADDR}.rig4", "x"]}),
             ("s", 0.3, {"id": 2, "result": True, "error": None}),
             ("s", 1, {"id": None, "method": "mining.set_target", "params": [ZEC_TARGET]}),
             ("s", 5, {"id": None, "method": "mining.notify", "params": ZEC_NOTIFY})]
    for i, ok in enumerate((True, True, False)):
        steps.append(("c", 20 + i, {"id": 100 + i, "method": "mining.submit", "params": [
            f"{ZEC_ADDR}.rig4", ZEC_NOTIFY[0], "a9cc405a", f"{i:054x}", sol]}))
        steps.append(("s", 20.5 + i, {"id": 100 + i, "result": True} if ok else
                      {"id": 100 + i, "result": None, "error": [21, "Stale job!", None]}))
    e = only(chunks(*steps, last_ts=105.0))
    # 2 accepted × 2^256/target solutions each, over 105 − 5 s
    assert e.hashrate_hs == pytest.approx(2 * 2 ** 256 / int(ZEC_TARGET, 16) / 100)
    assert (e.algorithm, e.coin) == ("equihash", "ZEC")
    o = e.observables
    assert (o["shares_accepted"], o["shares_rejected"], o["hashrate_unit"]) == (2, 1, "Sol/s")
    assert o["pool_host"] == "eu1-zcash.flypool.org" and o["agent"] == "EWBF 0.3.4b"
    assert any("21 Stale job!" in r for r in e.reasons)


# --------------------------------------------------------------------------- Ethereum flavours

SEED, HEADER = "0x" + "11" * 32, "0x" + "22" * 32


def test_nicehash_ethereumstratum1_hashrate():
    steps = [("c", 0, {"id": 1, "method": "mining.subscribe",
                       "params": ["ethminer 0.17.0", "EthereumStratum/1.0.0"]}),
             ("s", 0.1, {"id": 1, "result": [["mining.notify", "ae6812eb4cd7735a302a8a9dd95cf71f",
                                              "EthereumStratum/1.0.0"], "080c"], "error": None}),
             ("c", 0.2, {"id": 2, "method": "mining.authorize", "params": [f"{ETH_ADDR}.r1", "x"]}),
             ("s", 0.3, {"id": 2, "result": True, "error": None}),
             ("s", 1, {"id": None, "method": "mining.set_difficulty", "params": [0.5]}),
             ("s", 2, {"id": None, "method": "mining.notify",
                       "params": ["bf0488aa", SEED[2:], HEADER[2:], True]})]
    for i in range(4):
        steps += [("c", 10 + i, {"id": 10 + i, "method": "mining.submit",
                                 "params": [f"{ETH_ADDR}.r1", "bf0488aa", f"6a909d9bbc{i:02x}"]}),
                  ("s", 10.5 + i, {"id": 10 + i, "result": True, "error": None})]
    e = only(chunks(*steps, last_ts=42.0))
    assert e.observables["protocol"] == "ethstratum1"
    assert e.hashrate_hs == pytest.approx(4 * 0.5 * 2 ** 32 / 40)
    assert (e.algorithm, e.coin) == ("ethash", "ETH")


def test_ethereumstratum2_hashrate_and_claim():
    target = "0x0112e0be826d694b2e62d01511f12a6061fbaec8bc02357593e70e52ba"
    steps = [("s", 0, {"jsonrpc": "2.0", "method": "mining.hello",
                       "params": {"proto": "EthereumStratum/2.0.0", "resume": True}}),
             ("c", 0.1, {"id": 1, "jsonrpc": "2.0", "method": "mining.subscribe",
                         "params": {"agent": "ethminer-0.19", "host": "eu.pool.example",
                                    "port": 4444, "session": None}}),
             ("s", 0.2, {"id": 1, "jsonrpc": "2.0", "result": "abcdefgh123456"}),
             ("c", 0.3, {"id": 2, "jsonrpc": "2.0", "method": "mining.authorize",
                         "params": [f"{ETH_ADDR}.rig", "x"]}),
             ("s", 0.4, {"id": 2, "jsonrpc": "2.0", "result": "abc1234"}),
             ("s", 1, {"jsonrpc": "2.0", "method": "mining.set",
                       "params": {"epoch": "dc", "target": target, "algo": "ethash",
                                  "extranonce": "af4c"}}),
             ("s", 4, {"jsonrpc": "2.0", "method": "mining.notify",
                       "params": ["bf0488aa", HEADER, True], "block": "0x64b577"}),
             ("c", 9, {"id": 16, "jsonrpc": "2.0", "method": "mining.hashrate",
                       "params": ["0x" + "0" * 58 + "500000", "abc1234"]})]
    for i in range(2):
        steps += [("c", 10 + i, {"id": 31 + i, "jsonrpc": "2.0", "method": "mining.submit",
                                 "params": ["bf0488aa", f"0xa60b68765fccd7{i:02x}", "abc1234"]}),
                  ("s", 10.5 + i, {"id": 31 + i, "jsonrpc": "2.0"})]       # short-form ack
    e = only(chunks(*steps, last_ts=24.0))
    o = e.observables
    assert o["protocol"] == "ethstratum2" and o["agent"] == "ethminer-0.19"
    assert o["shares_accepted"] == 2
    assert e.hashrate_hs == pytest.approx(2 * 2 ** 256 / int(target, 16) / 20)
    assert o["reported_hashrate_hs"] == 0x500000


def test_eth_proxy_hashrate_from_boundary_and_reported_claims():
    boundary = "0x00000000dbe6fecebdedd5beb573440e5a884d1b2fbf06fcce912adcb8d8422e"
    login = (b'{"worker": "eth1.0", "jsonrpc": "2.0", "params": ["' + ETH_ADDR.encode()
             + b'/tester.worker1/a@b.c", "x"], "id": 2, "method": "eth_submitLogin"}\n')
    steps = [("c", 0, login), ("s", 0.1, {"jsonrpc": "2.0", "id": 2, "result": True}),
             ("s", 1, {"jsonrpc": "2.0", "id": 0, "result": [HEADER, SEED, boundary]}),   # push
             ("c", 2, {"worker": "", "jsonrpc": "2.0", "params": [], "id": 3,
                       "method": "eth_getWork"}),
             ("s", 2.1, {"jsonrpc": "2.0", "id": 0, "result": [HEADER, SEED, boundary]}),  # again
             ("c", 3, {"id": 6, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                       "params": ["0x1d08a61", "0x" + "00" * 31 + "be"]}),
             ("c", 4, {"id": 6, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                       "params": ["0x1d0e421", "0x" + "00" * 31 + "be"]})]
    for i in range(2):
        steps += [("c", 50 + i, {"id": 4, "method": "eth_submitWork",
                                 "params": [f"0x07a05fa4133e51{i:02x}", HEADER, SEED]}),
                  ("s", 50.5 + i, {"jsonrpc": "2.0", "id": 4, "result": True})]
    e = only(chunks(*steps, last_ts=101.0))
    o = e.observables
    assert o["protocol"] == "ethproxy" and o["jobs"] == 1     # a re-pushed package is no new job
    assert e.hashrate_hs == pytest.approx(2 * 2 ** 256 / int(boundary, 16) / 100)
    assert o["reported_hashrate_hs"] == pytest.approx((0x1d08a61 + 0x1d0e421) / 2)
    assert (o["wallet"], o["worker"]) == (ETH_ADDR, "tester.worker1")
    assert (e.algorithm, e.coin) == ("ethash", "ETH")


# --------------------------------------------------------------------------- CryptoNote

BLOB = "0c0c" + "ab" * 74


def cryptonote(conn=CONN, replies=True):
    steps = [("c", 0, {"id": 1, "jsonrpc": "2.0", "method": "login", "params": {
        "login": f"{XMR_ADDR}.rig9", "pass": "x", "agent": "XMRig/6.21.0", "algo": ["rx/0"]}}),
             ("s", 0.5, {"id": 1, "jsonrpc": "2.0", "error": None, "result": {
                 "id": "sess", "status": "OK",
                 "job": {"blob": BLOB, "job_id": "J1", "target": "b88d0600", "algo": "rx/0",
                         "height": 3000000, "seed_hash": "aa" * 32}}})]
    for i in range(3):      # xmr-stak style: every request reuses id 1
        steps.append(("c", 10 + i, {"id": 1, "jsonrpc": "2.0", "method": "submit", "params": {
            "id": "sess", "job_id": "J1", "nonce": f"{i:08x}", "result": "00" * 32}}))
        if replies:
            steps.append(("s", 10.2 + i, {"id": 1, "jsonrpc": "2.0", "error": None,
                                          "result": {"status": "OK"}}))
    steps.append(("s", 20, {"jsonrpc": "2.0", "method": "job", "params": {
        "blob": BLOB, "job_id": "J2", "target": "dc460300", "algo": "rx/0"}}))
    steps.append(("c", 30, {"id": 1, "jsonrpc": "2.0", "method": "submit", "params": {
        "id": "sess", "job_id": "J2", "nonce": "ffffffff", "result": "00" * 32}}))
    if replies:
        steps.append(("s", 30.2, {"id": 1, "jsonrpc": "2.0", "error": None,
                                  "result": {"status": "OK"}}))
    return chunks(*steps, conn=conn, last_ts=100.5)


def test_cryptonote_hashrate_from_job_targets():
    e = only(cryptonote())
    d1 = 2 ** 64 / (0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // 0x00068DB8))    # "b88d0600" ≈ 10000
    d2 = 2 ** 64 / (0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // 0x000346DC))    # "dc460300" ≈ 20000
    assert d1 == pytest.approx(cryptonote_difficulty("b88d0600"))
    assert e.hashrate_hs == pytest.approx((3 * d1 + d2) / 100)    # first job at 0.5 s, end 100.5
    assert (e.algorithm, e.coin, e.observables["agent"]) == ("randomx", "XMR", "XMRig/6.21.0")
    assert e.observables["shares_accepted"] == 4 and e.observables["worker"] == "rig9"


def test_swapped_endpoints_are_fixed_from_content():
    # the reader guessed wrong: it calls the pool the client, so the miner's bytes are "1"
    recs = [StreamChunk(CONN.swapped(), 1 - r.direction, r.ts, r.frame, r.data)
            if isinstance(r, StreamChunk) else
            ConnSummary(CONN.swapped(), r.first_ts, r.last_ts, r.first_frame, r.last_frame)
            for r in cryptonote()]
    e = only(recs)
    assert e.entity == "10.0.0.2:50000" and e.counterpart == "198.51.100.7:3333"
    assert e.observables["swapped"] is True
    assert any("swapped" in r for r in e.reasons)
    assert e.hashrate_hs == pytest.approx(only(cryptonote()).hashrate_hs)


def test_pool_that_never_answers_shares_uses_submitted_shares():
    e = only(cryptonote(replies=False))
    assert e.observables["hashrate_basis"] == "submitted"
    assert e.observables["shares_pending"] == 4
    assert "no share replies" in " ".join(e.reasons)


def test_client_only_capture_has_unknown_difficulty():
    recs = [r for r in cryptonote() if not (isinstance(r, StreamChunk) and r.direction == 1)]
    e = only(recs)
    assert e.hashrate_hs is None and e.confidence == "medium"     # shares + login, no pool side
    assert e.score == 0.75
    assert "before the capture" in e.observables["hashrate_reason"]


def test_capture_starting_mid_session_resyncs_and_counts_server_jobs():
    job = {"jsonrpc": "2.0", "method": "job", "params": {
        "blob": BLOB, "job_id": "J7", "target": "b88d0600"}}
    line = (json.dumps(job) + "\n").encode()
    recs = [StreamChunk(CONN, 1, T0, 5, b'_id":"J6","target":"b88d0600"}}\n' + line[:40], True),
            StreamChunk(CONN, 1, T0 + 1, 6, line[40:] + line)]
    e = only(recs)
    assert e.observables["jobs"] == 2 and e.confidence == "medium"
    assert e.observables["bad_lines"] == 0


def test_capture_starting_with_mining_notify_is_server_only_evidence():
    note = json.dumps({"id": None, "method": "mining.notify", "params": BTC_NOTIFY}) + "\n"
    recs = [StreamChunk(CONN, 1, T0, 9, b'0000",true]}\n' + note.encode(), True),
            StreamChunk(CONN, 1, T0 + 30, 12, note.encode().replace(b'"j1"', b'"j2"'))]
    e = only(recs)
    o = e.observables
    assert (o["protocol"], o["jobs"], e.confidence) == ("stratum1", 2, "medium")
    assert e.hashrate_hs is None and "no shares" in o["hashrate_reason"]
    assert any("mining.notify ×2" in r for r in e.reasons)


# --------------------------------------------------------------------------- getwork over HTTP

def http(method_line: bytes, headers: dict, body: bytes) -> bytes:
    h = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers.items())
    return method_line + b"\r\n" + h + b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_getwork_http_hashrate():
    data = "00000001" + "cd" * 64 + "00" * 12 + "ffff001d" + "00" * 4 + "00" * 48
    target = (2 ** 224).to_bytes(32, "little").hex()     # 2^32 hashes per share
    hdr = {"Host": "us1.bitminter.com:8332", "User-Agent": "bfgminer/5.2.0",
           "Authorization": "Basic Ymlnc2t5OjEyMw==", "X-Mining-Extensions": "midstate"}
    req = http(b"POST / HTTP/1.1", hdr, b'{"method": "getwork", "params": [], "id": 0}')
    work = {"id": 0, "error": None, "result": {"data": data, "target": target,
                                               "midstate": "00" * 32, "hash1": "00" * 64}}
    rep = http(b"HTTP/1.1 200 OK", {"Content-Type": "application/json"},
               json.dumps(work).encode())
    steps = [("c", 0, req), ("s", 1, rep)]
    for i in range(3):
        share = data[:152] + f"{i:08x}" + data[160:]
        steps += [("c", 10 + i, http(b"POST / HTTP/1.1", hdr, json.dumps(
            {"method": "getwork", "params": [share], "id": 1 + i}).encode())),
                  ("s", 10.5 + i, http(b"HTTP/1.1 200 OK", {}, json.dumps(
                      {"id": 1 + i, "result": True, "error": None}).encode()))]
    e = only(chunks(*steps, last_ts=51.0))
    o = e.observables
    assert (o["protocol"], o["transport"], o["pool_host"]) == ("getwork", "http",
                                                               "us1.bitminter.com")
    assert (o["wallet"], o["agent"]) == ("bigsky", "bfgminer/5.2.0")
    assert e.hashrate_hs == pytest.approx(3 * 2 ** 32 / 50)
    assert e.algorithm == "sha256d"           # from the pool host (bitminter = Bitcoin)


def test_zabbix_json_rpc_over_http_is_not_mining():
    body = b'{"jsonrpc": "2.0", "method": "zabbix.status", "params": {}, "id": 103796}'
    rep = b'{"jsonrpc":"2.0","result":{"result":true,"message":""},"id":103796}'
    recs = chunks(("c", 0, http(b"POST /zabbix/jsrpc.php HTTP/1.1", {"Host": "x"}, body)),
                  ("s", 1, http(b"HTTP/1.0 200 OK", {}, rep)), last_ts=2)
    assert StratumDetector().detect(recs) == []


def test_plain_json_rpc_lines_are_not_mining():
    recs = chunks(("c", 0, {"jsonrpc": "2.0", "method": "echo", "params": ["Testing!"], "id": "x"}),
                  ("s", 1, {"jsonrpc": "2.0", "result": ["Testing!"], "id": "x"}),
                  ("c", 2, {"id": 1, "method": "login", "params": {"login": "bob", "pass": "pw"}}),
                  ("s", 3, {"id": 1, "result": True}), last_ts=4)
    assert StratumDetector().detect(recs) == []


# --------------------------------------------------------------------------- Stratum V2, names

def test_stratum_v2_noise_sizes_are_low_confidence():
    s = ConnSummary(CONN, T0, T0 + 60, 1, 40, (20, 20), (5000, 9000), (64, 234), 0)
    (e,) = run([s])[0]
    assert (e.confidence, e.observables["protocol"]) == ("low", "stratum2")
    assert "64-byte" in e.reasons[0]
    assert "encrypted" in e.observables["hashrate_reason"]
    # no SYN seen and the reader took the pool for the client: sizes arrive reversed
    rev = ConnSummary(CONN.swapped(), T0, T0 + 60, 1, 40, (20, 20), (9000, 5000), (234, 64), 1)
    (r,) = run([rev])[0]
    assert (r.entity, r.counterpart, r.confidence) == (CONN.client, CONN.server, "low")
    other = ConnSummary(CONN, T0, T0 + 60, 1, 40, (20, 20), (5000, 9000), (517, 1400), 0)
    assert StratumDetector().detect([other]) == []


def test_pool_host_is_latest_name_before_session_end():
    recs = stratum1(1e6, ["00000000"], user="u.r", agent="m/1", end=102.0)
    names = [NameObservation(T0 - 10, "old.example.com", CONN.server_ip, "dns", frame=1),
             NameObservation(T0 - 1, "btc.pool.example", CONN.server_ip, "sni", frame=2),
             NameObservation(T0 + 500, "later.example.com", CONN.server_ip, "dns", frame=99)]
    e = only(names + recs)
    assert e.observables["pool_host"] == "btc.pool.example"
    assert e.observables["pool_host_source"] == "TLS SNI, frame 2"


# --------------------------------------------------------------------------- rows, ids, purity

def test_two_sessions_distinct_ids_and_host_rows_per_algorithm():
    conn2 = Conn("10.0.0.2", 50001, "198.51.100.8", 3333, "tcp", True, "t.pcap", "1:two")
    conn3 = Conn("10.0.0.2", 50002, "198.51.100.9", 3333, "tcp", True, "t.pcap", "1:three")
    recs = cryptonote() + cryptonote(conn=conn2) + [
        StreamChunk(conn3, 0, T0, 200, b'{"id":1,"method":"mining.subscribe","params":["x"]}\n')]
    sessions, hosts = run(recs)
    assert len(sessions) == 3 and len({e.evidence_id for e in sessions}) == 3
    rx = [h for h in hosts if h.algorithm == "randomx"]
    assert len(rx) == 1 and len(hosts) == 2      # randomx + unresolved Stratum v1
    # two identical side-by-side sessions: the host mines at twice one session's rate
    assert rx[0].hashrate_hs == pytest.approx(2 * sessions[0].hashrate_hs)
    assert rx[0].entity == "10.0.0.2" and len(rx[0].observables["sessions"]) == 2


def test_host_row_has_power_range_for_ethash():
    boundary = "0x" + "00" * 3 + "ff" * 29
    steps = [("c", 0, {"id": 2, "method": "eth_submitLogin", "params": [ETH_ADDR]}),
             ("s", 1, {"id": 0, "result": [HEADER, SEED, boundary]})]
    steps += [("c", 2 + i, {"id": 4, "method": "eth_submitWork",
                            "params": ["0x01", HEADER, SEED]}) for i in range(50)]
    steps += [("s", 3 + i, {"id": 4, "result": True}) for i in range(50)]
    _, (host,) = run(chunks(*steps, last_ts=101.0))
    assert host.power_w_low is not None and host.power_w_high >= host.power_w_low > 0
    assert any(r.startswith("power:") for r in host.reasons)


def test_deterministic_and_chunking_independent():
    recs = stratum1(2.0 ** -28, find_nonces(2.0 ** -28, "sha256d", 2))
    a = [e.to_row() for e in StratumDetector().detect(recs)]
    assert a == [e.to_row() for e in StratumDetector().detect(recs)]
    tiny = []      # every chunk cut into 7-byte pieces, one frame each
    for r in recs:
        if isinstance(r, StreamChunk):
            tiny += [StreamChunk(r.conn, r.direction, r.ts, r.frame, r.data[i:i + 7])
                     for i in range(0, len(r.data), 7)]
        else:
            tiny.append(r)
    b = [e.to_row() for e in StratumDetector().detect(tiny)]
    assert a == b


def test_incremental_api_matches_detect_and_resets():
    recs = cryptonote()
    det = StratumDetector()
    for r in recs:
        det.feed(r) if isinstance(r, StreamChunk) else det.feed_summary(r)
    inc = det.finish()
    assert [e.to_row() for e in inc] == [e.to_row() for e in StratumDetector().detect(recs)]
    assert det.finish() == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.binary(max_size=120), st.booleans()),
                max_size=10))
def test_detector_survives_arbitrary_bytes(parts):
    prefix = [b'{"id":1,"method":"mining.subscribe","params":["x"]}\n', b"POST / HTTP/1.1\r\n", b""]
    recs = [StreamChunk(CONN, d, T0 + i, i + 1, prefix[i % 3] + data, gap)
            for i, (d, data, gap) in enumerate(parts)]
    for e in StratumDetector().detect(recs):
        e.validate()


def test_records_of_one_connection_from_both_sides_make_one_session():
    # the same connection, its records oriented either way, with differing syn_seen flags
    other = Conn(CONN.server_ip, CONN.server_port, CONN.client_ip, CONN.client_port, "tcp",
                 False, "t.pcap", "1:test")
    mixed = [StreamChunk(other, 1 - r.direction, r.ts, r.frame, r.data)
             if isinstance(r, StreamChunk) and r.frame % 2 else r for r in cryptonote()]
    e = only(mixed)
    assert e.entity == CONN.client and e.hashrate_hs == pytest.approx(only(cryptonote()).hashrate_hs)


def test_eth_getwork_over_http():
    boundary = "0x" + "00" * 4 + "ff" * 28          # 2^256 / boundary ≈ 2^32 hashes per share
    hdr = {"Host": "127.0.0.1:8545", "User-Agent": "ethminer/0.19.0"}
    body = lambda obj: json.dumps(obj).encode()    # noqa: E731
    steps = [("c", 0, http(b"POST / HTTP/1.1", hdr, body(
                 {"jsonrpc": "2.0", "method": "eth_getWork", "params": [], "id": 1}))),
             ("s", 1, http(b"HTTP/1.1 200 OK", {}, body(
                 {"jsonrpc": "2.0", "id": 1, "result": [HEADER, SEED, boundary]}))),
             ("c", 5, http(b"POST / HTTP/1.1", hdr, body(
                 {"jsonrpc": "2.0", "method": "eth_submitWork", "id": 2,
                  "params": ["0x0000000000000001", HEADER, SEED]}))),
             ("s", 6, http(b"HTTP/1.1 200 OK", {}, body({"jsonrpc": "2.0", "id": 2,
                                                          "result": True})))]
    e = only(chunks(*steps, last_ts=11.0))
    assert (e.observables["protocol"], e.algorithm) == ("getwork", "ethash")
    assert e.hashrate_hs == pytest.approx(2 ** 256 / int(boundary, 16) / 10)
