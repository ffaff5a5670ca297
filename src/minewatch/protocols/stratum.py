"""Stratum-family mining protocols: parse, split and classify JSON-RPC messages. Pure: no I/O.

Flavours (ids used everywhere, `FLAVOUR_NAMES` gives the display names):

- ``stratum1``     Stratum v1 (slush/cgminer; SHA-256, Scrypt, Equihash per ZIP 301, KawPow …)
- ``ethstratum1``  NiceHash EthereumStratum/1.0.0 (`mining.subscribe` with "EthereumStratum/1.0.0")
- ``ethstratum2``  EthereumStratum/2.0.0 (`mining.hello`, `mining.set`, short `mining.notify`)
- ``ethproxy``     eth-proxy (`eth_submitLogin`, `eth_getWork`, `eth_submitWork`, `eth_submitHashrate`)
- ``cryptonote``   CryptoNote / XMRig (`login`, `job`, `submit`, `keepalived`, `getjob`)
- ``getwork``      getwork / getblocktemplate / eth_getWork carried over HTTP
- ``stratum2``     Stratum V2 (Noise-encrypted; recognised by handshake sizes only)

Plain JSON-RPC is not mining: `describe` only calls a message mining when its method *and* shape
are mining-specific (e.g. a CryptoNote `login` needs a `login` member, a `job` needs a blob).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ProtocolError

MAX_LINE = 1 << 20   # longest line kept; Stratum lines are < 4 KiB (ZEC submits ~2.9 KiB)

FLAVOUR_NAMES = {
    "stratum1": "Stratum v1",
    "ethstratum1": "EthereumStratum/1.0.0 (NiceHash)",
    "ethstratum2": "EthereumStratum/2.0.0",
    "ethproxy": "eth-proxy",
    "cryptonote": "CryptoNote stratum (XMRig)",
    "getwork": "getwork/getblocktemplate over HTTP",
    "stratum2": "Stratum V2 (Noise)",
}

ES1_TAG = "EthereumStratum/1.0.0"
ES2_TAG = "EthereumStratum/2.0.0"

# Who sends which method. Methods from the "wrong" side reveal swapped endpoints.
CLIENT_METHODS = frozenset({
    "mining.subscribe", "mining.authorize", "mining.configure", "mining.submit",
    "mining.extranonce.subscribe", "mining.suggest_difficulty", "mining.suggest_target",
    "mining.get_transactions", "mining.multi_version", "mining.noop",
    "eth_submitLogin", "eth_getWork", "eth_submitWork", "eth_submitHashrate",
    "login", "submit", "keepalived", "getjob", "getwork", "getblocktemplate", "submitblock",
})
SERVER_METHODS = frozenset({
    "mining.notify", "mining.set_difficulty", "mining.set_target", "mining.set_extranonce",
    "mining.hello", "mining.set", "mining.reconnect", "client.reconnect",
    "client.show_message", "client.get_version", "job",
})
# Methods whose name alone is specific to mining (no generic JSON-RPC service uses them).
_MINING_METHODS = frozenset({
    "mining.subscribe", "mining.authorize", "mining.configure", "mining.submit",
    "mining.extranonce.subscribe", "mining.suggest_difficulty", "mining.suggest_target",
    "mining.notify", "mining.set_difficulty", "mining.set_target", "mining.set_extranonce",
    "mining.hello", "mining.set", "mining.hashrate", "mining.get_transactions",
    "eth_submitLogin", "eth_getWork", "eth_submitWork", "eth_submitHashrate",
    "getwork", "getblocktemplate", "submitblock",
})

_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]*\Z")
_HOST = re.compile(r"(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                   r"[A-Za-z][A-Za-z0-9-]{0,62}\Z")


@dataclass(frozen=True, slots=True)
class Message:
    """One JSON-RPC message. `kind` is "request" (method + id), "notification" (method, id null
    or absent) or "response" (no method). `extra` keeps other members (e.g. eth-proxy "worker")."""

    kind: str
    method: str | None = None
    id: Any = None
    params: Any = None
    result: Any = None
    error: Any = None
    has_result: bool = False
    has_error: bool = False
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MsgInfo:
    """What one message says about the session: flavour hint, which side sends it, whether it
    is mining-specific (`signal`), whether it is server-side work (`job`), and an algorithm hint."""

    flavour: str | None = None
    role: str | None = None          # "client" | "server" | None (either side)
    signal: bool = False
    job: bool = False
    algorithm: str | None = None


# --------------------------------------------------------------------------- parsing

def parse_line(line: bytes | str) -> Message | None:
    """One newline-delimited JSON-RPC line → Message; None for a blank line.
    Raises only ProtocolError (bad UTF-8, bad JSON, not a JSON-RPC object)."""
    if isinstance(line, (bytes, bytearray, memoryview)):
        if len(line) > MAX_LINE:
            raise ProtocolError(f"line of {len(line)} bytes exceeds {MAX_LINE}")
        try:
            text = bytes(line).decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProtocolError(f"not UTF-8 at byte {e.start}") from None
    elif isinstance(line, str):
        text = line
    else:
        raise ProtocolError(f"cannot parse {type(line).__name__}")
    text = text.strip()
    if not text:
        return None
    if text[0] != "{":
        raise ProtocolError("not a JSON object")
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as e:   # JSONDecodeError is a ValueError
        raise ProtocolError(f"bad JSON: {str(e)[:80]}") from None
    return message_from_obj(obj)


def message_from_obj(obj: Any) -> Message:
    """A decoded JSON value → Message (also used for JSON bodies carried over HTTP)."""
    if not isinstance(obj, dict):
        raise ProtocolError("JSON-RPC message must be an object")
    method = obj.get("method")
    if method is not None and not isinstance(method, str):
        raise ProtocolError("method must be a string")
    has_result, has_error = "result" in obj, "error" in obj
    if method is not None:
        kind = "notification" if obj.get("id") is None else "request"
    elif has_result or has_error or "id" in obj:
        kind = "response"    # EthereumStratum/2.0.0 acks are {"id": n, "jsonrpc": "2.0"}
    else:
        raise ProtocolError("neither method nor result/error/id: not JSON-RPC")
    extra = {k: v for k, v in obj.items()
             if k not in ("method", "id", "params", "result", "error")}
    return Message(kind, method, obj.get("id"), obj.get("params"), obj.get("result"),
                   obj.get("error"), has_result, has_error, extra)


def parse_body(body: bytes) -> list[Message]:
    """A JSON body (HTTP) → messages; a JSON-RPC batch gives several. Raises ProtocolError."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ProtocolError(f"bad JSON body: {str(e)[:80]}") from None
    items = obj if isinstance(obj, list) else [obj]
    return [message_from_obj(o) for o in items]


