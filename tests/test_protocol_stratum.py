"""protocols/stratum.py: parsing, line splitting and classification of every Stratum flavour.
Example messages follow the public specs (slush/cgminer Stratum v1, ZIP 301, NiceHash
EthereumStratum/1.0.0, EthereumStratum/2.0.0 draft, eth-proxy, XMRig) and the real captures."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.errors import ProtocolError
from minewatch.protocols.stratum import (LineSplitter, cn_algorithm, describe, message_from_obj,
                                         notify_algorithm, notify_flavour, parse_line,
                                         share_status, submit_algorithm, subscribe_fields,
                                         wallet_like)

ZEC_NOTIFY = ["8c6f2d4c6d2c7014fb26", "04000000",
              "9e2fc768bd1977528c8d6096d46376758179e25bf3293428b65f120100000000",
              "35d341a8b19a38cd584cb5494185b4dbf1a7eaa91a9ff6541e851de50cbc88a2", "00" * 32,
              "a9cc405a", "09d8151c", True]
BTC_NOTIFY = ["274a-1", "fb" * 32, "0100", "ffff", ["aa" * 32], "20000000", "1a0377ae",
              "5a3b1c00", True]
H32 = "0x" + "ab" * 32


def line(obj) -> bytes:
    return json.dumps(obj).encode()


# --------------------------------------------------------------------------- parse_line

def test_request_notification_and_response_kinds():
    req = parse_line(b'{"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}\n')
    assert (req.kind, req.method, req.id, req.params) == ("request", "mining.subscribe", 1,
                                                        ["cgminer/4.10.0"])
    note = parse_line(b'{"id":null,"method":"mining.notify","params":[]}')
    assert note.kind == "notification"
    job = parse_line(b'{"jsonrpc":"2.0","method":"job","params":{}}')     # no id at all
    assert job.kind == "notification"
    resp = parse_line(b'{"id":2,"result":true,"error":null}\r\n')
    assert (resp.kind, resp.result, resp.has_result, resp.has_error) == ("response", True, True,
                                                                        True)


def test_es2_bare_ack_is_a_response():
    msg = parse_line(b'{"id": 31, "jsonrpc": "2.0"}')
    assert msg.kind == "response" and not msg.has_result and not msg.has_error
    assert share_status(msg) == "accepted"


@pytest.mark.parametrize("raw", [
    b'{"worker": "eth1.0", "jsonrpc": "2.0", "params": ["0xabc", "x"], "id": 2, '
    b'"method": "eth_submitLogin"}',
    b'{"worker":"eth1.0","jsonrpc":"2.0","params":["0xabc","x"],"id":2,"method":"eth_submitLogin"}',
])
def test_eth_proxy_with_and_without_spaces(raw):
    msg = parse_line(raw)
    assert msg.method == "eth_submitLogin" and msg.params == ["0xabc", "x"]
    assert msg.extra == {"worker": "eth1.0", "jsonrpc": "2.0"}


def test_blank_line_is_none():
    assert parse_line(b"  \r\n") is None
    assert parse_line("") is None


@pytest.mark.parametrize("raw", [
    b"not json", b"{broken", b"[1, 2]", b'{"method": 5}', b'{"foo": 1}', b"\xff\xfe{}",
    b"{" * 100000, b'{"id": ' + b"9" * 5000 + b"}",
])
def test_bad_lines_raise_protocol_error(raw):
    with pytest.raises(ProtocolError):
        parse_line(raw)


def test_message_from_obj_rejects_non_objects():
    with pytest.raises(ProtocolError):
        message_from_obj(["mining.notify"])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_parse_line_never_raises_anything_else_on_bytes(data):
    try:
        parse_line(data)
    except ProtocolError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "method", "params", "result", "error", "x"]),
                       json_values, max_size=5))
def test_parse_and_describe_never_raise_on_json_objects(obj):
    try:
        msg = parse_line(json.dumps(obj))
    except ProtocolError:
        return
    info = describe(msg)          # classification must cope with any shape
    assert info.role in (None, "client", "server")
    share_status(msg)


# --------------------------------------------------------------------------- LineSplitter

def test_lines_split_over_chunks_are_joined():
    sp = LineSplitter()
    assert sp.feed(b'{"id":1,"res') == []
    assert sp.feed(b'ult":true}\n{"id":2') == [b'{"id":1,"result":true}']
    assert sp.pending == len(b'{"id":2')
    assert sp.feed(b"}\n") == [b'{"id":2}']


def test_gap_resynchronises_at_next_newline():
    sp = LineSplitter()
    sp.feed(b'{"id":1,"method":"mining.sub')
    # capture lost bytes: the rest of this chunk up to "\n" is a tail, dropped
    out = sp.feed(b'scribe"]}\n{"id":3}\n', gap_before=True)
    assert out == [b'{"id":3}']
    assert sp.dropped_bytes > 0


def test_gap_on_a_message_boundary_keeps_the_line():
    sp = LineSplitter()
    assert sp.feed(b'{"id":null,"method":"mining.notify","params":[]}\n',
                   gap_before=True) == [b'{"id":null,"method":"mining.notify","params":[]}']


def test_runaway_line_is_dropped_and_resynced():
    sp = LineSplitter(max_line=16)
    assert sp.feed(b"x" * 40) == []
    assert sp.feed(b"yyy\n{}\n") == [b"{}"]


def test_flush_returns_unterminated_rest():
    sp = LineSplitter()
    sp.feed(b'{"a":1}\n{"b"')
    assert sp.flush() == b'{"b"'
    assert sp.flush() == b""


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=8))
def test_splitter_output_does_not_depend_on_chunking(data, cuts):
    cuts = sorted({c for c in cuts if c <= len(data)})
    pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    sp = LineSplitter()
    got = [ln for p in pieces for ln in sp.feed(p)]
    assert got == data.split(b"\n")[:-1]
    assert sp.flush() == data.split(b"\n")[-1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=60), st.booleans()), max_size=8))
def test_splitter_never_raises_and_lines_never_hold_newlines(chunks):
    sp = LineSplitter(max_line=50)
    for data, gap in chunks:
        for ln in sp.feed(data, gap):
            assert b"\n" not in ln and len(ln) <= 50


# --------------------------------------------------------------------------- classification

@pytest.mark.parametrize("params,expect", [
    (["cgminer/4.10.0", "deadbeef"], ("cgminer/4.10.0", None, None, None)),
    (["pool.example.com", 3337, "Zatoshi/1.0.0", None], ("Zatoshi/1.0.0", "pool.example.com",
                                                         3337, None)),
    (["EWBF 0.3.4b", None, "eu1-zcash.flypool.org", "3333"], ("EWBF 0.3.4b",
                                                              "eu1-zcash.flypool.org", 3333, None)),
    (["ethminer 0.17", "EthereumStratum/1.0.0"], ("ethminer 0.17", None, None,
                                                  "EthereumStratum/1.0.0")),
    ({"agent": "ethminer-0.17", "host": "pool.eth.example", "port": 4444, "session": None},
     ("ethminer-0.17", "pool.eth.example", 4444, "EthereumStratum/2.0.0")),
])
def test_subscribe_fields_by_shape_not_position(params, expect):
    f = subscribe_fields(params)
    assert (f["agent"], f["host"], f["port"], f["tag"]) == expect


def test_notify_shapes():
    assert notify_algorithm(ZEC_NOTIFY) == "equihash"
    assert notify_flavour(ZEC_NOTIFY) == "stratum1"
    assert notify_algorithm(BTC_NOTIFY) is None
    assert notify_flavour(["bf0488aa", "ab" * 32, "cd" * 32, True]) == "ethstratum1"
    assert notify_flavour(["bf0488aa", H32, False]) == "ethstratum2"


def test_equihash_solution_needs_a_matching_compactsize():
    assert submit_algorithm(["w", "j", "t", "n2", "fd4005" + "00" * 1344]) == "equihash"
    assert submit_algorithm(["w", "j", "t", "n2", "64" + "00" * 100]) == "equihash"
    assert submit_algorithm(["w", "j", "t", "n2", "fd4005" + "00" * 1000]) is None
    assert submit_algorithm(["w", "j", "e2", "5a3b1c00", "1dac2b7c"]) is None    # Bitcoin


def test_cryptonote_algorithm_from_algo_or_blob_version():
    assert cn_algorithm("rx/0") == "randomx"
    assert cn_algorithm("cn/r") == "cryptonight"
    assert cn_algorithm("argon2/chukwa") == "unknown"
    assert cn_algorithm(None, "0606e898") == "cryptonight"     # Monero v6 (2017–18)
    assert cn_algorithm(None, "0c0cabcd") == "randomx"         # v12+ = RandomX
    assert cn_algorithm(None, None) is None


def _d(obj):
    return describe(message_from_obj(obj))


@pytest.mark.parametrize("obj,flavour,role", [
    ({"id": 1, "method": "mining.subscribe", "params": ["bfgminer/5.2.0"]}, "stratum1", "client"),
    ({"id": 1, "method": "mining.subscribe", "params": ["x", "EthereumStratum/1.0.0"]},
     "ethstratum1", "client"),
    ({"method": "mining.hello", "params": {"proto": "EthereumStratum/2.0.0"}}, "ethstratum2",
     "server"),
    ({"id": None, "method": "mining.notify", "params": ZEC_NOTIFY}, "stratum1", "server"),
    ({"id": 3, "method": "eth_getWork", "params": []}, "ethproxy", "client"),
    ({"id": 1, "method": "getblocktemplate", "params": [{}]}, "getwork", "client"),
    ({"id": 1, "method": "login", "params": {"login": "x", "pass": "x", "agent": "XMRig/6.21"}},
     "cryptonote", "client"),
    ({"method": "job", "params": {"blob": "07" * 76, "job_id": "a", "target": "b88d0600"}},
     "cryptonote", "server"),
    ({"id": 1, "result": [[["mining.notify", "1"], ["mining.set_difficulty", "2"]], "00b61738",
                          4], "error": None}, "stratum1", "server"),
    ({"id": 0, "result": [H32, H32, H32]}, "ethproxy", "server"),
    ({"id": 1, "result": {"id": "s", "job": {"blob": "07" * 76, "job_id": "j", "target": "ff"},
                          "status": "OK"}}, "cryptonote", "server"),
])
def test_mining_messages_are_signals(obj, flavour, role):
    info = _d(obj)
    assert info.signal and info.flavour == flavour and info.role == role


@pytest.mark.parametrize("obj", [
    {"jsonrpc": "2.0", "method": "echo", "params": ["Testing!"], "id": "ca08159b"},
    {"jsonrpc": "2.0", "method": "zabbix.status", "params": {}, "auth": "6089", "id": 103796},
    {"jsonrpc": "2.0", "result": {"result": True, "message": ""}, "id": 103796},
    {"id": 2, "result": True, "error": None},                  # a bare "true" could be anything
    {"id": 1, "method": "login", "params": {"login": "bob", "pass": "hunter2"}},
    {"id": 1, "method": "submit", "params": {"text": "hello"}},
    {"method": "job", "params": {"title": "engineer"}},
    {"id": 4, "method": "eth_blockNumber", "params": []},
    {"id": 7, "result": ["0x1", "0x2", "0x3"]},                # not 32-byte words
])
def test_plain_json_rpc_is_not_mining(obj):
    assert not _d(obj).signal


def test_cryptonote_login_without_agent_needs_a_wallet_like_login():
    wallet = "46WNbmwXpYxiBpkbHjAgjC65cyzAxtaaBQjcGpAZquhBKw2r8NtPQniEgMJcwFMCZzSBrEJtmPsTR54MoGBDbjTi2W1XmgM"
    assert _d({"id": 1, "method": "login", "params": {"login": wallet, "pass": "x"}}).signal
    assert wallet_like(wallet + ".coin-hive") and not wallet_like("bob.rig1")


@pytest.mark.parametrize("obj,status", [
    ({"id": 1, "result": True}, "accepted"),
    ({"id": 1, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}, "accepted"),
    ({"id": 1, "result": False, "error": None}, "rejected"),
    ({"id": 1, "result": None, "error": [21, "Stale job!", None]}, "rejected"),
    ({"id": 1, "jsonrpc": "2.0", "error": {"code": 404, "message": "Job not found"}}, "rejected"),
    ({"id": 1, "result": None, "error": None}, "rejected"),
])
def test_share_status(obj, status):
    assert share_status(message_from_obj(obj)) == status
