#!/usr/bin/env python3
"""Deterministic generator of the synthetic test captures in tests/data/synth/.

Run:  .venv/bin/python tests/data/synth/make_synth.py
It rewrites every capture, truth.json and nothing else; two runs give the same bytes.

Everything here is built from the wire formats of public implementations and specs; see
README.md beside this file for the source of every message shape.  No network access, no
randomness that is not seeded, no wall-clock time.

Sections:
  1. small helpers (hashing, hex, bech32, sha256 midstate)
  2. packet building (Ethernet/VLAN/SLL/SLL2/NULL/raw, IPv4/IPv6, TCP, UDP, DNS)
  3. capture writers (pcap LE/BE, usec/nsec; pcapng with several interfaces, EPB/SPB/ISB)
  4. a TCP conversation model (handshake, MSS split, ACKs, timestamps option, FIN)
  5. protocol sessions: one function per flavour capture, each returning packets + truth
  6. reader/TCP pathology captures
  7. main: write files and truth.json
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import math
import os
import random
import struct
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))

# =============================================================================================
# 1. helpers
# =============================================================================================


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def hx(b: bytes) -> str:
    return b.hex()


def rbytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def swap_words(b: bytes) -> bytes:
    """Reverse the byte order inside every 4-byte word (Stratum prevhash, getwork data)."""
    return b"".join(b[i:i + 4][::-1] for i in range(0, len(b), 4))


def varint(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def js_num(x) -> str:
    """Number as JavaScript's JSON.stringify / Number#toString writes it (decimal for 1e-7..1e21)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    s = format(Decimal(repr(x)), "f")
    return s


def js_dumps(o) -> str:
    """JSON.stringify(o) for dicts (insertion order), lists, str, numbers, bool, None."""
    if o is None:
        return "null"
    if isinstance(o, bool):
        return "true" if o else "false"
    if isinstance(o, (int, float)):
        return js_num(o)
    if isinstance(o, str):
        return json.dumps(o)
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(js_dumps(v) for v in o) + "]"
    if isinstance(o, dict):
        return "{" + ",".join(json.dumps(k) + ":" + js_dumps(v) for k, v in o.items()) + "}"
    raise TypeError(type(o))


def compact(o) -> str:
    """Compact JSON keeping insertion order (rapidjson Writer, Go encoding/json, jansson COMPACT)."""
    return json.dumps(o, separators=(",", ":"))


def jsoncpp(o) -> str:
    """jsoncpp StreamWriterBuilder with indentation "" (ethminer): compact, keys sorted."""
    return json.dumps(o, separators=(",", ":"), sort_keys=True)


def pydumps(o) -> str:
    """Python json.dumps default separators ', ' and ': ' (keys in the given order)."""
    return json.dumps(o)


# --- bech32 (BIP173 reference algorithm) ------------------------------------------------------
_B32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _b32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def _b32_hrp_expand(hrp):
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def _convertbits(data, frombits, tobits):
    acc = bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if bits:
        ret.append((acc << (tobits - bits)) & maxv)
    return ret


def segwit_addr(hrp: str, witver: int, prog: bytes) -> str:
    data = [witver] + _convertbits(prog, 8, 5)
    values = _b32_hrp_expand(hrp) + data
    polymod = _b32_polymod(values + [0] * 6) ^ 1
    chk = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_B32[d] for d in data + chk)


def segwit_decode_prog(addr: str) -> tuple[int, bytes]:
    hrp, data = addr.rsplit("1", 1)
    d = [_B32.index(c) for c in data]
    assert _b32_polymod(_b32_hrp_expand(hrp) + d) == 1, addr
    return d[0], bytes(_convertbits(d[1:-6], 5, 8)[: (len(d[1:-6]) * 5) // 8])


# --- SHA-256 midstate (getwork "midstate" field needs the internal state after block 1) -------
_K = [
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
]
_H0 = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]


def sha256_midstate(block64: bytes) -> bytes:
    def rotr(x, n):
        return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF

    w = list(struct.unpack(">16I", block64))
    for i in range(16, 64):
        s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w.append((w[i - 16] + s0 + w[i - 7] + s1) & 0xFFFFFFFF)
    a, b, c, d, e, f, g, h = _H0
    for i in range(64):
        s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        ch = (e & f) ^ ((~e) & g)
        t1 = (h + s1 + ch + _K[i] + w[i]) & 0xFFFFFFFF
        s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        maj = (a & b) ^ (a & c) ^ (b & c)
        t2 = (s0 + maj) & 0xFFFFFFFF
        h, g, f, e, d, c, b, a = g, f, e, (d + t1) & 0xFFFFFFFF, c, b, a, (t1 + t2) & 0xFFFFFFFF
    st = [(x + y) & 0xFFFFFFFF for x, y in zip(_H0, [a, b, c, d, e, f, g, h])]
    # bitcoind/pools write the midstate as the state words in little-endian byte order
    return b"".join(struct.pack("<I", x) for x in st)


def keccak256(b: bytes) -> bytes:
    from Crypto.Hash import keccak  # pycryptodome, a declared project dependency

    k = keccak.new(digest_bits=256)
    k.update(b)
    return k.digest()


def ethash_seedhash(epoch: int) -> bytes:
    s = bytes(32)
    for _ in range(epoch):
        s = keccak256(s)
    return s


def cpuminer_target(diff: float) -> int:
    """cpuminer/ethminer diff_to_target(): m = 4294901760.0 / diff placed at word k (k=6 for diff<=1)."""
    k = 6
    while k > 0 and diff > 1.0:
        diff /= 4294967296.0
        k -= 1
    m = int(4294901760.0 / diff)
    assert m < 2**64
    return m << (32 * k)


DIFF1 = 0x00000000FFFF0000000000000000000000000000000000000000000000000000


def utc(s: str) -> float:
    return _dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=_dt.timezone.utc).timestamp()


def http_date(t: float) -> str:
    return _dt.datetime.fromtimestamp(int(t), _dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


# =============================================================================================
# 2. packet building
# =============================================================================================


def inet_csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_bytes(addr: str) -> bytes:
    import ipaddress

    return ipaddress.ip_address(addr).packed


def is_v6(addr: str) -> bool:
    return ":" in addr


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int, ttl: int) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl, proto, 0,
                      ip_bytes(src), ip_bytes(dst))
    c = inet_csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ipv6(src: str, dst: str, nh: int, payload: bytes, hlim: int, flow: int = 0) -> bytes:
    return struct.pack("!IHBB16s16s", (6 << 28) | (flow & 0xFFFFF), len(payload), nh, hlim,
                       ip_bytes(src), ip_bytes(dst)) + payload


def l4_csum(src: str, dst: str, proto: int, seg: bytes) -> int:
    if is_v6(src):
        ph = ip_bytes(src) + ip_bytes(dst) + struct.pack("!IxxxB", len(seg), proto)
    else:
        ph = ip_bytes(src) + ip_bytes(dst) + struct.pack("!xBH", proto, len(seg))
    return inet_csum(ph + seg)


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_segment(src, dst, sport, dport, seq, ack, flags, win, payload, options=b""):
    while len(options) % 4:
        options += b"\x01"
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off << 4, flags, win, 0, 0)
    seg = hdr + options + payload
    c = l4_csum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp_datagram(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_csum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def dns_query(txid: int, name: str, qtype: int = 1) -> bytes:
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, 1)


def dns_response(txid: int, name: str, addrs: list[str], ttl: int = 300) -> bytes:
    q = dns_name(name) + struct.pack("!HH", 1, 1)
    ans = b""
    for a in addrs:
        ans += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, ttl, 4) + ip_bytes(a)
    return struct.pack("!HHHHHH", txid, 0x8180, 1, len(addrs), 0, 0) + q + ans


@dataclass
class Pkt:
    ts_ns: int           # capture timestamp, integer nanoseconds since the epoch
    ip: bytes            # the IP packet (v4 or v6)
    v6: bool
    d: str = ""          # "c" client->server, "s" server->client, "" other
    seq: int = 0
    payload: bytes = b""
    flags: int = 0
    flow: str = ""


MAC_CLIENT = bytes.fromhex("525400a1b2c3")
MAC_GW = bytes.fromhex("001b21c4d5e6")


def link_ethernet(p: Pkt, vlans: tuple = (), cmac=MAC_CLIENT, gmac=MAC_GW) -> bytes:
    src, dst = (cmac, gmac) if p.d in ("c", "") else (gmac, cmac)
    et = 0x86DD if p.v6 else 0x0800
    tags = b""
    for tpid, vid in vlans:
        tags += struct.pack("!HH", tpid, vid)
    return dst + src + tags + struct.pack("!H", et) + p.ip


def link_sll(p: Pkt) -> bytes:
    # Linux cooked v1 (DLT_LINUX_SLL 113): pkttype, ARPHRD, addr len, 8-byte addr, protocol
    pkttype = 4 if p.d in ("c", "") else 0   # 4 = PACKET_OUTGOING, 0 = PACKET_HOST
    addr = (MAC_CLIENT if pkttype == 4 else MAC_GW) + b"\x00\x00"
    return struct.pack("!HHH8sH", pkttype, 1, 6, addr, 0x86DD if p.v6 else 0x0800) + p.ip


def link_sll2(p: Pkt) -> bytes:
    # Linux cooked v2 (DLT_LINUX_SLL2 276): protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr
    pkttype = 4 if p.d in ("c", "") else 0
    addr = (MAC_CLIENT if pkttype == 4 else MAC_GW) + b"\x00\x00"
    return struct.pack("!HHIHBB8s", 0x86DD if p.v6 else 0x0800, 0, 2, 1, pkttype, 6, addr) + p.ip


def link_raw(p: Pkt) -> bytes:
    return p.ip


def link_null(p: Pkt, endian="<") -> bytes:
    # DLT_NULL: 4-byte address family in the byte order of the host that wrote the file
    return struct.pack(endian + "I", 30 if p.v6 else 2) + p.ip


# =============================================================================================
# 3. capture writers
# =============================================================================================


def write_pcap(path, pkts, linktype, link, endian="<", nsec=False, snaplen=262144, truncate_tail=None,
               caplens=None):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for i, p in enumerate(pkts):
        frame = link(p)
        orig = len(frame)
        if caplens and i in caplens:
            frame = frame[: caplens[i]]
        sec, ns = divmod(p.ts_ns, 1_000_000_000)
        frac = ns if nsec else ns // 1000
        out.append(struct.pack(endian + "IIII", sec, frac, len(frame), orig) + frame)
    data = b"".join(out)
    if truncate_tail:
        data = data[:-truncate_tail]
    with open(path, "wb") as f:
        f.write(data)
    return data


def _pad4(b: bytes) -> bytes:
    return b + b"\x00" * ((4 - len(b) % 4) % 4)


def _opt(endian, code, val: bytes) -> bytes:
    return struct.pack(endian + "HH", code, len(val)) + _pad4(val)


def _block(endian, btype, body: bytes) -> bytes:
    ln = 12 + len(body)
    return struct.pack(endian + "II", btype, ln) + body + struct.pack(endian + "I", ln)


def pcapng_shb(endian, appl="minewatch make_synth.py", hardware="x86_64", os_="Linux 6.1"):
    opts = _opt(endian, 2, hardware.encode()) + _opt(endian, 3, os_.encode()) + _opt(endian, 4, appl.encode())
    opts += struct.pack(endian + "HH", 0, 0)
    body = struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opts
    return _block(endian, 0x0A0D0D0A, body)


def pcapng_idb(endian, linktype, snaplen=262144, name="eth0", tsresol=None, descr=None):
    opts = _opt(endian, 2, name.encode())
    if descr:
        opts += _opt(endian, 3, descr.encode())
    if tsresol is not None:
        opts += _opt(endian, 9, bytes([tsresol]))
    opts += struct.pack(endian + "HH", 0, 0)
    return _block(endian, 0x00000001, struct.pack(endian + "HHI", linktype, 0, snaplen) + opts)


def pcapng_epb(endian, ifid, ts_units, frame, orig=None, comment=None):
    hi, lo = ts_units >> 32, ts_units & 0xFFFFFFFF
    body = struct.pack(endian + "IIIII", ifid, hi, lo, len(frame), orig or len(frame)) + _pad4(frame)
    if comment:
        body += _opt(endian, 1, comment.encode()) + struct.pack(endian + "HH", 0, 0)
    return _block(endian, 0x00000006, body)


def pcapng_spb(endian, frame):
    return _block(endian, 0x00000003, struct.pack(endian + "I", len(frame)) + _pad4(frame))


def pcapng_isb(endian, ifid, ts_units, recv, drop):
    hi, lo = ts_units >> 32, ts_units & 0xFFFFFFFF
    opts = _opt(endian, 4, struct.pack(endian + "Q", recv)) + _opt(endian, 5, struct.pack(endian + "Q", drop))
    opts += struct.pack(endian + "HH", 0, 0)
    return _block(endian, 0x00000005, struct.pack(endian + "III", ifid, hi, lo) + opts)


# =============================================================================================
# 4. TCP conversation model
# =============================================================================================

US = 1000  # ns per microsecond


def to_ns(t: float) -> int:
    """Seconds -> integer ns on a microsecond grid (pcap usec files stay exact)."""
    return int(round(t * 1_000_000)) * US


