"""Helpers behind worker names, chain identification and HTTP mining (end-to-end cases are in
test_synth_captures.py)."""

from __future__ import annotations

from minewatch.detectors._stratum_http import (bip22_status, path_login, submitblock_key,
                                               template_hashes)
from minewatch.detectors._stratum_identity import password_worker
from minewatch.estimate.hashrate import compact_difficulty
from minewatch.protocols.stratum import Message, describe, message_from_obj, notify_nbits

ETH = "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"


def test_compact_bits_difficulty():
    assert compact_difficulty(0x1D00FFFF) == 1.0                   # genesis
    assert 8.6e13 < compact_difficulty(0x17034219) < 8.7e13


def test_notify_nbits_only_from_the_bitcoin_shape():
    btc = ["j", "00" * 32, "01", "02", [], "20000000", "17034219", "65f28917", False]
    assert notify_nbits(btc) == 0x17034219
    assert notify_nbits(btc[:8]) is None                          # Equihash has 8 params


def test_es2_hello_role_follows_its_shape():
    client = {"id": 1, "method": "mining.hello",
              "params": {"agent": "ethminer-0.19.0", "host": "h.example", "port": "7e4",
                         "proto": "EthereumStratum/2.0.0"}}
    server = {"method": "mining.hello", "params": {"proto": "EthereumStratum/2.0.0"}}
    assert describe(message_from_obj(client)).role == "client"
    assert describe(message_from_obj(server)).role == "server"


def test_getjob_reply_is_a_bare_cryptonote_job():
    job = {"blob": "10" * 76, "job_id": "j2", "target": "8c8c0600", "algo": "rx/0"}
    info = describe(message_from_obj({"id": 1, "result": job, "error": None}))
    assert info.job and info.flavour == "cryptonote" and info.algorithm == "randomx"


def test_bip22_submitblock_verdicts():
    ok = Message("response", id=1, result=None, has_result=True, has_error=True)
    assert bip22_status(ok) == "accepted"
    assert bip22_status(Message("response", id=2, result="high-hash", has_result=True)) \
        == "rejected"
    assert bip22_status(Message("response", id=3, error={"code": -1}, has_error=True)) \
        == "rejected"


def test_submitblock_keys_and_template_difficulty():
    header = "00000020" + "79" + "00" * 31 + "ab" * 32 + "00" * 12
    keys = submitblock_key([header, {"workid": "cc08"}])
    assert keys == ["workid:cc08", "prev:" + ("00" * 31 + "79")]
    t = {"target": "0000270fd8f0" + "0" * 52}
    assert abs(template_hashes(t) / (0.0001 * 2 ** 32) - 1) < 1e-3   # BIP 23 share target
    assert template_hashes({"bits": "1d00ffff"}) > 2 ** 32 * 0.99     # solo: block target


def test_worker_from_url_path_and_password():
    assert path_login(f"/{ETH}/rig5") == f"{ETH}/rig5"
    assert path_login("/") is None and path_login("/LP") is None
    assert password_worker("rig-office-07") == "rig-office-07"
    assert password_worker("rig1:me@example.com") == "rig1"
    assert password_worker("x") is None and password_worker("me@example.com") is None
