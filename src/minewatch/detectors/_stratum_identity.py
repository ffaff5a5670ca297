"""Who and what a session is: flavour, wallet/worker, pool host, algorithm and coin, each with
the basis it was inferred from (so a reason line can say *why*)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..estimate.hashrate import compact_difficulty
from ..protocols.stratum import FLAVOUR_NAMES, notify_nbits
from ..records import NameObservation
from ._stratum_session import Facts

# Pool host-name tokens (split on . - _ and trailing digits dropped) → (coin, algorithm).
HOST_TOKENS: dict[str, tuple[str | None, str | None]] = {
    "zec": ("ZEC", "equihash"), "zcash": ("ZEC", "equihash"), "zen": ("ZEN", "equihash"),
    "horizen": ("ZEN", "equihash"), "btg": ("BTG", "equihash"),
    "xmr": ("XMR", None), "monero": ("XMR", None), "moneroocean": ("XMR", None),
    "supportxmr": ("XMR", None), "minexmr": ("XMR", None),
    "eth": ("ETH", "ethash"), "ethereum": ("ETH", "ethash"), "ethermine": ("ETH", "ethash"),
    "ethpool": ("ETH", "ethash"), "etc": ("ETC", "etchash"), "etcpool": ("ETC", "etchash"),
    "ltc": ("LTC", "scrypt"), "litecoin": ("LTC", "scrypt"), "doge": ("DOGE", "scrypt"),
    "dogecoin": ("DOGE", "scrypt"), "btc": ("BTC", "sha256d"), "bitcoin": ("BTC", "sha256d"),
    "bitminter": ("BTC", "sha256d"), "slushpool": ("BTC", "sha256d"),
    "slush": ("BTC", "sha256d"), "antpool": ("BTC", "sha256d"), "bch": ("BCH", "sha256d"),
    "rvn": ("RVN", "kawpow"), "ravencoin": ("RVN", "kawpow"), "erg": ("ERG", "autolykos2"),
    "ergo": ("ERG", "autolykos2"), "kas": ("KAS", "kheavyhash"), "kaspa": ("KAS", "kheavyhash"),
    "dash": ("DASH", "x11"),
}
# Mining software → algorithm it (mostly) implies; cgminer/bfgminer are SHA-256 ASIC drivers.
AGENT_HINTS = ((re.compile(r"ewbf|nheqminer|zec ?miner|bminer", re.I), "equihash"),
               (re.compile(r"ethminer|claymore|phoenixminer|ethash", re.I), "ethash"),
               (re.compile(r"sgminer|scrypt", re.I), "scrypt"),
               (re.compile(r"cgminer|bfgminer|bmminer|cpuminer-sha", re.I), "sha256d"))
COIN_ALGORITHM = {"BTC": "sha256d", "BCH": "sha256d", "LTC": "scrypt", "DOGE": "scrypt",
                  "ZEC": "equihash", "ZEN": "equihash", "ETH": "ethash", "ETC": "etchash",
                  "RVN": "kawpow", "ERG": "autolykos2", "KAS": "kheavyhash", "DASH": "x11"}
ALGORITHM_COIN = {"randomx": "XMR", "cryptonight": "XMR", "ethash": "ETH", "etchash": "ETC"}
ETH_MERGE_TS = 1663224162.0      # 2022-09-15: no ETH ethash mining after The Merge
# Bitcoin passed this network difficulty in 2019; no other chain whose jobs carry Bitcoin-style
# nbits (BCH, BSV, LTC, DOGE …) has come within 10× of it, so such nbits name the chain.
BITCOIN_ONLY_DIFFICULTY = 1e13


@dataclass
class Identity:
    flavour: str
    wallet: str | None = None
    worker: str | None = None
    login: str | None = None
    wallet_valid: bool | None = None
    wallet_kind: str | None = None
    wallet_coin: str | None = None
    pool_host: str | None = None
    pool_host_source: str | None = None
    algorithm: str | None = None
    algorithm_basis: str | None = None
    coin: str | None = None
    coin_basis: str | None = None


def flavour_of(facts: Facts) -> str:
    """Most specific flavour hinted: ES1/ES2 refine Stratum v1; HTTP transport is getwork."""
    if facts.http:
        return "getwork"
    v = facts.votes
    for specific in ("ethstratum2", "ethstratum1"):
        if v.get(specific):
            return specific
    if not v:
        return "stratum2" if facts.sv2_sizes else "stratum1"
    order = ("cryptonote", "ethproxy", "stratum1", "getwork")
    return max(v, key=lambda f: (v[f], -order.index(f) if f in order else -99))


def identify(facts: Facts, names: list[NameObservation]) -> Identity:
    ident = Identity(flavour_of(facts))
    _wallet(facts, ident)
    _pool_host(facts, names, ident)
    return ident


# --------------------------------------------------------------------------- wallet

def _wallet(facts: Facts, ident: Identity) -> None:
    if not facts.logins:
        return
    login = facts.logins[0][0]
    ident.login = login
    wallet, worker = split_login(login)
    relayed = facts.share_workers.most_common(1)[0][0] if facts.share_workers else None
    ident.wallet = wallet
    ident.worker = worker or relayed or facts.worker_field or password_worker(facts.password)
    info = classify_wallet(wallet) if wallet else None
    if info is not None:
        ident.wallet_valid = bool(getattr(info, "valid", False))
        ident.wallet_kind = getattr(info, "kind", None)
        ident.wallet_coin = getattr(info, "coin", None)


_PLACEHOLDER_PASS = {"", "x", "pass", "password", "none", "null", "1", "123"}


def password_worker(password: str | None) -> str | None:
    """nodejs-pool (supportxmr) takes the worker name from the CryptoNote password,
    "worker[:email]"; "x" and friends are placeholders, e-mails are not names."""
    if not password:
        return None
    name = password.split(":", 1)[0].strip()
    return None if name.lower() in _PLACEHOLDER_PASS or "@" in name else name


def split_login(login: str) -> tuple[str, str | None]:
    try:
        from ..protocols.addresses import split_login as _split
    except ImportError:          # addresses.py not there yet: a plain split, marked unverified
        for sep in ("/", "."):
            if sep in login:
                head, _, tail = login.partition(sep)
                return head, tail.rsplit(".", 1)[-1].rsplit("/", 1)[-1] or None
        return login, None
    return _split(login)


def classify_wallet(s: str) -> Any:
    try:
        from ..protocols.addresses import classify_wallet as _classify
    except ImportError:
        return None
    return _classify(s)


# --------------------------------------------------------------------------- pool host

def _pool_host(facts: Facts, names: list[NameObservation], ident: Identity) -> None:
    """HTTP Host of the session itself, else the latest name seen for the server IP before the
    session ended (DNS answer, SNI, HTTP Host elsewhere), else the host the miner put in its
    mining.subscribe."""
    if facts.http_host:
        ident.pool_host, ident.pool_host_source = _strip_port(facts.http_host), "HTTP Host header"
        return
    end = facts.last_ts if facts.last_ts is not None else float("inf")
    cands = [n for n in names if n.ts <= end]
    if cands:
        n = max(cands, key=lambda n: (n.ts, n.frame, n.name))
        where = f", frame {n.frame}" if n.frame else ""
        ident.pool_host = n.name
        ident.pool_host_source = {"dns": "DNS answer", "sni": "TLS SNI",
                                  "http_host": "HTTP Host"}.get(n.kind, n.kind) + where
        return
    if facts.subscribe_host:
        ident.pool_host, ident.pool_host_source = facts.subscribe_host, "mining.subscribe host"


def _strip_port(host: str) -> str:
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_hint(*hosts: str | None) -> tuple[str | None, str | None, str | None]:
    """(coin, algorithm, host) from the first host name with a known token."""
    for h in hosts:
        if not h:
            continue
        for tok in re.split(r"[.\-_]", h.lower()):
            tok = tok.rstrip("0123456789")
            if tok in HOST_TOKENS:
                coin, algo = HOST_TOKENS[tok]
                return coin, algo, h
    return None, None, None


def agent_hint(agent: str | None) -> str | None:
    if agent:
        for rx, algo in AGENT_HINTS:
            if rx.search(agent):
                return algo
    return None


# --------------------------------------------------------------------------- algorithm, coin

def resolve_algorithm(facts: Facts, ident: Identity, verified: Counter) -> None:
    """Set ident.algorithm/coin with their basis. Stratum v1 SHA-256d and Scrypt look the same
    on the wire: verified shares decide, then wallet, pool host and agent hints; else None."""
    fl = ident.flavour
    hcoin, halgo, hname = host_hint(ident.pool_host, facts.subscribe_host, facts.http_host)
    shape = _shape_algorithm(facts)
    chain = _bitcoin_nbits(facts) if fl == "stratum1" else None
    if fl == "cryptonote":
        _set(ident, shape, f"CryptoNote {facts.algo_hints[-1][1]}" if shape else "")
    elif fl in ("ethproxy", "ethstratum1", "ethstratum2") or shape in ("ethash", "etchash"):
        if shape == "etchash":
            _set(ident, "etchash", "mining.set algo")
        elif halgo == "etchash":
            _set(ident, "etchash", f"pool host {hname}")
        else:
            _set(ident, "ethash", f"{FLAVOUR_NAMES[fl]} is an Ethash protocol")
    elif shape in ("equihash", "kawpow"):
        _set(ident, shape, "job/share shape")
    elif fl == "stratum2":
        _set(ident, "sha256d", "Stratum V2 is used for Bitcoin (SHA-256d) mining")
    elif verified:
        algo = verified.most_common(1)[0][0]
        _set(ident, algo, f"{verified[algo]} share(s) verified as {algo}")
    elif ident.wallet_coin in COIN_ALGORITHM and ident.wallet_valid:
        _set(ident, COIN_ALGORITHM[ident.wallet_coin], f"{ident.wallet_coin} wallet address")
    elif chain:
        _set(ident, "sha256d", chain)
    elif halgo:
        _set(ident, halgo, f"pool host {hname}")
    elif agent_hint(facts.agent):
        _set(ident, agent_hint(facts.agent), f"mining software {facts.agent}")
    _resolve_coin(facts, ident, hcoin, hname, chain)


def _bitcoin_nbits(facts: Facts) -> str | None:
    """Basis text when the latest job's nbits is a network difficulty only Bitcoin has."""
    bits = next((b for j in reversed(facts.jobs.values())
                 if (b := notify_nbits(j.params)) is not None), None)
    diff = compact_difficulty(bits) if bits is not None else None
    if diff is None or diff < BITCOIN_ONLY_DIFFICULTY:
        return None
    return (f"nbits {bits:08x} in mining.notify = network difficulty {diff:.4g}, "
            f"which only Bitcoin (SHA-256d) has reached")