class LineSplitter:
    """Incremental newline splitter for one direction of a stream.

    Lines may span chunks. After a gap (`gap_before`) the bytes up to the next newline are the
    tail of a message we never saw, so they are dropped — unless the chunk starts with "{",
    where the gap almost surely ended on a message boundary (a tail of a JSON object cannot
    itself be valid JSON, so a wrong guess only costs one ProtocolError)."""

    def __init__(self, max_line: int = MAX_LINE):
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False
        self.dropped_bytes = 0

    def feed(self, data: bytes, gap_before: bool = False) -> list[bytes]:
        if gap_before:
            self.dropped_bytes += len(self._buf)
            self._buf.clear()
            self._skipping = not data.lstrip(b" \t\r\n").startswith(b"{")
        lines: list[bytes] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            piece = data[start:nl]
            if self._skipping:
                self.dropped_bytes += len(piece) + len(self._buf)
                self._skipping = False
                self._buf.clear()
            else:
                self._buf += piece
                if len(self._buf) <= self.max_line:
                    lines.append(bytes(self._buf))
                else:
                    self.dropped_bytes += len(self._buf)
                self._buf.clear()
            start = nl + 1
        rest = data[start:]
        if self._skipping:
            self.dropped_bytes += len(rest)
        else:
            self._buf += rest
            if len(self._buf) > self.max_line:   # runaway line: resync at the next newline
                self.dropped_bytes += len(self._buf)
                self._buf.clear()
                self._skipping = True
        return lines

    def flush(self) -> bytes:
        """The unterminated remainder (a last line without "\\n"); clears it."""
        rest = b"" if self._skipping else bytes(self._buf)
        self._buf.clear()
        return rest

    @property
    def pending(self) -> int:
        return len(self._buf)


