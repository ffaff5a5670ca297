"""Per-direction decoding of a TCP stream into JSON-RPC messages (line mode or HTTP mode).

The first bytes of each direction decide the mode: "{" → newline-delimited JSON (Stratum and
friends), an HTTP start line → HTTP (getwork), anything else → opaque (skipped cheaply, so
video or TLS streams cost almost nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProtocolError
from ..protocols.http import _START, HttpMessage, HttpStreamParser, looks_like_http
from ..protocols.stratum import LineSplitter, Message, parse_line

SNIFF_BUDGET = 256 * 1024     # bytes looked at after a gap before giving a direction up
FAIL_BUDGET = 16              # unparseable lines, with none parsed, before giving up


@dataclass(frozen=True, slots=True)
class Event:
    """One decoded item of a session, in capture order (frame, then per-direction sequence)."""

    frame: int
    ts: float
    direction: int
    seq: int
    msg: Message | None = None
    http: HttpMessage | None = None


class DirectionDecoder:
    def __init__(self, direction: int):
        self.direction = direction
        self.mode = "unknown"          # unknown | lines | http | opaque
        self.lines: LineSplitter | None = None
        self.http: HttpStreamParser | None = None
        self.parsed = 0
        self.bad = 0
        self.bytes_seen = 0
        self._sniffed = 0
        self._seq = 0
        self._last = (0, 0.0)

    def feed(self, data: bytes, frame: int, ts: float, gap: bool) -> list[Event]:
        self.bytes_seen += len(data)
        self._last = (frame, ts)
        if self.mode == "unknown":
            gap = self._sniff(data, gap) or gap
        if self.mode == "lines":
            return self._feed_lines(data, frame, ts, gap)
        if self.mode == "http":
            return self._feed_http(data, frame, ts, gap)
        return []

    def finish(self) -> list[Event]:
        frame, ts = self._last
        if self.mode == "lines" and self.lines is not None:
            rest = self.lines.flush()
            return self._parse_lines([rest], frame, ts, quiet=True) if rest.strip() else []
        if self.mode == "http" and self.http is not None:
            return self._http_events(self.http.finish(), frame, ts)
        return []

    # -- mode selection
    def _sniff(self, data: bytes, gap: bool) -> bool:
        """Pick the mode; returns True when the splitter must treat this chunk as after a gap."""
        head = data.lstrip(b" \t\r\n")
        if not gap and self._sniffed == 0 and head:
            self._set_mode("lines" if head[:1] == b"{" else
                           "http" if looks_like_http(head) else "opaque")
            return False
        if not head:
            return gap
        # after a gap (or a first chunk that began mid-stream) look for a message boundary
        if head[:1] == b"{" or b"\n{" in data:
            self._set_mode("lines")
            return True
        if _START.search(data):
            self._set_mode("http")
            return True
        self._sniffed += len(data)
        if self._sniffed > SNIFF_BUDGET:
            self._set_mode("opaque")
        return gap

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "lines":
            self.lines = LineSplitter()
        elif mode == "http":
            self.http = HttpStreamParser()

    # -- line mode
    def _feed_lines(self, data: bytes, frame: int, ts: float, gap: bool) -> list[Event]:
        assert self.lines is not None
        return self._parse_lines(self.lines.feed(data, gap), frame, ts)

    def _parse_lines(self, lines: list[bytes], frame: int, ts: float,
                     quiet: bool = False) -> list[Event]:
        out = []
        for line in lines:
            try:
                msg = parse_line(line)
            except ProtocolError:
                if not quiet:       # a truncated last line at capture end is not "bad"
                    self.bad += 1
                continue
            if msg is None:
                continue
            self.parsed += 1
            out.append(self._event(frame, ts, msg=msg))
        if self.parsed == 0 and self.bad >= FAIL_BUDGET:
            self.mode, self.lines = "opaque", None
        return out

    # -- HTTP mode
    def _feed_http(self, data: bytes, frame: int, ts: float, gap: bool) -> list[Event]:
        assert self.http is not None
        try:
            msgs = self.http.feed(data, gap)
        except ProtocolError:
            self.bad += 1
            self.mode = "opaque"
            return []
        return self._http_events(msgs, frame, ts)

    def _http_events(self, msgs: list[HttpMessage], frame: int, ts: float) -> list[Event]:
        out = []
        for hm in msgs:
            out.append(self._event(frame, ts, http=hm))
            for msg in hm.json_messages():
                self.parsed += 1
                out.append(self._event(frame, ts, msg=msg, http=hm))
        return out

    def _event(self, frame: int, ts: float, msg: Message | None = None,
               http: HttpMessage | None = None) -> Event:
        self._seq += 1
        return Event(frame, ts, self.direction, self._seq, msg, http)
