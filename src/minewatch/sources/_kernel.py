"""Compiled packet kernel: walks pcap/pcapng records, decodes link/IP/TCP/UDP headers, keeps a flow
table and hands to Python only the packets that can carry mining evidence.

Why compiled: Python-level per-packet parsing (dpkt, scapy) runs at ~10^5 packets/s, an order of
magnitude below nDPI's C reader. Mining sessions are a tiny share of the packets, so the kernel does
the bulk work (every packet) in LLVM-compiled code and selects:
  * every payload packet of a "marked" TCP flow: a flow is marked once any payload segment starts
    like JSON ('{' or '[') or an HTTP POST — Stratum/getwork are newline-delimited JSON-RPC;
  * the last unselected payload segment per direction when a flow becomes marked (a reordered
    first half of a line), if it is still in the current buffer;
  * DNS responses (UDP/TCP port 53), TLS ClientHellos and HTTP GET heads (host names), unmarked.
Flows leave the table on a sweep (idle timeout, or pressure) and are copied to an export area.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._layout import *  # noqa: F401,F403 — the kernel indexes the same columns as the driver


@njit(cache=True, inline="always")
def _u16(b, o, big):
    if big:
        return (np.int64(b[o]) << 8) | np.int64(b[o + 1])
    return (np.int64(b[o + 1]) << 8) | np.int64(b[o])


@njit(cache=True, inline="always")
def _u32(b, o, big):
    if big:
        return ((np.int64(b[o]) << 24) | (np.int64(b[o + 1]) << 16) | (np.int64(b[o + 2]) << 8)
                | np.int64(b[o + 3]))
    return ((np.int64(b[o + 3]) << 24) | (np.int64(b[o + 2]) << 16) | (np.int64(b[o + 1]) << 8)
            | np.int64(b[o]))


@njit(cache=True, inline="always")
def _be16(b, o):
    return (np.int64(b[o]) << 8) | np.int64(b[o + 1])


@njit(cache=True, inline="always")
def _be32(b, o):
    return ((np.int64(b[o]) << 24) | (np.int64(b[o + 1]) << 16) | (np.int64(b[o + 2]) << 8)
            | np.int64(b[o + 3]))


@njit(cache=True, inline="always")
def _be64(b, o):
    v = np.uint64(0)
    for i in range(8):
        v = (v << np.uint64(8)) | np.uint64(b[o + i])
    return np.int64(v)


@njit(cache=True)
def _l3_offset(b, o, end, linktype):
    """Offset of the IP header and its ethertype-like version (4/6), or (-1, 0)."""
    etype = np.int64(-1)
    if linktype == 1:  # Ethernet
        if end - o < 14:
            return -1, 0
        etype = _be16(b, o + 12)
        o += 14
    elif linktype == 113:  # Linux cooked SLL
        if end - o < 16:
            return -1, 0
        etype = _be16(b, o + 14)
        o += 16
    elif linktype == 276:  # SLL2
        if end - o < 20:
            return -1, 0
        etype = _be16(b, o)
        o += 20
    elif linktype == 101 or linktype == 12 or linktype == 14 or linktype == 228 or linktype == 229:
        if end - o < 1:
            return -1, 0
        v = b[o] >> 4
        return (o, 4) if v == 4 else ((o, 6) if v == 6 else (-1, 0))
    elif linktype == 0 or linktype == 108:  # BSD loopback: 4-byte address family
        if end - o < 5:
            return -1, 0
        o += 4
        v = b[o] >> 4
        return (o, 4) if v == 4 else ((o, 6) if v == 6 else (-1, 0))
    else:
        return -1, 0
    # VLAN / QinQ tags, then PPPoE session (common on Chinese broadband)
    while etype == 0x8100 or etype == 0x88A8 or etype == 0x9100:
        if end - o < 4:
            return -1, 0
        etype = _be16(b, o + 2)
        o += 4
    if etype == 0x8864:
        if end - o < 8:
            return -1, 0
        ppp = _be16(b, o + 6)
        o += 8
        etype = 0x0800 if ppp == 0x0021 else (0x86DD if ppp == 0x0057 else -1)
    if etype == 0x0800:
        return o, 4
    if etype == 0x86DD:
        return o, 6
    return -1, 0


@njit(cache=True, inline="always")
def _mix(x):
    x = np.uint64(x)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    x ^= x >> np.uint64(33)
    return x


@njit(cache=True)
def _slot_of(fi, ahi, alo, bhi, blo, aport, bport, proto):
    cap = fi.shape[0]
    h = _mix(np.uint64(ahi) ^ _mix(np.uint64(alo) ^ _mix(np.uint64(bhi) ^ _mix(
        np.uint64(blo) ^ np.uint64((aport << 24) ^ (bport << 8) ^ proto)))))
    s = np.int64(h & np.uint64(cap - 1))
    while True:
        if fi[s, F_USED] == 0:
            return s, False
        if (fi[s, F_ALO] == alo and fi[s, F_BLO] == blo and fi[s, F_APORT] == aport
                and fi[s, F_BPORT] == bport and fi[s, F_AHI] == ahi and fi[s, F_BHI] == bhi
                and fi[s, F_PROTO] == proto):
            return s, True
        s = (s + 1) & (cap - 1)


@njit(cache=True)
def _printable(b, p, n):
    for i in range(p, p + n):
        c = b[i]
        if (c < 32 or c > 126) and c != 9 and c != 10 and c != 13:
            return False
    return True


@njit(cache=True)
def _looks_interesting(b, p, plen):
    """A JSON object/array line start, or an HTTP POST (JSON-RPC over HTTP): candidate
    Stratum/getwork. The printable-text check keeps a '{' byte that happens to open an encrypted
    segment (1 in 256) from marking a TLS flow: 24 random bytes are all printable ~1 in 10^10."""
    i = p
    e = p + min(plen, 8)
    while i < e and (b[i] == 32 or b[i] == 9 or b[i] == 10 or b[i] == 13):
        i += 1
    end = p + plen
    if i + 1 < end and (b[i] == 123 or b[i] == 91):  # '{' '['
        j = i + 1
        while j < end and (b[j] == 32 or b[j] == 9 or b[j] == 10 or b[j] == 13):
            j += 1
        if j < end and (b[j] == 34 or b[j] == 123 or b[j] == 93 or b[j] == 125):  # " { ] }
            return _printable(b, p, min(plen, 24))
        return False
    if plen >= 5 and b[p] == 80 and b[p + 1] == 79 and b[p + 2] == 83 and b[p + 3] == 84 \
            and b[p + 4] == 32:  # "POST "
        return _printable(b, p, min(plen, 24))
    return False


@njit(cache=True)
def _head4(b, p, plen):
    v = np.int64(0)
    for i in range(4):
        v = (v << 8) | (np.int64(b[p + i]) if i < plen else 0)
    return v


@njit(cache=True)
def _export(fi, ff, s, exi, exf, nex):
    for c in range(NF_I):
        exi[nex, c] = fi[s, c]
    for c in range(NF_F):
        exf[nex, c] = ff[s, c]


@njit(cache=True)
def sweep(fi, ff, now, idle, exi, exf, nex_start):
    """Evict flows idle for more than `idle` seconds (closed flows after 5 s) into the export
    area, then rebuild the open-addressing table. Returns the new export count (stops early, with
    the table intact, when the export area is full)."""
    cap = fi.shape[0]
    nex = nex_start
    keep = np.zeros(cap, np.bool_)
    for s in range(cap):
        if fi[s, F_USED] == 0:
            continue
        quiet = now - ff[s, FT_LAST]
        if quiet > idle or (fi[s, F_CLOSED] != 0 and quiet > 5.0) or idle < 0:
            if nex >= exi.shape[0]:
                keep[s] = True
                continue
            _export(fi, ff, s, exi, exf, nex)
            nex += 1
        else:
            keep[s] = True
    oi = fi.copy()
    of = ff.copy()
    fi[:, :] = 0
    ff[:, :] = 0
    for s in range(cap):
        if keep[s]:
            t, _ = _slot_of(fi, oi[s, F_AHI], oi[s, F_ALO], oi[s, F_BHI], oi[s, F_BLO],
                            oi[s, F_APORT], oi[s, F_BPORT], oi[s, F_PROTO])
            for c in range(NF_I):
                fi[t, c] = oi[s, c]
            for c in range(NF_F):
                ff[t, c] = of[s, c]
    return nex


@njit(cache=True)
def _packet(b, o, caplen, wirelen, linktype, ts, frame, chunk_no, fi, ff, state, seli, self_,
            nsel, stats, nmi, nmf, nmb):
    """Decode one packet at b[o:o+caplen], update the flow table, maybe select it.
    Returns the new selection count."""
    stats[STAT_FRAMES] += 1
    stats[STAT_BYTES] += caplen
    end = o + caplen
    l3, ver = _l3_offset(b, o, end, linktype)
    if l3 < 0:
        stats[STAT_NONIP] += 1
        return nsel
    ahi = np.int64(0)
    alo = np.int64(0)
    bhi = np.int64(0)
    blo = np.int64(0)
    if ver == 4:
        if end - l3 < 20:
            stats[STAT_UNDECODED] += 1
            return nsel
        ihl = (np.int64(b[l3]) & 15) * 4
        tot = _be16(b, l3 + 2)
        proto = np.int64(b[l3 + 9])
        if ihl < 20 or end - l3 < ihl:
            stats[STAT_UNDECODED] += 1
            return nsel
        if (_be16(b, l3 + 6) & 0x1FFF) != 0:  # non-first fragment: no L4 header
            return nsel
        alo = _be32(b, l3 + 12)
        blo = _be32(b, l3 + 16)
        l4 = l3 + ihl
        l3end = l3 + tot if tot >= ihl and l3 + tot <= end else end
    else:
        if end - l3 < 40:
            stats[STAT_UNDECODED] += 1
            return nsel
        plen6 = _be16(b, l3 + 4)
        proto = np.int64(b[l3 + 6])
        ahi = _be64(b, l3 + 8)
        alo = _be64(b, l3 + 16)
        bhi = _be64(b, l3 + 24)
        blo = _be64(b, l3 + 32)
        l4 = l3 + 40
        l3end = l3 + 40 + plen6 if l3 + 40 + plen6 <= end and plen6 > 0 else end
        # extension headers: hop-by-hop, routing, destination options, fragment
        while (proto == 0 or proto == 43 or proto == 60 or proto == 44) and l4 + 8 <= l3end:
            nxt = np.int64(b[l4])
            if proto == 44:
                if (_be16(b, l4 + 2) & 0xFFF8) != 0:
                    return nsel
                l4 += 8
            else:
                l4 += (np.int64(b[l4 + 1]) + 1) * 8
            proto = nxt
    if proto != 6 and proto != 17:
        return nsel
    if l3end - l4 < (20 if proto == 6 else 8):
        stats[STAT_UNDECODED] += 1
        return nsel
    sport = _be16(b, l4)
    dport = _be16(b, l4 + 2)
    seq = np.int64(0)
    flags = np.int64(0)
    if proto == 6:
        seq = _be32(b, l4 + 4)
        doff = (np.int64(b[l4 + 12]) >> 4) * 4
        flags = np.int64(b[l4 + 13])
        if doff < 20:
            stats[STAT_UNDECODED] += 1
            return nsel
        p = l4 + doff
    else:
        p = l4 + 8
    plen = l3end - p
    if plen < 0:
        plen = 0
    # canonical orientation: a = the lower (ip, port) endpoint
    d = 0
    if (ahi > bhi) or (ahi == bhi and (alo > blo or (alo == blo and sport > dport))):
        d = 1
    if d == 0:
        kahi, kalo, kbhi, kblo, kap, kbp = ahi, alo, bhi, blo, sport, dport
    else:
        kahi, kalo, kbhi, kblo, kap, kbp = bhi, blo, ahi, alo, dport, sport
    s, found = _slot_of(fi, kahi, kalo, kbhi, kblo, kap, kbp, proto)
    if not found:
        fi[s, F_USED] = 1
        fi[s, F_AHI] = kahi
        fi[s, F_ALO] = kalo
        fi[s, F_BHI] = kbhi
        fi[s, F_BLO] = kblo
        fi[s, F_APORT] = kap
        fi[s, F_BPORT] = kbp
        fi[s, F_PROTO] = proto
        fi[s, F_IPVER] = ver
        fi[s, F_FIRST_FRAME] = frame
        fi[s, F_FPL0] = -1
        fi[s, F_FPL1] = -1
        fi[s, F_FPDIR] = -1
        fi[s, F_SYNFROM] = -1
        fi[s, F_US_CHUNK0] = -1
        fi[s, F_US_CHUNK1] = -1
        fi[s, F_ISN0] = -1
        fi[s, F_ISN1] = -1
        state[0] += 1
        fi[s, F_FLOW_ID] = state[0]
        state[1] += 1  # occupied slots
        ff[s, FT_FIRST] = ts
    fi[s, F_LAST_FRAME] = frame
    ff[s, FT_LAST] = ts
    fi[s, F_PK0 + d] += 1
    fi[s, F_BY0 + d] += plen
    if proto == 6:
        if (flags & TCP_SYN) != 0:
            fi[s, F_ISN0 + d] = (seq + 1) & 0xFFFFFFFF
        if (flags & TCP_SYN) != 0 and (flags & TCP_ACK) == 0:
            fi[s, F_SYNFROM] = d
        elif (flags & TCP_SYN) != 0 and fi[s, F_SYNFROM] < 0:
            fi[s, F_SYNFROM] = 1 - d  # SYN-ACK sender is the server
        if (flags & TCP_RST) != 0:
            fi[s, F_CLOSED] |= 3
        elif (flags & TCP_FIN) != 0:
            fi[s, F_CLOSED] |= (1 << d)
    if plen > 0:
        if fi[s, F_FPL0 + d] < 0:
            fi[s, F_FPL0 + d] = plen
            fi[s, F_HEAD0 + d] = _head4(b, p, plen)
            if fi[s, F_FPDIR] < 0:
                fi[s, F_FPDIR] = d
    kind = 0
    if plen > 0:
        if proto == 6:
            stats[STAT_TCP_PAYLOAD] += 1
            if fi[s, F_MARKED] != 0:
                kind = K_STREAM
            elif _looks_interesting(b, p, plen):
                fi[s, F_MARKED] = 1
                stats[STAT_SELECTED] += 1
                nsel = _emit(seli, self_, nsel, frame, fi, s, d, seq, flags, p, plen, K_STREAM, ts)
                # then the last skipped segment of each direction, if still in this buffer: a
                # reordered later part of the line now selected (an earlier one is dropped as old)
                for dd in range(2):
                    if fi[s, F_US_CHUNK0 + dd] == chunk_no:
                        nsel = _emit(seli, self_, nsel, fi[s, F_US_FRAME0 + dd], fi, s, dd,
                                     fi[s, F_US_SEQ0 + dd], 0, fi[s, F_US_OFF0 + dd],
                                     fi[s, F_US_LEN0 + dd], K_STREAM, ff[s, FT_US_TS0 + dd])
                        fi[s, F_US_CHUNK0 + dd] = -1
                return nsel
            elif sport == 53 or dport == 53:
                if plen > 14:
                    _dns_rows(b, p + 2, p + plen, frame, ts, d, ahi, alo, bhi, blo, ver, nmi,
                              nmf, nmb, state)
            elif plen > 5 and b[p] == 0x16 and b[p + 1] == 3 and b[p + 5] == 1:
                _sni_row(b, p, p + plen, frame, ts, ahi, alo, bhi, blo, ver, nmi, nmf, nmb, state)
            elif plen > 4 and b[p] == 71 and b[p + 1] == 69 and b[p + 2] == 84 and b[p + 3] == 32:
                _host_row(b, p, p + plen, frame, ts, ahi, alo, bhi, blo, ver, nmi, nmf, nmb, state)
            else:
                fi[s, F_US_CHUNK0 + d] = chunk_no
                fi[s, F_US_OFF0 + d] = p
                fi[s, F_US_LEN0 + d] = plen
                fi[s, F_US_FRAME0 + d] = frame
                fi[s, F_US_SEQ0 + d] = seq
                ff[s, FT_US_TS0 + d] = ts
        elif sport == 53 or dport == 53:
            _dns_rows(b, p, p + plen, frame, ts, d, ahi, alo, bhi, blo, ver, nmi, nmf, nmb, state)
    elif proto == 6 and fi[s, F_MARKED] != 0 and (flags & (TCP_SYN | TCP_FIN | TCP_RST)) != 0:
        kind = K_STREAM  # control segments of marked flows: SYN sets ISN, FIN/RST end
    if kind != 0:
        stats[STAT_SELECTED] += 1
        nsel = _emit(seli, self_, nsel, frame, fi, s, d, seq, flags, p, plen, kind, ts)
    return nsel


@njit(cache=True)
def _emit(seli, self_, n, frame, fi, s, d, seq, flags, p, plen, kind, ts):
    seli[n, S_FRAME] = frame
    seli[n, S_FLOW_ID] = fi[s, F_FLOW_ID]
    seli[n, S_DIR] = d
    seli[n, S_SEQ] = seq
    seli[n, S_FLAGS] = flags
    seli[n, S_POFF] = p
    seli[n, S_PLEN] = plen
    seli[n, S_KIND] = kind
    seli[n, S_AHI] = fi[s, F_AHI]
    seli[n, S_ALO] = fi[s, F_ALO]
    seli[n, S_BHI] = fi[s, F_BHI]
    seli[n, S_BLO] = fi[s, F_BLO]
    seli[n, S_APORT] = fi[s, F_APORT]
    seli[n, S_BPORT] = fi[s, F_BPORT]
    seli[n, S_IPVER] = fi[s, F_IPVER]
    seli[n, S_SYNFROM] = fi[s, F_SYNFROM]
    seli[n, S_PROTO] = fi[s, F_PROTO]
    seli[n, S_ISN] = fi[s, F_ISN0 + d]
    self_[n] = ts
    return n + 1


@njit(cache=True)
def _maybe_sweep(fi, ff, state, ts, idle, exi, exf, nex):
    """Keep the table at most half full: evict idle flows, then ever fresher ones."""
    cap = fi.shape[0]
    if state[1] * 2 < cap:
        return nex, True
    t = idle
    while state[1] * 2 >= cap:
        nex2 = sweep(fi, ff, ts, t, exi, exf, nex)
        state[1] -= nex2 - nex
        nex = nex2
        if nex >= exi.shape[0]:
            return nex, False
        if t < 0:
            break
        t = t / 4 if t > 1.0 else -1.0
    return nex, True


@njit(cache=True)
def walk_pcap(b, start, end, big, ts_div, linktype, frame0, chunk_no, fi, ff, state, seli, self_,
              exi, exf, stats, idle, nmi, nmf, nmb):
    """Walk classic pcap records in b[start:end]. Returns (consumed, frames, nsel, nex, status)."""
    o = start
    frame = frame0
    nsel = 0
    nex = 0
    sel_cap = seli.shape[0] - 3
    while True:
        if nsel >= sel_cap or state[2] >= nmi.shape[0] - 64:
            return o, frame, nsel, nex, ST_SEL_FULL
        if end - o < 16:
            return o, frame, nsel, nex, ST_NEED_MORE
        caplen = _u32(b, o + 8, big)
        wirelen = _u32(b, o + 12, big)
        if caplen > MAX_SNAP or caplen < 0:
            return o, frame, nsel, nex, ST_BAD_RECORD
        if end - o - 16 < caplen:
            return o, frame, nsel, nex, ST_NEED_MORE
        ts = _u32(b, o, big) + _u32(b, o + 4, big) / ts_div
        nex, ok = _maybe_sweep(fi, ff, state, ts, idle, exi, exf, nex)
        if not ok:
            return o, frame, nsel, nex, ST_EXPORT_FULL
        frame += 1
        nsel = _packet(b, o + 16, caplen, wirelen, linktype, ts, frame, chunk_no, fi, ff, state,
                       seli, self_, nsel, stats, nmi, nmf, nmb)
        o += 16 + caplen


@njit(cache=True)
def walk_pcapng(b, start, end, big, if_link, if_tsdiv, last_ts, frame0, chunk_no, fi, ff, state,
                seli, self_, exi, exf, stats, idle, nmi, nmf, nmb):
    """Walk pcapng packet blocks (EPB, SPB, OPB); stop at any other block for Python to handle.
    Returns (consumed, frames, nsel, nex, status, last_ts)."""
    o = start
    frame = frame0
    nsel = 0
    nex = 0
    sel_cap = seli.shape[0] - 3
    ts = last_ts
    while True:
        if nsel >= sel_cap or state[2] >= nmi.shape[0] - 64:
            return o, frame, nsel, nex, ST_SEL_FULL, ts
        if end - o < 12:
            return o, frame, nsel, nex, ST_NEED_MORE, ts
        btype = _u32(b, o, big)
        if btype == 0x0A0D0D0A:  # section header: its own byte order decides, Python reads it
            return o, frame, nsel, nex, ST_META_BLOCK, ts
        blen = _u32(b, o + 4, big)
        if blen < 12 or (blen & 3) != 0 or blen > MAX_SNAP + 64:
            return o, frame, nsel, nex, ST_BAD_RECORD, ts
        if end - o < blen:
            return o, frame, nsel, nex, ST_NEED_MORE, ts
        if btype == 6 or btype == 2:  # enhanced / obsolete packet block
            if btype == 6:
                iface = _u32(b, o + 8, big)
                caplen = _u32(b, o + 20, big)
                wirelen = _u32(b, o + 24, big)
            else:
                iface = _u16(b, o + 8, big)
                caplen = _u32(b, o + 20, big)
                wirelen = _u32(b, o + 24, big)
            if iface >= if_link.shape[0] or 28 + caplen > blen:
                return o, frame, nsel, nex, ST_BAD_RECORD, ts
            tsv = (np.uint64(_u32(b, o + 12, big)) << np.uint64(32)) | np.uint64(_u32(b, o + 16, big))
            ts = np.float64(tsv) / if_tsdiv[iface]
            nex, ok = _maybe_sweep(fi, ff, state, ts, idle, exi, exf, nex)
            if not ok:
                return o, frame, nsel, nex, ST_EXPORT_FULL, ts
            frame += 1
            nsel = _packet(b, o + 28, caplen, wirelen, if_link[iface], ts, frame, chunk_no, fi, ff,
                           state, seli, self_, nsel, stats, nmi, nmf, nmb)
        elif btype == 3:  # simple packet block: interface 0, no timestamp
            if if_link.shape[0] == 0:
                return o, frame, nsel, nex, ST_BAD_RECORD, ts
            wirelen = _u32(b, o + 8, big)
            caplen = min(wirelen, blen - 16)
            nex, ok = _maybe_sweep(fi, ff, state, ts, idle, exi, exf, nex)
            if not ok:
                return o, frame, nsel, nex, ST_EXPORT_FULL, ts
            frame += 1
            nsel = _packet(b, o + 12, caplen, wirelen, if_link[0], ts, frame, chunk_no, fi, ff,
                           state, seli, self_, nsel, stats, nmi, nmf, nmb)
        else:
            return o, frame, nsel, nex, ST_META_BLOCK, ts
        o += blen


# ---- host names ----------------------------------------------------------------------------
@njit(cache=True)
def _name_row(nmi, nmf, state, frame, kind, ts, shi, slo, chi, clo, ver, ttl):
    n = state[2]
    nmi[n, NM_FRAME] = frame
    nmi[n, NM_KIND] = kind
    nmi[n, NM_SHI] = shi
    nmi[n, NM_SLO] = slo
    nmi[n, NM_CHI] = chi
    nmi[n, NM_CLO] = clo
    nmi[n, NM_VER] = ver
    nmi[n, NM_CVER] = ver
    nmi[n, NM_TTL] = ttl
    nmf[n] = ts
    return n


@njit(cache=True)
def _skip_name(b, i, end):
    """Offset after a DNS name at b[i] (labels, maybe ending in a pointer); -1 if malformed."""
    while i < end:
        ln = b[i]
        if ln == 0:
            return i + 1
        if (ln & 0xC0) == 0xC0:
            return i + 2 if i + 2 <= end else -1
        if (ln & 0xC0) != 0:
            return -1
        i += 1 + ln
    return -1


@njit(cache=True)
def _copy_name(b, msg, i, end, nmb, row):
    """Decode the DNS name at b[i] (compression pointers relative to msg) into nmb[row] as
    lower-case dotted text; returns its length, -1 if malformed."""
    n = 0
    hops = 0
    while i < end:
        ln = np.int64(b[i])
        if ln == 0:
            return n
        if (ln & 0xC0) == 0xC0:
            if i + 1 >= end or hops > 16:
                return -1
            i = msg + (((ln & 0x3F) << 8) | np.int64(b[i + 1]))
            hops += 1
            continue
        if (ln & 0xC0) != 0 or i + 1 + ln > end:
            return -1
        if n > 0 and n < NAME_MAX:
            nmb[row, n] = 46
            n += 1
        for k in range(ln):
            if n < NAME_MAX:
                c = b[i + 1 + k]
                nmb[row, n] = c + 32 if 65 <= c <= 90 else c
                n += 1
        i += 1 + ln
    return -1


@njit(cache=True)
def _dns_rows(b, m, end, frame, ts, d, ahi, alo, bhi, blo, ver, nmi, nmf, nmb, state):
    """One row per A/AAAA answer of a DNS response at b[m:end]: (question name → IP, TTL)."""
    if end - m < 12 or (b[m + 2] & 0x80) == 0:
        return
    qd = _be16(b, m + 4)
    an = _be16(b, m + 6)
    if qd < 1 or an < 1:
        return
    chi, clo = bhi, blo   # (ahi, alo) / (bhi, blo) are the packet's source / destination:
    row = state[2]        # the client is the receiver of the response
    qlen = _copy_name(b, m, m + 12, end, nmb, row)
    if qlen < 0:
        return
    i = m + 12
    for _ in range(qd):
        i = _skip_name(b, i, end)
        if i < 0:
            return
        i += 4
    for _ in range(an):
        i = _skip_name(b, i, end)
        if i < 0 or i + 10 > end:
            return
        rtype = _be16(b, i)
        ttl = _be32(b, i + 4)
        rdlen = _be16(b, i + 8)
        i += 10
        if i + rdlen > end:
            return
        if (rtype == 1 and rdlen == 4) or (rtype == 28 and rdlen == 16):
            if state[2] >= nmi.shape[0]:
                return
            n = state[2]
            if n != row:
                nmb[n, :qlen] = nmb[row, :qlen]
            if rtype == 1:
                _name_row(nmi, nmf, state, frame, K_DNS, ts, 0, _be32(b, i), chi, clo, ver, ttl)
            else:
                _name_row(nmi, nmf, state, frame, K_DNS, ts, _be64(b, i), _be64(b, i + 8), chi,
                          clo, ver, ttl)
            nmi[n, NM_LEN] = qlen
            nmi[n, NM_VER] = 4 if rtype == 1 else 6
            state[2] += 1
        i += rdlen


@njit(cache=True)
def _sni_row(b, p, end, frame, ts, ahi, alo, bhi, blo, ver, nmi, nmf, nmb, state):
    """server_name of a TLS ClientHello (first segment): a row naming the server IP. The caller
    passes the packet's own source/destination in (ahi, alo) / (bhi, blo)."""
    i = p + 5 + 4 + 2 + 32
    if i >= end:
        return
    i += 1 + np.int64(b[i])
    if i + 2 > end:
        return
    i += 2 + _be16(b, i)
    if i >= end:
        return
    i += 1 + np.int64(b[i])
    if i + 2 > end:
        return
    ext_end = min(end, i + 2 + _be16(b, i))
    i += 2
    while i + 4 <= ext_end:
        etype = _be16(b, i)
        elen = _be16(b, i + 4 - 2)
        if etype == 0 and i + 9 <= end and b[i + 6] == 0:
            n = _be16(b, i + 7)
            j = i + 9
            if j + n > end or state[2] >= nmi.shape[0]:
                return
            row = state[2]
            k = 0
            while k < n and k < NAME_MAX:
                c = b[j + k]
                nmb[row, k] = c + 32 if 65 <= c <= 90 else c
                k += 1
            _name_row(nmi, nmf, state, frame, K_TLS_HELLO, ts, bhi, blo, ahi, alo, ver, -1)
            nmi[row, NM_LEN] = k
            state[2] += 1
            return
        i += 4 + elen