# --------------------------------------------------------------------------- shape helpers

def is_hex(s: Any, nbytes: int | None = None, min_bytes: int = 1) -> bool:
    """Hex string (optional 0x); with `nbytes` exactly that many bytes."""
    if not isinstance(s, str) or not _HEX.match(s):
        return False
    h = s[2:] if s[:2] in ("0x", "0X") else s
    if nbytes is not None:
        return len(h) == 2 * nbytes
    return len(h) >= 2 * min_bytes


def hex_int(s: Any) -> int | None:
    """Big-endian hex string → int, or None."""
    if not is_hex(s, min_bytes=0) or s in ("", "0x", "0X"):
        return None
    try:
        return int(s, 16)
    except ValueError:
        return None


def looks_like_host(s: Any) -> bool:
    return isinstance(s, str) and bool(_HOST.match(s))


def subscribe_fields(params: Any) -> dict[str, Any]:
    """Agent, host and protocol tag from a mining.subscribe. Param order differs between
    implementations (cgminer: [agent, session]; ZIP 301: [host, port, agent, session];
    EWBF: [agent, null, host, port]; NiceHash ES1: [agent, "EthereumStratum/1.0.0"];
    ES2: {"agent", "host", "port"}), so fields are recognised by shape, not position."""
    out: dict[str, Any] = {"agent": None, "host": None, "port": None, "tag": None}
    if isinstance(params, dict):
        out.update(agent=_str(params.get("agent")), host=_str(params.get("host")),
                   port=params.get("port"), tag=ES2_TAG)
        return out
    if not isinstance(params, list):
        return out
    for i, p in enumerate(params):
        if not isinstance(p, str) or not p:
            continue
        if p.startswith("EthereumStratum/"):
            out["tag"] = p
        elif looks_like_host(p) and out["host"] is None:
            out["host"] = p
            nxt = params[i + 1] if i + 1 < len(params) else None
            if isinstance(nxt, (int, str)) and str(nxt).isdigit():
                out["port"] = int(nxt)
        elif out["agent"] is None and not is_hex(p) and not str(p).isdigit():
            out["agent"] = p
    return out


def wallet_like(login: str) -> bool:
    """A login whose account part is a long base58/bech32/hex string (a coin address), not a
    user name: tells a CryptoNote `login` from an application's `{"login": "bob"}`."""
    head = re.split(r"[./+:]", login.strip(), maxsplit=1)[0]
    return len(head) >= 26 and head.isalnum() and head.isascii()


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _is_work_package(result: Any) -> bool:
    """eth_getWork result: [headerhash, seedhash, boundary(, height)], 32-byte hex each."""
    return (isinstance(result, list) and 3 <= len(result) <= 4
            and all(is_hex(x, 32) for x in result[:3]))


def _is_cn_job(job: Any) -> bool:
    return isinstance(job, dict) and is_hex(job.get("blob"), min_bytes=40) \
        and isinstance(job.get("job_id"), (str, int))


def _is_getwork_result(result: Any) -> bool:
    return isinstance(result, dict) and is_hex(result.get("data"), min_bytes=80) \
        and is_hex(result.get("target"), 32)


def _is_template(result: Any) -> bool:
    return isinstance(result, dict) and "coinbasevalue" in result and "previousblockhash" in result


