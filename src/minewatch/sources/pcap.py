"""Packet captures (pcap, pcapng; optionally gzip-compressed) → typed records.

`read_capture(path)` yields, in capture order, `StreamChunk`s (reassembled TCP bytes of flows that
can carry mining protocols), then `NameObservation`s (DNS answers, TLS SNI, HTTP Host) and
`ConnSummary`s. The per-packet work is done by the compiled kernel (`_kernel.py`); Python sees only
the selected packets. Memory is bounded: the file is read in fixed-size blocks and the flow table
has a fixed capacity (idle flows are evicted).
"""

from __future__ import annotations

import gzip
import zlib
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

from ..errors import CaptureError, NotACaptureError
from ..records import CaptureStats, Conn, ConnSummary, NameObservation, StreamChunk
from . import _layout as K
from ._engine import kernel as KF
from .names import NameCollector, ip_str
from .tcp import TcpStream

BLOCK = 8 << 20            # bytes read per step
SEL_ROWS = 1 << 14         # selected packets handed to Python per kernel call
EXPORT_ROWS = 1 << 13      # evicted flows per kernel call
NAME_ROWS = 1 << 13        # host-name rows per kernel call
FLOW_CAPACITY = 1 << 17    # concurrent flows kept (power of two)
IDLE_TIMEOUT = 900.0       # s: Stratum sessions can be quiet for minutes between shares

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": (False, 1e6), b"\xa1\xb2\xc3\xd4": (True, 1e6),
    b"\x4d\x3c\xb2\xa1": (False, 1e9), b"\xa1\xb2\x3c\x4d": (True, 1e9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"

Progress = Callable[[int], None]


def read_capture(path: str | Path, stats: CaptureStats | None = None,
                 progress: Progress | None = None, all_names: bool = False
                 ) -> Iterator[StreamChunk | NameObservation | ConnSummary]:
    """Read one capture. Raises NotACaptureError if it is not one; a capture that breaks off
    (truncated or corrupt) yields what was read and records a warning naming file and frame.
    Name observations are given for the servers of the selected flows, or for every IP with
    `all_names`."""
    path = str(path)
    stats = stats if stats is not None else CaptureStats(path)
    with _open(path) as fh:
        try:
            head = fh.read(4)
        except (EOFError, OSError, zlib.error) as e:
            raise NotACaptureError(f"unreadable compressed file ({e})", path=path,
                                   offset=0) from None
        try:
            if head in PCAP_MAGICS:
                walker = _PcapWalker(path, fh, head, stats)
            elif head == PCAPNG_SHB:
                walker = _PcapngWalker(path, fh, head, stats)
            else:
                walker = None
        except (EOFError, zlib.error) as e:
            raise NotACaptureError(f"unreadable compressed file ({e})", path=path,
                                   offset=4) from None
        if walker is None:
            raise NotACaptureError("not a pcap or pcapng capture (unknown magic "
                                   f"{head.hex() or 'empty file'})", path=path, offset=0)
        walker.all_names = all_names
        yield from walker.run(progress)


def _open(path: str) -> BinaryIO:
    fh = open(path, "rb")
    if fh.read(2) == b"\x1f\x8b":
        fh.close()
        return _GzipReader(path)  # type: ignore[return-value]
    fh.seek(0)
    return fh


class _GzipReader:
    """gzip in small steps, so a cut or corrupt stream still yields everything before the break
    (gzip's own readinto drops a whole buffer when the stream ends early); the break is raised
    on the next read."""

    STEP = 1 << 16

    def __init__(self, path: str):
        self.gz = gzip.open(path, "rb")
        self.error: Exception | None = None

    def read(self, n: int) -> bytes:
        buf = bytearray(n)
        got = self.readinto(memoryview(buf))
        return bytes(buf[:got])

    def readinto(self, view: memoryview) -> int:
        if self.error is not None:
            err, self.error = self.error, None
            raise err
        total = 0
        while total < len(view):
            try:
                chunk = self.gz.read(min(self.STEP, len(view) - total))
            except (EOFError, OSError, zlib.error) as e:
                if total == 0:
                    raise
                self.error = e
                break
            if not chunk:
                break
            view[total:total + len(chunk)] = chunk
            total += len(chunk)
        return total

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.gz.close()


@dataclass
class _FlowState:
    conn: Conn
    a_is_client: bool
    streams: list[TcpStream] = field(default_factory=list)


class _Walker:
    """Shared driver: feed blocks to the kernel, turn selections into records."""

    def __init__(self, path: str, fh: BinaryIO, head: bytes, stats: CaptureStats):
        self.path, self.fh, self.stats = path, fh, stats
        self.buf = np.empty(0, np.uint8)
        self.buf_file_offset = 0          # file offset of buf[0]
        self.fi, self.ff = K.new_flow_table(FLOW_CAPACITY)
        self.state = np.zeros(3, np.int64)   # [last flow id, occupied slots, name rows]
        self.nmi = np.zeros((NAME_ROWS, K.NNM_I), np.int64)
        self.nmf = np.zeros(NAME_ROWS, np.float64)
        self.nmb = np.zeros((NAME_ROWS, K.NAME_MAX), np.uint8)
        self.interest: set[tuple[int, int]] = set()   # server IPs whose names we report
        self.all_names = False
        self.seli = np.zeros((SEL_ROWS, K.NS_I), np.int64)
        self.self_ = np.zeros(SEL_ROWS, np.float64)
        self.exi = np.zeros((EXPORT_ROWS, K.NF_I), np.int64)
        self.exf = np.zeros((EXPORT_ROWS, K.NF_F), np.float64)
        self.kstats = np.zeros(8, np.int64)
        self.frames = 0
        self.chunk_no = 0
        self.flows: dict[int, _FlowState] = {}
        self.names = NameCollector()
        self.eof = False
        self._area: np.ndarray | None = None

    # -- reading ----------------------------------------------------------------------------
    def _fill(self, consumed: int, want: int = BLOCK) -> bool:
        """Drop consumed bytes, read the next block after the rest (into one reused array, so
        memory stays at about two blocks). False at end of file."""
        rest = len(self.buf) - consumed
        need = rest + want
        if self._area is None or len(self._area) < need:
            area = np.empty(max(need, 2 * BLOCK), np.uint8)
            area[:rest] = self.buf[consumed:]
            self._area = area
        elif rest:
            self._area[:rest] = self.buf[consumed:].copy() if consumed < rest else \
                self.buf[consumed:]
        self.buf_file_offset += consumed
        try:
            n = self.fh.readinto(memoryview(self._area)[rest:rest + want])
        except (EOFError, OSError, zlib.error) as e:   # a cut or corrupt .gz: keep what we have
            self.stats.warnings.append(str(CaptureError(
                f"compressed stream broken ({e}); kept the frames read before it",
                path=self.path, frame=self.frames + 1)))
            self.stats.truncated_at_frame = self.frames + 1
            n = 0
        self.buf = self._area[:rest + (n or 0)]
        if not n:
            self.eof = True
            return False
        self.chunk_no += 1
        return True

    # -- selected packets → records -----------------------------------------------------------
    def _drain(self, nsel: int, nex: int) -> Iterator:
        n = int(self.state[2])
        if n:
            self.names.add_rows(self.nmi[:n], self.nmf[:n], self.nmb[:n])
            self.nmb[:n] = 0
            self.state[2] = 0
        sel = self.seli[:nsel]
        ts = self.self_[:nsel]
        buf = self.buf
        for i in range(nsel):
            row = sel[i]
            off, plen = int(row[K.S_POFF]), int(row[K.S_PLEN])
            yield from self._stream(row, float(ts[i]), buf[off:off + plen].tobytes())
        for j in range(nex):
            yield from self._expire(self.exi[j], self.exf[j])

    def _stream(self, row: np.ndarray, ts: float, payload: bytes) -> Iterator[StreamChunk]:
        fid = int(row[K.S_FLOW_ID])
        fs = self.flows.get(fid)
        if fs is None:
            fs = self._new_flow(row)
            self.flows[fid] = fs
        d = int(row[K.S_DIR])
        direction = 0 if (d == 0) == fs.a_is_client else 1
        stream = fs.streams[direction]
        isn = int(row[K.S_ISN])
        for data, frame, t, gap in stream.segment(int(row[K.S_SEQ]), int(row[K.S_FLAGS]), payload,
                                                  int(row[K.S_FRAME]), ts, isn):
            yield StreamChunk(fs.conn, direction, t, frame, data, gap)

    def _new_flow(self, row: np.ndarray) -> _FlowState:
        ver = int(row[K.S_IPVER])
        a = _ip(row[K.S_AHI], row[K.S_ALO], ver)
        b = _ip(row[K.S_BHI], row[K.S_BLO], ver)
        ap, bp = int(row[K.S_APORT]), int(row[K.S_BPORT])
        synfrom = int(row[K.S_SYNFROM])
        a_is_client = synfrom == 0 if synfrom >= 0 else (ap > bp)
        c, cp, s, sp = (a, ap, b, bp) if a_is_client else (b, bp, a, ap)
        conn = Conn(c, cp, s, sp, "tcp", synfrom >= 0, self.path, _community_id(c, s, cp, sp, 6))
        self.interest.add((int(row[K.S_AHI]), int(row[K.S_ALO])))
        self.interest.add((int(row[K.S_BHI]), int(row[K.S_BLO])))
        return _FlowState(conn, a_is_client, [TcpStream(), TcpStream()])

    def _expire(self, fi: np.ndarray, ff: np.ndarray) -> Iterator:
        fid = int(fi[K.F_FLOW_ID])
        fs = self.flows.pop(fid, None)
        if fs is not None:
            for direction, stream in enumerate(fs.streams):
                for data, frame, t, gap in stream.flush():
                    yield StreamChunk(fs.conn, direction, t, frame, data, gap)
        if fs is None and not _sv2_shaped(fi):
            return
        if fs is None:
            ver = int(fi[K.F_IPVER])
            row = np.zeros(K.NS_I, np.int64)
            for src, dst in ((K.F_AHI, K.S_AHI), (K.F_ALO, K.S_ALO), (K.F_BHI, K.S_BHI),
                             (K.F_BLO, K.S_BLO), (K.F_APORT, K.S_APORT), (K.F_BPORT, K.S_BPORT),
                             (K.F_SYNFROM, K.S_SYNFROM)):
                row[dst] = fi[src]
            row[K.S_IPVER] = ver
            fs = self._new_flow(row)
        yield _summary(fs, fi, ff)

    def _finish(self) -> Iterator:
        while True:
            nex = KF.sweep(self.fi, self.ff, 0.0, -1.0, self.exi, self.exf, 0)
            for j in range(nex):
                yield from self._expire(self.exi[j], self.exf[j])
            if nex < self.exi.shape[0]:
                break
        for fid in list(self.flows):   # flows the table never exported (defensive)
            fs = self.flows.pop(fid)
            for direction, stream in enumerate(fs.streams):
                for data, frame, t, gap in stream.flush():
                    yield StreamChunk(fs.conn, direction, t, frame, data, gap)
        yield from self.names.observations(None if self.all_names else self.interest)
        st = self.stats
        st.frames = self.frames
        st.bytes = int(self.kstats[K.STAT_BYTES])
        st.tcp_payload_packets = int(self.kstats[K.STAT_TCP_PAYLOAD])
        st.selected_packets = int(self.kstats[K.STAT_SELECTED])

    def _after(self, status: int, consumed: int, progress: Progress | None,
               corrupt: str) -> tuple[int, bool]:
        """After a kernel call: refill, or stop on corruption / end of file. (consumed, done)"""
        if status == K.ST_BAD_RECORD:
            self._broken(consumed, corrupt)
            return consumed, True
        if status != K.ST_NEED_MORE:          # an output area was full: call again
            return consumed, False
        if progress:
            progress(self.buf_file_offset + consumed)
        if self._fill(consumed):
            return 0, False
        if len(self.buf) > 0 and self.stats.truncated_at_frame is None:
            self._broken(0, f"file ends inside a packet record ({len(self.buf)} bytes left over)")
        return 0, True

    def _broken(self, where: int, what: str) -> None:
        self.stats.truncated_at_frame = self.frames + 1
        self.stats.warnings.append(str(CaptureError(
            f"{what}; kept the {self.frames} frames read before it",
            path=self.path, frame=self.frames + 1, offset=self.buf_file_offset + where)))


class _PcapWalker(_Walker):
    def __init__(self, path, fh, head, stats):
        super().__init__(path, fh, head, stats)
        self.big, self.ts_div = PCAP_MAGICS[head]
        rest = fh.read(20)
        if len(rest) < 20:
            raise NotACaptureError("pcap global header cut short", path=path, offset=4)
        _vmaj, _vmin, _tz, _sig, self.snaplen, network = struct.unpack(
            (">" if self.big else "<") + "HHiIII", rest)
        self.linktype = network & 0x0FFFFFFF
        stats.link_types.add(self.linktype)
        self.buf_file_offset = 24

    def run(self, progress: Progress | None) -> Iterator:
        consumed = 0
        self._fill(0)
        while True:
            o, frames, nsel, nex, status = KF.walk_pcap(
                self.buf, consumed, len(self.buf), self.big, self.ts_div, self.linktype,
                self.frames, self.chunk_no, self.fi, self.ff, self.state, self.seli, self.self_,
                self.exi, self.exf, self.kstats, IDLE_TIMEOUT, self.nmi, self.nmf, self.nmb)
            self.frames = int(frames)
            yield from self._drain(int(nsel), int(nex))
            consumed, done = self._after(int(status), int(o), progress,
                                         "impossible record length (corrupt capture)")
            if done:
                break
        yield from self._finish()


class _PcapngWalker(_Walker):
    def __init__(self, path, fh, head, stats):
        super().__init__(path, fh, head, stats)
        self.big = False
        self.if_link = np.zeros(0, np.int64)
        self.if_tsdiv = np.zeros(0, np.float64)
        self.last_ts = 0.0
        self.buf = np.frombuffer(head, np.uint8).copy()

    def run(self, progress: Progress | None) -> Iterator:
        consumed = 0
        self.buf_file_offset = -len(self.buf)   # the 4 magic bytes already read sit in buf
        self._fill(0)
        self.buf_file_offset = 0
        while True:
            o, frames, nsel, nex, status, self.last_ts = KF.walk_pcapng(
                self.buf, consumed, len(self.buf), self.big, self.if_link, self.if_tsdiv,
                self.last_ts, self.frames, self.chunk_no, self.fi, self.ff, self.state, self.seli,
                self.self_, self.exi, self.exf, self.kstats, IDLE_TIMEOUT, self.nmi, self.nmf,
                self.nmb)
            self.frames = int(frames)
            yield from self._drain(int(nsel), int(nex))
            if status == K.ST_META_BLOCK:
                n = self._meta(int(o))
                if n is None:
                    break
                consumed = int(o) + n
                continue
            consumed, done = self._after(int(status), int(o), progress,
                                         "impossible block length or interface (corrupt pcapng)")
            if done:
                break
        yield from self._finish()

    def _meta(self, o: int) -> int | None:
        """Handle a non-packet block at buf[o]; returns its length, None when unreadable."""
        b = self.buf[o:o + 12].tobytes()
        if b[:4] == PCAPNG_SHB:
            bom = b[8:12]
            if bom == b"\x1a\x2b\x3c\x4d":
                self.big = True
            elif bom == b"\x4d\x3c\x2b\x1a":
                self.big = False
            else:
                self._broken(o, "section header with unknown byte-order magic")
                return None
            # a new section starts a new interface list
            self.if_link = np.zeros(0, np.int64)
            self.if_tsdiv = np.zeros(0, np.float64)
        e = ">" if self.big else "<"
        btype, blen = struct.unpack(e + "II", b[:8])
        if blen < 12 or len(self.buf) - o < blen:
            if not self.eof and len(self.buf) - o < blen and blen < (64 << 20):
                # a large block not yet in the buffer: read on after what we have
                if self._fill(0, max(BLOCK, blen)):
                    return 0
            self._broken(o, f"block of type {btype:#x} cut short")
            return None
        body = self.buf[o + 8:o + blen - 4].tobytes()
        if btype == 1:  # interface description block
            link, _res, _snap = struct.unpack(e + "HHI", body[:8])
            tsdiv = _if_tsresol(body[8:], e)
            self.if_link = np.append(self.if_link, np.int64(link))
            self.if_tsdiv = np.append(self.if_tsdiv, tsdiv)
            self.stats.link_types.add(link)
        return blen


def _if_tsresol(opts: bytes, e: str) -> float:
    """Ticks per second from the if_tsresol option (code 9); default microseconds."""
    i = 0
    while i + 4 <= len(opts):
        code, ln = struct.unpack(e + "HH", opts[i:i + 4])
        if code == 0:
            break
        if code == 9 and ln >= 1:
            v = opts[i + 4]
            return float(2 ** (v & 0x7F)) if v & 0x80 else float(10 ** v)
        i += 4 + ((ln + 3) & ~3)
    return 1e6


def _ip(hi: int, lo: int, ver: int) -> str:
    return ip_str(int(hi), int(lo), int(ver))


def _community_id(c: str, s: str, cp: int, sp: int, proto: int) -> str:
    try:
        import communityid
        cid = communityid.CommunityID()
        return cid.calc(communityid.FlowTuple(proto, c, s, cp, sp))
    except Exception:   # the Community ID is provenance sugar; never fail a scan over it
        return ""


def _sv2_shaped(fi: np.ndarray) -> bool:
    """First payloads of 64 (one side) and 234 bytes (the other): a Stratum V2 Noise handshake."""
    a, b = int(fi[K.F_FPL0]), int(fi[K.F_FPL1])
    return int(fi[K.F_PROTO]) == 6 and ((a, b) == (64, 234) or (a, b) == (234, 64))


def _summary(fs: _FlowState, fi: np.ndarray, ff: np.ndarray) -> ConnSummary:
    ci = 0 if fs.a_is_client else 1   # canonical side index of the client
    fpd = int(fi[K.F_FPDIR])
    return ConnSummary(
        conn=fs.conn,
        first_ts=float(ff[K.FT_FIRST]), last_ts=float(ff[K.FT_LAST]),
        first_frame=int(fi[K.F_FIRST_FRAME]), last_frame=int(fi[K.F_LAST_FRAME]),
        packets=(int(fi[K.F_PK0 + ci]), int(fi[K.F_PK0 + 1 - ci])),
        payload_bytes=(int(fi[K.F_BY0 + ci]), int(fi[K.F_BY0 + 1 - ci])),
        first_payload_len=(int(fi[K.F_FPL0 + ci]), int(fi[K.F_FPL0 + 1 - ci])),
        first_payload_dir=-1 if fpd < 0 else (0 if fpd == ci else 1),
        first_payload_head=int(fi[K.F_HEAD0 + ci]).to_bytes(4, "big", signed=True),
    )
