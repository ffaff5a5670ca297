"""Facts → Evidence: one row per session (ip:port) and one per (client host, algorithm)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from ..estimate import hashrate as hr
from ..evidence import Evidence
from ..protocols.stratum import CLIENT_METHODS, FLAVOUR_NAMES
from ..records import NameObservation
from ._stratum_identity import Identity, identify, resolve_algorithm
from ._stratum_session import Facts, ShareRec

_HANDSHAKE = ("mining.subscribe", "mining.authorize", "mining.configure", "mining.hello",
              "eth_submitLogin", "login", "getwork", "getblocktemplate", "eth_getWork")


@dataclass
class SessionResult:
    evidence: Evidence
    client_ip: str
    algorithm: str | None
    estimate: hr.HashrateEstimate
    window: tuple[float, float]
    reported_hs: float | None
    run: Any = None                     # _stratum_http.Run: estimated with its run, not alone
    shares: list[hr.Share] = field(default_factory=list)


def build_session(facts: Facts, names: list[NameObservation], detector: Any,
                  run: Any = None) -> SessionResult | None:
    if facts.signals == 0 and not facts.sv2_sizes:
        return None
    ident = identify(facts, names)
    checks = _verify(facts, ident.flavour, detector.verify_limit, detector.verify_randomx)
    verified = Counter(c.algorithm for c in checks if c.status == "valid" and c.algorithm)
    resolve_algorithm(facts, ident, verified)
    k, k_why = hr.k_factor(ident.flavour, ident.algorithm)
    shares = [hr.Share(s.ts, _share_hashes(s, k), s.status) for s in facts.shares]
    start = facts.first_job[0] if facts.first_job else facts.first_ts
    est = hr.estimate(shares, start, facts.last_ts)
    reason = _hashrate_reason(est, k, k_why, facts)
    if run is not None:     # a sub-second connection alone gives no rate; its run does
        if facts.shares:
            reason = (f"one of {run.connections} HTTP connections from {run.client_ip} to "
                      f"{run.server}; their shares are estimated together on the host row")
        est = replace(est, hashrate_hs=None, low_hs=None, high_hs=None, reason=reason)
    score, conf = _score(facts, checks)
    reported = _reported(facts)
    obs = _observables(facts, ident, checks, est, reason, reported)
    if run is not None:
        obs["hashrate_upper_hs"] = None
    ev = Evidence(
        detector=detector.name, detector_version=detector.version, entity_kind="ip:port",
        entity=facts.conn.client, counterpart=facts.conn.server,
        first_seen=facts.first_ts, last_seen=facts.last_ts, score=score, confidence=conf,
        reasons=_reasons(facts, ident, checks, est, reason, reported),
        coin=ident.coin, algorithm=ident.algorithm, hashrate_hs=est.hashrate_hs,
        hashrate_low_hs=est.low_hs, hashrate_high_hs=est.high_hs, observables=obs,
        provenance={"file": facts.conn.source, "frames": [facts.first_frame, facts.last_frame],
                    "community_id": facts.conn.community_id},
        key_facts=(facts.conn.client, facts.conn.server, facts.first_frame))
    window = (start, facts.last_ts)
    return SessionResult(ev, facts.conn.client_ip, ident.algorithm, est, window,
                         reported[0] if reported else None, run, shares)


# --------------------------------------------------------------------------- shares

def _share_hashes(s: ShareRec, k: float | None) -> float | None:
    if s.job is None or s.job.diff is None:
        return None
    value, unit = s.job.diff
    if unit == "hashes":
        return value
    return value * k if k else None


def _verify(facts: Facts, flavour: str, limit: int, randomx: bool = False) -> list[Any]:
    """Check up to `limit` shares against their jobs with estimate.verify (lazy import: the
    verifier is optional; a missing or failing verifier leaves shares unverifiable)."""
    if flavour not in ("stratum1", "cryptonote") or limit <= 0:
        return []
    if flavour == "stratum1" and {a for a, _ in facts.algo_hints} & {"kawpow", "ethash"}:
        return []         # no verifier for these job shapes
    try:
        from ..estimate import verify
    except ImportError:
        return []
    out = []
    for s in facts.shares:
        if len(out) >= limit:
            break
        if s.job is None:
            continue
        s.check = _check_one(verify, facts, flavour, s, randomx)
        out.append(s.check)
    return out


def _check_one(verify: Any, facts: Facts, flavour: str, s: ShareRec,
               randomx: bool = False) -> Any:
    job = s.job
    try:
        if flavour == "cryptonote":
            return verify.check_cryptonote_share(job.params, s.params, randomx)
        if job.target_hex is not None and _is_equihash(facts):
            return verify.check_equihash_share(job.params, facts.extranonce1 or "", s.params,
                                               job.target_hex)
        diff = job.diff[0] if job.diff and job.diff[1] == "diff" else None
        return verify.check_stratum_v1_share(job.params, facts.extranonce1 or "", s.params,
                                             diff, facts.version_mask)
    except Exception as e:   # noqa: BLE001 — a verifier bug must not lose the session
        return _Unverifiable(f"verifier error: {type(e).__name__}: {e}"[:200])


def _is_equihash(facts: Facts) -> bool:
    return any(a == "equihash" for a, _ in facts.algo_hints)


@dataclass
class _Unverifiable:
    reason: str
    status: str = "unverifiable"
    algorithm: str | None = None
    hash_hex: str | None = None
    share_difficulty: float | None = None


# --------------------------------------------------------------------------- scoring

def _score(facts: Facts, checks: list[Any]) -> tuple[float, str]:
    """Verified or accepted shares = high; handshake + work + shares = high; both sides talking
    mining = medium-high; one side only (server pushes only, login only) = medium; Stratum V2
    handshake sizes alone = low."""
    if facts.signals == 0:
        return 0.35, "low"
    accepted = sum(1 for s in facts.shares if s.status == "accepted")
    valid = sum(1 for c in checks if c.status == "valid")
    client = facts.client_signals > 0
    server = facts.server_signals > 0 or facts.job_count > 0
    if valid:
        return 0.98, "high"
    if accepted:
        return 0.95, "high"
    if facts.shares and client and server:
        return 0.9, "high"
    if client and server:
        return 0.8, "medium"
    if facts.shares:          # one side only, but the miner is submitting work
        return 0.75, "medium"
    return 0.65, "medium"


# --------------------------------------------------------------------------- texts

def _reported(facts: Facts) -> tuple[float, int, str, float] | None:
    """(mean, count, via, last) of the miner's own hashrate claims."""
    if not facts.reported:
        return None
    vals = [v for _, v, _ in facts.reported]
    vias = sorted({via for _, _, via in facts.reported})
    return sum(vals) / len(vals), len(vals), "/".join(vias), vals[-1]