def _is_subscribe_result(result: Any) -> bool:
    """Stratum v1 subscribe reply: [[["mining.notify", id], …] or ["mining.notify", id, tag],
    extranonce1, extranonce2_size]."""
    if not (isinstance(result, list) and len(result) >= 2 and isinstance(result[0], list)):
        return False
    subs = result[0]
    flat = [s for s in subs if isinstance(s, str)] + \
        [x for s in subs if isinstance(s, list) for x in s if isinstance(x, str)]
    return any(x.startswith("mining.") for x in flat) and is_hex(result[1], min_bytes=0)


# --------------------------------------------------------------------------- classification

def notify_algorithm(params: Any) -> str | None:
    """Algorithm from a mining.notify shape: 8 params with version "04000000" and a 32-byte
    reserved field = Equihash (ZIP 301); 7 params with header+seed+target = KawPow."""
    if not isinstance(params, list):
        return None
    if len(params) == 8 and is_hex(params[1], 4) and is_hex(params[2], 32) \
            and is_hex(params[3], 32) and is_hex(params[4], 32):
        return "equihash"
    if len(params) >= 6 and is_hex(params[1], 32) and is_hex(params[2], 32) \
            and is_hex(params[3], 32) and isinstance(params[4], bool):
        return "kawpow"
    return None


def notify_nbits(params: Any) -> int | None:
    """nbits of a Stratum v1 (SHA-256d/Scrypt shape) mining.notify: [job, prevhash, coinb1, coinb2,
    branches, version, nbits, ntime, clean]. Equihash/KawPow shapes give None."""
    if isinstance(params, list) and len(params) == 9 and isinstance(params[4], list) \
            and is_hex(params[6], 4):
        return int(params[6], 16)
    return None


def notify_flavour(params: Any) -> str:
    """ES1 (NiceHash): [job, seedhash, headerhash, clean]; ES2 short form: [job, headerhash,
    clean]; anything else is Stratum v1."""
    if isinstance(params, list):
        if len(params) == 4 and is_hex(params[1], 32) and is_hex(params[2], 32) \
                and isinstance(params[3], bool):
            return "ethstratum1"
        if len(params) == 3 and is_hex(params[1], 32) and isinstance(params[2], bool):
            return "ethstratum2"
    return "stratum1"


def submit_algorithm(params: Any) -> str | None:
    """Equihash submits carry the solution with its compactSize length prefix (ZIP 301:
    1344 bytes = "fd4005" for 200,9; 100 bytes = "64" for 144,5 …): the prefix must match."""
    if not (isinstance(params, list) and len(params) == 5 and is_hex(params[4], min_bytes=20)):
        return None
    sol = params[4]
    if len(sol) % 2:
        return None
    n = len(sol) // 2
    first = int(sol[:2], 16)
    if first < 0xfd:
        declared, head = first, 1
    elif first == 0xfd and n >= 3:
        declared, head = int.from_bytes(bytes.fromhex(sol[2:6]), "little"), 3
    else:
        return None
    return "equihash" if declared == n - head else None


def cn_algorithm(algo: Any, blob: Any = None) -> str | None:
    """CryptoNote family algorithm from the job's `algo` (XMRig names) or, for Monero without
    it, from the blob's major version (v12+ is RandomX, older forks are CryptoNight)."""
    if isinstance(algo, str) and algo:
        a = algo.lower()
        if a.startswith(("rx/", "randomx")):
            return "randomx"
        if a.startswith(("cn", "cryptonight")):
            return "cryptonight"
        if a.startswith("kawpow"):
            return "kawpow"
        return "unknown"
    if is_hex(blob, min_bytes=1):
        return "randomx" if int(blob[:2], 16) >= 12 else "cryptonight"
    return None


