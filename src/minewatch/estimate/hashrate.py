"""Hashrate from shares: H = Σ hashes-per-share / Δt, with an exact Poisson 95 % interval.

A share is a hash (or Equihash solution) that met the pool's target, so it stands for, on
average, `2^256 / target` tries. How pools express that target differs by flavour; this module
turns each into *expected hashes per share* (`difficulty × k`):

| flavour / algorithm                 | pool gives                     | hashes per share                |
|-------------------------------------|--------------------------------|---------------------------------|
| Stratum v1, SHA-256d                | mining.set_difficulty d        | d · 2^32  (diff 1 = 0xffff·2^208) |
| Stratum v1, Scrypt                  | mining.set_difficulty d        | d · 2^16  (diff 1 = 0xffff·2^224) |
| NiceHash EthereumStratum/1.0.0      | mining.set_difficulty d        | d · 2^32                        |
| Stratum v1 with mining.set_target   | 256-bit target T (ZIP 301)     | 2^256 / T                       |
| EthereumStratum/2.0.0               | mining.set {"target": T}       | 2^256 / T                       |
| eth-proxy / eth_getWork             | boundary B (3rd work element)  | 2^256 / B                       |
| CryptoNote (XMRig)                  | job target, 4 or 8 bytes LE    | 2^64 / target64                 |
| getwork (Bitcoin)                   | "target", 256-bit little-endian| 2^256 / T                       |

Equihash (ZEC): ZIP 301 says the miner compares the block hash — computed over the header
*including the solution* — with the target, so each Equihash solution is one try with success
probability T/2^256 and a share stands for 2^256/T solutions: k = 1 on 2^256/T, and the rate
is in Sol/s (the unit Equihash miners and pools report). A pool that sends mining.set_difficulty
for Equihash uses its own diff-1 (e.g. z-nomp's 0x0007ff…), so that case is left unknown.

The difficulty in force for a share is the one bound to its job: a new difficulty/target
applies from the next job (mining.notify / job), per Stratum convention and ZIP 301.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from dataclasses import dataclass
from typing import Iterable, Sequence

K_SHA256D = float(2 ** 32)
K_SCRYPT = float(2 ** 16)
K_ETHSTRATUM1 = float(2 ** 32)
TWO_256 = float(2 ** 256)

# algorithm → k for pool difficulty (set_difficulty) in Stratum v1
_K_STRATUM1 = {"sha256d": K_SHA256D, "scrypt": K_SCRYPT}


def _hex(s: str) -> str:
    s = s.strip()
    return s[2:] if s[:2] in ("0x", "0X") else s


def target_to_hashes(target_hex: str) -> float | None:
    """256-bit big-endian target (hex, optional 0x, any length) → expected hashes per share."""
    try:
        t = int(_hex(target_hex), 16)
    except (ValueError, AttributeError, TypeError):
        return None
    return TWO_256 / t if t > 0 else None


def getwork_target_to_hashes(target_hex_le: str) -> float | None:
    """getwork's "target" is the 256-bit target as little-endian bytes."""
    try:
        raw = bytes.fromhex(_hex(target_hex_le))
    except (ValueError, AttributeError, TypeError):
        return None
    t = int.from_bytes(raw, "little")
    return TWO_256 / t if t > 0 else None


def compact_target(nbits: int) -> int:
    """Bitcoin compact "bits" → 256-bit target (mantissa · 256^(exponent − 3))."""
    exp, mant = nbits >> 24, nbits & 0x007FFFFF
    return mant << (8 * (exp - 3)) if exp >= 3 else mant >> (8 * (3 - exp))


def compact_difficulty(nbits: int) -> float | None:
    """Network difficulty of compact bits, with Bitcoin's difficulty 1 = 0xffff · 2^208."""
    t = compact_target(nbits)
    return float(0xFFFF << 208) / t if t > 0 else None


def cryptonote_difficulty(target_hex: str) -> float | None:
    """CryptoNote job target → difficulty (= hashes per share). A 4-byte little-endian target t
    expands to 0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // t) (as XMRig does); 8 bytes are used as is."""
    try:
        raw = bytes.fromhex(_hex(target_hex))
    except (ValueError, AttributeError, TypeError):
        return None
    if len(raw) == 4:
        t = int.from_bytes(raw, "little")
        if t == 0:
            return None
        target64 = 0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // t)
    elif len(raw) == 8:
        target64 = int.from_bytes(raw, "little")
    else:
        return None
    return float(2 ** 64) / target64 if target64 > 0 else None