class TCPFlow:
    """Packets of one TCP connection as seen by a tap next to the client.

    Client packets are captured when sent, server packets when they arrive; the server
    acknowledges client data one RTT after it was captured.  Lines handed to send() at the
    same instant in one direction go out in one write (one segment unless longer than MSS).
    """

    def __init__(self, rng, client, server, t_open, rtt=0.030, handshake=True, mss=1460,
                 isn_c=None, isn_s=None, name="", ttl_c=64, ttl_s=52, close=None):
        self.rng = rng
        self.cip, self.cport = client
        self.sip, self.sport = server
        self.v6 = is_v6(self.cip)
        self.t_open = t_open
        self.rtt = rtt
        self.handshake = handshake
        self.mss = mss - (12 if True else 0)  # timestamps option on every segment
        self.isn = {"c": isn_c if isn_c is not None else rng.getrandbits(32),
                    "s": isn_s if isn_s is not None else rng.getrandbits(32)}
        self.sends: list[tuple[float, str, bytes, list | None]] = []
        self.name = name
        self.ttl = {"c": ttl_c, "s": ttl_s}
        self.ipid = {"c": rng.getrandbits(16), "s": rng.getrandbits(16)}
        self.tsoff = {"c": rng.getrandbits(31), "s": rng.getrandbits(31)}
        self.win = {"c": 502, "s": 509}
        self.close_at = close
        self._recorded: list[tuple[float, str, str]] = []

    # -- API used by the session scripts -------------------------------------------------------
    def send(self, t: float, d: str, data: bytes, split: list[int] | None = None, record=True):
        self.sends.append((t, d, data, split))
        if record:
            for ln in data.split(b"\n")[:-1] if data.endswith(b"\n") else []:
                self._recorded.append((t, d, ln.decode("latin-1")))

    @property
    def lines(self):
        """Recorded lines per direction in stream (time) order."""
        rec = sorted(self._recorded, key=lambda x: x[0])
        return {"c": [x[2] for x in rec if x[1] == "c"], "s": [x[2] for x in rec if x[1] == "s"]}

    def close(self, t: float):
        self.close_at = t

    @property
    def key(self):
        return f"{self.cip}:{self.cport}", f"{self.sip}:{self.sport}"

    # -- packet generation ---------------------------------------------------------------------
    def _tsopt(self, d, t):
        tsval = (int(t * 1000) + self.tsoff[d]) & 0xFFFFFFFF
        o = "s" if d == "c" else "c"
        tsecr = (int((t - self.rtt) * 1000) + self.tsoff[o]) & 0xFFFFFFFF
        return b"\x01\x01\x08\x0a" + struct.pack("!II", tsval, tsecr)

    def _pkt(self, t, d, seq, ack, flags, payload=b"", options=None):
        src, dst = (self.cip, self.sip) if d == "c" else (self.sip, self.cip)
        sp, dp = (self.cport, self.sport) if d == "c" else (self.sport, self.cport)
        opts = self._tsopt(d, t) if options is None else options
        seg = tcp_segment(src, dst, sp, dp, seq, ack, flags, self.win[d], payload, opts)
        self.ipid[d] = (self.ipid[d] + 1) & 0xFFFF
        if self.v6:
            ip = ipv6(src, dst, 6, seg, self.ttl[d])
        else:
            ip = ipv4(src, dst, 6, seg, self.ipid[d], self.ttl[d])
        return Pkt(to_ns(t), ip, self.v6, d, seq, payload, flags, self.name)

    def packets(self) -> list[Pkt]:
        rng = self.rng
        out: list[Pkt] = []
        nxt = {"c": (self.isn["c"] + 1) & 0xFFFFFFFF, "s": (self.isn["s"] + 1) & 0xFFFFFFFF}
        t0 = self.t_open
        if self.handshake:
            syn_opts = lambda d, t: (struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + self._tsopt(d, t)[2:]
                                     + b"\x01\x03\x03\x07")
            out.append(self._pkt(t0, "c", self.isn["c"], 0, SYN, options=syn_opts("c", t0)))
            self.win["c"], self.win["s"] = 64240, 65160
            out.append(self._pkt(t0 + self.rtt, "s", self.isn["s"], nxt["c"], SYN | ACK,
                                 options=syn_opts("s", t0 + self.rtt)))
            out.append(self._pkt(t0 + self.rtt + 0.000061, "c", nxt["c"], nxt["s"], ACK))
            self.win["c"], self.win["s"] = 502, 509
        # data segments
        segs = []  # (t, d, seq, payload, last)
        for t, d, data, split in sorted(self.sends, key=lambda x: x[0]):
            sizes = split or []
            if not sizes:
                rem = len(data)
                while rem > 0:
                    sizes.append(min(self.mss, rem))
                    rem -= sizes[-1]
            assert sum(sizes) == len(data), (sizes, len(data))
            off = 0
            for i, n in enumerate(sizes):
                segs.append((t + i * 0.000011, d, nxt[d], data[off:off + n], i == len(sizes) - 1))
                nxt[d] = (nxt[d] + n) & 0xFFFFFFFF
                off += n

        def acked_by(d, t):
            """Highest sequence the peer of direction d has seen in data captured before t."""
            o = "s" if d == "c" else "c"
            lag = self.rtt if d == "s" else 0.0   # server sees client data one RTT after capture
            best = (self.isn[o] + 1) & 0xFFFFFFFF
            for (ts, dd, seq, pl, _) in segs:
                if dd == o and ts + lag <= t + 1e-9:
                    best = (seq + len(pl)) & 0xFFFFFFFF
            return best

        for (t, d, seq, pl, last) in segs:
            out.append(self._pkt(t, d, seq, acked_by(d, t), (PSH | ACK) if last else ACK, pl))
        # pure ACKs
        for (t, d, seq, pl, last) in segs:
            o = "s" if d == "c" else "c"
            delay = self.rtt if d == "c" else 0.000214 + rng.random() * 0.0002
            ta = t + delay
            piggy = any(dd == o and t < ts <= ta + (0.004 if d == "c" else 0.0) for (ts, dd, _, _, _) in segs)
            if not piggy and last:
                out.append(self._pkt(ta, o, nxt_at(segs, o, ta, self.isn[o]), (seq + len(pl)) & 0xFFFFFFFF, ACK))
        if self.close_at is not None:
            tc = self.close_at
            out.append(self._pkt(tc, "c", nxt["c"], nxt["s"], FIN | ACK))
            out.append(self._pkt(tc + self.rtt, "s", nxt["s"], nxt["c"] + 1, FIN | ACK))
            out.append(self._pkt(tc + self.rtt + 0.000052, "c", nxt["c"] + 1, nxt["s"] + 1, ACK))
        out.sort(key=lambda p: p.ts_ns)
        return out


def nxt_at(segs, d, t, isn):
    """Next sequence number of direction d at time t (after the data it sent before t)."""
    best = (isn + 1) & 0xFFFFFFFF
    for (ts, dd, seq, pl, _) in segs:
        if dd == d and ts <= t:
            best = (seq + len(pl)) & 0xFFFFFFFF
    return best


def dns_exchange(rng, client_ip, resolver, name, addr, t, cport=None):
    cport = cport or rng.randint(32768, 60999)
    txid = rng.getrandbits(16)
    q = udp_datagram(client_ip, resolver, cport, 53, dns_query(txid, name))
    r = udp_datagram(resolver, client_ip, 53, cport, dns_response(txid, name, [addr]))
    return [Pkt(to_ns(t), ipv4(client_ip, resolver, 17, q, rng.getrandbits(16), 64), False, "c", flow="dns"),
            Pkt(to_ns(t + 0.0123), ipv4(resolver, client_ip, 17, r, rng.getrandbits(16), 62), False, "s",
                flow="dns")]


# =============================================================================================
# 5. protocol sessions
# =============================================================================================

# --- identities (all public test vectors / public donation addresses, see README) --------------
BTC_ADDR = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"          # BIP173 P2WPKH test vector
BTC_ADDR_POOL = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"  # BIP173 P2WSH vector
BTC_ADDR_BIP84 = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"     # BIP84 first receive address vector
BTC_ADDR_P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"               # Bitcoin wiki P2SH example
LTC_ADDR = segwit_addr("ltc", 0, segwit_decode_prog(BTC_ADDR)[1])  # same 20-byte program, ltc HRP
LTC_ADDR_POOL = segwit_addr("ltc", 0, segwit_decode_prog(BTC_ADDR_BIP84)[1])
ETH_ADDRS = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
             "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]  # EIP-55
XMR_ADDR = ("44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A")
# ^ the Monero general-fund donation address published on getmonero.org


def _check_eip55(a: str):
    h = keccak256(a[2:].lower().encode()).hex()
    want = "".join(c.upper() if c.isalpha() and int(h[i], 16) >= 8 else c.lower() for i, c in enumerate(a[2:]))
    assert a[2:] == want, a


def _check_monero(a: str):
    alpha = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    sizes = {11: 8, 7: 5}
    raw = b""
    for i in range(0, len(a), 11):
        blk = a[i:i + 11]
        n = 0
        for c in blk:
            n = n * 58 + alpha.index(c)
        raw += n.to_bytes(sizes[len(blk)], "big")
    assert len(a) == 95 and raw[0] == 18 and keccak256(raw[:-4])[:4] == raw[-4:], a


@dataclass
class ShareBook:
    """Ground truth of shares and the hashrate they imply."""
    k: float
    algorithm: str
    coin: str
    shares: list = field(default_factory=list)
    window_start: float | None = None

    def add(self, ts, difficulty, accepted, **info):
        self.shares.append(dict(ts=round(ts, 6), difficulty=difficulty, accepted=accepted, **info))

    def summary(self):
        acc = [s for s in self.shares if s["accepted"]]
        out = {
            "k": self.k,
            "shares_submitted": len(self.shares),
            "shares_accepted": len(acc),
            "shares_rejected": len(self.shares) - len(acc),
        }
        if acc and self.window_start is not None:
            t_end = acc[-1]["ts"]
            dt = t_end - self.window_start
            sd = sum(s["difficulty"] for s in acc)
            out.update({
                "window_start_ts": round(self.window_start, 6),
                "window_end_ts": t_end,
                "window_seconds": round(dt, 6),
                "sum_difficulty_accepted": sd,
                "expected_hashrate_hs": sd * self.k / dt,
            })
            if len(acc) > 1:
                dt2 = acc[-1]["ts"] - acc[0]["ts"]
                out["hashrate_between_first_and_last_share_hs"] = sum(s["difficulty"] for s in acc[1:]) * self.k / dt2
            out["relative_error_1_over_sqrt_n"] = 1 / math.sqrt(len(acc))
        out["shares"] = self.shares
        return out


def poisson_times(rng, t_start, t_end_min, n, mean_fn):
    """n event times after t_start; mean_fn(t) gives the mean gap at time t."""
    ts, t = [], t_start
    while len(ts) < n:
        t += rng.expovariate(1.0) * mean_fn(t)
        ts.append(t)
    return ts


# --- Bitcoin-style Stratum v1 jobs ---------------------------------------------------------------