def _hashrate_reason(est: hr.HashrateEstimate, k: float | None, k_why: str,
                     facts: Facts) -> str:
    if est.hashrate_hs is not None:
        return est.reason
    if facts.signals == 0:
        return "Stratum V2 is encrypted (Noise): shares and difficulty are not visible"
    if _one_sided(facts):
        return ("no shares seen: only the pool's side of the connection is in the capture, "
                "so the miner's submissions are not visible")
    known_job = any(s.job is not None for s in facts.shares)
    unit_diff = any(s.job and s.job.diff and s.job.diff[1] == "diff" for s in facts.shares)
    if facts.shares and known_job and unit_diff and k is None:
        return f"{est.reason}: {k_why}"
    if facts.shares and not known_job:
        return (f"{est.reason}: every share refers to a job sent before the capture "
                "started, so the difficulty in force is unknown")
    return est.reason


def _one_sided(facts: Facts) -> bool:
    """No byte from the miner captured: its share count is unknown, not zero."""
    return facts.bytes_c2s == 0 and not facts.shares


def _unit(algorithm: str | None) -> str:
    return "Sol/s" if algorithm == "equihash" else "H/s"


def fmt_rate(h: float | None, unit: str = "H/s") -> str:
    if h is None or not math.isfinite(h):
        return "unknown"
    for scale, p in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if h >= scale:
            return f"{h / scale:.4g} {p}{unit}"
    return f"{h:.4g} {unit}"