def describe(msg: Message) -> MsgInfo:
    """Classify one message without session context."""
    m, p = msg.method, msg.params
    if m is None:
        return _describe_response(msg.result)
    if m in ("login", "submit", "job", "keepalived", "getjob"):
        return _describe_cryptonote(m, p)
    role = "client" if m in CLIENT_METHODS else "server" if m in SERVER_METHODS else None
    if m == "mining.hashrate":    # ES2: request from client (list), notification from server
        role = "client" if isinstance(p, list) else "server"
    if m == "mining.hello":       # ES2 README/ethminer: client request with agent; draft: server
        role = "client" if msg.kind == "request" or isinstance(p, dict) and "agent" in p \
            else "server"
    if m not in _MINING_METHODS:
        return MsgInfo(role=role)
    if m.startswith("eth_"):
        return MsgInfo("ethproxy", role, True, job=False, algorithm="ethash")
    if m in ("getwork", "getblocktemplate", "submitblock"):
        return MsgInfo("getwork", role, True)
    return _describe_stratum(m, p, role)


def _describe_stratum(m: str, p: Any, role: str | None) -> MsgInfo:
    if m == "mining.subscribe":
        tag = subscribe_fields(p)["tag"]
        fl = "ethstratum2" if tag == ES2_TAG else "ethstratum1" if tag == ES1_TAG else "stratum1"
        return MsgInfo(fl, role, True, algorithm="ethash" if fl != "stratum1" else None)
    if m in ("mining.hello", "mining.set", "mining.hashrate"):
        return MsgInfo("ethstratum2", role, True)
    if m == "mining.notify":
        fl = notify_flavour(p)
        algo = notify_algorithm(p) or ("ethash" if fl != "stratum1" else None)
        return MsgInfo(fl, role, True, job=True, algorithm=algo)
    if m == "mining.submit":
        return MsgInfo("stratum1", role, True, algorithm=submit_algorithm(p))
    return MsgInfo("stratum1", role, True)


def _describe_cryptonote(m: str, p: Any) -> MsgInfo:
    """CryptoNote methods have generic names, so the shape decides."""
    if m == "login":
        ok = isinstance(p, dict) and isinstance(p.get("login"), str) and (
            any(k in p for k in ("agent", "algo", "rigid")) or wallet_like(p["login"]))
        return MsgInfo("cryptonote", "client", ok)
    if m == "submit":
        ok = isinstance(p, dict) and "job_id" in p and is_hex(p.get("nonce"), min_bytes=1)
        return MsgInfo("cryptonote", "client", ok)
    if m == "job":
        ok = _is_cn_job(p)
        return MsgInfo("cryptonote", "server", ok, job=ok,
                       algorithm=cn_algorithm(p.get("algo"), p.get("blob")) if ok else None)
    # keepalived / getjob: XMRig-specific but only supporting evidence
    return MsgInfo("cryptonote" if isinstance(p, dict) else None, "client", False)


def _describe_response(result: Any) -> MsgInfo:
    if _is_subscribe_result(result):
        tags = [x for x in result[0] if isinstance(x, str)]
        fl = "ethstratum1" if ES1_TAG in tags else "stratum1"
        return MsgInfo(fl, "server", True)
    if isinstance(result, dict) and (_is_cn_job(result.get("job")) or _is_cn_job(result)):
        job = result["job"] if _is_cn_job(result.get("job")) else result   # bare = getjob reply
        return MsgInfo("cryptonote", "server", True, job=True,
                       algorithm=cn_algorithm(job.get("algo"), job.get("blob")))
    if _is_work_package(result):
        return MsgInfo("ethproxy", "server", True, job=True, algorithm="ethash")
    if _is_getwork_result(result) or _is_template(result):
        return MsgInfo("getwork", "server", True, job=True)
    return MsgInfo()


def share_status(msg: Message) -> str:
    """A server's reply to a share: "accepted" or "rejected". Accepted = result true or
    {"status": "OK"} (CryptoNote), or an ES2 bare ack (neither result nor error)."""
    if msg.error not in (None, False, [], {}, ""):
        return "rejected"
    r = msg.result
    if r is True:
        return "accepted"
    if isinstance(r, dict) and str(r.get("status", "")).upper() == "OK":
        return "accepted"
    if not msg.has_result and not msg.has_error:
        return "accepted"
    return "rejected"
