"""Flavour handlers: replay a session's messages (already oriented, in capture order) into Facts.

Client requests are queued by id; server replies are matched FIFO per id to learn extranonces,
authorisation, share verdicts and jobs. Server pushes (mining.notify, CryptoNote job, unsolicited
eth-proxy work packages) bind the difficulty in force to each job.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ..estimate.hashrate import (cryptonote_difficulty, getwork_target_to_hashes,
                                 target_to_hashes)
from ..protocols.stratum import (ES2_TAG, Message, MsgInfo, cn_algorithm, describe, hex_int,
                                 is_hex, share_status, subscribe_fields)
from ..records import CLIENT_TO_SERVER
from ._stratum_http import (bip22_status, path_login, prev_key, submitblock_key,
                            template_hashes, template_key)
from ._stratum_session import Event, Facts, Job, Pending, ShareRec

MINER_AGENT = re.compile(r"cgminer|bfgminer|bmminer|sgminer|cpuminer|minerd|ccminer|ethminer|"
                         r"xmrig|xmr-stak|claymore|phoenixminer|nheqminer|ewbf|gminer|lolminer|"
                         r"t-rex|nbminer|teamredminer|srbminer|bminer|nanominer", re.I)
_MINING_HEADERS = ("x-mining-extensions", "x-mining-hashrate", "x-long-polling", "x-roll-ntime",
                   "x-stratum", "x-reject-reason", "x-switch-to")
_JOB_REPLIES = {"work package": {"eth_getWork", "eth_submitLogin"},
                "job": {"login", "getjob"}, "getwork": {"getwork"},
                "template": {"getblocktemplate"}}


def replay(facts: Facts, events: list[Event]) -> None:
    pending = Pending()
    shares_by_req: dict[tuple, ShareRec] = {}
    for ev in events:
        if ev.msg is None:
            if ev.http is not None:
                _on_http(facts, ev)
            continue
        info = describe(ev.msg)
        _note(facts, ev, info)
        if ev.direction == CLIENT_TO_SERVER:
            _on_client(facts, pending, shares_by_req, ev, info)
        else:
            _on_server(facts, pending, shares_by_req, ev, info)


def _note(facts: Facts, ev: Event, info: MsgInfo) -> None:
    if info.signal:
        facts.signals += 1
        if ev.direction == CLIENT_TO_SERVER:
            facts.client_signals += 1
        else:
            facts.server_signals += 1
    if info.flavour and (info.signal or info.role):
        facts.votes[info.flavour] += 1
    if info.algorithm:
        facts.algo_hints.append((info.algorithm, f"{ev.msg.method or 'reply'} shape"))


def _evkey(ev: Event) -> tuple:
    return (ev.frame, ev.direction, ev.seq)


# --------------------------------------------------------------------------- HTTP metadata

def _on_http(facts: Facts, ev: Event) -> None:
    hm = ev.http
    mining_headers = {k.lower(): v for k, v in hm.headers if k.lower() in _MINING_HEADERS}
    if mining_headers:
        facts.http_headers.update(mining_headers)
        facts.signals += 1
    if not hm.is_request or ev.direction != CLIENT_TO_SERVER:
        return
    facts.session_start_seen = True
    if hm.host and not facts.http_host:
        facts.http_host = hm.host
    ua = hm.user_agent
    if ua and not facts.agent:
        facts.agent, facts.agent_source = ua, "HTTP User-Agent"
    if ua and MINER_AGENT.search(ua):
        facts.signals += 1
        facts.client_signals += 1
    user = hm.basic_auth_user()
    if user:
        facts.logins.append((user, "HTTP Basic auth", ev.frame))
    elif not facts.logins and path_login(hm.target):
        facts.logins.append((path_login(hm.target), "HTTP request path", ev.frame))


# --------------------------------------------------------------------------- client side

def _on_client(facts: Facts, pending: Pending, shares: dict, ev: Event, info: MsgInfo) -> None:
    msg = ev.msg
    if msg.method is None:
        return                      # client replying to a server request (client.get_version)
    if info.signal or info.role == "client":
        facts.note_client(msg.method, ev.frame)
    if msg.kind == "request":
        pending.push(msg, ev)
    handler = _CLIENT.get(msg.method)
    if handler is not None and (info.signal or msg.method in ("keepalived", "getjob")):
        handler(facts, ev, msg, shares)


def _c_subscribe(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    f = subscribe_fields(msg.params)
    facts.session_start_seen = True
    if f["agent"] and not facts.agent:
        facts.agent, facts.agent_source = f["agent"], "mining.subscribe"
    if f["host"]:
        facts.subscribe_host = f["host"]
    if f["tag"] != ES2_TAG:
        facts.tracker.set_default(1.0, "diff")     # Stratum v1: difficulty 1 until told


def _c_hello(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    """EthereumStratum/2.0.0 as ethminer speaks it: the client opens with mining.hello
    {agent, host, port, proto}; the later mining.subscribe has no params."""
    p = msg.params
    if not isinstance(p, dict) or "agent" not in p and "host" not in p:
        return                      # the draft's server-sent hello
    facts.session_start_seen = True
    if isinstance(p.get("agent"), str) and p["agent"] and not facts.agent:
        facts.agent, facts.agent_source = p["agent"], "mining.hello"
    if isinstance(p.get("host"), str) and p["host"]:
        facts.subscribe_host = p["host"]


def _c_authorize(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    p = msg.params
    if isinstance(p, list) and p and isinstance(p[0], str):
        facts.logins.append((p[0], msg.method, ev.frame))


def _c_submit(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    p = msg.params
    if not isinstance(p, list) or len(p) < 2:
        return
    a, b = str(p[0]), str(p[1])
    known = facts.tracker.known
    if known(b):
        jid = b
    elif known(a):
        jid = a
    else:   # EthereumStratum/2.0.0 puts the job first, everyone else second
        jid = a if facts.votes.get("ethstratum2") else b
    _add_share(facts, ev, msg, jid, shares)


def _c_hashrate(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    _relayed_worker(facts, msg)
    p = msg.params
    if isinstance(p, list) and p:
        v = hex_int(p[0]) if isinstance(p[0], str) else None
        if v is not None and v > 0:
            facts.reported.append((ev.ts, float(v), msg.method))


def _c_eth_login(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    facts.session_start_seen = True
    _c_authorize(facts, ev, msg, shares)
    w = msg.extra.get("worker")
    if isinstance(w, str) and w:
        facts.worker_field = w


def _relayed_worker(facts: Facts, msg: Message) -> None:
    """The "worker" member of eth_submitWork/eth_submitHashrate names the rig the share is
    credited to; an eth-proxy logs in under its own name ("Proxy_0.0.5") and relays each rig's
    name (its HTTP path) here."""
    w = msg.extra.get("worker")
    if isinstance(w, str) and w.strip():
        facts.share_workers[w.strip()] += 1


def _c_eth_submit(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    _relayed_worker(facts, msg)
    p = msg.params
    if isinstance(p, list) and len(p) >= 2 and isinstance(p[1], str):
        _add_share(facts, ev, msg, _norm(p[1]), shares)


def _c_cn_login(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    p = msg.params
    facts.session_start_seen = True
    facts.logins.append((p["login"], "login", ev.frame))
    if isinstance(p.get("agent"), str) and p["agent"] and not facts.agent:
        facts.agent, facts.agent_source = p["agent"], "login agent"
    if isinstance(p.get("rigid"), str) and p["rigid"]:
        facts.worker_field = p["rigid"]
    if isinstance(p.get("pass"), str):
        facts.password = p["pass"]
    _cn_claim(facts, ev, p, "login")


def _c_cn_submit(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    _add_share(facts, ev, msg, str(msg.params.get("job_id")), shares)
    _cn_claim(facts, ev, msg.params, "submit")


def _c_cn_keepalive(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    if isinstance(msg.params, dict):
        _cn_claim(facts, ev, msg.params, msg.method)


def _cn_claim(facts: Facts, ev: Event, p: dict, via: str) -> None:
    """Some CryptoNote proxies and pools take a numeric "hashrate" member from the miner."""
    v = p.get("hashrate")
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
        facts.reported.append((ev.ts, float(v), via))


def _c_getwork(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    p = msg.params
    if isinstance(p, list) and p and is_hex(p[0], min_bytes=76):    # getwork [data] = a share
        _add_share(facts, ev, msg, _getwork_key(p[0]), shares)


def _c_submitblock(facts: Facts, ev: Event, msg: Message, shares: dict) -> None:
    keys = submitblock_key(msg.params)
    jid = next((k for k in keys if k in facts.jobs), keys[-1] if keys else None)
    _add_share(facts, ev, msg, jid, shares)


def _add_share(facts: Facts, ev: Event, msg: Message, jid: str | None, shares: dict) -> None:
    job = facts.jobs.get(jid) if jid is not None else None
    rec = ShareRec(ev.ts, ev.frame, msg.method, jid, msg.params, job)
    facts.shares.append(rec)
    shares[_evkey(ev)] = rec


_CLIENT: dict[str, Callable] = {
    "mining.subscribe": _c_subscribe, "mining.authorize": _c_authorize,
    "mining.hello": _c_hello, "mining.submit": _c_submit, "mining.hashrate": _c_hashrate,
    "eth_submitLogin": _c_eth_login, "eth_submitWork": _c_eth_submit,
    "eth_submitHashrate": _c_hashrate, "login": _c_cn_login, "submit": _c_cn_submit,
    "keepalived": _c_cn_keepalive, "getwork": _c_getwork, "submitblock": _c_submitblock,
}


# --------------------------------------------------------------------------- server side

def _on_server(facts: Facts, pending: Pending, shares: dict, ev: Event, info: MsgInfo) -> None:
    msg = ev.msg
    if msg.method is not None:
        if info.signal or info.role == "server":
            facts.note_server(msg.method, ev.frame)
        handler = _SERVER.get(msg.method)
        if handler is not None and info.signal:
            handler(facts, ev, msg)
        return
    if msg.error not in (None, False, [], {}, ""):
        facts.errors.append((ev.frame, _err_text(msg.error)))
    item = pending.pop(msg.id)
    shape = _job_shape(msg.result) if info.job else None
    if shape and (item is None or item[0].method not in _JOB_REPLIES[shape]):
        if item is not None:          # an unsolicited push that happens to reuse an id
            pending.unpop(msg.id, item)
        _bind_shape(facts, ev, shape, msg.result)
        return
    if item is None:
        if info.signal:
            _r_subscribe(facts, ev, msg, None, shares)
        return
    handler = _REPLY.get(item[0].method)
    if handler is not None:
        handler(facts, ev, msg, item, shares)


def _s_set_difficulty(facts: Facts, ev: Event, msg: Message) -> None:
    p = msg.params
    if isinstance(p, list) and p and isinstance(p[0], (int, float)) and not isinstance(p[0], bool):
        facts.tracker.set_next(float(p[0]), "diff")


def _s_set_target(facts: Facts, ev: Event, msg: Message) -> None:
    p = msg.params
    if isinstance(p, list) and p and is_hex(p[0], min_bytes=1):
        facts.target_hex = p[0]
        facts.tracker.set_next(target_to_hashes(p[0]), "hashes")


def _s_notify(facts: Facts, ev: Event, msg: Message) -> None:
    p = msg.params
    if not isinstance(p, list) or not p or not isinstance(p[0], (str, int)):
        return
    jid = str(p[0])
    diff = facts.tracker.bind(jid)
    _new_job(facts, Job(jid, ev.ts, ev.frame, p, diff, facts.target_hex))


def _s_set_extranonce(facts: Facts, ev: Event, msg: Message) -> None:
    p = msg.params
    if isinstance(p, list) and p and is_hex(p[0], min_bytes=0):
        facts.extranonce1 = p[0]


def _s_es2_set(facts: Facts, ev: Event, msg: Message) -> None:
    p = msg.params
    if not isinstance(p, dict):
        return
    if is_hex(p.get("target"), min_bytes=1):
        facts.target_hex = p["target"]
        facts.tracker.set_next(target_to_hashes(p["target"]), "hashes")
    if is_hex(p.get("extranonce"), min_bytes=0):
        facts.extranonce1 = p["extranonce"]
    algo = p.get("algo")
    if isinstance(algo, str) and algo.lower() in ("ethash", "etchash"):
        facts.algo_hints.append((algo.lower(), "mining.set algo"))


def _s_cn_job(facts: Facts, ev: Event, msg: Message) -> None:
    _bind_cn_job(facts, ev, msg.params)


_SERVER: dict[str, Callable] = {
    "mining.set_difficulty": _s_set_difficulty, "mining.set_target": _s_set_target,
    "mining.notify": _s_notify, "mining.set_extranonce": _s_set_extranonce,
    "mining.set": _s_es2_set, "job": _s_cn_job,
}


# --------------------------------------------------------------------------- replies

def _r_subscribe(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    r = msg.result
    if isinstance(r, list) and len(r) >= 2 and is_hex(r[1], min_bytes=0):
        facts.extranonce1 = r[1]        # Stratum v1 extranonce1 / ZIP 301 NONCE_1 / ES1 nonce


def _r_authorize(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    ok = share_status(msg) == "accepted" or (isinstance(msg.result, str) and bool(msg.result))
    facts.auth.append(ok)


def _r_configure(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    r = msg.result
    if isinstance(r, dict) and is_hex(r.get("version-rolling.mask"), min_bytes=1):
        facts.version_mask = r["version-rolling.mask"]


def _r_share(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    rec = shares.get(_evkey(item[1]))
    if rec is not None:
        rec.status, rec.reply_frame = share_status(msg), ev.frame


def _r_submitblock(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    rec = shares.get(_evkey(item[1]))
    if rec is not None:
        rec.status, rec.reply_frame = bip22_status(msg), ev.frame


def _r_cn_login(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    r = msg.result
    facts.auth.append(share_status(msg) == "accepted" or isinstance(r, dict) and "job" in r)
    if isinstance(r, dict) and isinstance(r.get("job"), dict):
        facts.server_shapes.setdefault("login reply with job", []).append(ev.frame)
        _bind_cn_job(facts, ev, r["job"])


def _r_job_request(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    shape = _job_shape(msg.result)
    if shape:
        _bind_shape(facts, ev, shape, msg.result)


def _r_eth_login(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    facts.auth.append(msg.result is True)


def _r_getwork(facts: Facts, ev: Event, msg: Message, item: Any, shares: dict) -> None:
    if isinstance(item[0].params, list) and item[0].params:
        _r_share(facts, ev, msg, item, shares)
    else:
        _r_job_request(facts, ev, msg, item, shares)


_REPLY: dict[str, Callable] = {
    "mining.subscribe": _r_subscribe, "mining.authorize": _r_authorize,
    "mining.configure": _r_configure, "mining.submit": _r_share,
    "eth_submitWork": _r_share, "submit": _r_share, "submitblock": _r_submitblock,
    "login": _r_cn_login, "getjob": _r_job_request, "eth_getWork": _r_job_request,
    "eth_submitLogin": _r_eth_login, "getwork": _r_getwork,
    "getblocktemplate": _r_job_request,
}


# --------------------------------------------------------------------------- jobs

def _job_shape(result: Any) -> str | None:
    info = describe(Message("response", result=result, has_result=True))
    if not info.job:
        return None
    if info.flavour == "ethproxy":
        return "work package"
    if info.flavour == "cryptonote":
        return "job"
    return "template" if isinstance(result, dict) and "coinbasevalue" in result else "getwork"


def _bind_shape(facts: Facts, ev: Event, shape: str, result: Any) -> None:
    facts.server_shapes.setdefault(shape, []).append(ev.frame)
    if shape == "work package":
        _bind_work(facts, ev, result)
    elif shape == "job":      # login reply {"job": …}, getjob reply = the job itself
        _bind_cn_job(facts, ev, result["job"] if isinstance(result.get("job"), dict) else result)
    elif shape == "template":
        _bind_template(facts, ev, result)
    elif shape == "getwork":
        key = _getwork_key(result["data"])
        if key not in facts.jobs:
            hashes = getwork_target_to_hashes(result["target"])
            facts.tracker.bind_value(key, hashes, "hashes")
            _new_job(facts, Job(key, ev.ts, ev.frame, result, facts.tracker.for_job(key)))


def _bind_template(facts: Facts, ev: Event, t: dict) -> None:
    key = template_key(t)
    if key in facts.jobs:
        return
    facts.tracker.bind_value(key, template_hashes(t), "hashes")
    job = Job(key, ev.ts, ev.frame, t, facts.tracker.for_job(key))
    _new_job(facts, job)
    facts.jobs[prev_key(str(t.get("previousblockhash", "")))] = job   # submit without workid


def _bind_cn_job(facts: Facts, ev: Event, job: Any) -> None:
    if not isinstance(job, dict) or "job_id" not in job:
        return
    jid = str(job["job_id"])
    facts.tracker.bind_value(jid, cryptonote_difficulty(str(job.get("target", ""))), "hashes")
    algo = cn_algorithm(job.get("algo"), job.get("blob"))
    if algo:
        major = int(str(job["blob"])[:2], 16) if not job.get("algo") else 0
        src = (f'job algo "{job["algo"]}"' if job.get("algo") else
               f"blob major version {major} (Monero uses RandomX from v12, CryptoNight before)")
        facts.algo_hints.append((algo, src))
    _new_job(facts, Job(jid, ev.ts, ev.frame, job, facts.tracker.for_job(jid)))


def _bind_work(facts: Facts, ev: Event, result: list) -> None:
    """eth-proxy work package [header, seed, boundary]: the header hash is the job id (it is
    what eth_submitWork quotes); pools re-push the same package, which is not a new job."""
    header = _norm(result[0])
    if header in facts.jobs:
        return
    facts.tracker.bind_value(header, target_to_hashes(result[2]), "hashes")
    _new_job(facts, Job(header, ev.ts, ev.frame, result, facts.tracker.for_job(header)))


def _new_job(facts: Facts, job: Job) -> None:
    facts.jobs[job.job_id] = job
    facts.job_count += 1
    if facts.first_job is None:
        facts.first_job = (job.ts, job.frame)


def _norm(h: str) -> str:
    h = h.strip().lower()
    return h[2:] if h.startswith("0x") else h


def _getwork_key(data: str) -> str:
    """getwork data: the header's prev-hash + merkle root (bytes 4–68) identify the work even
    when the miner rolls ntime or the nonce."""
    return _norm(data)[8:136]


def _err_text(err: Any) -> str:
    if isinstance(err, list) and len(err) >= 2:
        return f"{err[0]} {err[1]}"
    if isinstance(err, dict):
        return f"{err.get('code', '')} {err.get('message', '')}".strip()
    return str(err)[:80]