def _frames(frames: list[int], n: int = 1) -> str:
    return ", ".join(str(f) for f in frames[:n])


def _reasons(facts: Facts, ident: Identity, checks: list[Any], est: hr.HashrateEstimate,
             hr_reason: str, reported: Any) -> list[str]:
    c, s = facts.conn.client, facts.conn.server
    out: list[str] = []
    if facts.signals == 0:
        return [f"Stratum V2 Noise handshake sizes: {c} opened with a 64-byte record and "
                f"{s} answered with 234 bytes (frames {facts.first_frame}–{facts.last_frame}); "
                "the content is encrypted, so this is a pattern match only",
                "Stratum V2 is specified for Bitcoin mining, hence sha256d is assumed "
                "(coin unknown)"]
    out.append(f"{FLAVOUR_NAMES[ident.flavour]} session between miner {c} and pool {s}")
    hs = [m for m in facts.client_methods if m in _HANDSHAKE]
    if hs:
        fr = ", ".join(str(facts.client_methods[m][0]) for m in hs[:4])
        out.append(f"client sent {_and(hs[:4])} to {s} (frame{'s' * (len(hs[:4]) > 1)} {fr})")
    out.extend(_server_lines(facts, s))
    if facts.swapped:
        out.append("endpoints swapped from content: the side first taken for the client sent "
                   "the pool's messages")
    out.extend(_share_lines(facts, ident, checks, est))
    unit = _unit(ident.algorithm)
    if est.hashrate_hs is not None:
        out.append(f"estimated hashrate {fmt_rate(est.hashrate_hs, unit)} (95 % interval "
                   f"{fmt_rate(est.low_hs, unit)}–{fmt_rate(est.high_hs, unit)}) from {hr_reason}")
    else:
        out.append(f"hashrate not estimated: {hr_reason}")
    if reported:
        out.append(f"miner reported {fmt_rate(reported[0], unit)} (mean of {reported[1]} "
                   f"{reported[2]} message(s), last {fmt_rate(reported[3], unit)})")
    out.extend(_identity_lines(facts, ident))
    return out


def _server_lines(facts: Facts, server: str) -> list[str]:
    items = [(m, fr) for m, fr in facts.server_methods.items() if m not in CLIENT_METHODS]
    items += list(facts.server_shapes.items())
    if not items:
        return []
    parts = [f"{m} ×{len(fr)}" for m, fr in items[:5]]
    firsts = ", ".join(str(fr[0]) for _, fr in items[:5])
    return [f"pool {server} sent {', '.join(parts)} (first at frame{'s' * (len(items) > 1)} "
            f"{firsts})"]


def _share_lines(facts: Facts, ident: Identity, checks: list[Any],
                 est: hr.HashrateEstimate) -> list[str]:
    if not facts.shares:
        return []
    st = Counter(s.status for s in facts.shares)
    diffs = {_diff_text(s, ident) for s in facts.shares if s.status == "accepted" and s.job}
    at = f" at {diffs.pop()}" if len(diffs) == 1 else ""
    span = f" over {est.duration_s:.0f} s" if est.duration_s else ""
    line = f"{len(facts.shares)} share(s) submitted; {st['accepted']} accepted{at}{span}"
    if st["rejected"]:
        line += f", {st['rejected']} rejected"
    if st["pending"]:
        line += f", {st['pending']} without a reply"
    first = facts.shares[0].frame
    out = [f"{line} (first share frame {first})"]
    if checks:
        v = Counter(c.status for c in checks)
        algos = {c.algorithm for c in checks if c.status == "valid" and c.algorithm}
        out.append(f"{v['valid']} of {len(checks)} checked share(s) verified as valid proof of "
                   f"work{' (' + ', '.join(sorted(algos)) + ')' if algos else ''}; "
                   f"{v['invalid']} invalid, {v['unverifiable']} unverifiable")
        for status in ("invalid", "unverifiable"):   # say why, once, in the verifier's words
            why = next((c.reason for c in checks if c.status == status and c.reason), None)
            if why:
                out.append(f"first {status} share: {why}")
    return out


