"""One mining session per TCP connection: collect decoded events, fix the orientation from
content, then replay them in capture order through the flavour handlers (`_stratum_flavours`)."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from ..estimate.hashrate import DifficultyTracker
from ..protocols.stratum import Message, describe
from ..records import CLIENT_TO_SERVER, SERVER_TO_CLIENT, Conn, ConnSummary, StreamChunk
from ._stratum_stream import DirectionDecoder, Event

HTTP_ROLE_WEIGHT = 5     # an HTTP request line says "I am the client" louder than one method


@dataclass
class Job:
    job_id: str
    ts: float
    frame: int
    params: Any                            # notify params / CN job dict / work package
    diff: tuple[float, str] | None         # (value, "diff" | "hashes") in force for this job
    target_hex: str | None = None          # ZIP 301 target for Equihash verification


@dataclass
class ShareRec:
    ts: float
    frame: int
    method: str
    job_id: str | None
    params: Any
    job: Job | None
    status: str = "pending"                # pending | accepted | rejected
    reply_frame: int | None = None
    check: Any = None                      # ShareCheck from estimate.verify


@dataclass
class Facts:
    """Everything the evidence builder needs to know about one session."""

    conn: Conn
    swapped: bool = False
    http: bool = False
    votes: Counter = field(default_factory=Counter)            # flavour → hint count
    algo_hints: list[tuple[str, str]] = field(default_factory=list)   # (algorithm, source)
    client_methods: dict[str, list[int]] = field(default_factory=dict)   # method → frames
    server_methods: dict[str, list[int]] = field(default_factory=dict)
    server_shapes: dict[str, list[int]] = field(default_factory=dict)    # e.g. "work package"
    signals: int = 0
    client_signals: int = 0
    server_signals: int = 0
    agent: str | None = None
    agent_source: str | None = None
    subscribe_host: str | None = None
    http_host: str | None = None
    http_headers: dict[str, str] = field(default_factory=dict)   # mining-specific headers seen
    logins: list[tuple[str, str, int]] = field(default_factory=list)   # (login, via, frame)
    worker_field: str | None = None                            # login's own worker / rigid
    share_workers: Counter = field(default_factory=Counter)    # "worker" on relayed submits
    password: str | None = None                                # CryptoNote login "pass"
    auth: list[bool] = field(default_factory=list)
    extranonce1: str | None = None
    version_mask: str | None = None
    tracker: DifficultyTracker = field(default_factory=DifficultyTracker)
    target_hex: str | None = None
    jobs: dict[str, Job] = field(default_factory=dict)
    job_count: int = 0
    first_job: tuple[float, int] | None = None
    shares: list[ShareRec] = field(default_factory=list)
    reported: list[tuple[float, float, str]] = field(default_factory=list)   # (ts, H/s, via)
    errors: list[tuple[int, str]] = field(default_factory=list)   # server error replies
    bad_lines: int = 0
    bytes_c2s: int = 0
    bytes_s2c: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    first_frame: int | None = None
    last_frame: int | None = None
    summary: ConnSummary | None = None
    session_start_seen: bool = False
    sv2_sizes: bool = False

    def note_client(self, method: str, frame: int) -> None:
        self.client_methods.setdefault(method, []).append(frame)

    def note_server(self, method: str, frame: int) -> None:
        self.server_methods.setdefault(method, []).append(frame)

    @property
    def responses_seen(self) -> bool:
        return self.bytes_s2c > 0


class Session:
    """Raw material for one connection; `analyse()` turns it into Facts."""

    def __init__(self, conn: Conn):
        self.conn = conn
        self.decoders = (DirectionDecoder(CLIENT_TO_SERVER), DirectionDecoder(SERVER_TO_CLIENT))
        self.events: list[Event] = []
        self.summary: ConnSummary | None = None
        self.span: list[Any] = [None, None, None, None]   # first_ts, last_ts, first_fr, last_fr

    def _reversed(self, conn: Conn) -> bool:
        """Does this record see the connection from the other side than the session does?"""
        return (conn.client_ip, conn.client_port) != (self.conn.client_ip, self.conn.client_port)

    def feed(self, chunk: StreamChunk) -> None:
        d = chunk.direction
        if self._reversed(chunk.conn):    # the reader oriented this chunk the other way
            d = 1 - d
        self._extend_span(chunk.ts, chunk.frame)
        self.events.extend(self.decoders[d].feed(chunk.data, chunk.frame, chunk.ts,
                                                 chunk.gap_before))

    def feed_summary(self, s: ConnSummary) -> None:
        if self._reversed(s.conn):
            s = _flip_summary(s, self.conn)
        self.summary = s

    def _extend_span(self, ts: float, frame: int) -> None:
        f_ts, l_ts, f_fr, l_fr = self.span
        self.span = [ts if f_ts is None else min(f_ts, ts), ts if l_ts is None else max(l_ts, ts),
                     frame if f_fr is None else min(f_fr, frame),
                     frame if l_fr is None else max(l_fr, frame)]

    def analyse(self, verifier: Any = None) -> Facts:
        from ._stratum_flavours import replay
        for dec in self.decoders:
            self.events.extend(dec.finish())
        events = sorted(self.events, key=lambda e: (e.frame, e.direction, e.seq))
        swapped = _orientation(events)
        conn = self.conn.swapped() if swapped else self.conn
        facts = Facts(conn=conn, swapped=swapped)
        self._fill_span(facts, swapped)
        facts.bad_lines = sum(d.bad for d in self.decoders)
        facts.http = any(d.mode == "http" for d in self.decoders)
        if swapped:
            events = [_flip(e) for e in events]
        replay(facts, events)
        return facts

    def _fill_span(self, facts: Facts, swapped: bool) -> None:
        s = self.summary
        if s is not None:
            facts.summary = _flip_summary(s, s.conn.swapped()) if swapped else s
            facts.first_ts, facts.last_ts = s.first_ts, s.last_ts
            facts.first_frame, facts.last_frame = s.first_frame, s.last_frame
        f_ts, l_ts, f_fr, l_fr = self.span
        facts.first_ts = _min(facts.first_ts, f_ts)
        facts.last_ts = _max(facts.last_ts, l_ts)
        facts.first_frame = _min(facts.first_frame, f_fr)
        facts.last_frame = _max(facts.last_frame, l_fr)
        c2s, s2c = self.decoders[0].bytes_seen, self.decoders[1].bytes_seen
        if s is not None:
            c2s, s2c = max(c2s, s.payload_bytes[0]), max(s2c, s.payload_bytes[1])
        facts.bytes_c2s, facts.bytes_s2c = (s2c, c2s) if swapped else (c2s, s2c)


def _min(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else min(a, b)


def _max(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def _orientation(events: list[Event]) -> bool:
    """True when content says the reader's client is really the server: votes from methods only
    one side sends (mining.notify/job from the server; subscribe/login/submit from the client)
    and from who speaks HTTP requests."""
    normal = swapped = 0
    for e in events:
        if e.msg is None:
            if e.http is not None:
                says_client = e.http.is_request
                normal += HTTP_ROLE_WEIGHT * (says_client == (e.direction == CLIENT_TO_SERVER))
                swapped += HTTP_ROLE_WEIGHT * (says_client != (e.direction == CLIENT_TO_SERVER))
            continue
        role = _role(e.msg)
        if role is None:
            continue
        from_client = e.direction == CLIENT_TO_SERVER
        if (role == "client") == from_client:
            normal += 1
        else:
            swapped += 1
    return swapped > normal


def _role(msg: Message) -> str | None:
    return describe(msg).role


def _flip(e: Event) -> Event:
    return Event(e.frame, e.ts, 1 - e.direction, e.seq, e.msg, e.http)


def _flip_summary(s: ConnSummary, conn: Conn) -> ConnSummary:
    """The same summary seen from the other side (directions swapped)."""
    fd = s.first_payload_dir
    return ConnSummary(conn, s.first_ts, s.last_ts, s.first_frame, s.last_frame,
                       s.packets[::-1], s.payload_bytes[::-1], s.first_payload_len[::-1],
                       -1 if fd < 0 else 1 - fd, b"")


def id_key(v: Any) -> str:
    """JSON-RPC ids compare by type and value (1 and "1" are different ids)."""
    return f"{type(v).__name__}:{v}"


class Pending:
    """Client requests awaiting a reply, FIFO per id: CryptoNote miners reuse one id for every
    submit (xmr-stak sends id 1 throughout), and replies come in request order."""

    def __init__(self) -> None:
        self._q: dict[str, deque] = defaultdict(deque)

    def push(self, msg: Message, ev: Event) -> None:
        self._q[id_key(msg.id)].append((msg, ev))

    def pop(self, rid: Any) -> tuple[Message, Event] | None:
        q = self._q.get(id_key(rid))
        return q.popleft() if q else None

    def unpop(self, rid: Any, item: tuple[Message, Event]) -> None:
        self._q[id_key(rid)].appendleft(item)
