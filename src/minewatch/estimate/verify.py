"""Share verification: recompute a submitted share's proof of work from the captured messages.

A share that verifies proves that real hashing was done (a random submission meets a difficulty-1
SHA-256 target with probability 2^-32). Every function here is pure and never raises: malformed or
incomplete input gives ``status="unverifiable"`` with the reason.

Byte order follows the miners (pooler/cpuminer ``stratum_gen_work``, cgminer, ckpool):

* Stratum v1 (Bitcoin family). ``version``, ``nbits``, ``ntime`` and the submitted ``nonce`` are
  big-endian hex of 32-bit numbers and go into the header little-endian. ``prevhash`` is the
  block hash in internal byte order with each 4-byte word byte-swapped ("stratum word-swapped"),
  so every word is swapped back. The merkle root is
  ``sha256d(coinb1 + extranonce1 + extranonce2 + coinb2)`` folded with ``sha256d(root + branch)``
  and goes into the header as computed. BIP-310 version rolling:
  ``version = (job_version & ~mask) | (version_bits & mask)``.
* Scrypt coins (Litecoin, Dogecoin) use the same header; the PoW hash is
  ``scrypt(header, salt=header, N=1024, r=1, p=1, 32 bytes)`` and stratum difficulty 1 is the target
  ``0x0000ffff << 224`` (2^16 times easier than SHA-256's ``0xffff << 208``).
* Zcash stratum (the flypool/nheqminer protocol, ZIP-301 draft): notify fields are hex in header
  byte order; header = version‖prevhash‖merkleroot‖reserved‖time‖bits‖nonce1+nonce2 (140 bytes),
  then the compact-size-prefixed Equihash solution. The share meets the pool target when
  ``sha256d(header‖solution)`` read little-endian is ≤ the 256-bit big-endian ``mining.set_target``.
  The Equihash solution itself is verified here in pure Python (BLAKE2b with personalization
  ``"ZcashPoW"‖n‖k``, 2^k indices, XOR collisions on n/(k+1) bits per level, ordering, distinctness).
* CryptoNote (Monero and forks): the miner claims ``result`` = PoW(blob with nonce at byte 39); the
  last 8 bytes read little-endian must be below the 64-bit target. The hash is recomputed with
  CryptoNight (``py-cryptonight``) or RandomX (``randomx``) when those optional packages are
  installed; without them the share is ``unverifiable`` and only the claim is checked.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import dataclass
from fractions import Fraction

__all__ = [
    "ShareCheck",
    "check_stratum_v1_share",
    "check_equihash_share",
    "check_cryptonote_share",
    "equihash_verify",
    "randomx_hash",
    "DIFF1_SHA256",
    "DIFF1_SCRYPT",
    "DIFF1_ZCASH",
]


@dataclass(frozen=True)
class ShareCheck:
    """Outcome of verifying one share.

    ``status``: ``"valid"`` (the proof of work was recomputed and meets the target),
    ``"invalid"`` (recomputed and does not meet it, or the claim itself is below target),
    ``"unverifiable"`` (inputs missing/malformed, or no hasher for the algorithm).
    ``hash_hex``: the PoW hash — block-explorer (reversed) order for Bitcoin-family and Zcash,
    the protocol's little-endian ``result`` order for CryptoNote.
    ``share_difficulty``: the difficulty the hash actually meets, relative to the algorithm's
    difficulty-1 target (``DIFF1_SHA256``, ``DIFF1_SCRYPT``, ``DIFF1_ZCASH``, or
    ``2^64-1`` over the top 64 bits for CryptoNote).
    """

    status: str
    algorithm: str | None
    hash_hex: str | None
    share_difficulty: float | None
    reason: str


#: Bitcoin difficulty-1 target (nBits 0x1d00ffff): stratum difficulty d ⇒ target DIFF1_SHA256 / d.
DIFF1_SHA256 = 0xFFFF << 208
#: Scrypt pools' difficulty-1 target (cpuminer/cgminer: 2^16 × the SHA-256 one).
DIFF1_SCRYPT = 0xFFFF << 224
#: Zcash powLimit (0x0007ff…ff), the difficulty-1 target of Zcash stratum pools (z-nomp).
DIFF1_ZCASH = (1 << 243) - 1
_U64 = 0xFFFFFFFFFFFFFFFF


class _Unverifiable(Exception):
    """Internal: input cannot be checked; the message is the reason."""


def _sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def _hexbytes(value: object, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise _Unverifiable(f"{what} is not a hex string")
    v = value.strip()
    if v[:2] in ("0x", "0X"):
        v = v[2:]
    try:
        b = bytes.fromhex(v)
    except ValueError:
        raise _Unverifiable(f"{what} is not valid hex") from None
    if size is not None and len(b) != size:
        raise _Unverifiable(f"{what} has {len(b)} bytes, expected {size}")
    return b


def _difficulty(d: object) -> Fraction | None:
    if d is None:
        return None
    if isinstance(d, bool) or not isinstance(d, (int, float, str)):
        raise _Unverifiable("difficulty is not a number")
    try:
        f = Fraction(d)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise _Unverifiable("difficulty is not a finite number") from None
    if f <= 0:
        raise _Unverifiable("difficulty must be > 0")
    return f


def _diff_of(diff1: int, value: int) -> float:
    if value <= 0:
        return float("inf")
    return diff1 / value


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _unverifiable(reason: str, algorithm: str | None = None) -> ShareCheck:
    return ShareCheck("unverifiable", algorithm, None, None, reason)


# --------------------------------------------------------------------------- Stratum v1

_DEFAULT_VERSION_MASKS = (0x1FFFE000, 0xFFFFFFFF)  # BIP-320 general-purpose bits, then all bits


def _stratum_v1(notify_params: list, extranonce1: str, submit_params: list,
                difficulty: float | None, version_mask: str | None) -> ShareCheck:
    if not isinstance(notify_params, (list, tuple)) or len(notify_params) < 8:
        raise _Unverifiable("mining.notify params must be a list of at least 8 items")
    if not isinstance(submit_params, (list, tuple)) or len(submit_params) < 5:
        raise _Unverifiable("mining.submit params must be a list of at least 5 items")
    job_id, prevhash, coinb1, coinb2, branch, version, nbits, ntime_job = notify_params[:8]
    s_job = submit_params[1]
    if str(s_job) != str(job_id):
        raise _Unverifiable(f"submit is for job {s_job!r}, notify is job {job_id!r}")
    prev = _hexbytes(prevhash, "prevhash", 32)
    cb1 = _hexbytes(coinb1, "coinb1")
    cb2 = _hexbytes(coinb2, "coinb2")
    en1 = _hexbytes(extranonce1, "extranonce1")
    en2 = _hexbytes(submit_params[2], "extranonce2")
    ntime = _hexbytes(submit_params[3], "ntime", 4)
    nonce = _hexbytes(submit_params[4], "nonce", 4)
    bits = _hexbytes(nbits, "nbits", 4)
    ver = int.from_bytes(_hexbytes(version, "version", 4), "big")
    _hexbytes(ntime_job, "notify ntime", 4)
    if not isinstance(branch, (list, tuple)):
        raise _Unverifiable("merkle_branch is not a list")
    if len(branch) > 64:
        raise _Unverifiable("merkle_branch longer than 64")
    diff = _difficulty(difficulty)

    root = _sha256d(cb1 + en1 + en2 + cb2)
    for i, h in enumerate(branch):
        root = _sha256d(root + _hexbytes(h, f"merkle_branch[{i}]", 32))
    prev_internal = b"".join(prev[i:i + 4][::-1] for i in range(0, 32, 4))

    versions: list[tuple[int, str]] = [(ver, "")]
    rolled = len(submit_params) > 5 and submit_params[5] not in (None, "")
    if rolled:
        vbits = int.from_bytes(_hexbytes(submit_params[5], "version_bits", 4), "big")
        if version_mask not in (None, ""):
            mask = int.from_bytes(_hexbytes(version_mask, "version_mask", 4), "big")
            if vbits & ~mask & 0xFFFFFFFF:
                return ShareCheck("invalid", None, None, None,
                                  f"version_bits {vbits:08x} outside negotiated mask {mask:08x} (BIP-310)")
            masks = [mask]
        else:
            masks = list(_DEFAULT_VERSION_MASKS)
        versions = [((ver & ~m & 0xFFFFFFFF) | (vbits & m), f"; version rolled with mask {m:08x}")
                    for m in masks]

    need = diff if diff is not None else Fraction(1)
    target_sha = int(DIFF1_SHA256 / need)
    target_scrypt = int(DIFF1_SCRYPT / need)
    want = ("stratum difficulty " + _fmt(float(diff))) if diff is not None else \
        "difficulty 1 (no difficulty given)"

    best: tuple[float, str, str] | None = None  # sha256d diff, hash, note
    for v, note in versions:
        header = (struct.pack("<I", v) + prev_internal + root + ntime[::-1] + bits[::-1]
                  + nonce[::-1])
        h = _sha256d(header)
        hv = int.from_bytes(h, "little")
        sha_diff = _diff_of(DIFF1_SHA256, hv)
        if hv <= target_sha:
            return ShareCheck("valid", "sha256d", h[::-1].hex(), sha_diff,
                              f"sha256d(header) meets {want}: share difficulty {_fmt(sha_diff)}{note}")
        sc = hashlib.scrypt(header, salt=header, n=1024, r=1, p=1, dklen=32)
        sv = int.from_bytes(sc, "little")
        sc_diff = _diff_of(DIFF1_SCRYPT, sv)
        if sv <= target_scrypt:
            return ShareCheck("valid", "scrypt", sc[::-1].hex(), sc_diff,
                              f"scrypt(header) meets {want} (scrypt diff-1 = 2^16 x sha256d): "
                              f"share difficulty {_fmt(sc_diff)}{note}")
        if best is None or sha_diff > best[0]:
            best = (sha_diff, h[::-1].hex(),
                    f"sha256d share difficulty {_fmt(sha_diff)}, scrypt {_fmt(sc_diff)}{note}")
    assert best is not None
    return ShareCheck("invalid", None, best[1], best[0],
                      f"neither sha256d nor scrypt meets {want} ({best[2]})")


def check_stratum_v1_share(notify_params: list, extranonce1: str, submit_params: list,
                           difficulty: float | None,
                           version_mask: str | None = None) -> ShareCheck:
    """Verify a Stratum v1 (Bitcoin-family) share against its ``mining.notify`` job.

    ``notify_params`` = ``[job_id, prevhash, coinb1, coinb2, merkle_branch, version, nbits, ntime,
    clean_jobs]``; ``submit_params`` = ``[worker, job_id, extranonce2, ntime, nonce(,
    version_bits)]``; ``difficulty`` is the last ``mining.set_difficulty`` before the submit (None:
    require difficulty 1); ``version_mask`` the BIP-310 mask from ``mining.configure`` (None and
    ``version_bits`` present: try the BIP-320 mask ``1fffe000``, then all bits).

    Tries sha256d first, then scrypt; the algorithm whose hash meets the target is the one proved.
    """
    try:
        return _stratum_v1(notify_params, extranonce1, submit_params, difficulty, version_mask)
    except _Unverifiable as e:
        return _unverifiable(str(e))
    except Exception as e:  # never raise on captured junk
        return _unverifiable(f"could not check share: {type(e).__name__}: {e}")


# --------------------------------------------------------------------------- Equihash

# solution bytes → (n, k) and the personalizations seen for those parameters
_EH_PARAMS: dict[int, tuple[int, int]] = {
    1344: (200, 9),  # Zcash, Horizen, Komodo …
    400: (192, 7),
    100: (144, 5),   # Bitcoin Gold ("BgoldPoW"), …
    52: (125, 4),    # Flux/ZelCash ("ZelProof")
    68: (96, 5),
}
_EH_PERSONAL: dict[tuple[int, int], tuple[bytes, ...]] = {
    (200, 9): (b"ZcashPoW",),
    (192, 7): (b"ZcashPoW",),
    (144, 5): (b"ZcashPoW", b"BgoldPoW"),
    (125, 4): (b"ZelProof", b"ZcashPoW"),
    (96, 5): (b"ZcashPoW",),
}


def _eh_indices(sol: bytes, bits: int) -> list[int]:
    total = len(sol) * 8
    v = int.from_bytes(sol, "big")
    mask = (1 << bits) - 1
    return [(v >> (total - bits * (i + 1))) & mask for i in range(total // bits)]


def equihash_verify(header: bytes, solution: bytes, n: int = 200, k: int = 9,
                    personal: bytes = b"ZcashPoW") -> tuple[bool, str]:
    """Verify an Equihash(n, k) solution (without its compact-size prefix) for ``header``.

    Follows the Zcash protocol specification §7.6.1 and zcashd's ``IsValidSolution``: BLAKE2b
    with personalization ``personal‖LE32(n)‖LE32(k)``, 2^k indices of n/(k+1)+1 bits packed
    big-endian; at each level r < k the XOR of a pair's hashes has its first r·n/(k+1) bits zero
    and at level k it is zero; the left subtree's first index is smaller; indices are distinct.
    Returns ``(ok, reason)``.
    """
    if n % 8 or n % (k + 1):
        return False, f"unsupported Equihash parameters ({n},{k})"
    cbits = n // (k + 1)
    n_idx = 1 << k
    if len(solution) * 8 != n_idx * (cbits + 1):
        return False, f"solution is {len(solution)} bytes, expected {n_idx * (cbits + 1) // 8}"
    idx = _eh_indices(solution, cbits + 1)
    per_hash = 512 // n
    hl = n // 8
    person = personal[:8].ljust(8, b"\0") + struct.pack("<II", n, k)
    base = hashlib.blake2b(header, digest_size=per_hash * hl, person=person)
    cache: dict[int, bytes] = {}
    rows: list[tuple[int, list[int]]] = []
    for i in idx:
        g = i // per_hash
        d = cache.get(g)
        if d is None:
            h = base.copy()
            h.update(struct.pack("<I", g))
            d = cache[g] = h.digest()
        off = (i % per_hash) * hl
        rows.append((int.from_bytes(d[off:off + hl], "big"), [i]))
    for r in range(1, k + 1):
        nxt = []
        for j in range(0, len(rows), 2):
            (ha, ia), (hb, ib) = rows[j], rows[j + 1]
            x = ha ^ hb
            if r < k and x >> (n - cbits * r):
                return False, f"no {cbits * r}-bit collision at level {r}"
            if r == k and x:
                return False, "final XOR is not zero"
            if ia[0] >= ib[0]:
                return False, f"indices out of order at level {r}"
            if not set(ia).isdisjoint(ib):
                return False, f"duplicate indices at level {r}"
            nxt.append((x, ia + ib))
        rows = nxt
    return True, "ok"


def _read_compactsize(b: bytes) -> tuple[int, int]:
    if not b:
        raise _Unverifiable("empty solution")
    f = b[0]
    if f < 0xFD:
        return f, 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[f]
    if len(b) < 1 + size:
        raise _Unverifiable("truncated compact-size prefix")
    return int.from_bytes(b[1:1 + size], "little"), 1 + size


def _equihash(notify_params: list, nonce1: str, submit_params: list,
              target_hex: str | None) -> ShareCheck:
    if not isinstance(notify_params, (list, tuple)) or len(notify_params) < 7:
        raise _Unverifiable("mining.notify params must be a list of at least 7 items")
    if not isinstance(submit_params, (list, tuple)) or len(submit_params) < 5:
        raise _Unverifiable("mining.submit params must be a list of at least 5 items")
    job_id, version, prevhash, merkleroot, reserved, _ntime, bits = notify_params[:7]
    if str(submit_params[1]) != str(job_id):
        raise _Unverifiable(f"submit is for job {submit_params[1]!r}, notify is job {job_id!r}")
    nonce = _hexbytes(nonce1, "nonce1") + _hexbytes(submit_params[3], "nonce2")
    if len(nonce) != 32:
        raise _Unverifiable(f"nonce1+nonce2 is {len(nonce)} bytes, expected 32")
    header = (_hexbytes(version, "version", 4) + _hexbytes(prevhash, "prevhash", 32)
              + _hexbytes(merkleroot, "merkleroot", 32) + _hexbytes(reserved, "reserved", 32)
              + _hexbytes(submit_params[2], "time", 4) + _hexbytes(bits, "bits", 4) + nonce)
    sol_field = _hexbytes(submit_params[4], "solution")
    if len(sol_field) in _EH_PARAMS:  # bare solution without compact-size prefix
        sol = sol_field
        pre = b"\xfd" + struct.pack("<H", len(sol)) if len(sol) >= 0xFD else bytes([len(sol)])
        sol_field = pre + sol
    else:
        ln, off = _read_compactsize(sol_field)
        sol = sol_field[off:]
        if ln != len(sol):
            raise _Unverifiable(f"solution length prefix {ln} but {len(sol)} bytes follow")
    if len(sol) not in _EH_PARAMS:
        raise _Unverifiable(f"unknown Equihash solution size {len(sol)} bytes")
    n, k = _EH_PARAMS[len(sol)]
    algo = "equihash" if (n, k) == (200, 9) else f"equihash-{n}_{k}"
    target = None
    if target_hex not in (None, ""):
        target = int.from_bytes(_hexbytes(target_hex, "target", 32), "big")

    h = _sha256d(header + sol_field)
    hv = int.from_bytes(h, "little")
    share_diff = _diff_of(DIFF1_ZCASH, hv)
    hash_hex = h[::-1].hex()

    ok, why = False, ""
    for person in _EH_PERSONAL[(n, k)]:
        ok, why = equihash_verify(header, sol, n, k, person)
        if ok:
            why = f"Equihash({n},{k}) solution verified (personalization {person.decode()})"
            break
    if not ok:
        return ShareCheck("invalid", algo, hash_hex, share_diff,
                          f"Equihash({n},{k}) solution does not verify: {why}")
    if target is None:
        return ShareCheck("valid", algo, hash_hex, share_diff,
                          f"{why}; no pool target given: share difficulty {_fmt(share_diff)} "
                          "relative to the Zcash powLimit")
    if hv <= target:
        return ShareCheck("valid", algo, hash_hex, share_diff,
                          f"{why}; sha256d(header+solution) meets the pool target "
                          f"(share difficulty {_fmt(share_diff)} relative to the Zcash powLimit, "
                          f"target difficulty {_fmt(_diff_of(DIFF1_ZCASH, target))})")
    return ShareCheck("invalid", algo, hash_hex, share_diff,
                      f"{why}, but sha256d(header+solution) is above the pool target "
                      f"(share difficulty {_fmt(share_diff)} < target difficulty "
                      f"{_fmt(_diff_of(DIFF1_ZCASH, target))})")


def check_equihash_share(notify_params: list, nonce1: str, submit_params: list,
                         target_hex: str | None) -> ShareCheck:
    """Verify a Zcash-stratum (Equihash) share.

    ``notify_params`` = ``[job_id, version, prevhash, merkleroot, reserved, time, bits,
    clean_jobs]``; ``nonce1`` from the ``mining.subscribe`` result; ``submit_params`` =
    ``[worker, job_id, time, nonce2, solution]``; ``target_hex`` the last ``mining.set_target``
    (256-bit big-endian hex) or None. Both the Equihash solution and the target are checked.
    """
    try:
        return _equihash(notify_params, nonce1, submit_params, target_hex)
    except _Unverifiable as e:
        return _unverifiable(str(e))
    except Exception as e:
        return _unverifiable(f"could not check share: {type(e).__name__}: {e}")


# --------------------------------------------------------------------------- CryptoNote

_NONCE_OFFSET = 39  # Monero hashing blob: major, minor (varints), timestamp (varint), prev id → nonce


def _load_cryptonight():
    try:
        import pycryptonight  # type: ignore[import-not-found]
    except Exception:
        return None
    return pycryptonight


def _load_randomx():
    try:
        import randomx  # type: ignore[import-not-found]
    except Exception:
        return None
    return randomx


@functools.lru_cache(maxsize=2)
def _randomx_vm(key: bytes):
    rx = _load_randomx()
    if rx is None:
        return None
    # light mode: 256 MiB cache, the mode meant for verification
    return rx.RandomX(key, full_mem=False, secure=True, large_pages=False)


def randomx_hash(key: bytes, data: bytes) -> bytes | None:
    """RandomX (rx/0) hash of ``data`` under ``key`` (Monero: the seed hash), or None if the
    optional ``randomx`` package is not installed."""
    vm = _randomx_vm(bytes(key))
    if vm is None:
        return None
    return bytes(vm(bytes(data)))


# algorithm names as pools send them (xmrig "algo" field) → (hasher, variant, label)
_CN_ALGOS: dict[str, tuple[str, int, str]] = {
    "cn/0": ("cn", 0, "cryptonight"),
    "cryptonight": ("cn", 0, "cryptonight"),
    "cn/1": ("cn", 1, "cryptonight-v1"),
    "cryptonight/1": ("cn", 1, "cryptonight-v1"),
    "cn/2": ("cn", 2, "cryptonight-v2"),
    "cryptonight/2": ("cn", 2, "cryptonight-v2"),
    "cn/r": ("cn", 4, "cryptonight-r"),
    "cryptonight/r": ("cn", 4, "cryptonight-r"),
    "rx/0": ("rx", 0, "randomx"),
    "randomx": ("rx", 0, "randomx"),
}


def _parse_target64(t: object) -> int:
    raw = _hexbytes(t, "target")
    if len(raw) == 4:
        t32 = int.from_bytes(raw, "little")
        if t32 == 0:
            raise _Unverifiable("target is zero")
        return _U64 // (0xFFFFFFFF // t32)
    if len(raw) == 8:
        t64 = int.from_bytes(raw, "little")
        if t64 == 0:
            raise _Unverifiable("target is zero")
        return t64
    raise _Unverifiable(f"target has {len(raw)} bytes, expected 4 or 8")


def _cryptonote(job: dict, submit_params: dict, randomx: bool = False) -> ShareCheck:
    if not isinstance(job, dict) or not isinstance(submit_params, dict):
        raise _Unverifiable("job and submit params must be JSON objects")
    if "job_id" in job and "job_id" in submit_params and \
            str(job["job_id"]) != str(submit_params["job_id"]):
        raise _Unverifiable(f"submit is for job {submit_params['job_id']!r}, "
                            f"job given is {job['job_id']!r}")
    target64 = _parse_target64(job.get("target"))
    result = _hexbytes(submit_params.get("result"), "result", 32)
    nonce = _hexbytes(submit_params.get("nonce"), "nonce", 4)
    claimed = int.from_bytes(result[24:32], "little")
    claimed_diff = _diff_of(_U64, claimed)
    target_diff = _U64 / target64
    meets = claimed < target64

    algo_name = job.get("algo") or submit_params.get("algo")
    explicit = isinstance(algo_name, str) and algo_name.lower() in _CN_ALGOS
    label = _CN_ALGOS[algo_name.lower()][2] if explicit else None
    claim_txt = (f"claimed result {'meets' if meets else 'does NOT meet'} the target "
                 f"(claimed share difficulty {_fmt(claimed_diff)}, target difficulty "
                 f"{_fmt(target_diff)})")
    if not meets:
        return ShareCheck("invalid", label, result.hex(), claimed_diff, claim_txt)

    blob = _hexbytes(job.get("blob"), "blob")
    if not 43 <= len(blob) <= 1024:
        return ShareCheck("unverifiable", label, result.hex(), claimed_diff,
                          f"{claim_txt}; blob of {len(blob)} bytes cannot hold a nonce at byte 39")
    hashing_blob = blob[:_NONCE_OFFSET] + nonce + blob[_NONCE_OFFSET + 4:]

    # candidate algorithms: the one the pool named, else inferred from Monero's major version
    candidates: list[tuple[str, int, str]]
    if explicit:
        candidates = [_CN_ALGOS[algo_name.lower()]]
    else:
        major = blob[0]
        if major >= 12:
            candidates = [_CN_ALGOS["rx/0"]]
        elif major >= 10:
            candidates = [_CN_ALGOS["cn/r"]]
        elif major >= 8:
            candidates = [_CN_ALGOS["cn/2"]]
        elif major == 7:
            candidates = [_CN_ALGOS["cn/1"]]
        else:
            candidates = [_CN_ALGOS["cn/0"]]
        if major < 12:  # pre-RandomX blob: the coin may be a CryptoNight fork of another variant
            for extra in ("cn/0", "cn/1", "cn/2"):
                if _CN_ALGOS[extra] not in candidates:
                    candidates.append(_CN_ALGOS[extra])

    missing: list[str] = []
    tried: list[str] = []
    for hasher, variant, name in candidates:
        computed: bytes | None = None
        if hasher == "cn":
            cn = _load_cryptonight()
            if cn is None:
                missing.append(f"{name} (package py-cryptonight not installed)")
                continue
            if variant == 4:
                height = job.get("height")
                if not isinstance(height, int) or isinstance(height, bool) or height < 0:
                    missing.append(f"{name} (job has no block height)")
                    continue
                computed = bytes(cn.cn_slow_hash(hashing_blob, variant, 0, height))
            else:
                computed = bytes(cn.cn_slow_hash(hashing_blob, variant))
        else:
            seed = job.get("seed_hash")
            if seed in (None, ""):
                missing.append(f"{name} (job has no seed_hash)")
                continue
            key = _hexbytes(seed, "seed_hash")
            if not randomx:
                missing.append(f"{name} (RandomX recomputation is off by default: a 256 MiB "
                               "cache and ~0.7 s per seed; scan --verify-randomx turns it on)")
                continue
            if _load_randomx() is None:
                missing.append(f"{name} (package randomx not installed)")
                continue
            computed = randomx_hash(key, hashing_blob)
            if computed is None:  # pragma: no cover - loader checked above
                missing.append(f"{name} (package randomx not installed)")
                continue
        tried.append(name)
        if computed == result:
            return ShareCheck("valid", name, result.hex(), claimed_diff,
                              f"{name} hash of the blob with nonce {nonce.hex()} reproduces the "
                              f"claimed result; {claim_txt}")
        if explicit:
            return ShareCheck("invalid", name, computed.hex(),
                              _diff_of(_U64, int.from_bytes(computed[24:32], "little")),
                              f"{name} hash of the blob with nonce {nonce.hex()} is {computed.hex()}, "
                              f"not the claimed result {result.hex()}")
    if tried:
        why = (f"claimed result not reproduced by {', '.join(tried)} "
               "(coin/algorithm not known from the job)")
    else:
        why = "hash not recomputed"
    if missing:
        why += "; not tried: " + ", ".join(missing)
    return ShareCheck("unverifiable", label, result.hex(), claimed_diff, f"{claim_txt}; {why}")


def check_cryptonote_share(job: dict, submit_params: dict, randomx: bool = False) -> ShareCheck:
    """Verify a CryptoNote (Monero-style) share.

    ``job`` is the ``login`` result's ``job`` or a ``job`` notification's params (``blob``,
    ``job_id``, ``target``; optionally ``algo``, ``height``, ``seed_hash``); ``submit_params`` the
    ``submit`` params (``job_id``, ``nonce``, ``result``). The claimed ``result`` is checked
    against the target; the hash itself is recomputed when a hasher for the algorithm is
    installed (``py-cryptonight`` for CryptoNight variants, ``randomx`` for rx/0), otherwise the
    status is ``unverifiable`` and the reason says whether the claim meets the target.
    """
    try:
        return _cryptonote(job, submit_params, randomx)
    except _Unverifiable as e:
        return _unverifiable(str(e))
    except Exception as e:
        return _unverifiable(f"could not check share: {type(e).__name__}: {e}")
