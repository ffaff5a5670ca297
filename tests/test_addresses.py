"""Wallet classification and login splitting, against published vectors and real captured logins.

Vector sources (each string is copied from the named public source, not generated here):
BIP-173 / BIP-350 test vectors; EIP-55 spec vectors; monero-python tests/address.py and
tests/data/mainnet-subaddrs.json; librustzcash encoding tests (zs1/ztestsapling); bitcoincash
CashAddr spec example (hash160 76a04053…); Bisq LitecoinTest; Tangem RavencoinAddressTest;
and logins captured in shared/pcaps/ndpi/mining.pcapng (nDPI's mining trace).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.protocols.addresses import WalletInfo, classify_wallet, split_login


def _flip_last(s: str) -> str:
    """Change the last character to another of the same class (keeps the alphabet)."""
    last = s[-1]
    repl = {"a": "b", "A": "B", "1": "2", "z": "y", "Z": "Y", "9": "8", "0": "2", "q": "p"}
    return s[:-1] + repl.get(last, "a" if last != "a" else "b")


# ------------------------------------------------------------------ Bitcoin base58check

@pytest.mark.parametrize("addr,kind", [
    ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "p2pkh"),          # genesis coinbase
    ("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "p2pkh"),          # bitcoinjs base58 fixture (751e76e8…)
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "p2sh"),
    ("mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef", "p2pkh-testnet"),
])
def test_btc_base58check_valid(addr, kind):
    assert classify_wallet(addr) == WalletInfo(addr, "BTC", kind, True)


def test_btc_base58check_bad_checksum_keeps_coin_guess():
    bad = _flip_last("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
    info = classify_wallet(bad)
    assert (info.coin, info.kind, info.valid) == ("BTC", "p2pkh", False)


# ------------------------------------------------------------------ BIP-173 / BIP-350 segwit

@pytest.mark.parametrize("addr,kind", [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bech32"),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "bech32-testnet"),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "bech32m"),
    ("BC1SW50QGDZ25J", "bech32m"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "bech32m"),
    ("tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "bech32m-testnet"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bech32m"),
])
def test_bip350_valid_segwit_addresses(addr, kind):
    assert classify_wallet(addr) == WalletInfo(addr, "BTC", kind, True)


@pytest.mark.parametrize("addr", [
    # BIP-350 "invalid segwit addresses" (reason in comment)
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with bech32 checksum
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",  # v2 with bech32 checksum
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with bech32 checksum
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with bech32m checksum
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",  # v0 with bech32m checksum
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # invalid character
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # witness version 17
    "bc1pw5dgrnzv",  # program of 1 byte
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 program of 16 bytes
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",  # 41-byte program
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",  # mixed case
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # zero padding > 4 bits
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",  # non-zero padding
    "bc1gmk9yu",  # empty data section
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # BIP-173: bad checksum
])
def test_bip350_invalid_segwit_addresses(addr):
    info = classify_wallet(addr)
    assert info.valid is False
    assert info.coin == "BTC"


def test_bip350_invalid_hrp_is_not_bitcoin():
    info = classify_wallet("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut")
    assert info.coin is None and info.kind in ("account", "unknown")


# ------------------------------------------------------------------ Ethereum / EIP-55

EIP55 = ["0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
         "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
         "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
         "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]


@pytest.mark.parametrize("addr", EIP55)
def test_eip55_vectors_valid(addr):
    assert classify_wallet(addr) == WalletInfo(addr, "ETH", "eth", True)


def test_eip55_wrong_case_is_invalid_but_still_eth():
    a = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    bad = a[:-1] + "D"  # the checksum wants lower-case 'd' here
    info = classify_wallet(bad)
    assert (info.coin, info.kind, info.valid) == ("ETH", "eth", False)
    assert classify_wallet("0x1234").valid is False  # too short


# ------------------------------------------------------------------ Monero

XMR_STD = "43aeKax1ts4BoEbSyzKVbbDRmc8nsnpZLUpQBYvhUxs3KVrodnaFaBEQMDp69u4VaiEG3LSQXA6M61mXPrztCLuh7PFUAmd"
XMR_INT = ("4DHKLPmWW8aBoEbSyzKVbbDRmc8nsnpZLUpQBYvhUxs3KVrodnaFaBEQMDp69u4VaiEG3LSQXA6M61mXPrztCLuh"
           "AR6GpL18QNwE8h3TuF")
XMR_SUB = "84LooD7i35SFppgf4tQ453Vi3q5WexSUXaVgut69ro8MFnmHwuezAArEZTZyLr9fS6QotjqkSAxSF6d1aDgsPoX849izJ7m"
XMR_TESTNET = "9u9j6xG1GNu4ghrdUL35m5PQcJV69YF8731DSTDoh7pDgkBWz2LWNzncq7M5s1ARjPRhvGPX4dBUeC3xNj4wzfrjV6SY3e9"
# captured in mining.pcapng (xmr-stak login), and tevador/RandomX's donation subaddress
XMR_CAPTURED = "4BCeEPhodgPMbPWFN1dPwhWXdRX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAfF7CugEbmfBhgkqHbdgK9b2wKA6nqRZQCgvCDm"
XMR_RANDOMX_DONATION = "845xHUh5GvfHwc2R8DVJCE7BT2sd4YEcmjG8GNSdmeNsP5DTEjXd1CNgxTcjHjiFuthRHAoVEJjM7GyKzQKLJtbd56xbh7V"


@pytest.mark.parametrize("addr,kind", [
    (XMR_STD, "xmr-standard"), (XMR_INT, "xmr-integrated"), (XMR_SUB, "xmr-subaddress"),
    (XMR_TESTNET, "xmr-standard-testnet"), (XMR_CAPTURED, "xmr-standard"),
    (XMR_RANDOMX_DONATION, "xmr-subaddress"),
])
def test_monero_addresses(addr, kind):
    assert classify_wallet(addr) == WalletInfo(addr, "XMR", kind, True)


def test_monero_lengths():
    assert len(XMR_STD) == 95 and len(XMR_INT) == 106


def test_monero_bad_checksum():
    info = classify_wallet(_flip_last(XMR_STD))
    assert (info.coin, info.valid) == ("XMR", False)


# ------------------------------------------------------------------ Zcash

@pytest.mark.parametrize("addr,kind", [
    ("t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd", "zec-t"),  # captured (flypool login, mining.pcapng)
    ("t1fJuHWrfcWnYMYyP9VAF96vRnvND2NziMG", "zec-t"),  # captured (second flypool session)
    ("t3VDyGHn9mbyCf448m2cHTu5uXvsJpKHbiZ", "zec-t"),
    ("tm9iMLAuYMzJ6jtFLcA7rzUmfreGuKvr7Ma", "zec-t-testnet"),
    ("zs1qqqqqqqqqqqqqqqqqqcguyvaw2vjk4sdyeg0lc970u659lvhqq7t0np6hlup5lusxle75c8v35z", "zec-sapling"),
    ("ztestsapling1qqqqqqqqqqqqqqqqqqcguyvaw2vjk4sdyeg0lc970u659lvhqq7t0np6hlup5lusxle75ss7jnk",
     "zec-sapling-testnet"),
])
def test_zcash_addresses(addr, kind):
    assert classify_wallet(addr) == WalletInfo(addr, "ZEC", kind, True)


def test_zcash_docs_illustrative_addresses_fail_checksum():
    # The Zcash docs' example addresses are illustrative strings whose checksums do not hold.
    for addr, kind in [("t14oHp2v54vfmdgQ3v3SNuQga8JKHTNi2a1", "zec-t"),
                       ("zs1z7rejlpsa98s2rrrfkwmaxu53e4ue0ulcrw0h4x5g8jl04tak0d3mm47vdtahatqrlkngh9sly",
                        "zec-sapling")]:
        assert classify_wallet(addr) == WalletInfo(addr, "ZEC", kind, False)


# ------------------------------------------------------------------ Litecoin, BCH, RVN

@pytest.mark.parametrize("addr,coin,kind", [
    ("Lg3PX8wRWmApFCoCMAsPF5P9dPHYQHEWKW", "LTC", "ltc-p2pkh"),
    ("MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi", "LTC", "ltc-p2sh"),
    ("ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz", "LTC", "ltc-bech32"),
    ("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "BCH", "bch-cashaddr"),
    ("bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", "BCH", "bch-cashaddr"),
    ("qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "BCH", "bch-cashaddr"),
    ("RT1iM3xbqSQ276GNGGNGFdYrMTEeq4hXRH", "RVN", "rvn-p2pkh"),
])
def test_other_coins(addr, coin, kind):
    assert classify_wallet(addr) == WalletInfo(addr, coin, kind, True)


def test_cashaddr_and_legacy_describe_same_hash():
    # CashAddr spec: qpm2qs… is hash160 76a04053bda0a88bda5177b86a15c3b29f559873 = 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu
    assert classify_wallet("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu").valid
    assert not classify_wallet("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b").valid
    assert not classify_wallet("bitcoincash:qpm2qsznhks23z7629Mms6s4cwef74vcwvy22gdx6a").valid  # mixed case


# ------------------------------------------------------------------ accounts

@pytest.mark.parametrize("s,kind,valid", [
    ("broatcast", "account", True),   # captured bitminter login (zeek bitcoin-mining.pcap)
    ("slush", "account", True),
    ("miner@example.com", "email", True),
    ("", "unknown", False),
    ("   ", "unknown", False),
    ("two words", "unknown", False),
])
def test_accounts(s, kind, valid):
    info = classify_wallet(s)
    assert (info.coin, info.kind, info.valid) == (None, kind, valid)


def test_whitespace_is_stripped():
    assert classify_wallet("  1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n").valid


# ------------------------------------------------------------------ split_login

@pytest.mark.parametrize("login,expected", [
    # captured in mining.pcapng
    ("t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd.rig4", ("t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd", "rig4")),
    ("0x9c99d212f7e5daa18ab50810e0fd255d1f04303b/tester.worker1/vvesely@mailinator",
     ("0x9c99d212f7e5daa18ab50810e0fd255d1f04303b", "tester.worker1")),
    (XMR_CAPTURED + ".cb2b73415c4faf214035a73b9d947c202342f3bf3bdf632132bd6d7af98cb257.ryzen",
     (XMR_CAPTURED, "ryzen")),
    # captured in zeek bitcoin-mining.pcap
    ("broatcast", ("broatcast", None)),
    # documented pool formats
    ("slush.miner1", ("slush", "miner1")),                                     # Braiins/slush
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed.rig1",
     ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "rig1")),                 # ethermine/flypool
    ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.worker1",
     ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "worker1")),                       # NiceHash btcaddr.worker
    (XMR_STD + "+50000", (XMR_STD, None)),                                     # supportxmr fixed diff
    (XMR_STD + ".rig1+50000", (XMR_STD, "rig1")),
    (XMR_STD + ".rig1/me@example.com", (XMR_STD, "rig1")),                     # nanopool wallet.worker/email
    (XMR_INT, (XMR_INT, None)),
    (XMR_STD + "." + "4a6f686e47616c74", (XMR_STD, None)),                     # address.paymentid (16 hex)
    ("user:x", ("user", None)),
    ("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a.w1",
     ("bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "w1")),
    ("miner@example.com", ("miner@example.com", None)),                        # MinerGate e-mail login
    ("wallet.", ("wallet", None)),
    ("", ("", None)),
])
def test_split_login(login, expected):
    assert split_login(login) == expected


def test_split_then_classify_captured_logins():
    wallet, worker = split_login("t1fJuHWrfcWnYMYyP9VAF96vRnvND2NziMG.c1")
    assert worker == "c1"
    assert classify_wallet(wallet) == WalletInfo(wallet, "ZEC", "zec-t", True)


# ------------------------------------------------------------------ never raise

@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=50).map(lambda b: b.hex()),
                 st.from_regex(r"[13mn2LMRtz48][1-9A-HJ-NP-Za-km-z]{20,110}", fullmatch=True),
                 st.from_regex(r"(bc|tb|ltc|zs|u|bitcoincash:)1?[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{5,100}",
                               fullmatch=True)))
def test_never_raises(s):
    info = classify_wallet(s)
    assert isinstance(info, WalletInfo) and isinstance(info.valid, bool)
    if info.kind == "unknown":
        assert info.valid is False
    w, worker = split_login(s)
    assert isinstance(w, str) and (worker is None or isinstance(worker, str))


@pytest.mark.parametrize("junk", [None, 123, b"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ["x"]])
def test_non_strings_do_not_raise(junk):
    assert classify_wallet(junk).valid is False
    assert split_login(junk) == ("", None)