def k_factor(flavour: str, algorithm: str | None) -> tuple[float | None, str]:
    """Hashes per unit of *pool difficulty* (mining.set_difficulty) for a flavour/algorithm, with
    why. Flavours whose jobs carry a target need no k (they are converted to hashes directly)."""
    if flavour == "ethstratum1":
        return K_ETHSTRATUM1, "NiceHash EthereumStratum/1.0.0: difficulty × 2^32"
    if flavour == "stratum1":
        if algorithm in _K_STRATUM1:
            k = _K_STRATUM1[algorithm]
            return k, f"Stratum v1 {algorithm}: difficulty × 2^{int(math.log2(k))}"
        if algorithm is None:
            return None, ("algorithm unresolved (sha256d and scrypt look the same on the wire), "
                          "so the hashes per difficulty unit (2^32 or 2^16) are unknown")
        return None, f"no known hashes-per-difficulty factor for {algorithm} with set_difficulty"
    return None, f"{flavour} jobs carry a target, not a difficulty"


def poisson_interval(n: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for a Poisson mean given n events.

    Solved from the Poisson CDF with the standard library instead of scipy's chi-square
    quantiles: importing scipy.special costs ~0.25 s, a sixth of scanning 1.5 M packets (bench/).
    tests/test_hashrate.py checks it against scipy."""
    a = (1.0 - conf) / 2.0
    if n > 2000:   # Wilson–Hilferty chi-square quantiles: relative error < 1e-6 at this size
        z = NormalDist().inv_cdf(1.0 - a)
        return _wh(2 * n, -z) / 2.0, _wh(2 * n + 2, z) / 2.0
    lo = 0.0 if n == 0 else _solve(lambda lam: 1.0 - _poisson_cdf(n - 1, lam), a, n)
    hi = _solve(lambda lam: 1.0 - _poisson_cdf(n, lam), 1.0 - a, n + 1)
    return lo, hi


def _wh(df: int, z: float) -> float:
    c = 2.0 / (9.0 * df)
    return df * (1.0 - c + z * math.sqrt(c)) ** 3


def _poisson_cdf(n: int, lam: float) -> float:
    """P(X <= n) for X ~ Poisson(lam), summed in log space; only the terms that matter at double
    precision are summed (from well below the mean), so large share counts stay cheap."""
    if n < 0:
        return 0.0
    if lam <= 0.0:
        return 1.0
    k0 = max(0, int(min(n, lam) - 40.0 * math.sqrt(lam + 1.0)) - 10)
    log_lam = math.log(lam)
    log_term = -lam + k0 * log_lam - math.lgamma(k0 + 1)
    terms = [log_term]
    for k in range(k0 + 1, n + 1):
        log_term += log_lam - math.log(k)
        terms.append(log_term)
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def _solve(f, target: float, scale: int) -> float:
    """The lam where increasing f(lam) = target, by bisection (f is a CDF in lam); the bracket
    of ±12 standard deviations holds any 95 % (or 99.99…%) bound."""
    spread = 12.0 * math.sqrt(scale + 1.0) + 12.0
    lo, hi = max(0.0, scale - spread), scale + spread
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


@dataclass(frozen=True, slots=True)
class Share:
    """One submitted share: time, expected hashes it stands for (None = difficulty unknown), and
    the server's verdict "accepted" | "rejected" | "pending" (no reply seen)."""

    ts: float
    hashes: float | None
    status: str


@dataclass(frozen=True, slots=True)
class HashrateEstimate:
    hashrate_hs: float | None
    low_hs: float | None
    high_hs: float | None
    shares: int                 # shares the estimate rests on
    hashes: float               # Σ hashes per share over them
    duration_s: float
    basis: str                  # "accepted" | "submitted" | "none"
    reason: str
    upper_hs: float | None = None   # 95 % upper bound when no share counted


def estimate(shares: Sequence[Share], start_ts: float, end_ts: float,
             conf: float = 0.95) -> HashrateEstimate:
    """H = Σ hashes / Δt over accepted shares (or submitted ones when the capture holds no
    verdict at all), Δt = end − start (first job → last observation)."""
    dt = float(end_ts) - float(start_ts)
    verdicts = [s for s in shares if s.status in ("accepted", "rejected")]
    if verdicts:
        basis, used = "accepted", [s for s in shares if s.status == "accepted"]
        basis_txt = "accepted shares"
    else:
        basis, used = "submitted", list(shares)
        basis_txt = "submitted shares (no share replies in the capture)"
    if not shares:
        return _null(dt, "none", "no shares submitted in the session")
    if not math.isfinite(dt) or dt <= 0:
        return _null(dt, basis, f"session too short to time ({dt:.3f} s)")
    known = [s for s in used if s.hashes is not None and s.hashes > 0]
    unknown = len(used) - len(known)
    if used and not known:
        return _null(dt, basis, f"difficulty in force unknown for all {len(used)} {basis_txt}")
    if not used:
        rejected = sum(1 for s in shares if s.status == "rejected")
        return _null(dt, basis, f"no accepted shares ({rejected} rejected) in {dt:.0f} s")
    n = len(known)
    hashes = sum(s.hashes for s in known)
    h = hashes / dt
    lo, hi = poisson_interval(n, conf)
    reason = f"{n} {basis_txt} worth {hashes:.4g} hashes over {dt:.0f} s"
    if unknown:
        reason += (f"; {unknown} share(s) on jobs with unknown difficulty left out "
                   "(estimate is low)")
    return HashrateEstimate(h, h * lo / n, h * hi / n, n, hashes, dt, basis, reason)


def _null(dt: float, basis: str, reason: str) -> HashrateEstimate:
    return HashrateEstimate(None, None, None, 0, 0.0, dt if math.isfinite(dt) else 0.0,
                            basis, reason)


def zero_share_upper(hashes_per_share: float, duration_s: float, conf: float = 0.95) -> float | None:
    """95 % upper bound on the hashrate when a session found no share in `duration_s`."""
    if duration_s <= 0 or hashes_per_share <= 0:
        return None
    return poisson_interval(0, conf)[1] * hashes_per_share / duration_s


def combine(estimates: Iterable[tuple[HashrateEstimate, float, float]],
            conf: float = 0.95) -> HashrateEstimate:
    """Host-level rate from per-session estimates with their (start, end) windows: Σ hashes over
    the length of the union of the windows. For sessions running side by side this is the sum
    of their rates; for back-to-back reconnects it is their time average (no double count).
    Only sessions with an estimate count; never mix algorithms here."""
    rows = [(e, s, t) for e, s, t in estimates if e.hashrate_hs is not None]
    if not rows:
        return _null(0.0, "none", "no session of this host gave a share-based estimate")
    span = _union_length([(s, t) for _, s, t in rows])
    n = sum(e.shares for e, _, _ in rows)
    hashes = sum(e.hashes for e, _, _ in rows)
    if span <= 0 or n <= 0:
        return _null(span, "none", "sessions too short to time")
    h = hashes / span
    lo, hi = poisson_interval(n, conf)
    basis = "accepted" if all(e.basis == "accepted" for e, _, _ in rows) else "submitted"
    reason = (f"{len(rows)} session(s), {n} shares worth {hashes:.4g} hashes over "
              f"{span:.0f} s of mining")
    return HashrateEstimate(h, h * lo / n, h * hi / n, n, hashes, span, basis, reason)


def _union_length(windows: list[tuple[float, float]]) -> float:
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted(windows):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


class DifficultyTracker:
    """Binds the difficulty in force to jobs: `set_next` records a new difficulty or target,
    which takes effect at the next `bind(job_id)` (next mining.notify / job)."""

    def __init__(self) -> None:
        self._next: tuple[float, str] | None = None   # (value, unit) unit: "diff" | "hashes"
        self._jobs: dict[str, tuple[float, str] | None] = {}
        self.changes = 0

    def set_next(self, value: float | None, unit: str) -> None:
        if value is not None and value > 0 and math.isfinite(value):
            self._next = (float(value), unit)
            self.changes += 1

    def set_default(self, value: float, unit: str) -> None:
        """A protocol default (Stratum v1: difficulty 1) when the session start was seen."""
        if self._next is None:
            self._next = (float(value), unit)

    def bind(self, job_id: object) -> tuple[float, str] | None:
        self._jobs[str(job_id)] = self._next
        return self._next

    def bind_value(self, job_id: object, value: float | None, unit: str) -> None:
        """Jobs that carry their own target (CryptoNote, eth_getWork)."""
        ok = value is not None and value > 0 and math.isfinite(value)
        self._jobs[str(job_id)] = (float(value), unit) if ok else None

    def for_job(self, job_id: object) -> tuple[float, str] | None:
        return self._jobs.get(str(job_id))

    def known(self, job_id: object) -> bool:
        return str(job_id) in self._jobs

    @property
    def current(self) -> tuple[float, str] | None:
        return self._next
