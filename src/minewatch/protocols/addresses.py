"""Wallet addresses and pool logins: what coin a login names, and whether its checksum holds.

Pure functions, no I/O. Nothing here raises on bad input: a string that is not an address comes
back as ``WalletInfo(valid=False)`` (or ``kind="account"`` for a plain pool account name).

Formats checked (each against its published checksum):

* Bitcoin base58check (P2PKH ``1…``/``m…``/``n…``, P2SH ``3…``/``2…``) and segwit bech32 /
  bech32m (BIP-173, BIP-350; ``bc1``/``tb1``/``bcrt1``). The bech32 polymod comes from the
  ``bech32`` package (Pieter Wuille's reference code); that package predates BIP-350, so the
  bech32m constant and the segwit version rules are applied here.
* Ethereum ``0x`` + 40 hex, with the EIP-55 mixed-case checksum (keccak-256) when mixed case is used.
  Ethereum Classic and other EVM chains use the same format: they cannot be told apart from the
  address, so coin is ``"ETH"``.
* Monero / CryptoNote: Monero's base58 (8-byte blocks → 11 chars), varint network tag, 4-byte
  keccak-256 checksum. Mainnet tags 18 (standard), 19 (integrated), 42 (subaddress); testnet
  53/54/63 and stagenet 24/25/36 are recognised too.
* Zcash transparent (2-byte base58check prefixes ``1CB8`` t1, ``1CBD`` t3; testnet ``1D25`` tm,
  ``1CBA`` t2), Sapling ``zs1`` (bech32) and unified ``u1`` (bech32m, checksum only).
* Litecoin ``L``/``M`` (and testnet), ``ltc1`` segwit; Bitcoin Cash CashAddr; Ravencoin ``R``;
  Dogecoin ``D``; Dash ``X``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import base58
from bech32 import CHARSET as _B32_CHARSET
from bech32 import bech32_hrp_expand, bech32_polymod, convertbits
from Crypto.Hash import keccak

__all__ = ["WalletInfo", "classify_wallet", "split_login"]


@dataclass(frozen=True)
class WalletInfo:
    """What a wallet/login string is.

    ``valid`` means "well formed for its kind and, where the kind has one, the checksum holds".
    ``kind="account"`` (a pool user name such as ``slush`` or ``broatcast``) and ``kind="email"``
    (MinerGate-style logins) have no checksum; ``kind="unknown"`` is never valid.
    Testnet/stagenet variants carry a ``-testnet`` / ``-stagenet`` suffix on ``kind``.
    """

    address: str
    coin: str | None
    kind: str
    valid: bool


_MAX_LEN = 256

# --------------------------------------------------------------------------- helpers


def _sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def _keccak256(b: bytes) -> bytes:
    h = keccak.new(digest_bits=256)
    h.update(b)
    return h.digest()


_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_SET = frozenset(_B58_ALPHABET)
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def _is_b58(s: str) -> bool:
    return bool(s) and all(c in _B58_SET for c in s)


def _b58check_decode(s: str) -> bytes | None:
    """Base58check payload (version bytes + data) or None if not base58 / checksum wrong."""
    if not _is_b58(s):
        return None
    try:
        raw = base58.b58decode(s)
    except Exception:  # pragma: no cover - base58 raises ValueError on bad chars, checked above
        return None
    if len(raw) < 5:
        return None
    body, chk = raw[:-4], raw[-4:]
    if _sha256d(body)[:4] != chk:
        return None
    return body


# ---- Monero base58 (blocks of 8 bytes ↔ 11 characters)
_XMR_FULL_BLOCK = 11
_XMR_ENC_SIZES = [0, 2, 3, 5, 6, 7, 9, 10, 11]  # encoded length for 0..8 bytes


def _xmr_b58_decode(s: str) -> bytes | None:
    if not _is_b58(s):
        return None
    out = bytearray()
    for i in range(0, len(s), _XMR_FULL_BLOCK):
        block = s[i:i + _XMR_FULL_BLOCK]
        try:
            size = _XMR_ENC_SIZES.index(len(block))
        except ValueError:
            return None
        num = 0
        for c in block:
            num = num * 58 + _B58_INDEX[c]
        if num >> (8 * size):
            return None  # overflow: not a valid encoding
        out += num.to_bytes(size, "big")
    return bytes(out)


def _read_varint(b: bytes) -> tuple[int, int] | None:
    val, shift = 0, 0
    for i, byte in enumerate(b[:10]):
        val |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return val, i + 1
        shift += 7
    return None


# Monero network tags → (kind, expected payload length without tag and checksum)
_XMR_TAGS: dict[int, tuple[str, int]] = {
    18: ("xmr-standard", 64),
    19: ("xmr-integrated", 72),
    42: ("xmr-subaddress", 64),
    53: ("xmr-standard-testnet", 64),
    54: ("xmr-integrated-testnet", 72),
    63: ("xmr-subaddress-testnet", 64),
    24: ("xmr-standard-stagenet", 64),
    25: ("xmr-integrated-stagenet", 72),
    36: ("xmr-subaddress-stagenet", 64),
}


def _classify_cryptonote(s: str) -> WalletInfo | None:
    """Monero (or another CryptoNote coin) address, or None if it does not look like one."""
    if len(s) < 69 or len(s) > 140 or not _is_b58(s):
        return None
    raw = _xmr_b58_decode(s)
    looks_xmr = len(s) in (95, 106) and s[0] in "48"
    if raw is None or len(raw) < 69:
        return WalletInfo(s, "XMR", "xmr-standard", False) if looks_xmr else None
    body, chk = raw[:-4], raw[-4:]
    tag = _read_varint(body)
    checksum_ok = _keccak256(body)[:4] == chk
    if tag is None:
        return WalletInfo(s, "XMR", "xmr-standard", False) if looks_xmr else None
    net, n = tag
    if net in _XMR_TAGS:
        kind, plen = _XMR_TAGS[net]
        return WalletInfo(s, "XMR", kind, checksum_ok and len(body) - n == plen)
    if checksum_ok and len(body) - n in (64, 72):
        # a CryptoNote coin other than Monero (Wownero, Aeon, TurtleCoin, …)
        return WalletInfo(s, None, "cryptonote", True)
    return WalletInfo(s, "XMR", "xmr-standard", False) if looks_xmr else None


# ---- bech32 / bech32m (BIP-173 / BIP-350)
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


def _bech32_any_decode(s: str, max_len: int | None = 90) -> tuple[str, list[int], str] | None:
    """(hrp, data-without-checksum, "bech32"|"bech32m") or None."""
    if any(ord(x) < 33 or ord(x) > 126 for x in s):
        return None
    if s.lower() != s and s.upper() != s:
        return None
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s) or (max_len is not None and len(s) > max_len):
        return None
    hrp, tail = s[:pos], s[pos + 1:]
    if not all(c in _B32_CHARSET for c in tail):
        return None
    data = [_B32_CHARSET.find(c) for c in tail]
    pm = bech32_polymod(bech32_hrp_expand(hrp) + data)
    if pm == _BECH32_CONST:
        spec = "bech32"
    elif pm == _BECH32M_CONST:
        spec = "bech32m"
    else:
        return None
    return hrp, data[:-6], spec


def _segwit_decode(hrp_expected: str, s: str) -> tuple[int, bytes, str] | None:
    """BIP-173/350 segwit decode: (witness version, program, spec) or None."""
    dec = _bech32_any_decode(s)
    if dec is None:
        return None
    hrp, data, spec = dec
    if hrp != hrp_expected or not data:
        return None
    prog = convertbits(data[1:], 5, 8, False)
    if prog is None or len(prog) < 2 or len(prog) > 40:
        return None
    ver = data[0]
    if ver > 16:
        return None
    if ver == 0 and len(prog) not in (20, 32):
        return None
    if (ver == 0 and spec != "bech32") or (ver != 0 and spec != "bech32m"):
        return None
    return ver, bytes(prog), spec


_SEGWIT_HRPS: dict[str, tuple[str, str]] = {
    # hrp → (coin, kind prefix)
    "bc": ("BTC", ""),
    "tb": ("BTC", ""),
    "bcrt": ("BTC", ""),
    "ltc": ("LTC", "ltc-"),
    "tltc": ("LTC", "ltc-"),
    "rltc": ("LTC", "ltc-"),
}
_TESTNET_HRPS = {"tb", "bcrt", "tltc", "rltc"}


def _classify_bech32(s: str) -> WalletInfo | None:
    low = s.lower()
    pos = low.rfind("1")
    if pos < 1:
        return None
    hrp = low[:pos]
    if hrp in _SEGWIT_HRPS:
        coin, prefix = _SEGWIT_HRPS[hrp]
        suffix = "-testnet" if hrp in _TESTNET_HRPS else ""
        dec = _segwit_decode(hrp, s)
        if dec is None:
            # best guess at the intended kind from the witness-version character
            guess = "bech32" if len(low) > pos + 1 and low[pos + 1] == "q" else "bech32m"
            return WalletInfo(s, coin, f"{prefix}{guess}{suffix}", False)
        return WalletInfo(s, coin, f"{prefix}{dec[2]}{suffix}", True)
    if hrp in ("zs", "ztestsapling"):
        suffix = "-testnet" if hrp != "zs" else ""
        dec = _bech32_any_decode(s, max_len=None)
        ok = False
        if dec is not None and dec[2] == "bech32":
            payload = convertbits(dec[1], 5, 8, False)
            ok = payload is not None and len(payload) == 43  # diversifier 11 + pk_d 32
        return WalletInfo(s, "ZEC", f"zec-sapling{suffix}", ok)
    if hrp in ("u", "utest"):
        suffix = "-testnet" if hrp != "u" else ""
        dec = _bech32_any_decode(s, max_len=None)
        ok = dec is not None and dec[2] == "bech32m" and len(dec[1]) >= 48
        return WalletInfo(s, "ZEC", f"zec-unified{suffix}", ok)
    return None


# ---- Bitcoin Cash CashAddr
_CASHADDR_GEN = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)


def _cashaddr_polymod(values: list[int]) -> int:
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for i in range(5):
            if (c0 >> i) & 1:
                c ^= _CASHADDR_GEN[i]
    return c ^ 1


def _classify_cashaddr(s: str) -> WalletInfo | None:
    low = s.lower()
    if ":" in low:
        prefix, payload = low.split(":", 1)
    elif len(low) == 42 and low[0] in "qp" and all(c in _B32_CHARSET for c in low):
        prefix, payload = "bitcoincash", low
    else:
        return None
    if prefix not in ("bitcoincash", "bchtest", "bchreg"):
        return None
    suffix = "" if prefix == "bitcoincash" else "-testnet"
    kind = "bch-cashaddr" + suffix
    if s.lower() != s and s.upper() != s:
        return WalletInfo(s, "BCH", kind, False)
    if not payload or not all(c in _B32_CHARSET for c in payload):
        return WalletInfo(s, "BCH", kind, False)
    data = [_B32_CHARSET.find(c) for c in payload]
    if len(data) < 9 or _cashaddr_polymod([ord(c) & 31 for c in prefix] + [0] + data) != 0:
        return WalletInfo(s, "BCH", kind, False)
    body = convertbits(data[:-8], 5, 8, False)
    if not body:
        return WalletInfo(s, "BCH", kind, False)
    size_bits = [160, 192, 224, 256, 320, 384, 448, 512][body[0] & 7]
    ok = len(body) - 1 == size_bits // 8 and (body[0] >> 3) in (0, 1)
    return WalletInfo(s, "BCH", kind, ok)


# ---- base58check version bytes
_B58_1BYTE: dict[int, tuple[str, str]] = {
    0x00: ("BTC", "p2pkh"),
    0x05: ("BTC", "p2sh"),  # also legacy LTC/BCH P2SH: identical bytes
    0x6F: ("BTC", "p2pkh-testnet"),
    0xC4: ("BTC", "p2sh-testnet"),
    0x30: ("LTC", "ltc-p2pkh"),
    0x32: ("LTC", "ltc-p2sh"),
    0x3A: ("LTC", "ltc-p2sh-testnet"),
    0x3C: ("RVN", "rvn-p2pkh"),
    0x7A: ("RVN", "rvn-p2sh"),
    0x1E: ("DOGE", "doge-p2pkh"),
    0x16: ("DOGE", "doge-p2sh"),
    0x4C: ("DASH", "dash-p2pkh"),
    0x10: ("DASH", "dash-p2sh"),
}
_B58_2BYTE: dict[bytes, tuple[str, str]] = {
    b"\x1c\xb8": ("ZEC", "zec-t"),
    b"\x1c\xbd": ("ZEC", "zec-t"),
    b"\x1d\x25": ("ZEC", "zec-t-testnet"),
    b"\x1c\xba": ("ZEC", "zec-t-testnet"),
}


def _guess_b58_coin(s: str) -> tuple[str | None, str]:
    """Best coin guess for a base58 string whose checksum failed (first characters only)."""
    if s[:2] in ("t1", "t3"):
        return "ZEC", "zec-t"
    if s[:2] in ("tm", "t2"):
        return "ZEC", "zec-t-testnet"
    first = s[0]
    table = {
        "1": ("BTC", "p2pkh"), "3": ("BTC", "p2sh"),
        "m": ("BTC", "p2pkh-testnet"), "n": ("BTC", "p2pkh-testnet"), "2": ("BTC", "p2sh-testnet"),
        "L": ("LTC", "ltc-p2pkh"), "M": ("LTC", "ltc-p2sh"),
        "R": ("RVN", "rvn-p2pkh"), "D": ("DOGE", "doge-p2pkh"), "X": ("DASH", "dash-p2pkh"),
    }
    return table.get(first, (None, "unknown"))


def _classify_base58check(s: str) -> WalletInfo | None:
    if not _is_b58(s) or not 25 <= len(s) <= 40:
        return None
    body = _b58check_decode(s)
    if body is None:
        coin, kind = _guess_b58_coin(s)
        if coin is None:
            return None
        return WalletInfo(s, coin, kind, False)
    if len(body) == 21 and body[0] in _B58_1BYTE:
        coin, kind = _B58_1BYTE[body[0]]
        return WalletInfo(s, coin, kind, True)
    if len(body) == 22 and body[:2] in _B58_2BYTE:
        coin, kind = _B58_2BYTE[body[:2]]
        return WalletInfo(s, coin, kind, True)
    # checksum holds but the version byte / length is one we do not know
    return WalletInfo(s, None, "base58check", True)


# ---- Ethereum
_HEX40 = re.compile(r"^0[xX][0-9a-fA-F]{40}$")


def _eip55_ok(addr: str) -> bool:
    body = addr[2:]
    if body == body.lower() or body == body.upper():
        return True  # no checksum encoded
    h = _keccak256(body.lower().encode("ascii")).hex()
    for c, hc in zip(body, h):
        if c.isalpha() and (c.isupper() != (int(hc, 16) >= 8)):
            return False
    return True


def _classify_eth(s: str) -> WalletInfo | None:
    if not (s.startswith("0x") or s.startswith("0X")):
        return None
    if _HEX40.match(s):
        return WalletInfo(s, "ETH", "eth", _eip55_ok(s))
    return WalletInfo(s, "ETH", "eth", False)


# ---- accounts / e-mail logins
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9_\-.~@+]{1,64}$")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


def classify_wallet(s: str) -> WalletInfo:
    """Classify a wallet address or pool account name. Never raises.

    Checksums are verified for every supported address format; a recognisable address with a
    bad checksum returns ``valid=False`` with the best coin guess. A short plain name is an
    ``"account"`` (pool user name, e.g. ``slush``); an e-mail address is ``"email"``.
    """
    if not isinstance(s, str):
        return WalletInfo(str(s)[:_MAX_LEN] if s is not None else "", None, "unknown", False)
    s = s.strip()
    if not s or len(s) > _MAX_LEN:
        return WalletInfo(s[:_MAX_LEN], None, "unknown", False)
    try:
        for fn in (_classify_eth, _classify_cashaddr, _classify_bech32, _classify_cryptonote,
                   _classify_base58check):
            info = fn(s)
            if info is not None:
                return info
    except Exception:  # defensive: a classifier must never take the pipeline down
        return WalletInfo(s, None, "unknown", False)
    if _EMAIL_RE.match(s):
        return WalletInfo(s, None, "email", True)
    if _ACCOUNT_RE.match(s):
        return WalletInfo(s, None, "account", True)
    return WalletInfo(s, None, "unknown", False)


# --------------------------------------------------------------------------- logins

_DIFF_RE = re.compile(r"\+\d+(?:\.\d+)?(?=$|[./:])")
_PAYMENT_ID_RE = re.compile(r"^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{64})$")
_URI_PREFIXES = ("bitcoincash:", "bchtest:", "bchreg:")


def _looks_cryptonote(s: str) -> bool:
    return len(s) in (95, 106) and s[:1] in ("4", "8", "9", "A", "B", "5", "7") and _is_b58(s)


def split_login(login: str) -> tuple[str, str | None]:
    """Split a Stratum / CryptoNote login into ``(wallet_or_account, worker)``. Never raises.

    Handles the conventions pools document:

    * ``wallet.worker`` / ``account.worker`` (f2pool, ViaBTC, Antpool sub-accounts, NiceHash
      ``btcaddr.worker``, flypool/ethermine ``0x….rig1``, 2miners …);
    * ``wallet/worker`` and ``wallet/worker/email`` (eth-proxy, dwarfpool);
      ``wallet.worker/email`` (nanopool) — the e-mail is dropped;
    * ``wallet+difficulty`` and ``wallet.worker+difficulty`` fixed-difficulty suffixes
      (supportxmr, MoneroOcean, hashvault) — the difficulty is dropped;
    * CryptoNote ``address.paymentid.worker`` and ``address.paymentid`` (xmr-stak era pools) — the
      16/64-hex payment id is dropped;
    * ``user:password`` — the password is dropped (CashAddr ``bitcoincash:`` prefixes are kept);
    * an e-mail login (MinerGate) is returned whole.
    """
    if not isinstance(login, str):
        return ("", None)
    s = login.strip()
    if not s:
        return ("", None)
    if _EMAIL_RE.match(s):
        return (s, None)

    # e-mail tail: "wallet/worker/email" or "wallet.worker/email"
    if "/" in s:
        parts = s.split("/")
        if "@" in parts[-1] and len(parts) > 1:
            parts = parts[:-1]
        s = "/".join(parts)

    # fixed difficulty "+12345" (at the end or before a separator)
    s = _DIFF_RE.sub("", s)

    # "user:password" (keep CashAddr URI prefixes)
    if ":" in s and not s.lower().startswith(_URI_PREFIXES):
        s = s.split(":", 1)[0]
    elif s.lower().startswith(_URI_PREFIXES) and ":" in s[s.index(":") + 1:]:
        head, rest = s.split(":", 1)
        s = head + ":" + rest.split(":", 1)[0]

    worker: str | None = None
    if "/" in s:
        wallet, worker = s.split("/", 1)
    else:
        wallet = s
    if "." in wallet:
        head, rest = wallet.split(".", 1)
        if _looks_cryptonote(head):
            bits = rest.split(".")
            if _PAYMENT_ID_RE.match(bits[0]):
                bits = bits[1:]
            rest = ".".join(bits)
        wallet = head
        if rest:
            worker = rest if worker is None else f"{rest}/{worker}"
    if worker is not None:
        worker = worker.strip() or None
    return (wallet.strip(), worker)
