"""Stratum-family mining detector: one Evidence per mining session (ip:port) and one per
(client host, algorithm) with the summed hashrate and a power range.

Feed it StreamChunk / ConnSummary / NameObservation records in any mix (`feed*`), then call
`finish()`; or call `detect(records)` which does both on fresh state (pure, deterministic).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from ..estimate import hashrate as hr
from ..evidence import Evidence
from ..records import ConnSummary, NameObservation, StreamChunk
from . import register
from ._stratum_evidence import SessionResult, build_session, fmt_rate
from ._stratum_http import http_runs, link_work, merge_runs
from ._stratum_session import Session

SV2_SIZES = (64, 234)     # Noise NX handshake: client ElligatorSwift key, server reply


def _conn_key(conn: Any) -> tuple:
    """Direction-independent key, so chunks oriented either way land in one session."""
    a, b = (conn.client_ip, conn.client_port), (conn.server_ip, conn.server_port)
    return (conn.source, conn.transport, *sorted([a, b]))


@register
class StratumDetector:
    name = "stratum"
    version = "1"

    def __init__(self, verify_limit: int = 64, verify_randomx: bool = False):
        self.verify_limit = verify_limit     # shares per session checked by estimate.verify
        self.verify_randomx = verify_randomx  # RandomX costs 256 MiB + ~0.7 s per seed: opt-in
        self._reset()

    def _reset(self) -> None:
        self._sessions: dict[tuple, Session] = {}
        self._names: dict[str, list[NameObservation]] = defaultdict(list)

    # -- incremental API
    def feed(self, chunk: StreamChunk) -> None:
        self._session(chunk.conn).feed(chunk)

    def feed_summary(self, s: ConnSummary) -> None:
        self._session(s.conn).feed_summary(s)

    def feed_name(self, n: NameObservation) -> None:
        self._names[n.ip].append(n)

    def finish(self) -> list[Evidence]:
        results = []
        analysed = [sess.analyse() for sess in sorted(self._sessions.values(), key=_order)]
        link_work(analysed)             # HTTP miners fetch work and submit in other connections
        runs = http_runs(analysed)
        for facts in analysed:
            facts.sv2_sizes = _sv2(facts)
            res = build_session(facts, self._names.get(facts.conn.server_ip, []), self,
                                runs.get(id(facts)))
            if res is not None:
                results.append(res)
        self._reset()
        return [r.evidence for r in results] + _hosts(results, self)

    def detect(self, records: Iterable) -> list[Evidence]:
        run = StratumDetector(self.verify_limit, self.verify_randomx)
        for r in records:
            run.feed_record(r)
        return run.finish()

    def feed_record(self, r: Any) -> None:
        if isinstance(r, StreamChunk):
            self.feed(r)
        elif isinstance(r, ConnSummary):
            self.feed_summary(r)
        elif isinstance(r, NameObservation):
            self.feed_name(r)

    def _session(self, conn: Any) -> Session:
        key = _conn_key(conn)
        sess = self._sessions.get(key)
        if sess is None:
            sess = self._sessions[key] = Session(conn)
        return sess


def _order(sess: Session) -> tuple:
    first = sess.summary.first_frame if sess.summary else sess.span[2]
    return (first if first is not None else 0, sess.conn.client, sess.conn.server)


def _sv2(facts: Any) -> bool:
    """Noise handshake sizes; when the reader had the sides the wrong way round (no SYN seen:
    234 bytes from its "client" after 64 from its "server"), the session is turned around."""
    s = facts.summary
    if s is None or facts.signals:
        return False
    if s.first_payload_dir == 0 and tuple(s.first_payload_len) == SV2_SIZES:
        return True
    if s.first_payload_dir == 1 and tuple(s.first_payload_len) == SV2_SIZES[::-1]:
        facts.conn, facts.swapped = facts.conn.swapped(), True
        return True
    return False


# --------------------------------------------------------------------------- host rows

def _hosts(results: list[SessionResult], det: StratumDetector) -> list[Evidence]:
    groups: dict[tuple, list[SessionResult]] = defaultdict(list)
    for r in results:
        groups[(r.client_ip, r.algorithm or "")].append(r)
    return [_host_row(ip, algo or None, rows, det) for (ip, algo), rows in sorted(groups.items())]


def _host_row(ip: str, algo: str | None, rows: list[SessionResult], det: Any) -> Evidence:
    units = merge_runs(rows)
    est = hr.combine([(e, start, end) for e, start, end, _ in units])
    w_lo, w_hi, p_why = _power(algo, est)
    evs = [r.evidence for r in rows]
    servers = sorted({e.counterpart for e in evs if e.counterpart})
    coins = {e.coin for e in evs if e.coin}
    unit = "Sol/s" if algo == "equihash" else "H/s"
    rep = [r for *_, r in units if r]
    reasons = [f"{len(rows)} {algo or 'unresolved-algorithm'} mining session(s) from {ip} to "
               f"{', '.join(servers[:5])}{' …' if len(servers) > 5 else ''}"]
    pooled = sorted({(r.run.server, r.run.connections) for r in rows if r.run is not None})
    reasons += [f"{n} short HTTP connections to {srv} pooled as one session (work fetched in "
                "one connection is submitted in another)" for srv, n in pooled]
    if est.hashrate_hs is not None:
        reasons.append(f"host hashrate {fmt_rate(est.hashrate_hs, unit)} (95 % interval "
                       f"{fmt_rate(est.low_hs, unit)}–{fmt_rate(est.high_hs, unit)}): "
                       f"{est.reason}")
    else:
        reasons.append(f"host hashrate not estimated: {est.reason}")
    if p_why:
        reasons.append(f"power: {p_why}")
    first = min(e.first_seen for e in evs)
    return Evidence(
        detector=det.name, detector_version=det.version, entity_kind="ip", entity=ip,
        counterpart=", ".join(servers[:5]) or None,
        first_seen=first, last_seen=max(e.last_seen for e in evs),
        score=max(e.score for e in evs), confidence=_max_conf(e.confidence for e in evs),
        reasons=reasons, coin=coins.pop() if len(coins) == 1 else None, algorithm=algo,
        hashrate_hs=est.hashrate_hs, hashrate_low_hs=est.low_hs, hashrate_high_hs=est.high_hs,
        power_w_low=w_lo, power_w_high=w_hi,
        observables={"sessions": [e.evidence_id for e in evs], "servers": servers,
                     "pool_hosts": sorted({e.observables.get("pool_host") or "" for e in evs} - {""}),
                     "wallets": sorted({e.observables.get("wallet") or "" for e in evs} - {""}),
                     "shares_accepted": _known_sum(e.observables["shares_accepted"] for e in evs),
                     "shares_submitted": _known_sum(e.observables["shares_submitted"]
                                                    for e in evs),
                     "reported_hashrate_hs": sum(rep) if rep else None,
                     "hashrate_reason": None if est.hashrate_hs is not None else est.reason,
                     "hashrate_unit": unit, "power_reason": p_why},
        provenance={"files": sorted({e.provenance.get("file") or "" for e in evs}),
                    "sessions": [{"evidence_id": e.evidence_id, **e.provenance} for e in evs]},
        key_facts=(algo, tuple(sorted(e.evidence_id for e in evs))))


def _power(algo: str | None, est: hr.HashrateEstimate) -> tuple[float | None, float | None, str]:
    if algo is None or est.hashrate_hs is None:
        return None, None, ""
    try:
        from ..estimate.energy import power_range_w
    except ImportError:
        return None, None, "energy model not available"
    try:
        return power_range_w(algo, est.low_hs, est.high_hs)
    except Exception as e:   # noqa: BLE001 — a power-model failure must not drop the evidence
        return None, None, f"energy model error: {type(e).__name__}: {e}"[:200]


def _known_sum(values: Iterable[int | None]) -> int | None:
    """Sum of the counts that are known (None = that session's miner side was not captured)."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _max_conf(confs: Iterable[str]) -> str:
    order = ("low", "medium", "high")
    return max(confs, key=order.index)