@njit(cache=True)
def _host_row(b, p, end, frame, ts, ahi, alo, bhi, blo, ver, nmi, nmf, nmb, state):
    """Host header of an HTTP request head: a row naming the server IP (port stripped)."""
    lim = min(end, p + 4096)
    i = p
    while i + 7 < lim:
        if b[i] == 13 and b[i + 1] == 10:
            if b[i + 2] == 13:
                return  # end of head
            c0, c1, c2, c3 = b[i + 2] | 32, b[i + 3] | 32, b[i + 4] | 32, b[i + 5] | 32
            if c0 == 104 and c1 == 111 and c2 == 115 and c3 == 116 and b[i + 6] == 58:
                j = i + 7
                while j < lim and (b[j] == 32 or b[j] == 9):
                    j += 1
                if state[2] >= nmi.shape[0]:
                    return
                row = state[2]
                k = 0
                bracket = j < lim and b[j] == 91
                while j < lim and b[j] != 13 and k < NAME_MAX:
                    c = b[j]
                    if (c == 58 and not bracket) or c == 93:
                        break  # ':port' or the end of '[v6]'
                    if c != 91:
                        nmb[row, k] = c + 32 if 65 <= c <= 90 else c
                        k += 1
                    j += 1
                if k == 0:
                    return
                _name_row(nmi, nmf, state, frame, K_HTTP_HEAD, ts, bhi, blo, ahi, alo, ver, -1)
                nmi[row, NM_LEN] = k
                state[2] += 1
                return
        i += 1