def coinbase_parts(rng, height, ntime, payout_spk, value, en_total, tag):
    """Generation transaction split around the extranonce (NOMP transactions.js layout)."""
    hb = height.to_bytes((height.bit_length() + 8) // 8, "little")
    p1 = bytes([len(hb)]) + hb + b"\x04" + struct.pack("<I", ntime) + bytes([en_total])
    p2 = bytes([len(tag)]) + tag
    script_len = len(p1) + en_total + len(p2)
    coinb1 = (struct.pack("<I", 1) + b"\x01" + bytes(32) + b"\xff\xff\xff\xff" + varint(script_len) + p1)
    commit = b"\x6a\x24\xaa\x21\xa9\xed" + rbytes(rng, 32)
    coinb2 = (p2 + b"\x00\x00\x00\x00" + b"\x02" + struct.pack("<q", value) + varint(len(payout_spk))
              + payout_spk + struct.pack("<q", 0) + varint(len(commit)) + commit + b"\x00\x00\x00\x00")
    return coinb1, coinb2


def spk_for(addr):
    v, prog = segwit_decode_prog(addr)
    return bytes([0x50 + v if v else 0, len(prog)]) + prog


@dataclass
class V1Job:
    job_id: str
    prev_internal: bytes
    coinb1: bytes
    coinb2: bytes
    branches: list
    version: int
    nbits: int
    ntime: int
    clean: bool
    t: float = 0.0
    diff: float = 0.0

    def notify_params(self):
        return [self.job_id, hx(swap_words(self.prev_internal)), hx(self.coinb1), hx(self.coinb2),
                [hx(b) for b in self.branches], "%08x" % self.version, "%08x" % self.nbits,
                "%08x" % self.ntime, self.clean]

    def header76(self, en1, en2, ntime, version):
        h = sha256d(self.coinb1 + en1 + en2 + self.coinb2)
        for b in self.branches:
            h = sha256d(h + b)
        return (struct.pack("<I", version) + self.prev_internal + h + struct.pack("<I", ntime)
                + struct.pack("<I", self.nbits))


def pow_hash(algo, header80):
    if algo == "scrypt":
        return hashlib.scrypt(header80, salt=header80, n=1024, r=1, p=1, dklen=32)
    return sha256d(header80)


def grind(algo, h76, target, start):
    """First nonce >= start whose PoW hash (as a little-endian number) is <= target."""
    n = start
    if algo == "sha256d":
        base = hashlib.sha256(h76[:64])
        tail = h76[64:]
        while True:
            c = base.copy()
            c.update(tail + struct.pack("<I", n))
            hv = hashlib.sha256(c.digest()).digest()
            if int.from_bytes(hv, "little") <= target:
                return n, hv
            n = (n + 1) & 0xFFFFFFFF
    while True:
        hv = pow_hash(algo, h76 + struct.pack("<I", n))
        if int.from_bytes(hv, "little") <= target:
            return n, hv
        n = (n + 1) & 0xFFFFFFFF


def grind_invalid(algo, h76, target, start, min_share_diff_fraction):
    """A nonce whose hash misses the target but not by much (a 'low difficulty share')."""
    n = start
    while True:
        hv = pow_hash(algo, h76 + struct.pack("<I", n))
        v = int.from_bytes(hv, "little")
        if target < v <= target / min_share_diff_fraction:
            return n, hv
        n = (n + 1) & 0xFFFFFFFF


def session_v1_bitcoin(rng, *, algo, coin, t0, client, server, dns, miner, user, worker, pool_payout,
                       diffs, n_accept, hashrate, height, nbits, value, tag, reject_kind):
    """A Stratum v1 session between a cgminer- or cpuminer-shaped client and a NOMP-shaped pool.

    miner: "cgminer" (mining.configure + version rolling, sprintf JSON with spaces) or
           "cpuminer" (pooler cpuminer 2.5.1: no configure, every submit has "id":4).
    """
    k = 2.0**32 if algo == "sha256d" else 2.0**16
    book = ShareBook(k=k, algorithm=algo, coin=coin)
    rtt = 0.046
    pkts = dns_exchange(rng, client[0], "192.168.1.1", dns, server[0], t0)
    f = TCPFlow(rng, client, server, t0 + 0.031, rtt=rtt, name="stratum")
    t = t0 + 0.031 + rtt + 0.0004
    agent = "cgminer/4.12.1" if miner == "cgminer" else "cpuminer/2.5.1"
    en1 = rbytes(rng, 4)
    en2_size = 4
    subid = "deadbeefcafebabe" + struct.pack("<Q", rng.randint(2, 4000)).hex()
    mask = 0x1FFFE000
    sid = 0
    if miner == "cgminer":
        f.send(t, "c", b'{"id": 0, "method": "mining.configure", "params": [["version-rolling"], '
                       b'{"version-rolling.mask": "ffffffff"}]}\n')
        t += rtt + 0.0011
        f.send(t, "s", (js_dumps({"id": 0, "result": {"version-rolling": True, "version-rolling.mask": "%08x" % mask},
                                  "error": None}) + "\n").encode())
        t += 0.0004
        f.send(t, "c", ('{"id": 1, "method": "mining.subscribe", "params": ["%s"]}\n' % agent).encode())
        sid = 2
    else:
        f.send(t, "c", ('{"id": 1, "method": "mining.subscribe", "params": ["%s"]}\n' % agent).encode())
        sid = 2
    t += rtt + 0.0009
    f.send(t, "s", (js_dumps({"id": 1, "result": [[["mining.set_difficulty", subid], ["mining.notify", subid]],
                                                   hx(en1), en2_size], "error": None}) + "\n").encode())
    t += 0.0005
    login = f"{user}.{worker}"
    f.send(t, "c", ('{"id": %d, "method": "mining.authorize", "params": ["%s", "x"]}\n' % (sid, login)).encode())
    auth_id = sid
    sid += 1
    t += rtt + 0.0023
    f.send(t, "s", (js_dumps({"id": auth_id, "result": True, "error": None}) + "\n").encode())

    # job schedule: a job every ~30 s, a new block (new prevhash, new height) once
    payout = spk_for(pool_payout)
    t_first = t + 0.0009
    jobs: list[V1Job] = []
    job_counter = rng.randint(0x100, 0xFFF)
    ntime0 = int(t_first) - rng.randint(2, 9)
    prev = rbytes(rng, 22) + bytes(10)  # internal byte order: the displayed hash's leading zeros at the end
    branches = [rbytes(rng, 32) for _ in range(rng.randint(9, 11))]
    tj = t_first
    cur_height = height
    horizon = t_first + 900
    new_block_at = t_first + rng.uniform(110, 150)
    while tj < horizon:
        clean = True   # NOMP sends clean_jobs=true with every job
        if jobs and tj >= new_block_at and jobs[-1].t < new_block_at:
            prev = rbytes(rng, 22) + bytes(10)
            cur_height += 1
            branches = [rbytes(rng, 32) for _ in range(rng.randint(9, 11))]
        else:
            branches = branches[:-1] + [rbytes(rng, 32)] if jobs else branches
        ntime = ntime0 + int(tj - t_first)
        cb1, cb2 = coinbase_parts(rng, cur_height, ntime, payout, value, 4 + en2_size, tag)
        job_counter += 1
        jobs.append(V1Job("%x" % job_counter, prev, cb1, cb2, list(branches), 0x20000000, nbits, ntime, clean, tj))
        tj += rng.uniform(24, 36)

    # difficulty schedule: diffs[0] from the start, diffs[1] sent between two jobs
    d_change_job = 5
    t_dc = jobs[d_change_job].t - rng.uniform(6, 9)
    for i, j in enumerate(jobs):
        j.diff = diffs[0] if j.t < t_dc else diffs[1]

    def job_at(tt):
        cand = [j for j in jobs if j.t <= tt]
        return cand[-1]

    # share times: Poisson with the mean gap of the current job's difficulty
    mean = lambda tt: job_at(tt).diff * k / hashrate
    times = poisson_times(rng, t_first, 0, n_accept - 1, mean)
    # one accepted share in the window between set_difficulty and the next job (old difficulty)
    gap_t = t_dc + (jobs[d_change_job].t - t_dc) * 0.55
    times = sorted([x for x in times if not (t_dc - 1 < x < jobs[d_change_job].t + 1)] + [gap_t])
    while len(times) < n_accept:
        times.append(times[-1] + rng.expovariate(1.0) * mean(times[-1]))
    times = sorted(times)[:n_accept]
    if reject_kind == "stale":
        nb = [j for j in jobs if j.prev_internal != jobs[0].prev_internal][0]
        rej_t = nb.t + 0.31   # a share for the old block's job, just after the new block's notify
        times = [x for x in times if abs(x - rej_t) > 1.0]
        while len(times) < n_accept:
            times.append(times[-1] + rng.expovariate(1.0) * mean(times[-1]))
    else:
        rej_t = (times[-4] + times[-3]) / 2
    book.window_start = t_first

    # emit pool messages: first difficulty + first job, later jobs, the difficulty change
    sends = []
    for i, j in enumerate(jobs):
        if j.t > times[-1] + 20:
            break
        msg = b""
        if i == 0:
            msg += (js_dumps({"id": None, "method": "mining.set_difficulty", "params": [diffs[0]]}) + "\n").encode()
        msg += (js_dumps({"id": None, "method": "mining.notify", "params": j.notify_params()}) + "\n").encode()
        sends.append((j.t, "s", msg))
    sends.append((t_dc, "s", (js_dumps({"id": None, "method": "mining.set_difficulty",
                                         "params": [diffs[1]]}) + "\n").encode()))
    n2 = rng.randint(0, 50)
    submit_events = [(x, True) for x in times] + [(rej_t, False)]
    submit_events.sort()
    last_share = None
    for (ts, ok) in submit_events:
        j = job_at(ts)
        if not ok and reject_kind == "stale":
            j = [x for x in jobs if x.t <= ts][-2]   # the previous (old-block) job
        target = cpuminer_target(j.diff / (65536.0 if algo == "scrypt" else 1.0))
        n2 += 1
        en2 = struct.pack("<I", n2)
        ntime = j.ntime + (rng.choice([0, 0, 0, 1, 2]) if miner == "cgminer" else 0)
        vbits = (rng.choice([0, 1, 2, 3, 4]) << 13) & mask if miner == "cgminer" else None
        version = (j.version & ~mask) | vbits if vbits is not None else j.version
        h76 = j.header76(en1, en2, ntime, version)
        start = rng.getrandbits(32)
        if ok or reject_kind == "stale":
            nonce, hv = grind(algo, h76, target, start)
        else:
            nonce, hv = grind_invalid(algo, h76, target, start, 0.05)
        if miner == "cgminer":
            req = ('{"params": ["%s", "%s", "%s", "%08x", "%08x", "%08x"], "id": %d, "method": "mining.submit"}\n'
                   % (login, j.job_id, hx(en2), ntime, nonce, vbits, sid))
            rid = sid
            sid += 1
        else:
            req = ('{"method": "mining.submit", "params": ["%s", "%s", "%s", "%08x", "%08x"], "id":4}\n'
                   % (login, j.job_id, hx(en2), ntime, nonce))
            rid = 4
        sends.append((ts, "c", req.encode()))
        if ok:
            resp = {"id": rid, "result": True, "error": None}
        elif reject_kind == "stale":
            resp = {"id": rid, "result": None, "error": [21, "job not found", None]}
        else:
            share_diff = DIFF1 / int.from_bytes(hv, "little") * (65536 if algo == "scrypt" else 1)
            resp = {"id": rid, "result": None, "error": [23, "low difficulty share of " + js_num(share_diff), None]}
        sends.append((ts + rtt + 0.0031 + rng.random() * 0.004, "s", (js_dumps(resp) + "\n").encode()))
        header = h76 + struct.pack("<I", nonce)
        book.add(ts, j.diff, ok, id=rid, job_id=j.job_id, extranonce1=hx(en1), extranonce2=hx(en2),
                 ntime="%08x" % ntime, nonce="%08x" % nonce,
                 version_bits=("%08x" % vbits) if vbits is not None else None,
                 header_hex=hx(header), pow_hash_hex=hx(hv[::-1]),
                 pow_valid=int.from_bytes(hv, "little") <= cpuminer_target(
                     j.diff / (65536.0 if algo == "scrypt" else 1.0)),
                 reject_reason=None if ok else resp["error"][1])
        last_share = ts
    for s in sorted(sends, key=lambda x: x[0]):
        if s[0] <= last_share + 15:
            f.send(*s)
    f.close(last_share + 14.2)
    pkts += f.packets()
    c, s = f.key
    sess = {
        "client": c, "server": s, "dns_name": dns, "transport": "tcp",
        "protocol": "stratum-v1", "flavour": "bitcoin-stratum-v1" + ("+version-rolling" if miner == "cgminer" else ""),
        "coin": coin, "algorithm": algo, "client_software": agent, "agent": agent,
        "login": login, "wallet": user, "worker": worker, "password": "x",
        "extranonce1": hx(en1), "extranonce2_size": en2_size,
        "difficulty_schedule": [{"difficulty": diffs[0], "sent_ts": round(jobs[0].t, 6),
                                 "applies_from_job": jobs[0].job_id},
                                {"difficulty": diffs[1], "sent_ts": round(t_dc, 6),
                                 "applies_from_job": jobs[d_change_job].job_id}],
        "version_rolling_mask": "%08x" % mask if miner == "cgminer" else None,
        "true_hashrate_hs": hashrate,
        "reported_hashrate_hs": None,
        "share_target_rule": ("target = floor(4294901760.0 / d) << 192 (cpuminer diff_to_target); "
                              + ("scrypt(header, header, N=1024, r=1, p=1) " if algo == "scrypt" else "sha256d(header) ")
                              + "read as a little-endian 256-bit number must be <= target"
                              + (", with d = pool difficulty / 65536" if algo == "scrypt" else "")),
    }
    sess.update(book.summary())
    return pkts, [f], sess


# --- Ethereum (ethash) sessions: NiceHash EthereumStratum/1.0.0, eth-proxy (two spellings), ES/2.0.0 -----

ETHASH_EPOCH = 440            # blocks 13,200,000-13,229,999 (September 2021)
ETHMINER = "ethminer-0.19.0"


def eth_session(rng, *, style, t0, client, server, dns, user, worker, diffs, n_accept, hashrate,
                gpus=2, hr_interval=60.0, block0=13_212_345):
    """One Ethereum pool session.  diffs are in the unit of the flavour:
    es1 -> NiceHash difficulty (k = 2^32); proxy_* and es2 -> hashes per share (k = 1)."""
    seed = ethash_seedhash(ETHASH_EPOCH)
    k = 2.0**32 if style == "es1" else 1.0
    book = ShareBook(k=k, algorithm="ethash", coin="ETH")
    rtt = 0.052
    pkts = dns_exchange(rng, client[0], "192.168.1.1", dns, server[0], t0) if dns else []
    f = TCPFlow(rng, client, server, t0 + 0.029, rtt=rtt, name="stratum")
    t = t0 + 0.029 + rtt + 0.0003
    login = f"{user}.{worker}" if style in ("es1", "es2") else user
    C = lambda tt, o: f.send(tt, "c", (o + "\n").encode())
    S = lambda tt, o: f.send(tt, "s", (o + "\n").encode())
    xn = ""
    sess_id = worker_tok = None
    hr_id = "0x" + hx(rbytes(rng, 32))
    proxy_rid = [1]

    def py_req(method, params, wk):
        proxy_rid[0] += 1
        return ('{"worker": %s, "jsonrpc": "2.0", "params": %s, "id": %d, "method": %s}'
                % (json.dumps(wk), json.dumps(params), proxy_rid[0], json.dumps(method))), proxy_rid[0]

    if style == "es1":
        C(t, jsoncpp({"id": 1, "method": "mining.subscribe", "params": [ETHMINER, "EthereumStratum/1.0.0"]}))
        t += rtt + 0.0012
        xn = hx(rbytes(rng, 2))
        S(t, compact({"id": 1, "result": [["mining.notify", hx(rbytes(rng, 16)), "EthereumStratum/1.0.0"], xn],
                      "error": None}))
        t += 0.0004
        C(t, jsoncpp({"id": 2, "method": "mining.extranonce.subscribe", "params": []}))
        C(t + 0.00003, jsoncpp({"id": 3, "method": "mining.authorize", "params": [login, "x"]}))
        t += rtt + 0.0011
        S(t, compact({"id": 2, "result": True, "error": None}))
        S(t + 0.00002, compact({"id": 3, "result": True, "error": None}))
    elif style == "proxy_compact":
        C(t, jsoncpp({"id": 1, "method": "eth_submitLogin", "params": [user], "worker": worker}))
        t += rtt + 0.0013
        S(t, compact({"id": 1, "jsonrpc": "2.0", "result": True}))
        t += 0.0003
        C(t, jsoncpp({"id": 5, "method": "eth_getWork", "params": []}))
    elif style == "proxy_space":
        req, _ = py_req("eth_submitLogin", [user, ""], "Proxy_0.0.5")
        C(t, req)
        t += rtt + 0.0013
        S(t, '{"jsonrpc":"2.0","id":2,"result":true}')
        t += 0.0003
        req, _ = py_req("eth_getWork", [], "")
        C(t, req)
    elif style == "es2":
        C(t, jsoncpp({"id": 1, "method": "mining.hello", "params": {"agent": ETHMINER, "host": dns,
                                                                    "port": "%x" % server[1],
                                                                    "proto": "EthereumStratum/2.0.0"}}))
        t += rtt + 0.0010
        S(t, compact({"id": 1, "result": {"proto": "EthereumStratum/2.0.0", "encoding": "plain", "resume": "0",
                                          "timeout": "b4", "maxerrors": "5",
                                          "node": "Geth/v1.10.8-stable-26675454/linux-amd64/go1.16.4"}}))
        t += 0.0003
        C(t, jsoncpp({"id": 2, "method": "mining.subscribe"}))
        t += rtt + 0.0009
        sess_id = "s-" + hx(rbytes(rng, 3))
        S(t, compact({"id": 2, "result": sess_id}))
        t += 0.0003
        C(t, jsoncpp({"id": 3, "method": "mining.authorize", "params": [login, "x"]}))
        t += rtt + 0.0015
        worker_tok = "w-1"
        S(t, compact({"id": 3, "result": worker_tok}))
        xn = hx(rbytes(rng, 2))

    # jobs (one per ~13 s block), difficulty change between two jobs
    t_first = t + rtt + 0.0021
    jobs = []
    tj, blk = t_first, block0
    while tj < t_first + 900:
        jobs.append({"t": tj, "header": rbytes(rng, 32), "block": blk,
                     "id": hx(rbytes(rng, 4)) if style == "es1" else "%x" % rng.getrandbits(20)})
        tj += rng.uniform(9.5, 17.5)
        blk += 1
    dc = 9
    t_dc = jobs[dc]["t"] - rng.uniform(2.5, 4.0)
    for i, j in enumerate(jobs):
        j["diff"] = diffs[0] if (j["t"] < t_dc if style in ("es1", "es2") else i < dc) else diffs[1]
    job_at = lambda tt: [j for j in jobs if j["t"] <= tt][-1]
    mean = lambda tt: job_at(tt)["diff"] * k / hashrate
    times = poisson_times(rng, t_first, 0, n_accept - 1, mean)
    if style in ("es1", "es2"):
        gap_t = t_dc + (jobs[dc]["t"] - t_dc) * 0.5
        times = sorted([x for x in times if not (t_dc - 0.5 < x < jobs[dc]["t"] + 0.5)] + [gap_t])
    while len(times) < n_accept:
        times.append(times[-1] + rng.expovariate(1.0) * mean(times[-1]))
    times = sorted(times)[:n_accept]
    rej_t = (times[-5] + times[-4]) / 2
    book.window_start = t_first
    last = times[-1]

    def boundary(dh):
        return 2**256 // int(dh)

    for i, j in enumerate(jobs):
        if j["t"] > last + 10:
            break
        if style == "es1":
            if i == 0:
                S(j["t"], compact({"id": None, "method": "mining.set_difficulty", "params": [diffs[0]]}))
            S(j["t"] + 0.00001, compact({"id": None, "method": "mining.notify",
                                        "params": [j["id"], hx(seed), hx(j["header"]), True]}))
        elif style == "es2":
            if i == 0:
                S(j["t"], compact({"method": "mining.set", "params": {
                    "epoch": "%x" % ETHASH_EPOCH, "target": "%x" % boundary(diffs[0]), "algo": "ethash",
                    "extranonce": xn}}))
            S(j["t"] + 0.00001, compact({"method": "mining.notify",
                                        "params": [j["id"], "%x" % j["block"], hx(j["header"]), "1"]}))
        else:
            res = ["0x" + hx(j["header"]), "0x" + hx(seed), "0x%064x" % boundary(j["diff"])]
            if style == "proxy_compact":
                S(j["t"], compact({"id": 5 if i == 0 else 0, "jsonrpc": "2.0", "result": res}))
            else:
                S(j["t"], '{"jsonrpc":"2.0","id":%d,"result":%s}' % (3 if i == 0 else 0, compact(res)))
    if style == "es1":
        S(t_dc, compact({"id": None, "method": "mining.set_difficulty", "params": [diffs[1]]}))
    elif style == "es2":
        S(t_dc, compact({"method": "mining.set", "params": {"target": "%x" % boundary(diffs[1])}}))
    if style == "proxy_space":   # eth-proxy pings the pool with eth_getWork every 60 s
        tp = t_first + 60
        while tp < last:
            req, rid = py_req("eth_getWork", [], "")
            C(tp, req)
            j = job_at(tp)
            S(tp + rtt + 0.002, '{"jsonrpc":"2.0","id":%d,"result":%s}' % (
                rid, compact(["0x" + hx(j["header"]), "0x" + hx(seed), "0x%064x" % boundary(j["diff"])])))
            tp += 60

    ev = sorted([(x, True) for x in times] + [(rej_t, False)])
    for n_sh, (ts, ok) in enumerate(ev):
        j = job_at(ts)
        midx = rng.randrange(gpus)
        rid = 40 + midx
        nonce = (int(xn, 16) << (64 - 4 * len(xn)) if xn else 0) | rng.getrandbits(64 - 4 * len(xn))
        mix = rbytes(rng, 32)
        if style == "es1":
            C(ts, jsoncpp({"id": rid, "method": "mining.submit",
                           "params": [login, j["id"], ("%016x" % nonce)[len(xn):]]}))
            resp = (compact({"id": rid, "result": True, "error": None}) if ok else
                    compact({"id": rid, "result": False, "error": [-1, "Job not found", None]}))
        elif style == "es2":
            C(ts, jsoncpp({"id": rid, "method": "mining.submit",
                           "params": [j["id"], ("%016x" % nonce)[len(xn):], worker_tok]}))
            resp = (compact({"id": rid}) if ok else
                    compact({"id": rid, "error": {"code": 406, "message": "Bad nonce"}}))
        elif style == "proxy_compact":
            C(ts, jsoncpp({"id": rid, "method": "eth_submitWork",
                           "params": ["0x%016x" % nonce, "0x" + hx(j["header"]), "0x" + hx(mix)],
                           "worker": worker}))
            resp = compact({"id": rid, "jsonrpc": "2.0", "result": bool(ok)})
        else:
            req, rid = py_req("eth_submitWork", ["0x%016x" % nonce, "0x" + hx(j["header"]), "0x" + hx(mix)],
                              worker)
            C(ts, req)
            resp = '{"jsonrpc":"2.0","id":%d,"result":%s}' % (rid, "true" if ok else "false")
        S(ts + rtt + 0.004 + rng.random() * 0.01, resp)
        book.add(ts, j["diff"], ok, id=rid, job_id=j.get("id") if style in ("es1", "es2") else None,
                 header_hash="0x" + hx(j["header"]), nonce="0x%016x" % nonce,
                 mix_digest=None if style in ("es1", "es2") else "0x" + hx(mix),
                 boundary="0x%064x" % boundary(j["diff"] * (2**32 if style == "es1" else 1)),
                 pow_valid=None)
    # reported hashrate
    reported = []
    th = t_first + hr_interval
    while th < last:
        rate = int(hashrate * rng.uniform(0.97, 1.03))
        reported.append({"ts": round(th, 6), "hashrate_hs": rate})
        if style in ("es1", "proxy_compact"):
            C(th, jsoncpp({"id": 9, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                           "params": ["0x%064x" % rate, hr_id], "worker": worker}))
            S(th + rtt + 0.003, compact({"id": 9, "result": True, "error": None}) if style == "es1"
              else compact({"id": 9, "jsonrpc": "2.0", "result": True}))
        elif style == "es2":
            C(th, jsoncpp({"id": 9, "method": "mining.hashrate", "params": ["%x" % rate, worker_tok]}))
            S(th + rtt + 0.003, compact({"id": 9}))
        else:
            req, rid = py_req("eth_submitHashrate", ["0x%x" % rate, hr_id], worker)
            C(th, req)
            S(th + rtt + 0.003, '{"jsonrpc":"2.0","id":%d,"result":true}' % rid)
        th += hr_interval
    f.close(last + 8.5)
    pkts += f.packets()
    c, s = f.key
    flav = {"es1": "nicehash-ethereumstratum-1.0.0", "es2": "ethereumstratum-2.0.0",
            "proxy_compact": "eth-proxy", "proxy_space": "eth-proxy"}[style]
    agent = {"es1": ETHMINER, "es2": ETHMINER, "proxy_compact": None, "proxy_space": None}[style]
    sess = {
        "client": c, "server": s, "dns_name": dns, "transport": "tcp", "protocol": flav, "flavour": flav,
        "json_spelling": {"es1": "jsoncpp compact, sorted keys", "es2": "jsoncpp compact, sorted keys",
                          "proxy_compact": "jsoncpp compact, sorted keys: {\"id\":1,\"method\":...}",
                          "proxy_space": "Python 2 json.dumps: {\"worker\": ..., \"jsonrpc\": \"2.0\", "
                                         "\"params\": [...], \"id\": 2, \"method\": ...}"}[style],
        "coin": "ETH", "algorithm": "ethash", "ethash_epoch": ETHASH_EPOCH,
        "client_software": {"es1": ETHMINER, "es2": ETHMINER, "proxy_compact": ETHMINER,
                            "proxy_space": "eth-proxy (Atrides, Python 2) relaying a getwork miner"}[style],
        "agent": agent, "login": login, "wallet": user, "worker": worker,
        "difficulty_unit": "NiceHash difficulty (x 2^32 hashes)" if style == "es1" else "hashes per share",
        "difficulty_schedule": [{"difficulty": diffs[0], "applies_from_job": jobs[0]["id"] if style in ("es1", "es2")
                                 else "0x" + hx(jobs[0]["header"])},
                                {"difficulty": diffs[1], "sent_ts": round(t_dc, 6) if style in ("es1", "es2") else None,
                                 "applies_from_job": jobs[dc]["id"] if style in ("es1", "es2")
                                 else "0x" + hx(jobs[dc]["header"])}],
        "true_hashrate_hs": hashrate,
        "reported_hashrate_hs": reported,
        "share_pow_verifiable": False,
        "note": "nonces and mix digests are random: ethash needs the epoch DAG/cache, so shares are not "
                "checkable by recomputation; accepted/rejected comes from the pool replies",
    }
    if style == "es2":
        sess.update({"session_id": sess_id, "worker_token": worker_tok, "extranonce": xn})
    if style == "es1":
        sess.update({"extranonce": xn})
    sess.update(book.summary())
    return pkts, [f], sess


# --- Monero: XMRig 6 login/job/submit/keepalived (+ a cpuminer-multi login with getjob) ---------

XMRIG_AGENT = "XMRig/6.21.3 (Windows NT 10.0; Win64; x64) libuv/1.48.0 msvc/2019"
XMRIG_ALGOS = ["rx/0", "cn/2", "cn/r", "cn/fast", "cn/half", "cn/xao", "cn/rto", "cn/rwz", "cn/zls", "cn/double",
               "cn/ccx", "cn-lite/1", "cn-heavy/0", "cn-heavy/tube", "cn-heavy/xhv", "cn-pico", "cn-pico/tlo",
               "cn/upx2", "cn/1", "rx/wow", "rx/arq", "rx/graft", "rx/sfx", "rx/keva", "argon2/chukwa",
               "argon2/chukwav2", "argon2/ninja", "ghostrider"]


def xmr_target_hex(diff: int, eight: bool) -> str:
    if eight:
        return struct.pack("<Q", (2**64 - 1) // diff).hex()
    return struct.pack("<I", (2**32 - 1) // diff).hex()


def xmr_difficulty(target_hex: str) -> float:
    """README rule: 4-byte t expands to 0xFFFFFFFFFFFFFFFF / (0xFFFFFFFF / t); difficulty = 2^64 / target64."""
    raw = bytes.fromhex(target_hex)
    if len(raw) == 4:
        t = struct.unpack("<I", raw)[0]
        t64 = 0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // t)
    else:
        t64 = struct.unpack("<Q", raw)[0]
    return 2**64 / t64, t64


def xmr_blob(rng, ts, prev, ntx):
    ts_v = b""
    n = int(ts)
    while True:
        b = n & 0x7F
        n >>= 7
        ts_v += bytes([b | (0x80 if n else 0)])
        if not n:
            break
    return bytes([16, 16]) + ts_v + prev + bytes(4) + rbytes(rng, 32) + varint(ntx)


def uuid4(rng):
    b = bytearray(rbytes(rng, 16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def jobid_b64(rng, n=28):
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(rng.choice(alpha) for _ in range(n))


def xmr_sessions(rng, t0):
    _check_monero(XMR_ADDR)
    pkts, flows, sessions = [], [], []
    # ---- session 1: XMRig 6.21.3 -> pool.supportxmr.com:3333 ------------------------------------
    client, server = ("192.168.1.37", 50877), ("203.0.113.77", 3333)
    rtt = 0.061
    pkts += dns_exchange(rng, client[0], "192.168.1.1", "pool.supportxmr.com", server[0], t0)
    f = TCPFlow(rng, client, server, t0 + 0.034, rtt=rtt, name="xmrig")
    C = lambda tt, o: f.send(tt, "c", (o + "\n").encode())
    S = lambda tt, o: f.send(tt, "s", (o + "\n").encode())
    t = t0 + 0.034 + rtt + 0.0004
    login = XMR_ADDR
    C(t, compact({"id": 1, "jsonrpc": "2.0", "method": "login",
                  "params": {"login": login, "pass": "rig-office-07", "agent": XMRIG_AGENT, "algo": XMRIG_ALGOS}}))
    seq = 2                                  # xmrig's m_sequence after the login
    rpcid = uuid4(rng)
    height = 3_151_880
    seed = rbytes(rng, 32)
    hashrate = 11_800.0
    diffs = [120_007, 240_011]
    book = ShareBook(k=1.0, algorithm="randomx", coin="XMR")
    t_first = t + rtt + 0.0025
    jobs = []
    tj = t_first
    prev = rbytes(rng, 32)
    i = 0
    while tj < t_first + 1200:
        if i and rng.random() < 0.6:
            height += 1
            prev = rbytes(rng, 32)
        eight = i >= 6
        d = diffs[1] if i >= 6 else diffs[0]
        tgt = xmr_target_hex(d, eight)
        jobs.append({"t": tj, "blob": xmr_blob(rng, tj - 3, prev, rng.randint(8, 60)), "job_id": jobid_b64(rng),
                     "target": tgt, "height": height, "diff": xmr_difficulty(tgt)[0], "t64": xmr_difficulty(tgt)[1]})
        tj += rng.uniform(55, 125)
        i += 1

    def jobparams(j):
        return {"blob": hx(j["blob"]), "job_id": j["job_id"], "target": j["target"], "algo": "rx/0",
                "height": j["height"], "seed_hash": hx(seed)}

    S(t_first, compact({"id": 1, "jsonrpc": "2.0", "error": None, "result": {
        "id": rpcid, "job": jobparams(jobs[0]), "extensions": ["algo", "nicehash", "connect", "tls", "keepalive"],
        "status": "OK"}}))
    job_at = lambda tt: [j for j in jobs if j["t"] <= tt][-1]
    mean = lambda tt: job_at(tt)["diff"] / hashrate
    times = poisson_times(rng, t_first, 0, 40, mean)
    # the user came back: XMRig paused (pause-on-active) for ~80 s, nothing received -> keepalived
    pause_a = jobs[1]["t"] + 4.0
    pause_b = pause_a + 80.0
    times = [x for x in times if not (pause_a <= x <= pause_b)]
    # the pool pushes no job during the pause
    jobs = [j for j in jobs if not (pause_a - 1 <= j["t"] <= pause_b)]
    times = sorted(times)[:25]
    last = times[-1]
    for j in jobs[1:]:
        if j["t"] < last:
            S(j["t"], compact({"jsonrpc": "2.0", "method": "job", "params": jobparams(j)}))
    rej_t = (times[-3] + times[-2]) / 2
    ev = sorted([(x, True) for x in times] + [(rej_t, False)])
    last_rx = t_first
    keep_done = False
    for ts, ok in ev:
        if not keep_done and ts > pause_b:
            tk = max(r for r in [last_rx] + [j["t"] for j in jobs if j["t"] < pause_a]) + 60.0
            C(tk, '{"id":%d,"jsonrpc":"2.0","method":"keepalived","params":{"id":"%s"}}' % (seq, rpcid))
            S(tk + rtt + 0.002, compact({"id": seq, "jsonrpc": "2.0", "error": None,
                                        "result": {"status": "KEEPALIVED"}}))
            keep_ts, keep_id = tk, seq
            seq += 1
            keep_done = True
        j = job_at(ts)
        nonce = rbytes(rng, 4)
        if ok:
            v = rng.randrange(0, j["t64"])
        else:
            v = rng.randrange(j["t64"], min(2**64, j["t64"] * 3))
        res = rbytes(rng, 24) + struct.pack("<Q", v)
        C(ts, compact({"id": seq, "jsonrpc": "2.0", "method": "submit",
                       "params": {"id": rpcid, "job_id": j["job_id"], "nonce": hx(nonce), "result": hx(res),
                                  "algo": "rx/0"}}))
        tr = ts + rtt + 0.003 + rng.random() * 0.01
        S(tr, compact({"id": seq, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}}) if ok else
          compact({"id": seq, "jsonrpc": "2.0", "error": {"code": -1, "message": "Low difficulty share"}}))
        last_rx = tr
        book.add(ts, j["diff"], ok, id=seq, job_id=j["job_id"], target=j["target"], target64=j["t64"],
                 nonce=hx(nonce), result=hx(res), pow_valid=None)
        seq += 1
    book.window_start = t_first
    f.close(last + 6.4)
    pkts += f.packets()
    flows.append(f)
    c, s = f.key
    sess = {"client": c, "server": s, "dns_name": "pool.supportxmr.com", "transport": "tcp",
            "protocol": "cryptonote-stratum", "flavour": "xmrig-login", "coin": "XMR", "algorithm": "randomx",
            "client_software": "XMRig 6.21.3", "agent": XMRIG_AGENT, "login": login, "wallet": XMR_ADDR,
            "worker": "rig-office-07", "password": "rig-office-07", "rpc_id": rpcid,
            "difficulty_rule": "difficulty = 2^64 / target64; 4-byte target t -> target64 = "
                               "0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // t); 8-byte target = little-endian uint64",
            "difficulty_schedule": [{"target": jobs[0]["target"], "difficulty": jobs[0]["diff"]},
                                    {"target": [j for j in jobs if len(j["target"]) == 16][0]["target"],
                                     "difficulty": [j for j in jobs if len(j["target"]) == 16][0]["diff"],
                                     "applies_from_job": [j for j in jobs if len(j["target"]) == 16][0]["job_id"]}],
            "keepalived": {"ts": round(keep_ts, 6), "id": keep_id},
            "pause": {"from_ts": round(pause_a, 6), "to_ts": round(pause_b, 6),
                      "why": "pause-on-active: no shares and no jobs for 80 s, so XMRig sent keepalived"},
            "true_hashrate_hs": hashrate, "reported_hashrate_hs": None, "share_pow_verifiable": False,
            "note": "result hashes are random bytes whose last 8 bytes (LE uint64) are below target64 for "
                    "accepted shares (RandomX is not recomputed)"}
    sess.update(book.summary())
    sessions.append(sess)

    # ---- session 2: cpuminer-multi/0.1 login + getjob to xmr.nanopool.org:14444 ----------------
    t2 = t0 + 300.0
    client2, server2 = ("192.168.1.52", 41234), ("198.51.100.14", 14444)
    pkts += dns_exchange(rng, client2[0], "192.168.1.1", "xmr.nanopool.org", server2[0], t2)
    f2 = TCPFlow(rng, client2, server2, t2 + 0.03, rtt=0.088, name="cpuminer-multi")
    C2 = lambda tt, o: f2.send(tt, "c", (o + "\n").encode())
    S2 = lambda tt, o: f2.send(tt, "s", (o + "\n").encode())
    t = t2 + 0.03 + 0.088 + 0.0004
    login2 = XMR_ADDR + ".lab-pc"
    C2(t, '{"method": "login", "params": {"login": "%s", "pass": "x", "agent": "cpuminer-multi/0.1"}, "id": 1}'
       % login2)
    rid2 = uuid4(rng)
    jb = {"blob": hx(xmr_blob(rng, t - 5, rbytes(rng, 32), 17)), "job_id": jobid_b64(rng),
          "target": xmr_target_hex(10_007, False), "algo": "rx/0", "height": 3_152_099, "seed_hash": hx(seed)}
    t += 0.088 + 0.004
    S2(t, compact({"id": 1, "jsonrpc": "2.0", "error": None, "result": {"id": rid2, "job": jb, "status": "OK"}}))
    t += 31.7
    C2(t, '{"method": "getjob", "params": {"id": "%s"}, "id":1}' % rid2)
    jb2 = dict(jb, job_id=jobid_b64(rng), blob=hx(xmr_blob(rng, t - 2, rbytes(rng, 32), 9)))
    t += 0.088 + 0.003
    S2(t, compact({"id": 1, "jsonrpc": "2.0", "error": None, "result": jb2}))
    book2 = ShareBook(k=1.0, algorithm="randomx", coin="XMR")
    book2.window_start = t2
    for dt in (12.2, 27.9):
        t += dt
        nonce, res = rbytes(rng, 4), rbytes(rng, 32)
        C2(t, '{"method": "submit", "params": {"id": "%s", "job_id": "%s", "nonce": "%s", "result": "%s"}, "id":1}'
           % (rid2, jb2["job_id"], hx(nonce), hx(res)))
        S2(t + 0.091, compact({"id": 1, "jsonrpc": "2.0", "error": {"code": -1, "message": "Low difficulty share"}}))
        book2.add(t, xmr_difficulty(jb2["target"])[0], False, id=1, job_id=jb2["job_id"], nonce=hx(nonce),
                  result=hx(res), pow_valid=None, reject_reason="Low difficulty share")
    f2.close(t + 2.0)
    pkts += f2.packets()
    flows.append(f2)
    c, s = f2.key
    sess2 = {"client": c, "server": s, "dns_name": "xmr.nanopool.org", "transport": "tcp",
             "protocol": "cryptonote-stratum", "flavour": "cpuminer-multi-login+getjob", "coin": "XMR",
             "algorithm": "randomx", "client_software": "cpuminer-multi 0.1", "agent": "cpuminer-multi/0.1",
             "login": login2, "wallet": XMR_ADDR, "worker": "lab-pc", "password": "x", "rpc_id": rid2,
             "true_hashrate_hs": None, "reported_hashrate_hs": None,
             "note": "an old CryptoNight miner against a RandomX pool: every share is rejected, so the "
                     "session is mining evidence with no accepted work and no hashrate estimate"}
    sess2.update(book2.summary())
    sess2["expected_hashrate_hs"] = None
    sessions.append(sess2)
    return pkts, flows, sessions


# --- HTTP JSON-RPC mining: cpuminer getwork, bfgminer getblocktemplate, ethminer eth_getWork -----

def http_req(method, path, headers, body: bytes) -> bytes:
    h = f"{method} {path} HTTP/1.1\r\n" if "HTTP/1.0" not in headers else f"{method} {path} HTTP/1.0\r\n"
    lines = [x for x in headers if x != "HTTP/1.0"]
    return (h + "".join(x + "\r\n" for x in lines) + "\r\n").encode() + body


def http_sessions(rng, t0):
    pkts, flows, sessions = [], [], []
    HASH1 = "00000000000000000000000000000000000000000000000000000000000000000000008000000000000000000000000000000000000000000000000000010000"

    # ---- A: cpuminer 2.5.1 legacy getwork over one keep-alive connection -----------------------
    client, server = ("192.168.1.23", 49812), ("192.168.1.10", 8332)
    rtt = 0.0009
    f = TCPFlow(rng, client, server, t0, rtt=rtt, name="getwork")
    user = BTC_ADDR_BIP84 + ".rig3"
    auth = base64.b64encode((user + ":x").encode()).decode()
    book = ShareBook(k=2.0**32, algorithm="sha256d", coin="BTC")
    diffs = [0.0001, 0.0002]
    hashrate = 60_000.0
    prev = rbytes(rng, 22) + bytes(10)
    t = t0 + rtt + 0.0003
    t_first = t
    book.window_start = t_first
    ntime0 = int(t0) - 3
    reqs = []

    def getwork_req(body):
        return http_req("POST", "/", [f"Host: {server[0]}:{server[1]}", f"Authorization: Basic {auth}", "Accept: */*",
                                      "Accept-Encoding: deflate, gzip", "Content-Type: application/json",
                                      f"Content-Length: {len(body)}", "User-Agent: cpuminer/2.5.1",
                                      "X-Mining-Extensions: longpoll reject-reason"], body)

    def bitcoind_resp(tt, body):
        b = body.encode()
        return (f"HTTP/1.1 200 OK\r\nDate: {http_date(tt)}\r\nConnection: keep-alive\r\nContent-Length: {len(b)}\r\n"
                f"Content-Type: application/json\r\nServer: bitcoin-json-rpc/v0.8.6-beta\r\n\r\n").encode() + b

    n_acc, work_no = 0, 0
    tw = t
    diff_switch_at = None
    rejected_done = False
    while n_acc < 21:
        work_no += 1
        d = diffs[0] if work_no <= 9 else diffs[1]
        if work_no == 10:
            diff_switch_at = tw
        target = cpuminer_target(d)
        version = 0x20000000
        header76 = (struct.pack("<I", version) + prev + rbytes(rng, 32) + struct.pack("<I", ntime0 + int(tw - t0))
                    + struct.pack("<I", 0x17034219))
        body = b'{"method": "getwork", "params": [], "id":0}\r\n'
        f.send(tw, "c", getwork_req(body), record=False)
        pad = b"\x80" + bytes(45) + struct.pack(">H", 640)
        data = swap_words(header76 + bytes(4) + pad)
        assert len(data) == 128
        midstate = sha256_midstate((header76 + bytes(4))[:64])
        resp = compact({"result": {"midstate": hx(midstate), "data": hx(data), "hash1": HASH1,
                                   "target": hx(target.to_bytes(32, "little"))}, "error": None, "id": 0})
        tr = tw + rtt + 0.0004
        f.send(tr, "s", bitcoind_resp(tr, resp), record=False)
        reqs.append({"ts": round(tw, 6), "json_method": "getwork", "kind": "get"})
        # shares found on this work within cpuminer's 5 s scantime
        tt = tr + 0.001
        t_end = tr + 5.0
        while True:
            gap = rng.expovariate(1.0) * d * 2**32 / hashrate
            if tt + gap >= t_end:
                break
            tt += gap
            ok = not (not rejected_done and n_acc == 15)
            if ok:
                nonce, hv = grind("sha256d", header76, target, rng.getrandbits(32))
            else:
                nonce, hv = grind_invalid("sha256d", header76, target, rng.getrandbits(32), 0.05)
                rejected_done = True
            sub = swap_words(header76 + struct.pack("<I", nonce) + pad)
            body = ('{"method": "getwork", "params": [ "%s" ], "id":1}\r\n' % hx(sub)).encode()
            f.send(tt, "c", getwork_req(body), record=False)
            ts_r = tt + rtt + 0.0006
            r = compact({"result": ok, "error": None, "id": 1})
            f.send(ts_r, "s", bitcoind_resp(ts_r, r), record=False)
            reqs.append({"ts": round(tt, 6), "json_method": "getwork", "kind": "submit", "accepted": ok})
            book.add(tt, d, ok, job_id=None, header_hex=hx(header76 + struct.pack("<I", nonce)),
                     pow_hash_hex=hx(hv[::-1]), pow_valid=int.from_bytes(hv, "little") <= target,
                     nonce="%08x" % nonce, reject_reason=None if ok else "high-hash")
            if ok:
                n_acc += 1
            if n_acc >= 21:
                break
        tw = max(t_end, tt + 0.01)
    f.close(tw + 1.0)
    pkts += f.packets()
    flows.append(f)
    c, s = f.key
    sess = {"client": c, "server": s, "dns_name": None, "transport": "tcp", "protocol": "http-getwork",
            "flavour": "bitcoin-getwork", "coin": "BTC", "algorithm": "sha256d", "client_software": "cpuminer 2.5.1",
            "agent": "cpuminer/2.5.1", "login": user, "wallet": BTC_ADDR_BIP84, "worker": "rig3", "password": "x",
            "http_requests": reqs, "tcp_connections": 1,
            "difficulty_schedule": [{"difficulty": diffs[0]},
                                    {"difficulty": diffs[1], "applies_from_ts": round(diff_switch_at, 6)}],
            "difficulty_rule": "getwork 'target' is a little-endian 256-bit number; difficulty d with "
                               "target = floor(4294901760/d) << 192, k = 2^32",
            "true_hashrate_hs": hashrate, "reported_hashrate_hs": None}
    sess.update(book.summary())
    sessions.append(sess)

    # ---- B: bfgminer 5.4.2 getblocktemplate (BIP 22/23) + submitblock ---------------------------
    t1 = t0 + 400.0
    client, server = ("192.168.1.23", 49990), ("203.0.113.55", 3334)
    rtt = 0.041
    f = TCPFlow(rng, client, server, t1, rtt=rtt, name="gbt")
    user = BTC_ADDR_BIP84 + ".rig3"
    auth = base64.b64encode((user + ":x").encode()).decode()
    gbt_body = (b'{"id": 0, "method": "getblocktemplate", "params": [{"capabilities": ["coinbasetxn", "workid", '
                b'"longpoll", "coinbase/append", "time/increment", "version/force", "version/reduce", '
                b'"submit/coinbase", "submit/truncate"], "maxversion": 4}]}')

    def bfg_req(body):
        return http_req("POST", "/", [f"Authorization: Basic {auth}", f"Host: {server[0]}:{server[1]}", "Accept: */*",
                                      "Accept-Encoding: deflate, gzip", "Content-type: application/json",
                                      "X-Mining-Extensions: longpoll midstate rollntime submitold",
                                      f"Content-Length: {len(body)}", "User-Agent: bfgminer/5.4.2"], body)

    book2 = ShareBook(k=2.0**32, algorithm="sha256d", coin="BTC")
    t = t1 + rtt + 0.0003
    book2.window_start = t
    reqs2 = []
    d = 0.0001
    target = cpuminer_target(d)
    payout = spk_for(BTC_ADDR_POOL)
    sid = 1
    for w in range(4):
        f.send(t, "c", bfg_req(gbt_body), record=False)
        prevdisp = bytes(10) + rbytes(rng, 22)
        curtime = int(t) - 1
        height = 834_611 + (w // 2)
        cb1, cb2 = coinbase_parts(rng, height, curtime, payout, 625_000_000 + rng.randint(1, 9) * 10_000_000, 8,
                                  b"/eligius/")
        coinbase = cb1 + bytes(8) + cb2
        workid = hx(rbytes(rng, 4))
        tmpl = {"capabilities": ["proposal"], "version": 536870912, "rules": ["csv", "!segwit", "taproot"],
                "vbavailable": {}, "vbrequired": 0, "previousblockhash": hx(prevdisp), "transactions": [],
                "coinbaseaux": {"flags": ""}, "coinbasevalue": 0, "longpollid": hx(prevdisp) + str(7 + w),
                "target": "%064x" % target, "mintime": curtime - 3600,
                "mutable": ["time", "transactions", "prevblock", "coinbase/append", "submit/coinbase"],
                "noncerange": "00000000ffffffff", "sigoplimit": 80000, "sizelimit": 4000000, "weightlimit": 4000000,
                "curtime": curtime, "bits": "17034219", "height": height, "coinbasetxn": {"data": hx(coinbase)},
                "workid": workid}
        body = compact({"result": tmpl, "error": None, "id": 0}).encode()
        tr = t + rtt + 0.0015
        f.send(tr, "s", (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                         f"X-Long-Polling: /LP\r\nDate: {http_date(tr)}\r\n\r\n").encode() + body, record=False)
        reqs2.append({"ts": round(t, 6), "json_method": "getblocktemplate", "kind": "get"})
        header76 = (struct.pack("<I", 0x20000000) + prevdisp[::-1] + sha256d(coinbase) + struct.pack("<I", curtime)
                    + bytes.fromhex("17034219")[::-1])
        ok = w != 2
        ts = tr + rng.uniform(4, 12)
        if ok:
            nonce, hv = grind("sha256d", header76, target, rng.getrandbits(32))
        else:
            nonce, hv = grind_invalid("sha256d", header76, target, rng.getrandbits(32), 0.05)
        block = header76 + struct.pack("<I", nonce) + varint(1) + coinbase
        sb = ('{"id": %d, "method": "submitblock", "params": ["%s", {"workid": "%s"}]}' % (sid, hx(block), workid))
        f.send(ts, "c", bfg_req(sb.encode()), record=False)
        rb = compact({"result": None if ok else "high-hash", "error": None, "id": sid}).encode()
        tr2 = ts + rtt + 0.002
        f.send(tr2, "s", (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(rb)}\r\n"
                          f"Date: {http_date(tr2)}\r\n\r\n").encode() + rb, record=False)
        reqs2.append({"ts": round(ts, 6), "json_method": "submitblock", "kind": "submit", "accepted": ok})
        book2.add(ts, d, ok, id=sid, workid=workid, header_hex=hx(header76 + struct.pack("<I", nonce)),
                  pow_hash_hex=hx(hv[::-1]), pow_valid=int.from_bytes(hv, "little") <= target,
                  nonce="%08x" % nonce, reject_reason=None if ok else "high-hash")
        sid += 1
        t = tr2 + rng.uniform(2, 6)
    f.close(t)
    pkts += f.packets()
    flows.append(f)
    c, s = f.key
    sess = {"client": c, "server": s, "dns_name": None, "transport": "tcp", "protocol": "http-getblocktemplate",
            "flavour": "bitcoin-getblocktemplate", "coin": "BTC", "algorithm": "sha256d",
            "client_software": "bfgminer 5.4.2", "agent": "bfgminer/5.4.2", "login": user, "wallet": BTC_ADDR_BIP84,
            "worker": "rig3", "password": "x", "http_requests": reqs2, "tcp_connections": 1,
            "difficulty_schedule": [{"difficulty": d, "template_target": "%064x" % target}],
            "true_hashrate_hs": None, "reported_hashrate_hs": None,
            "note": "only 4 template/submit rounds: the BIP23 share target in 'target' is met by the 3 accepted "
                    "submitblock calls (block = header + 1 tx + coinbasetxn); too few shares for a hashrate estimate"}
    sess.update(book2.summary())
    sessions.append(sess)

    # ---- C: ethminer 0.19 getwork over HTTP/1.0 (one TCP connection per request) ---------------
    t2 = t0 + 600.0
    client_ip, server_ip = "192.168.1.61", "198.51.100.33"
    host = "eth-asia1.nanopool.org"
    path = "/" + ETH_ADDRS[3] + "/rig5"
    pkts += dns_exchange(rng, client_ip, "192.168.1.1", host, server_ip, t2 - 0.05)
    seed = ethash_seedhash(ETHASH_EPOCH)
    hashrate = 185e6
    diffs = [1.0e9, 2.0e9]
    book3 = ShareBook(k=1.0, algorithm="ethash", coin="ETH")
    book3.window_start = t2
    reqs3 = []
    port = 49200
    nconn = 0
    hr_id = "0x" + hx(rbytes(rng, 32))

    def ethcall(tt, body_obj, resp_obj):
        nonlocal port, nconn
        port += rng.randint(1, 3)
        nconn += 1
        fl = TCPFlow(rng, (client_ip, port), (server_ip, 8888), tt, rtt=0.072, name="eth-http")
        body = jsoncpp(body_obj).encode()
        req = (f"POST {path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        ts = tt + 0.072 + 0.0002
        fl.send(ts, "c", req, record=False)
        rb = (compact(resp_obj) + "\n").encode()
        tr = ts + 0.072 + 0.0011
        fl.send(tr, "s", (f"HTTP/1.0 200 OK\r\nContent-Type: application/json; charset=UTF-8\r\n"
                          f"Date: {http_date(tr)}\r\nContent-Length: {len(rb)}\r\nConnection: close\r\n\r\n").encode()
                + rb, record=False)
        fl.close(tr + 0.0009)
        flows.append(fl)
        return fl.packets(), ts

    header = rbytes(rng, 32)
    jobs = []
    tt = t2
    blk_next = t2
    n_acc = 0
    rejected_done = False
    next_hr = t2 + 60
    cur_diff = diffs[0]
    diff_switch = None
    gets = 0
    while n_acc < 21:
        if tt >= blk_next:
            header = rbytes(rng, 32)
            blk_next = tt + rng.uniform(9.5, 17.5)
        gets += 1
        if gets == 12:
            cur_diff = diffs[1]
            diff_switch = tt
        bnd = "0x%064x" % (2**256 // int(cur_diff))
        p, ts = ethcall(tt, {"id": 1, "jsonrpc": "2.0", "method": "eth_getWork", "params": []},
                        {"id": 1, "jsonrpc": "2.0", "result": ["0x" + hx(header), "0x" + hx(seed), bnd]})
        pkts += p
        reqs3.append({"ts": round(ts, 6), "json_method": "eth_getWork", "kind": "get"})
        work_diff, work_header = cur_diff, header
        t_end = tt + 5.0
        ts_sh = tt + 0.2
        while True:
            gap = rng.expovariate(1.0) * work_diff / hashrate
            if ts_sh + gap >= t_end or n_acc >= 21:
                break
            ts_sh += gap
            ok = not (not rejected_done and n_acc == 13)
            rejected_done = rejected_done or not ok
            midx = rng.randrange(2)
            nonce = rng.getrandbits(64)
            mix = rbytes(rng, 32)
            p, tsub = ethcall(ts_sh, {"id": 40 + midx, "jsonrpc": "2.0", "method": "eth_submitWork",
                                      "params": ["0x%016x" % nonce, "0x" + hx(work_header), "0x" + hx(mix)]},
                              {"id": 40 + midx, "jsonrpc": "2.0", "result": ok})
            pkts += p
            reqs3.append({"ts": round(tsub, 6), "json_method": "eth_submitWork", "kind": "submit", "accepted": ok})
            book3.add(tsub, work_diff, ok, id=40 + midx, header_hash="0x" + hx(work_header), nonce="0x%016x" % nonce,
                      mix_digest="0x" + hx(mix), boundary="0x%064x" % (2**256 // int(work_diff)), pow_valid=None)
            n_acc += ok
        if tt >= next_hr:
            rate = int(hashrate * rng.uniform(0.97, 1.03))
            p, tsh = ethcall(tt + 0.5, {"id": 9, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                                        "params": ["0x%064x" % rate, hr_id]},
                             {"id": 9, "jsonrpc": "2.0", "result": True})
            pkts += p
            reqs3.append({"ts": round(tsh, 6), "json_method": "eth_submitHashrate", "kind": "hashrate",
                          "hashrate_hs": rate})
            next_hr += 60
        tt = t_end
    sess = {"client": client_ip, "server": f"{server_ip}:8888", "dns_name": host, "transport": "tcp",
            "protocol": "http-eth-getwork", "flavour": "ethereum-getwork-http", "coin": "ETH", "algorithm": "ethash",
            "client_software": ETHMINER, "agent": None,
            "note": "ethminer's getwork client sends no User-Agent header (EthGetworkClient.cpp); one TCP "
                    "connection per request (HTTP/1.0, Connection: close); --farm-recheck 5000",
            "login": path, "wallet": ETH_ADDRS[3], "worker": "rig5", "http_requests": reqs3, "tcp_connections": nconn,
            "difficulty_unit": "hashes per share (2^256 / boundary)",
            "difficulty_schedule": [{"difficulty": diffs[0]}, {"difficulty": diffs[1],
                                                               "applies_from_ts": round(diff_switch, 6)}],
            "true_hashrate_hs": hashrate,
            "reported_hashrate_hs": [{"ts": r["ts"], "hashrate_hs": r["hashrate_hs"]}
                                     for r in reqs3 if r["kind"] == "hashrate"],
            "share_pow_verifiable": False}
    sess.update(book3.summary())
    sessions.append(sess)
    return pkts, flows, sessions


# --- server side only: mid-session mining.notify / set_difficulty (ckpool JSON shape) ---------

def server_only_session(rng, t0):
    client, server = ("10.20.31.44", 51507), ("203.0.113.10", 3333)
    f = TCPFlow(rng, client, server, t0, rtt=0.046, handshake=False, name="stratum-server-only")
    payout = spk_for(BTC_ADDR_POOL)
    prev = rbytes(rng, 22) + bytes(10)
    branches = [rbytes(rng, 32) for _ in range(10)]
    lines = []
    t = t0
    ckpool = lambda params, method: compact({"params": params, "id": None, "method": method})
    first = True
    jobs = []
    for i in range(9):
        if i == 5:
            prev = rbytes(rng, 22) + bytes(10)
            branches = [rbytes(rng, 32) for _ in range(10)]
        cb1, cb2 = coinbase_parts(rng, 834_512 + (i >= 5), int(t) - 2, payout, 640_000_000, 8, b"ckpool")
        job = V1Job("%x" % (0x65f2a1b3000001a0 + i), prev, cb1, cb2, list(branches), 0x20000000, 0x17034219,
                    int(t) - 2, i == 5)
        line = ckpool(job.notify_params(), "mining.notify")
        jobs.append(job.job_id)
        if first:
            # the capture starts inside this line: only its last 173 bytes are on the wire
            f.send(t, "s", (line + "\n").encode()[-174:], record=False)
            first = False
        else:
            if i == 3:
                d_line = ckpool([2048], "mining.set_difficulty")
                f.send(t - 7.3, "s", (d_line + "\n").encode())
                lines.append(d_line)
            f.send(t, "s", (line + "\n").encode())
            lines.append(line)
        t += rng.uniform(24, 36)
    pk = [p for p in f.packets() if p.d == "s"]   # the client->server direction was not captured
    return pk, f, {
        "client": f.key[0], "server": f.key[1], "dns_name": None, "transport": "tcp", "protocol": "stratum-v1",
        "flavour": "bitcoin-stratum-v1 (server side only)", "coin": "BTC", "algorithm": "sha256d",
        "client_software": None, "agent": None, "login": None, "wallet": None, "worker": None,
        "evidence": "server->client mining.notify and mining.set_difficulty only; no SYN, no client packets",
        "first_segment_starts_mid_line": True, "job_ids": jobs[1:],
        "difficulty_seen": 2048, "k": 2.0**32, "shares_submitted": None, "shares_accepted": None,
        "expected_hashrate_hs": None, "true_hashrate_hs": None, "reported_hashrate_hs": None,
        "lines": {"c2s": [], "s2c": lines},
    }


# --- Stratum V2: Noise NX handshake (64 + 234 bytes) then AEAD frames ----------------------------

def sv2_session(rng, t0):
    client, server = ("192.168.1.44", 43870), ("203.0.113.200", 34255)
    rtt = 0.038
    f = TCPFlow(rng, client, server, t0, rtt=rtt, name="sv2")
    t = t0 + rtt + 0.0003
    frame = lambda n: rbytes(rng, 22 + n + 16)      # encrypted header (6+16) + encrypted payload (n+16)
    f.send(t, "c", rbytes(rng, 64), record=False)                  # -> e  (ElligatorSwift key)
    t += rtt + 0.0021
    f.send(t, "s", rbytes(rng, 234), record=False)                 # <- e, ee, s, es, SIGNATURE_NOISE_MESSAGE
    t += 0.0012
    host = "stratum.example-pool.com"
    setup = 1 + 2 + 2 + 4 + (1 + len(host)) + 2 + (1 + 6) + (1 + 4) + (1 + 10) + (1 + 8)
    counts = {"SetupConnection": 1}
    f.send(t, "c", frame(setup), record=False)
    t += rtt + 0.0009
    f.send(t, "s", frame(6), record=False)
    counts["SetupConnection.Success"] = 1
    t += 0.0004
    f.send(t, "c", frame(4 + 1 + len(BTC_ADDR + ".sv2rig") + 4 + 32), record=False)
    counts["OpenStandardMiningChannel"] = 1
    t += rtt + 0.0012
    f.send(t, "s", frame(4 + 4 + 32 + 1 + 8 + 4), record=False)
    counts["OpenStandardMiningChannel.Success"] = 1
    f.send(t + 0.0001, "s", frame(49) + frame(48), record=False)
    counts["NewMiningJob"] = 1
    counts["SetNewPrevHash"] = 1
    tj = t + rng.uniform(25, 35)
    ts = t
    n_sub = 0
    records = []
    for _ in range(24):
        ts += rng.expovariate(1 / 11.0)
        while tj < ts:
            f.send(tj, "s", frame(49), record=False)
            counts["NewMiningJob"] += 1
            tj += rng.uniform(25, 35)
        f.send(ts, "c", frame(24), record=False)
        n_sub += 1
        f.send(ts + rtt + 0.002, "s", frame(20), record=False)
        records.append(round(ts, 6))
    counts["SubmitSharesStandard"] = n_sub
    counts["SubmitShares.Success"] = n_sub
    f.close(ts + 5.0)
    pk = f.packets()
    return pk, f, {
        "client": f.key[0], "server": f.key[1], "dns_name": None, "transport": "tcp", "protocol": "stratum-v2",
        "flavour": "stratum-v2-noise-nx", "coin": None, "algorithm": "sha256d", "encrypted": True,
        "client_software": None, "agent": None, "login": None, "wallet": None, "worker": None,
        "handshake": {"client_first_payload_bytes": 64, "server_reply_bytes": 234},
        "encrypted_frame_rule": "each Stratum V2 frame = 22-byte encrypted header (6 + 16 MAC) + payload + 16 MAC",
        "messages_by_size": {"SubmitSharesStandard": 22 + 24 + 16, "SubmitShares.Success": 22 + 20 + 16,
                             "NewMiningJob": 22 + 49 + 16, "SetNewPrevHash": 22 + 48 + 16},
        "message_counts": counts, "submit_ts": records,
        "shares_submitted": n_sub, "shares_accepted": n_sub, "expected_hashrate_hs": None,
        "true_hashrate_hs": None, "reported_hashrate_hs": None,
        "note": "payload bytes are random (AEAD ciphertext is indistinguishable from random); sizes follow "
                "the SV2 message layouts, so share timing is observable but difficulty is not",
        "lines": {"c2s": [], "s2c": []},
    }


# --- benign JSON-RPC that must not be flagged ---------------------------------------------------

def benign_sessions(rng, t0):
    pkts, flows, sess = [], [], []
    # 1) bitcoind RPC (bitcoin-cli style curl example from Bitcoin Core's RPC help)
    client, server = ("192.168.1.30", 53210), ("192.168.1.5", 8332)
    f = TCPFlow(rng, client, server, t0, rtt=0.0004, name="bitcoind-rpc")
    auth = base64.b64encode(b"alice:correct horse battery staple").decode()
    t = t0 + 0.001
    calls = [("getblockchaininfo", [], {"chain": "main", "blocks": 834512, "headers": 834512,
                                        "bestblockhash": "00000000000000000001f62ed0d3b3a6f2d0c3c6f9a0c7f4a3c2a1a0b9d8e7f6",
                                        "difficulty": 83148355189239.77, "time": 1711929580,
                                        "mediantime": 1711927013, "verificationprogress": 0.9999987,
                                        "initialblockdownload": False, "chainwork":
                                        "00000000000000000000000000000000000000006fb0ab8e5b8e1f0c3a0b8c6a",
                                        "size_on_disk": 629571532800, "pruned": False, "warnings": ""}),
             ("getmininginfo", [], {"blocks": 834512, "difficulty": 83148355189239.77,
                                    "networkhashps": 6.047126789234411e+20, "pooledtx": 48213, "chain": "main",
                                    "warnings": ""}),
             ("getnetworkhashps", [120], 6.047126789234411e+20),
             ("uptime", [], 1036821)]
    for i, (m, params, res) in enumerate(calls):
        body = json.dumps({"jsonrpc": "1.0", "id": "curltest", "method": m, "params": params}).encode()
        req = http_req("POST", "/", [f"Host: {server[0]}:{server[1]}", f"Authorization: Basic {auth}",
                                     "User-Agent: curl/7.88.1", "Accept: */*", "content-type: text/plain;",
                                     f"Content-Length: {len(body)}"], body)
        f.send(t, "c", req, record=False)
        rb = (compact({"result": res, "error": None, "id": "curltest"}) + "\n").encode()
        f.send(t + 0.0011, "s", (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: {http_date(t)}\r\n"
                                 f"Content-Length: {len(rb)}\r\n\r\n").encode() + rb, record=False)
        t += rng.uniform(3, 9)
    f.close(t)
    flows.append(f)
    sess.append({"client": f.key[0], "server": f.key[1], "protocol": "bitcoind-json-rpc (HTTP)", "mining": False,
                 "methods": [c[0] for c in calls],
                 "why_benign": "node RPC queries; getmininginfo/getnetworkhashps read chain statistics"})
    # 2) Ethereum node JSON-RPC (web3 style) on 8545
    client, server = ("192.168.1.30", 53244), ("192.168.1.6", 8545)
    f = TCPFlow(rng, client, server, t0 + 40, rtt=0.0005, name="geth-rpc")
    t = t0 + 40.002
    eth_calls = [("eth_blockNumber", [], "0x1312d00"),
                 ("eth_getBalance", [ETH_ADDRS[0], "latest"], "0x1bc16d674ec80000"),
                 ("eth_chainId", [], "0x1"), ("net_version", [], "1"),
                 ("eth_call", [{"to": "0xdac17f958d2ee523a2206206994597c13d831ec7",
                                "data": "0x70a08231000000000000000000000000" + ETH_ADDRS[0][2:].lower()}, "latest"],
                  "0x" + "0" * 56 + "05f5e100")]
    for i, (m, params, res) in enumerate(eth_calls):
        body = compact({"jsonrpc": "2.0", "method": m, "params": params, "id": i + 1}).encode()
        req = http_req("POST", "/", [f"Host: {server[0]}:{server[1]}", "User-Agent: node-fetch/1.0",
                                     "Content-Type: application/json", "Accept: */*",
                                     f"Content-Length: {len(body)}", "Connection: keep-alive"], body)
        f.send(t, "c", req, record=False)
        rb = (compact({"jsonrpc": "2.0", "id": i + 1, "result": res}) + "\n").encode()
        f.send(t + 0.0009, "s", (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nVary: Origin\r\n"
                                 f"Date: {http_date(t)}\r\nContent-Length: {len(rb)}\r\n\r\n").encode() + rb,
               record=False)
        t += rng.uniform(1, 4)
    f.close(t)
    flows.append(f)
    sess.append({"client": f.key[0], "server": f.key[1], "protocol": "ethereum-json-rpc (HTTP)", "mining": False,
                 "methods": [c[0] for c in eth_calls], "why_benign": "wallet/dapp node queries, no getWork"})
    # 3) Electrum protocol: newline-delimited JSON-RPC over TCP 50001, server pushes headers
    client, server = ("192.168.1.31", 40112), ("198.51.100.90", 50001)
    f = TCPFlow(rng, client, server, t0 + 60, rtt=0.03, name="electrum")
    C = lambda tt, o: f.send(tt, "c", (o + "\n").encode())
    S = lambda tt, o: f.send(tt, "s", (o + "\n").encode())
    t = t0 + 60.031
    C(t, pydumps({"jsonrpc": "2.0", "method": "server.version", "params": ["electrum/4.5.4", "1.4"], "id": 0}))
    S(t + 0.031, pydumps({"jsonrpc": "2.0", "result": ["ElectrumX 1.16.0", "1.4"], "id": 0}))
    C(t + 0.032, pydumps({"jsonrpc": "2.0", "method": "server.banner", "params": [], "id": 1}))
    S(t + 0.063, pydumps({"jsonrpc": "2.0", "result": "Welcome to this ElectrumX server. No mining.subscribe here: "
                                                      "we serve wallets, not mining rigs.", "id": 1}))
    hdr = rbytes(rng, 80)
    C(t + 0.064, pydumps({"jsonrpc": "2.0", "method": "blockchain.headers.subscribe", "params": [], "id": 2}))
    S(t + 0.095, pydumps({"jsonrpc": "2.0", "result": {"hex": hx(hdr), "height": 834512}, "id": 2}))
    sh = hx(hashlib.sha256(spk_for(BTC_ADDR)).digest()[::-1])
    C(t + 0.096, pydumps({"jsonrpc": "2.0", "method": "blockchain.scripthash.subscribe", "params": [sh], "id": 3}))
    S(t + 0.127, pydumps({"jsonrpc": "2.0", "result": hx(rbytes(rng, 32)), "id": 3}))
    tt = t + 0.2
    for n in range(6):
        tt += rng.uniform(40, 70)
        S(tt, pydumps({"jsonrpc": "2.0", "method": "blockchain.headers.subscribe",
                       "params": [{"hex": hx(rbytes(rng, 80)), "height": 834513 + n}]}))
        C(tt + 2.0, pydumps({"jsonrpc": "2.0", "method": "server.ping", "params": [], "id": 4 + n}))
        S(tt + 2.031, pydumps({"jsonrpc": "2.0", "result": None, "id": 4 + n}))
    f.close(tt + 5)
    flows.append(f)
    sess.append({"client": f.key[0], "server": f.key[1], "protocol": "electrum (JSON-RPC lines over TCP)",
                 "mining": False, "why_benign": "wallet protocol; the server pushes block headers like a job feed, "
                                                "and a string value contains the word mining.subscribe",
                 "lines": f.lines})
    # 4) LSP over TCP (Godot's language server listens on 6005): Content-Length framed JSON-RPC
    client, server = ("192.168.1.30", 39811), ("192.168.1.40", 6005)
    f = TCPFlow(rng, client, server, t0 + 90, rtt=0.0003, name="lsp")
    t = t0 + 90.001

    def lsp(o):
        b = compact(o).encode()
        return f"Content-Length: {len(b)}\r\n\r\n".encode() + b

    doc = ('extends Node\n# talk to the pool: {"id": 1, "method": "mining.subscribe", "params": []}\n'
           'func _ready():\n\tprint("mining is fun")\n')
    msgs = [("c", {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"processId": 4242, "rootUri": "file:///home/ana/game", "capabilities": {}}}),
            ("s", {"jsonrpc": "2.0", "id": 1, "result": {"capabilities": {"hoverProvider": True,
                                                                          "textDocumentSync": 2}}}),
            ("c", {"jsonrpc": "2.0", "method": "initialized", "params": {}}),
            ("c", {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": "file:///home/ana/game/miner.gd", "languageId": "gdscript", "version": 1, "text": doc}}}),
            ("c", {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
                "textDocument": {"uri": "file:///home/ana/game/miner.gd"}, "position": {"line": 3, "character": 9}}}),
            ("s", {"jsonrpc": "2.0", "id": 2, "result": {"contents": {"kind": "markdown", "value":
                   "```gdscript\nfunc print(...)\n```\nPrints `mining is fun`; see also mining.notify in the "
                   "Stratum docs."}}}),
            ("c", {"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": None}),
            ("s", {"jsonrpc": "2.0", "id": 3, "result": None})]
    for d, o in msgs:
        f.send(t, d, lsp(o), record=False)
        t += rng.uniform(0.05, 1.5)
    f.close(t)
    flows.append(f)
    sess.append({"client": f.key[0], "server": f.key[1], "protocol": "language-server-protocol over TCP",
                 "mining": False, "why_benign": "an editor talking to a language server; the edited file mentions "
                                                "mining.subscribe inside a string value"})
    for fl in flows:
        pkts += fl.packets()
    return pkts, flows, sess


# =============================================================================================
# 6. reader / TCP pathology captures
# =============================================================================================

RD_C = ['{"id": 1, "method": "mining.subscribe", "params": ["cgminer/4.12.1"]}',
        '{"id": 2, "method": "mining.authorize", "params": ["%s.rig01", "x"]}' % BTC_ADDR]
RD_S = ['{"id":1,"result":[[["mining.set_difficulty","deadbeefcafebabe0100000000000000"],'
        '["mining.notify","deadbeefcafebabe0100000000000000"]],"08000002",4],"error":null}',
        '{"id":2,"result":true,"error":null}',
        '{"id":null,"method":"mining.set_difficulty","params":[0.0001]}']


def rd_notify(rng, job_id="1a2"):
    payout = spk_for(BTC_ADDR_POOL)
    cb1, cb2 = coinbase_parts(rng, 834_512, 1704067200, payout, 640_000_000, 8, b"/nodeStratum/")
    j = V1Job(job_id, rbytes(rng, 22) + bytes(10), cb1, cb2, [rbytes(rng, 32) for _ in range(6)], 0x20000000,
              0x17034219, 1704067200, True)
    return js_dumps({"id": None, "method": "mining.notify", "params": j.notify_params()})


def basic_flow(rng, t0, client=("192.168.1.23", 50211), server=("203.0.113.10", 3333), name="rd", notify=None):
    """The small reference conversation used by every link-type capture."""
    f = TCPFlow(rng, client, server, t0, rtt=0.046, name=name)
    t = t0 + 0.0465
    f.send(t, "c", (RD_C[0] + "\n").encode())
    f.send(t + 0.047, "s", (RD_S[0] + "\n").encode())
    f.send(t + 0.0475, "c", (RD_C[1] + "\n").encode())
    f.send(t + 0.095, "s", (RD_S[1] + "\n" + RD_S[2] + "\n").encode())
    f.send(t + 0.0952, "s", (notify + "\n").encode())
    f.close(t + 2.0)
    return f


def lines_truth(c, s):
    return {"c2s": list(c), "s2c": list(s)}


def reader_captures(rng):
    files = {}
    t0 = utc("2024-01-01 08:00:00") + 0.123456
    notify = rd_notify(random.Random(7))
    S_ALL = RD_S + [notify]

    def flow4(tt=t0, **kw):
        return basic_flow(random.Random(11), tt, notify=notify, **kw).packets()

    pk4 = flow4()
    pk6 = basic_flow(random.Random(11), t0, client=("2001:db8:1::23", 50211), server=("2001:db8:ff::10", 3333),
                     notify=notify).packets()
    base_truth = {"sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                "lines": lines_truth(RD_C, S_ALL)}], "packets": len(pk4)}
    v6_truth = {"sessions": [{"client": "2001:db8:1::23:50211", "server": "2001:db8:ff::10:3333",
                              "client_ip": "2001:db8:1::23", "server_ip": "2001:db8:ff::10",
                              "lines": lines_truth(RD_C, S_ALL)}], "packets": len(pk6)}
    specs = [
        ("link_ethernet_ipv4.pcap", 1, lambda p: link_ethernet(p), pk4, base_truth, "Ethernet II, IPv4"),
        ("link_ethernet_ipv6.pcap", 1, lambda p: link_ethernet(p), pk6, v6_truth, "Ethernet II, IPv6"),
        ("link_vlan.pcap", 1, lambda p: link_ethernet(p, vlans=((0x8100, 100),)), pk4, base_truth,
         "802.1Q tag VID 100"),
        ("link_qinq.pcap", 1, lambda p: link_ethernet(p, vlans=((0x88A8, 200), (0x8100, 100))), pk4, base_truth,
         "QinQ: 802.1ad S-tag VID 200 (0x88a8) + 802.1Q C-tag VID 100"),
        ("link_sll.pcap", 113, link_sll, pk4, base_truth, "Linux cooked capture v1 (DLT_LINUX_SLL 113)"),
        ("link_sll2.pcap", 276, link_sll2, pk6, v6_truth, "Linux cooked capture v2 (DLT_LINUX_SLL2 276), IPv6"),
        ("link_raw101_ipv4.pcap", 101, link_raw, pk4, base_truth, "LINKTYPE_RAW (101), IPv4"),
        ("link_raw101_ipv6.pcap", 101, link_raw, pk6, v6_truth, "LINKTYPE_RAW (101), IPv6"),
        ("link_raw12.pcap", 12, link_raw, pk4, base_truth, "DLT_RAW as 12 (most BSDs/Linux header value)"),
        ("link_raw14.pcap", 14, link_raw, pk4, base_truth, "DLT_RAW as 14 (OpenBSD header value)"),
        ("link_null.pcap", 0, link_null, pk4, base_truth, "DLT_NULL (0): 4-byte host-order AF_INET=2"),
    ]
    for name, lt, fn, pk, tr, desc in specs:
        write_pcap(os.path.join(HERE, name), pk, lt, fn)
        files[name] = dict(tr, kind="reader", format="pcap", link_type=lt, byte_order="little",
                           ts_resolution="usec", description=desc, mining=True,
                           first_ts_ns=pk[0].ts_ns)
    # big-endian pcap
    write_pcap(os.path.join(HERE, "link_bigendian.pcap"), pk4, 1, link_ethernet, endian=">")
    files["link_bigendian.pcap"] = dict(base_truth, kind="reader", format="pcap", link_type=1, byte_order="big",
                                        ts_resolution="usec", description="big-endian pcap (magic a1b2c3d4 as BE)",
                                        mining=True, first_ts_ns=pk4[0].ts_ns)
    # nanosecond-magic pcap, with sub-microsecond digits
    pkn = [Pkt(p.ts_ns + 37 + 101 * i, p.ip, p.v6, p.d, p.seq, p.payload, p.flags) for i, p in enumerate(pk4)]
    write_pcap(os.path.join(HERE, "link_nsec.pcap"), pkn, 1, link_ethernet, nsec=True)
    files["link_nsec.pcap"] = dict(base_truth, kind="reader", format="pcap", link_type=1, byte_order="little",
                                   ts_resolution="nsec", description="nanosecond pcap (magic a1b23c4d)",
                                   mining=True, first_ts_ns=pkn[0].ts_ns, last_ts_ns=pkn[-1].ts_ns)

    # pcapng: two interfaces (Ethernet with ns resolution, Linux SLL with default usec), EPB + SPB + ISB
    for endian, name in (("<", "link_pcapng_multi_if.pcapng"), (">", "link_pcapng_bigendian.pcapng")):
        pa = basic_flow(random.Random(11), t0, notify=notify, name="if0").packets()
        pb = basic_flow(random.Random(12), t0 + 0.5, client=("2001:db8:1::23", 50300),
                        server=("2001:db8:ff::10", 3333), notify=notify, name="if1").packets()
        allp = sorted([(p, 0) for p in pa] + [(p, 1) for p in pb], key=lambda x: x[0].ts_ns)
        spb_index = next(i for i, (p, ifid) in enumerate(allp) if ifid == 0 and p.d == "s" and p.payload
                         and p.payload.startswith(b'{"id":2'))
        blocks = [pcapng_shb(endian), pcapng_idb(endian, 1, name="eth0", tsresol=9, descr="uplink tap"),
                  pcapng_idb(endian, 113, name="any")]
        for i, (p, ifid) in enumerate(allp):
            if i == spb_index:
                blocks.append(pcapng_spb(endian, link_ethernet(p)))
            elif ifid == 0:
                blocks.append(pcapng_epb(endian, 0, p.ts_ns + 7 * i, link_ethernet(p),
                                         comment="first packet" if i == 0 else None))
            else:
                blocks.append(pcapng_epb(endian, 1, p.ts_ns // 1000, link_sll(p)))
        last = allp[-1][0].ts_ns
        blocks.append(pcapng_isb(endian, 0, last + 1000, len(pa), 0))
        blocks.append(pcapng_isb(endian, 1, (last + 1000) // 1000, len(pb), 0))
        with open(os.path.join(HERE, name), "wb") as fh:
            fh.write(b"".join(blocks))
        files[name] = {
            "kind": "reader", "format": "pcapng", "byte_order": "little" if endian == "<" else "big", "mining": True,
            "interfaces": [{"id": 0, "link_type": 1, "if_tsresol": 9, "name": "eth0"},
                           {"id": 1, "link_type": 113, "if_tsresol": None, "name": "any",
                            "note": "no if_tsresol option: default microseconds"}],
            "blocks": {"SHB": 1, "IDB": 2, "EPB": len(allp) - 1, "SPB": 1, "ISB": 2},
            "spb": {"index_among_packets": spb_index, "interface": 0,
                    "note": "a Simple Packet Block carries no timestamp and always belongs to interface 0; it holds "
                            "the server line " + RD_S[1] + " (plus the set_difficulty line)"},
            "sessions": [{"interface": 0, "client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                          "lines": lines_truth(RD_C, S_ALL)},
                         {"interface": 1, "client": "2001:db8:1::23:50300", "server": "2001:db8:ff::10:3333",
                          "lines": lines_truth(RD_C, S_ALL)}],
            "packets": len(allp),
            "first_ts_ns": allp[0][0].ts_ns,
            "ts_note": "interface 0 EPB timestamps are in ns and carry sub-microsecond digits (+7 ns x packet index)",
        }

    # ---- TCP pathologies (Ethernet, IPv4) -----------------------------------------------------
    def mk(rng_seed, t=t0):
        return TCPFlow(random.Random(rng_seed), ("192.168.1.23", 50211), ("203.0.113.10", 3333), t, rtt=0.046,
                       name="p")

    def save(name, pk, truth, **kw):
        write_pcap(os.path.join(HERE, name), pk, 1, link_ethernet, **kw)
        files[name] = dict(truth, kind="reader", format="pcap", link_type=1, byte_order="little",
                           ts_resolution="usec", mining=True, packets=len(pk))

    tt = t0 + 0.0465
    # 1. one JSON line over three segments (both directions)
    f = mk(21)
    f.send(tt, "c", (RD_C[0] + "\n").encode(), split=[17, 23, len(RD_C[0]) + 1 - 40])
    f.send(tt + 0.047, "s", (notify + "\n").encode(), split=[300, 300, len(notify) + 1 - 600])
    f.close(tt + 1)
    save("tcp_split3.pcap", f.packets(), {"sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                                        "lines": lines_truth([RD_C[0]], [notify])}],
                                          "description": "client line in 3 segments (17/23/rest bytes), server "
                                                         "mining.notify in 3 segments (300/300/rest)"})
    # 2. retransmission (same seq, same data) and an overlapping retransmission
    f = mk(22)
    body = (RD_S[0] + "\n" + notify + "\n").encode()
    f.send(tt, "c", (RD_C[0] + "\n").encode())
    f.send(tt + 0.047, "s", body, split=[200, 300, len(body) - 500])
    f.close(tt + 2)
    pk = f.packets()
    data = [p for p in pk if p.d == "s" and p.payload]
    s0, s1, s2 = data
    cdat = [p for p in pk if p.d == "c" and p.payload][0]
    cack = cdat.seq + len(cdat.payload)
    extra = [
        f._pkt(tt + 0.250, "s", s0.seq, cack, PSH | ACK, s0.payload),                       # exact duplicate
        f._pkt(tt + 0.410, "s", s0.seq + 150, cack, PSH | ACK, body[150:420]),              # overlaps s0 and s1
        f._pkt(tt + 0.520, "s", s1.seq + 250, cack, PSH | ACK, body[450:560]),              # overlaps s1 and s2
    ]
    pk = sorted(pk + extra, key=lambda p: p.ts_ns)
    save("tcp_retransmit.pcap", pk, {"sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                                   "lines": lines_truth([RD_C[0]], [RD_S[0], notify])}],
                                     "description": "server data in 3 segments; later an exact retransmission of "
                                                    "segment 1 and two overlapping retransmissions (bytes 150-419 "
                                                    "and 450-559 of the server stream) with identical content"})
    # 3. reordered segments
    f = mk(23)
    f.send(tt, "c", (RD_C[0] + "\n" + RD_C[1] + "\n").encode(), split=[30, 40, len(RD_C[0]) + len(RD_C[1]) + 2 - 70])
    f.send(tt + 0.047, "s", (RD_S[0] + "\n" + notify + "\n").encode(),
           split=[120, 200, 250, len(RD_S[0]) + len(notify) + 2 - 570])
    f.close(tt + 2)
    pk = f.packets()
    cd = [p for p in pk if p.d == "c" and p.payload]
    sd = [p for p in pk if p.d == "s" and p.payload]
    # capture order: client 1,3,2 ; server 2,1,4,3 (timestamps stay increasing in file order)
    order = {id(cd[0]): 0, id(cd[2]): 1, id(cd[1]): 2}
    sorder = {id(sd[1]): 0, id(sd[0]): 1, id(sd[3]): 2, id(sd[2]): 3}

    def reorder(pkts, chosen, orderm):
        slots = sorted([p.ts_ns for p in chosen])
        ordered = sorted(chosen, key=lambda p: orderm[id(p)])
        for p, ts in zip(ordered, slots):
            p.ts_ns = ts
        return sorted(pkts, key=lambda p: p.ts_ns)

    pk = reorder(pk, cd, order)
    pk = reorder(pk, sd, sorder)
    save("tcp_reorder.pcap", pk, {"sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                                "lines": lines_truth(RD_C, [RD_S[0], notify])}],
                                  "description": "client segments captured in order 1,3,2; server segments in "
                                                 "order 2,1,4,3"})
    # 4. capture starting mid-session, inside a line
    f = TCPFlow(random.Random(24), ("192.168.1.23", 50211), ("203.0.113.10", 3333), t0, rtt=0.046,
                handshake=False, name="p")
    part = (notify + "\n").encode()[-150:]
    f.send(t0, "s", part, record=False)
    cpart = ('{"params": ["%s.rig01", "1a1", "0b000000", "659270a2", "3d5c81f2", "00004000"], "id": 6, '
             '"method": "mining.submit"}\n' % BTC_ADDR).encode()[-61:]
    f.send(t0 + 0.0002, "c", cpart, record=False)
    f.send(t0 + 12.1, "c", (RD_C[1].replace('"id": 2', '"id": 7') + "\n").encode())
    f.send(t0 + 12.149, "s", (RD_S[1].replace('"id":2', '"id":7') + "\n").encode())
    f.send(t0 + 30.0, "s", (RD_S[2] + "\n" + notify.replace('"1a2"', '"1a3"') + "\n").encode())
    pk = f.packets()
    save("tcp_midsession.pcap", pk, {"sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                                   "lines": lines_truth(f.lines["c"], f.lines["s"]),
                                                   "dropped_leading_bytes_s2c": len(part),
                                                   "dropped_leading_bytes_c2s": len(cpart)}],
                                     "description": "no SYN; the first server packet carries the last 150 bytes of "
                                                    "a mining.notify line and the first client packet the last 61 "
                                                    "bytes of a mining.submit line; both fragments must be dropped "
                                                    "(resume after the first newline)"})
    # 5. both directions interleaved, lines split, packets alternate c,s,c,s...
    f = mk(25)
    cl = (RD_C[0] + "\n" + RD_C[1] + "\n").encode()
    sl = (RD_S[0] + "\n" + notify + "\n").encode()
    f.send(tt, "c", cl, split=[25] * (len(cl) // 25) + ([len(cl) % 25] if len(cl) % 25 else []))
    f.send(tt + 0.000005, "s", sl, split=[110] * (len(sl) // 110) + ([len(sl) % 110] if len(sl) % 110 else []))
    f.close(tt + 1)
    save("tcp_interleaved.pcap", f.packets(), {"sessions": [{"client": "192.168.1.23:50211",
                                                             "server": "203.0.113.10:3333",
                                                             "lines": lines_truth(RD_C, [RD_S[0], notify])}],
                                               "description": "client writes 25-byte segments and server 110-byte "
                                                              "segments at the same moment; packets alternate"})
    # 6. missing segment (capture loss) inside one line; the next full line must still be read
    f = mk(26)
    body = (RD_S[0] + "\n" + notify + "\n" + RD_S[2] + "\n").encode()
    n1 = len(RD_S[0]) + 1
    f.send(tt, "c", (RD_C[0] + "\n").encode())
    f.send(tt + 0.047, "s", body, split=[n1, 200, 250, len(notify) + 1 - 450, len(RD_S[2]) + 1])
    f.close(tt + 2)
    pk = f.packets()
    sd = [p for p in pk if p.d == "s" and p.payload]
    lost = sd[2]
    pk = [p for p in pk if p is not lost]
    save("tcp_gap.pcap", pk, {"sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                            "lines": lines_truth([RD_C[0]], [RD_S[0], RD_S[2]]),
                                            "lost_s2c_bytes": [lost.seq - sd[0].seq, lost.seq - sd[0].seq + len(lost.payload)],
                                            "lost_line": notify}],
                              "description": "the 2nd of 3 segments of the mining.notify line is missing from the "
                                             "capture (the client ACKs it); the notify line is lost, the following "
                                             "set_difficulty line must be read"})
    # 7. snaplen-truncated packet: same effect as a gap
    f = mk(27)
    body = (notify + "\n" + RD_S[1] + "\n" + RD_S[2] + "\n").encode()
    cut = len(notify) + 1 + 14                       # the truncated segment ends 14 bytes into the next line
    f.send(tt, "c", (RD_C[0] + "\n").encode())
    f.send(tt + 0.047, "s", (RD_S[0] + "\n").encode())
    f.send(tt + 0.1, "s", body, split=[cut, len(body) - cut])
    f.close(tt + 2)
    pk = f.packets()
    idx = next(i for i, p in enumerate(pk) if p.d == "s" and p.payload.startswith(b'{"id":null,"method":"mining.notify'))
    write_pcap(os.path.join(HERE, "tcp_snaplen.pcap"), pk, 1, link_ethernet, snaplen=128, caplens={idx: 128})
    files["tcp_snaplen.pcap"] = {"kind": "reader", "format": "pcap", "link_type": 1, "byte_order": "little",
                                 "ts_resolution": "usec", "mining": True, "packets": len(pk), "snaplen": 128,
                                 "truncated_record_index": idx,
                                 "description": "header snaplen 128; the segment holding the mining.notify line and "
                                                "the first 14 bytes of the next line is stored with caplen 128 < len, "
                                                "so its payload is incomplete (a gap): both of those lines are lost",
                                 "sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                               "lines": lines_truth([RD_C[0]], [RD_S[0], RD_S[2]])}]}
    # 8. file ends in the middle of the last record
    f = mk(28)
    f.send(tt, "c", (RD_C[0] + "\n").encode())
    f.send(tt + 0.047, "s", (RD_S[0] + "\n").encode())
    f.send(tt + 0.048, "c", (RD_C[1] + "\n").encode())
    f.send(tt + 0.1, "s", (RD_S[1] + "\n").encode())
    f.send(tt + 5.0, "s", (notify + "\n").encode())
    pk = [p for p in f.packets() if p.ts_ns <= to_ns(tt + 5.0)]
    data = write_pcap(os.path.join(HERE, "truncated.pcap"), pk, 1, link_ethernet, truncate_tail=300)
    files["truncated.pcap"] = {"kind": "reader", "format": "pcap", "link_type": 1, "byte_order": "little",
                               "ts_resolution": "usec", "mining": True, "packets_complete": len(pk) - 1,
                               "file_bytes": len(data), "last_record_offset": len(data) + 300 - (16 + len(link_ethernet(pk[-1]))),
                               "description": "the last record (the mining.notify packet) is cut 300 bytes before "
                                              "its end; a reader must keep the complete records and report the "
                                              "truncation with its byte offset",
                               "sessions": [{"client": "192.168.1.23:50211", "server": "203.0.113.10:3333",
                                             "lines": lines_truth(RD_C, RD_S[:2])}]}
    # 9. not a capture: a small PNG
    rows = b"".join(b"\x00" + b"".join(bytes([(x * 32) & 0xFF, (y * 32) & 0xFF, 128]) for x in range(8))
                    for y in range(8))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    with open(os.path.join(HERE, "not_a_capture.bin"), "wb") as fh:
        fh.write(png)
    files["not_a_capture.bin"] = {"kind": "reader", "format": "png", "mining": False,
                                  "description": "an 8x8 PNG image: a reader must reject it with a clear error "
                                                 "naming the file (magic 89504e47)"}
    return files


# =============================================================================================
# 7. main
# =============================================================================================

def flavour_file(name, pkts, flows, sessions, description, extra=None):
    pkts = sorted(pkts, key=lambda p: p.ts_ns)
    write_pcap(os.path.join(HERE, name), pkts, 1, link_ethernet)
    for s, fl in zip(sessions, flows):
        if "lines" not in s:
            s["lines"] = {"c2s": fl.lines["c"], "s2c": fl.lines["s"]}
    d = {"kind": "flavour", "format": "pcap", "link_type": 1, "byte_order": "little", "ts_resolution": "usec",
         "description": description, "packets": len(pkts), "first_ts_ns": pkts[0].ts_ns, "last_ts_ns": pkts[-1].ts_ns,
         "mining": any(s.get("mining", True) for s in sessions), "sessions": sessions}
    if extra:
        d.update(extra)
    return d


def main():
    files = {}
    for x in ETH_ADDRS:
        _check_eip55(x)
    # 1. Bitcoin Stratum v1, cgminer with version rolling, real sha256d shares
    rng = random.Random(1001)
    pk, fl, s = session_v1_bitcoin(
        rng, algo="sha256d", coin="BTC", t0=utc("2024-03-14 02:13:07") + 0.218734, client=("192.168.1.23", 50211),
        server=("203.0.113.10", 3333), dns="btc.f2pool.com", miner="cgminer", user=BTC_ADDR, worker="rig01",
        pool_payout=BTC_ADDR_POOL, diffs=[0.0001, 0.0002], n_accept=25, hashrate=52_000.0, height=834_512,
        nbits=0x17034219, value=640_112_334, tag=b"/nodeStratum/", reject_kind="lowdiff")
    files["btc_stratum_v1.pcap"] = flavour_file("btc_stratum_v1.pcap", pk, fl, [s],
                                                "cgminer 4.12.1 (mining.configure version-rolling) to a NOMP-shaped "
                                                "pool; every accepted share is a real sha256d share at difficulty "
                                                "0.0001 / 0.0002")
    # 2. Litecoin scrypt, cpuminer 2.5.1
    rng = random.Random(1002)
    pk, fl, s = session_v1_bitcoin(
        rng, algo="scrypt", coin="LTC", t0=utc("2024-03-15 11:40:52") + 0.771203, client=("192.168.1.24", 41822),
        server=("198.51.100.21", 3333), dns="ltc.2miners.com", miner="cpuminer", user=LTC_ADDR, worker="pc2",
        pool_payout=LTC_ADDR_POOL, diffs=[0.02, 0.04], n_accept=25, hashrate=140.0, height=2_661_704,
        nbits=0x1923EB8B, value=625_000_000, tag=b"/nodeStratum/", reject_kind="stale")
    files["ltc_scrypt_stratum.pcap"] = flavour_file("ltc_scrypt_stratum.pcap", pk, fl, [s],
                                                    "pooler cpuminer 2.5.1 (scrypt) to a NOMP-shaped pool; real "
                                                    "scrypt(N=1024,r=1,p=1) shares; every submit uses \"id\":4")
    # 3. NiceHash EthereumStratum/1.0.0
    rng = random.Random(1003)
    pk, fl, s = eth_session(rng, style="es1", t0=utc("2021-09-14 03:12:40") + 0.512311,
                            client=("192.168.1.61", 52110), server=("203.0.113.90", 3353),
                            dns="daggerhashimoto.hk.nicehash.com", user=BTC_ADDR_P2SH, worker="rig1",
                            diffs=[0.5, 1.0], n_accept=25, hashrate=205e6)
    files["nicehash_ethstratum1.pcap"] = flavour_file("nicehash_ethstratum1.pcap", pk, fl, [s],
                                                      "ethminer 0.19.0 speaking NiceHash EthereumStratum/1.0.0")
    # 4. eth-proxy, compact (ethminer) and spaced (Python eth-proxy)
    rng = random.Random(1004)
    pk, fl, s = eth_session(rng, style="proxy_compact", t0=utc("2021-09-15 18:02:11") + 0.140021,
                            client=("192.168.1.62", 50333), server=("198.51.100.40", 9999), dns="eth-eu1.nanopool.org",
                            user=ETH_ADDRS[0], worker="rig1", diffs=[2.0e9, 4.0e9], n_accept=25, hashrate=230e6)
    files["ethproxy_nospace.pcap"] = flavour_file("ethproxy_nospace.pcap", pk, fl, [s],
                                                  "ethminer 0.19.0 in eth-proxy mode: {\"id\":1,\"method\":...}")
    rng = random.Random(1005)
    pk, fl, s = eth_session(rng, style="proxy_space", t0=utc("2021-09-16 07:45:30") + 0.900113,
                            client=("192.168.1.63", 46001), server=("203.0.113.120", 4444), dns="eu1.ethermine.org",
                            user=ETH_ADDRS[1], worker="rig7", diffs=[2.0e9, 4.0e9], n_accept=25, hashrate=240e6)
    files["ethproxy_space.pcap"] = flavour_file("ethproxy_space.pcap", pk, fl, [s],
                                                "eth-proxy (Python 2, json.dumps) upstream connection: "
                                                "{\"worker\": ..., \"jsonrpc\": \"2.0\", ..., \"id\": 2, ...}")
    # 5. EthereumStratum/2.0.0
    rng = random.Random(1006)
    pk, fl, s = eth_session(rng, style="es2", t0=utc("2021-09-17 21:30:05") + 0.330201,
                            client=("192.168.1.64", 53001), server=("198.51.100.77", 2020), dns="eth.2miners.com",
                            user=ETH_ADDRS[2], worker="rig2", diffs=[2.0e9, 4.0e9], n_accept=25, hashrate=215e6)
    files["ethstratum2.pcap"] = flavour_file("ethstratum2.pcap", pk, fl, [s],
                                             "ethminer 0.19.0 speaking EthereumStratum/2.0.0 (mining.hello/set/notify)")
    # 6. XMRig
    rng = random.Random(1007)
    pk, fl, ss = xmr_sessions(rng, utc("2024-05-02 13:05:44") + 0.061234)
    files["xmrig_login_agent.pcap"] = flavour_file("xmrig_login_agent.pcap", pk, fl, ss,
                                                   "XMRig 6.21.3 login/job/submit/keepalived; then a cpuminer-multi "
                                                   "login + getjob session")
    # 7. HTTP getwork / getblocktemplate / eth_getWork
    rng = random.Random(1008)
    pk, fl, ss = http_sessions(rng, utc("2021-09-18 09:00:00") + 0.250000)
    for s in ss:
        s["lines"] = {"c2s": [], "s2c": [],
                      "note": "HTTP: bodies are not newline-terminated lines; see http_requests"}
    files["http_getwork_ethgetwork.pcap"] = flavour_file("http_getwork_ethgetwork.pcap", pk, fl, ss,
                                                         "HTTP JSON-RPC mining: cpuminer getwork, bfgminer "
                                                         "getblocktemplate/submitblock, ethminer eth_getWork")
    # 8. server side only
    rng = random.Random(1009)
    pk, f, s = server_only_session(rng, utc("2024-03-14 05:20:00") + 0.114000)
    files["server_only_notify.pcap"] = flavour_file("server_only_notify.pcap", pk, [f], [s],
                                                    "mid-session capture holding only server->client Stratum lines")
    # 9. Stratum V2
    rng = random.Random(1010)
    pk, f, s = sv2_session(rng, utc("2024-06-01 10:00:00") + 0.004000)
    files["stratum_v2_noise.pcap"] = flavour_file("stratum_v2_noise.pcap", pk, [f], [s],
                                                  "Stratum V2 on TCP 34255: Noise NX handshake (64 + 234 bytes) "
                                                  "then encrypted frames")
    # 10. benign look-alikes
    rng = random.Random(1011)
    pk, fl, ss = benign_sessions(rng, utc("2024-04-01 16:00:00") + 0.010000)
    for s, f in zip(ss, fl):
        s.setdefault("lines", {"c2s": f.lines["c"], "s2c": f.lines["s"]})
    files["benign_jsonrpc_lookalike.pcap"] = flavour_file("benign_jsonrpc_lookalike.pcap", pk, fl, ss,
                                                          "JSON-RPC that is not mining: bitcoind RPC (getmininginfo), "
                                                          "Ethereum node RPC, Electrum, LSP")
    files["benign_jsonrpc_lookalike.pcap"]["kind"] = "negative"
    # reader / TCP pathology captures
    files.update(reader_captures(random.Random(2000)))

    truth = {
        "generator": "tests/data/synth/make_synth.py",
        "conventions": {
            "timestamps": "seconds since the Unix epoch (UTC) in share/session fields; *_ns fields are integer ns",
            "lines": "each entry is one newline-terminated line without its final \\n, in stream order, for "
                     "c2s (client to server) and s2c (server to client)",
            "hashrate": "expected_hashrate_hs = sum(difficulty * k over accepted shares) / window_seconds, where "
                        "the window runs from the first job the client received (window_start_ts) to the last "
                        "accepted share submit (window_end_ts); hashrate_between_first_and_last_share_hs leaves "
                        "out the first share and uses the time between the first and last accepted share",
            "difficulty_applies": "a share carries the difficulty in force when its job was notified: "
                                  "mining.set_difficulty / mining.set take effect from the next job",
            "k": "hashes per unit of difficulty: 2^32 for SHA-256 Stratum and NiceHash EthereumStratum/1.0.0, 2^16 "
                 "for scrypt, 1 where the difficulty is already in hashes (eth-proxy boundary, ES/2.0.0 target, "
                 "CryptoNote target)",
        },
        "files": {k: files[k] for k in sorted(files)},
    }
    with open(os.path.join(HERE, "truth.json"), "w") as fh:
        json.dump(truth, fh, indent=1, sort_keys=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
