"""Mining over HTTP (getwork, getblocktemplate, eth_getWork): the shapes that differ from line
Stratum, and the state HTTP miners keep across TCP connections.

ethminer's getwork client opens one HTTP/1.0 connection per request, so the work (with its
boundary) arrives in one connection and the share quoting it goes out in a later one. Shares are
therefore linked to work fetched by the same client from the same server in any earlier
connection, and a run of such connections is estimated as one session (on the host row).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from ..estimate import hashrate as hr
from ..protocols.stratum import Message, is_hex, wallet_like
from ._stratum_session import Facts

RUN_GAP_S = 600.0     # a longer silence between two connections starts a new run


# --------------------------------------------------------------------------- message shapes

def template_key(t: dict) -> str:
    """BIP 22 template id: its workid when the pool sends one (submitblock echoes it)."""
    wid = t.get("workid")
    return f"workid:{wid}" if isinstance(wid, (str, int)) and wid != "" else \
        prev_key(str(t.get("previousblockhash", "")))


def prev_key(prev_display_hex: str) -> str:
    return "prev:" + prev_display_hex.strip().lower()


def template_hashes(t: dict) -> float | None:
    """Hashes per submitblock: BIP 23 share "target" (big-endian), else the block's own bits
    (solo mining: every submission is a block candidate)."""
    if is_hex(t.get("target"), 32):
        return hr.target_to_hashes(t["target"])
    if is_hex(t.get("bits"), 4):
        target = hr.compact_target(int(t["bits"], 16))
        return hr.TWO_256 / target if target > 0 else None
    return None


def submitblock_key(params: Any) -> list[str]:
    """Candidate job keys of a submitblock [block hex, {workid}]: workid, then the header's
    prev-hash (bytes 4–36, shown reversed)."""
    if not isinstance(params, list) or not params or not is_hex(params[0], min_bytes=80):
        return []
    keys = []
    if len(params) > 1 and isinstance(params[1], dict) and "workid" in params[1]:
        keys.append(f"workid:{params[1]['workid']}")
    prev = bytes.fromhex(params[0][8:72])[::-1].hex()
    return keys + [prev_key(prev)]


def bip22_status(msg: Message) -> str:
    """BIP 22: submitblock answers null when accepted, a reason string when not."""
    if msg.error not in (None, False, [], {}, ""):
        return "rejected"
    return "accepted" if msg.result is None else "rejected"


def path_login(target: str | None) -> str | None:
    """eth_getWork miners put the account in the URL path (/0xWALLET/worker)."""
    path = (target or "").split("?", 1)[0].strip("/")
    head = path.split("/", 1)[0]
    return path if head and wallet_like(head) else None


# --------------------------------------------------------------------------- across connections

def _endpoint(f: Facts) -> tuple[str, str]:
    return (f.conn.client_ip, f.conn.server)


def link_work(facts: Iterable[Facts]) -> None:
    """A share with no work in its own connection gets the latest work with that id that the
    same client fetched from the same server before the share."""
    facts = [f for f in facts if f.http]
    pool: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for f in facts:
        for jid, job in f.jobs.items():
            pool[_endpoint(f)][jid].append(job)
    for f in facts:
        jobs = pool.get(_endpoint(f), {})
        for s in f.shares:
            if s.job is None and s.job_id is not None:
                prior = [j for j in jobs.get(s.job_id, ()) if j.ts <= s.ts]
                if prior:
                    s.job = max(prior, key=lambda j: (j.ts, j.frame))


@dataclass(frozen=True)
class Run:
    """Several HTTP connections of one client to one server, close in time."""

    client_ip: str
    server: str
    index: int
    connections: int


def http_runs(facts: Iterable[Facts]) -> dict[int, Run]:
    """id(facts) → its Run, for HTTP connections that belong to a run of more than one."""
    by: dict[tuple, list[Facts]] = defaultdict(list)
    for f in facts:
        if f.http and f.signals and f.first_ts is not None and f.last_ts is not None:
            by[_endpoint(f)].append(f)
    out: dict[int, Run] = {}
    for (ip, server), fs in by.items():
        fs.sort(key=lambda f: (f.first_ts, f.first_frame or 0))
        index, end, member = 0, None, []
        for f in fs:
            if end is not None and f.first_ts - end > RUN_GAP_S:
                index += 1
            end = f.last_ts if end is None else max(end, f.last_ts)
            member.append((f, index))
        sizes = Counter(i for _, i in member)
        for f, i in member:
            if sizes[i] > 1:
                out[id(f)] = Run(ip, server, i, sizes[i])
    return out


def merge_runs(rows: list[Any]) -> list[tuple[hr.HashrateEstimate, float, float, float | None]]:
    """Host-row inputs (estimate, start, end, reported) per session, with the connections of a
    run pooled into one estimate over the run (their own windows are fractions of a second)."""
    out, runs = [], defaultdict(list)
    for r in rows:
        if r.run is None:
            out.append((r.estimate, *r.window, r.reported_hs))
        else:
            runs[r.run].append(r)
    for members in runs.values():
        start = min(r.window[0] for r in members)
        end = max(r.window[1] for r in members)
        shares = [s for r in members for s in r.shares]
        est = hr.estimate(shares, start, end)
        rep = [r.reported_hs for r in members if r.reported_hs]
        out.append((est, start, end, sum(rep) / len(rep) if rep else None))
    return out