def _diff_text(s: ShareRec, ident: Identity) -> str:
    value, unit = s.job.diff if s.job and s.job.diff else (None, None)
    if value is None:
        return "unknown difficulty"
    if unit == "diff":
        return f"difficulty {value:g}"
    if ident.flavour == "cryptonote":
        return f"difficulty {value:.0f}"
    what = "solutions" if ident.algorithm == "equihash" else "hashes"
    return f"{value:.4g} {what} per share"


def _identity_lines(facts: Facts, ident: Identity) -> list[str]:
    out = []
    if ident.wallet:
        valid = {True: "valid", False: "not a valid address", None: "unchecked"}[ident.wallet_valid]
        coin = f"{ident.wallet_coin} " if ident.wallet_coin else ""
        worker = f", worker {ident.worker}" if ident.worker else ""
        out.append(f"login {ident.wallet}{worker} ({coin}{ident.wallet_kind or 'wallet'}, "
                   f"{valid}) via {facts.logins[0][1]} at frame {facts.logins[0][2]}")
    if facts.agent:
        out.append(f"mining software {facts.agent} (from {facts.agent_source})")
    if ident.pool_host:
        out.append(f"pool host {ident.pool_host} (from {ident.pool_host_source})")
    if ident.algorithm:
        coin = f"{ident.coin} / " if ident.coin else ""
        out.append(f"{coin}{ident.algorithm} (algorithm from {ident.algorithm_basis}"
                   f"{'; coin from ' + ident.coin_basis if ident.coin_basis else ''})")
    if facts.errors:
        out.append(f"pool returned {len(facts.errors)} error(s), first: {facts.errors[0][1]} "
                   f"(frame {facts.errors[0][0]})")
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _observables(facts: Facts, ident: Identity, checks: list[Any], est: hr.HashrateEstimate,
                 hr_reason: str, reported: Any) -> dict[str, Any]:
    st = Counter(s.status for s in facts.shares)
    cv = Counter(c.status for c in checks)
    blind = _one_sided(facts)
    last_job = next(reversed(facts.jobs.values()), None)
    upper = None
    if est.hashrate_hs is None and not facts.shares and last_job and last_job.diff:
        k, _ = hr.k_factor(ident.flavour, ident.algorithm)
        v, unit = last_job.diff
        per = v if unit == "hashes" else v * k if k else None
        upper = hr.zero_share_upper(per, est.duration_s) if per else None
    return {
        "protocol": ident.flavour, "protocol_name": FLAVOUR_NAMES[ident.flavour],
        "transport": "http" if facts.http else "tcp",
        "wallet": ident.wallet, "wallet_valid": ident.wallet_valid,
        "wallet_kind": ident.wallet_kind, "worker": ident.worker, "login": ident.login,
        "agent": facts.agent, "pool_host": ident.pool_host,
        "pool_host_source": ident.pool_host_source,
        "shares_submitted": None if blind else len(facts.shares),
        "shares_accepted": None if blind else st["accepted"],
        "shares_rejected": None if blind else st["rejected"],
        "shares_pending": None if blind else st["pending"],
        "shares_verified": cv["valid"], "shares_invalid": cv["invalid"],
        "shares_checked": len(checks),
        "reported_hashrate_hs": reported[0] if reported else None,
        "reported_hashrate_n": reported[1] if reported else 0,
        "hashrate_reason": None if est.hashrate_hs is not None else hr_reason,
        "hashrate_basis": est.basis, "hashrate_unit": _unit(ident.algorithm),
        "hashrate_window_s": est.duration_s, "hashrate_upper_hs": upper,
        "algorithm_basis": ident.algorithm_basis, "coin_basis": ident.coin_basis,
        "jobs": facts.job_count, "client": facts.conn.client, "server": facts.conn.server,
        "swapped": facts.swapped, "extranonce1": facts.extranonce1,
        "errors": [e for _, e in facts.errors[:5]], "bad_lines": facts.bad_lines,
    }
