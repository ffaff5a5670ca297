"""One direction of a TCP connection: in-order, de-duplicated bytes from segments that may be
retransmitted, overlapping or reordered, and a capture that may start mid-session."""

from __future__ import annotations

MOD = 1 << 32
HALF = 1 << 31
MAX_PENDING_BYTES = 1 << 20     # a hole never filled: give up waiting after this much
MAX_PENDING_SEGMENTS = 512
LINE_STARTS = (b"{", b"[", b"POST ", b"GET ", b"HTTP/")

Chunk = tuple[bytes, int, float, bool]   # data, frame, ts, gap_before


class TcpStream:
    __slots__ = ("next32", "next_abs", "pending", "pending_bytes", "gap", "resync")

    def __init__(self) -> None:
        self.next32: int | None = None   # next expected sequence number (32-bit)
        self.next_abs = 0                # the same, unwrapped
        self.pending: dict[int, tuple[bytes, int, float]] = {}
        self.pending_bytes = 0
        self.gap = False
        self.resync = False

    def segment(self, seq: int, flags: int, payload: bytes, frame: int, ts: float,
                isn: int = -1) -> list[Chunk]:
        if not payload:
            return []
        out: list[Chunk] = []
        if self.next32 is None:
            # Start at the ISN when the SYN was seen (an earlier segment may still arrive
            # reordered); otherwise the capture started mid-session: start here, resync lines.
            if isn >= 0 and ((seq - isn) % MOD) < MAX_PENDING_BYTES:
                self.next32 = isn
            else:
                self.next32 = seq
                self._mark_gap()
        delta = ((seq - self.next32 + HALF) % MOD) - HALF
        if delta < 0:                      # retransmission / overlap: keep only new bytes
            if delta + len(payload) <= 0:
                return out
            payload = payload[-delta:]
            delta = 0
        if delta > 0:
            key = self.next_abs + delta
            old = self.pending.get(key)
            if old is None or len(old[0]) < len(payload):
                self.pending_bytes += len(payload) - (len(old[0]) if old else 0)
                self.pending[key] = (payload, frame, ts)
            if self.pending_bytes > MAX_PENDING_BYTES or len(self.pending) > MAX_PENDING_SEGMENTS:
                self._skip_hole(out)
            return out
        self._deliver(payload, frame, ts, out)
        self._drain_pending(out)
        return out

    def flush(self) -> list[Chunk]:
        """End of the connection: deliver what is buffered, across holes."""
        out: list[Chunk] = []
        while self.pending:
            self._skip_hole(out)
        return out

    # -- internals ---------------------------------------------------------------------------
    def _mark_gap(self) -> None:
        self.gap = True
        self.resync = True

    def _advance(self, n: int) -> None:
        self.next_abs += n
        self.next32 = (self.next32 + n) % MOD

    def _deliver(self, data: bytes, frame: int, ts: float, out: list[Chunk]) -> None:
        self._advance(len(data))
        if self.resync:
            data, self.resync = _from_line_start(data)
            if not data:
                return
        out.append((data, frame, ts, self.gap))
        self.gap = False

    def _drain_pending(self, out: list[Chunk]) -> None:
        while self.pending:
            first = min(self.pending)
            if first > self.next_abs:
                return
            data, frame, ts = self.pending.pop(first)
            self.pending_bytes -= len(data)
            skip = self.next_abs - first
            if skip < len(data):
                self._deliver(data[skip:], frame, ts, out)

    def _skip_hole(self, out: list[Chunk]) -> None:
        first = min(self.pending)
        if first > self.next_abs:
            self._advance(first - self.next_abs)
            self._mark_gap()
        self._drain_pending(out)


def _from_line_start(data: bytes) -> tuple[bytes, bool]:
    """After a gap: (the bytes from the first plausible line start, still resyncing?)."""
    stripped = data.lstrip(b" \t\r\n")
    if stripped.startswith(LINE_STARTS):
        return stripped, False
    nl = data.find(b"\n")
    if nl < 0:
        return b"", True
    return data[nl + 1:], False