def _set(ident: Identity, algo: str | None, basis: str) -> None:
    if algo and algo != "unknown":
        ident.algorithm, ident.algorithm_basis = algo, basis
    elif algo == "unknown":
        ident.algorithm, ident.algorithm_basis = None, "algorithm named by the pool is not tracked"


def _shape_algorithm(facts: Facts) -> str | None:
    """The latest algorithm hint from message shapes (a pool may switch algorithm mid-session,
    so the latest wins; ties of no hint give None)."""
    return facts.algo_hints[-1][0] if facts.algo_hints else None


def _resolve_coin(facts: Facts, ident: Identity, hcoin: str | None, hname: str | None,
                  chain: str | None) -> None:
    algo = ident.algorithm
    if ident.wallet_coin and ident.wallet_valid and \
            COIN_ALGORITHM.get(ident.wallet_coin, algo) == algo:
        ident.coin, ident.coin_basis = ident.wallet_coin, "wallet address"
    elif chain and algo == "sha256d":
        ident.coin, ident.coin_basis = "BTC", "network difficulty from nbits"
    elif hcoin and (algo is None or COIN_ALGORITHM.get(hcoin, algo) == algo):
        ident.coin, ident.coin_basis = hcoin, f"pool host {hname}"
    elif algo in ALGORITHM_COIN:
        coin = ALGORITHM_COIN[algo]
        if coin == "ETH" and (facts.first_ts or 0) > ETH_MERGE_TS:
            return          # after The Merge an Ethash pool is not mining ETH
        ident.coin, ident.coin_basis = coin, f"{algo} is mined for {coin}"
