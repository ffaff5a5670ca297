#!/usr/bin/env python3
"""Generate a large, realistic, mixed Ethernet/IPv4 pcap quickly (numpy, records written in bulk).

    .venv/bin/python bench/gen_capture.py --packets 1500000 [--out FILE] [--seed 1] [--duration 600]

What is in it (by packet count, roughly): TLS ~81 % (bulk downloads with MTU-size 1514-byte frames
and delayed ACKs, plus many short request/response sessions), cleartext HTTP/1.1 with keep-alive
~15 %, UDP DNS ~4 %, plus a handful of cleartext mining sessions that run for the
whole capture (Stratum v1 in pool-server Python style and in compact style, xmrig `login/job/submit`
with and without `agent`, Claymore eth-proxy) and a few benign JSON-RPC decoys (Go net/rpc/jsonrpc
over raw TCP, Electrum, Ethereum-node JSON-RPC over HTTP) that must NOT be called mining.

Every TCP connection has a SYN / SYN-ACK / ACK handshake, consistent seq/ack numbers per direction,
PSH on the last segment of each message, FIN/ACK teardown; IPv4 header checksums are valid (TCP/UDP
checksums are 0 = "offloaded", as in most host-side captures). Payloads that nobody parses (TLS
ciphertext, HTTP bodies) are random bytes; everything a DPI engine reads (ClientHello with SNI,
HTTP headers, DNS, JSON lines) is real protocol text. Servers use the RFC 5737 documentation
ranges, so no real host is implicated; DNS answers map real pool names to those addresses.

Next to FILE it writes FILE.truth.json: every mining session (5-tuple, flavour, algorithm,
difficulty, shares, the hashrate they imply) and every decoy, so a detector can be scored.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np

MSS = 1460                    # 1500-byte MTU, 20-byte IP + 20-byte TCP headers -> 1514-byte frames
TLS_REC_SEGS = 11             # a TLS application-data record spans exactly 11 segments (16060 B)
TLS_REC = TLS_REC_SEGS * MSS
REC_TCP = 16 + 14 + 20 + 20   # pcap record header + Ethernet + IPv4 + TCP
REC_UDP = 16 + 14 + 20 + 8
SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10
BASE_EPOCH = 1709294400       # 2024-03-01 12:00:00 UTC
ROUTER_MAC = bytes.fromhex("001a2b3c4d5e")
RESOLVER = "192.0.2.53"
DEFAULT_OUT_DIR = Path(__file__).resolve().parent / "out"

BENIGN_NAMES = [
    "www.baidu.com", "www.qq.com", "weixin.qq.com", "www.taobao.com", "g.alicdn.com",
    "www.jd.com", "img14.360buyimg.com", "www.bilibili.com", "i0.hdslb.com", "www.163.com",
    "music.163.com", "www.douyin.com", "v26-web.douyinvod.com", "api.weibo.cn", "www.zhihu.com",
    "pic1.zhimg.com", "mirrors.tuna.tsinghua.edu.cn", "mirrors.aliyun.com", "dl.google.com",
    "update.microsoft.com", "www.bing.com", "github.com", "objects.githubusercontent.com",
    "pypi.org", "files.pythonhosted.org", "cdn.jsdelivr.net", "www.apple.com",
    "swcdn.apple.com", "steamcdn-a.akamaihd.net", "www.wikipedia.org", "upload.wikimedia.org",
    "time.windows.com", "api.map.baidu.com", "hm.baidu.com", "ocsp.digicert.com",
    "ctldl.windowsupdate.com", "deb.debian.org", "security.debian.org", "www.gov.cn",
    "www.sgcc.com.cn",
]
HTTP_PATHS = ["/", "/index.html", "/static/js/app.4f9c.js", "/img/banner.webp", "/api/v1/news",
              "/download/setup.exe", "/favicon.ico", "/video/seg-00012.ts", "/debian/dists/bookworm/InRelease",
              "/pool/main/l/linux/linux-image-6.1.0-18-amd64_6.1.76-1_amd64.deb"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Debian APT-HTTP/1.3 (2.6.1)", "curl/7.88.1", "okhttp/4.12.0", "Wget/1.21.3",
]


# --------------------------------------------------------------------------- helpers

def ip2int(ip: str) -> int:
    a, b, c, d = (int(x) for x in ip.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def int2ip(v: int) -> str:
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58_block(b: bytes, width: int) -> str:
    n = int.from_bytes(b, "big")
    out = []
    for _ in range(width):
        n, r = divmod(n, 58)
        out.append(_B58[r])
    return "".join(reversed(out))


def monero_address(rng: np.random.Generator) -> str:
    """A well-formed Monero standard address (net byte 0x12, Keccak-256 checksum, Monero base58)."""
    body = b"\x12" + rng.bytes(64)
    try:
        from Crypto.Hash import keccak  # pycryptodome, a minewatch dependency
        chk = keccak.new(digest_bits=256, data=body).digest()[:4]
    except ImportError:  # still 95 chars starting with 4, only the checksum is wrong
        chk = hashlib.sha3_256(body).digest()[:4]
    data = body + chk                       # 69 bytes -> 8 blocks of 8 (11 chars) + 5 bytes (7 chars)
    widths = {8: 11, 5: 7}
    return "".join(_b58_block(data[i:i + 8], widths[len(data[i:i + 8])]) for i in range(0, len(data), 8))


def btc_bech32_address(rng: np.random.Generator) -> str:
    try:
        import bech32
        return bech32.encode("bc", 0, list(rng.bytes(20)))
    except ImportError:
        return "bc1q" + rng.bytes(16).hex()[:38]


def hexs(rng: np.random.Generator, nbytes: int) -> str:
    return rng.bytes(nbytes).hex()


def dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def dns_query(txid: int, name: str) -> bytes:
    return struct.pack(">HHHHHH", txid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack(">HH", 1, 1)


def dns_response(txid: int, name: str, ips: list[str]) -> bytes:
    q = dns_name(name) + struct.pack(">HH", 1, 1)
    ans = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes(int(x) for x in ip.split("."))
                   for ip in ips)
    return struct.pack(">HHHHHH", txid, 0x8180, 1, len(ips), 0, 0) + q + ans


def tls_client_hello(rng: np.random.Generator, sni: str) -> bytes:
    def ext(t: int, body: bytes) -> bytes:
        return struct.pack(">HH", t, len(body)) + body
    host = sni.encode()
    sni_body = struct.pack(">HBH", len(host) + 3, 0, len(host)) + host
    alpn = b"".join(bytes([len(p)]) + p for p in (b"h2", b"http/1.1"))
    exts = b"".join([
        ext(0x0000, sni_body),
        ext(0x0017, b""),
        ext(0xff01, b"\x00"),
        ext(0x000a, struct.pack(">H", 8) + struct.pack(">HHHH", 0x001d, 0x0017, 0x0018, 0x0019)),
        ext(0x000b, b"\x01\x00"),
        ext(0x0023, b""),
        ext(0x0010, struct.pack(">H", len(alpn)) + alpn),
        ext(0x0005, b"\x01\x00\x00\x00\x00"),
        ext(0x000d, struct.pack(">H", 16) + struct.pack(">8H", 0x0403, 0x0804, 0x0401, 0x0503,
                                                         0x0805, 0x0501, 0x0806, 0x0601)),
        ext(0x0012, b""),
        ext(0x0033, struct.pack(">HHH", 36, 0x001d, 32) + rng.bytes(32)),
        ext(0x002d, b"\x01\x01"),
        ext(0x002b, b"\x06\x03\x04\x03\x03\x03\x02"),
        ext(0x001b, b"\x02\x00\x02"),
    ])
    suites = struct.pack(">16H", 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                         0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x00ff)
    body = (b"\x03\x03" + rng.bytes(32) + b"\x20" + rng.bytes(32) + struct.pack(">H", len(suites))
            + suites + b"\x01\x00" + struct.pack(">H", len(exts)) + exts)
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def tls_server_hello_prefix(rng: np.random.Generator, rest_len: int) -> bytes:
    """ServerHello (TLS 1.3) + ChangeCipherSpec + the header of the encrypted-handshake record whose
    `rest_len` ciphertext bytes follow (random)."""
    exts = (struct.pack(">HHH", 0x002b, 2, 0x0304)
            + struct.pack(">HHHH", 0x0033, 36, 0x001d, 32) + rng.bytes(32))
    body = (b"\x03\x03" + rng.bytes(32) + b"\x20" + rng.bytes(32) + b"\x13\x01\x00"
            + struct.pack(">H", len(exts)) + exts)
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return (b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs + b"\x14\x03\x03\x00\x01\x01"
            + b"\x17\x03\x03" + struct.pack(">H", rest_len))


# --------------------------------------------------------------------------- the model

class Capture:
    """Flows and messages as flat Python lists (cheap to append); expanded to packets with numpy."""

    def __init__(self, seed: int, duration: float):
        self.rng = np.random.default_rng(seed)
        self.duration = duration
        # flows
        self.f_proto: list[int] = []
        self.f_cip: list[int] = []
        self.f_sip: list[int] = []
        self.f_cport: list[int] = []
        self.f_sport: list[int] = []
        self.f_rtt: list[float] = []
        # messages (one message = one application write = 1..n segments)
        self.m_flow: list[int] = []
        self.m_t: list[float] = []
        self.m_dir: list[int] = []
        self.m_len: list[int] = []
        self.m_flags: list[int] = []
        self.m_lit_off: list[int] = []
        self.m_lit_len: list[int] = []
        self.m_tls: list[bool] = []
        self.m_gap: list[float] = []      # seconds between consecutive segments
        self.m_ackdelay: list[float] = []  # <0: no pure ACK after the last segment (a reply follows)
        self.lit = bytearray()
        self.est_packets = 0
        self.truth: dict = {"mining_sessions": [], "decoys": []}
        self.clients = [ip2int("10.20.0.0") + int(x) for x in
                        self.rng.choice(np.arange(2, 65000), size=600, replace=False)]
        self.servers = ([ip2int("192.0.2.0") + i for i in range(1, 255) if i != 53]
                        + [ip2int("198.51.100.0") + i for i in range(1, 255)])
        self._port = {}

    # -- plumbing
    def ephemeral(self, cip: int) -> int:
        p = self._port.get(cip)
        if p is None:
            p = int(self.rng.integers(32768, 60000))
        p = p + 1 if p < 60999 else 32768
        self._port[cip] = p
        return p

    def flow(self, proto: int, cip: int, sip: int, sport: int, rtt: float, cport: int | None = None) -> int:
        self.f_proto.append(proto)
        self.f_cip.append(cip)
        self.f_sip.append(sip)
        self.f_cport.append(cport if cport is not None else self.ephemeral(cip))
        self.f_sport.append(sport)
        self.f_rtt.append(rtt)
        return len(self.f_proto) - 1

    def msg(self, fid: int, t: float, d: int, nbytes: int = 0, flags: int = ACK | PSH,
            literal: bytes = b"", tls: bool = False, gap: float = 0.0, ackdelay: float = 0.04) -> float:
        """Add a message; returns the time of its last segment."""
        if literal:
            nbytes = max(nbytes, len(literal))
            off = len(self.lit)
            self.lit += literal
        else:
            off = 0
        if tls and 0 < nbytes % TLS_REC < 6:
            nbytes += 6
        nseg = max(1, -(-nbytes // MSS))
        self.m_flow.append(fid)
        self.m_t.append(t)
        self.m_dir.append(d)
        self.m_len.append(nbytes)
        self.m_flags.append(flags)
        self.m_lit_off.append(off)
        self.m_lit_len.append(len(literal))
        self.m_tls.append(tls)
        self.m_gap.append(gap)
        self.m_ackdelay.append(ackdelay)
        self.est_packets += nseg + (nseg + 1) // 2 if nbytes else 1
        return t + (nseg - 1) * gap

    def tcp_open(self, fid: int, t: float) -> float:
        rtt = self.f_rtt[fid]
        self.msg(fid, t, 0, flags=SYN)
        self.msg(fid, t + rtt, 1, flags=SYN | ACK)
        self.msg(fid, t + rtt + 0.00005, 0, flags=ACK)
        return t + rtt + 0.0001

    def tcp_close(self, fid: int, t: float, by: int = 0) -> float:
        rtt = self.f_rtt[fid]
        self.msg(fid, t, by, flags=FIN | ACK)
        self.msg(fid, t + rtt, 1 - by, flags=FIN | ACK)
        self.msg(fid, t + rtt + 0.00005, by, flags=ACK)
        return t + rtt

    def pick_rtt(self) -> float:
        return float(np.clip(self.rng.lognormal(math.log(0.035), 0.6), 0.002, 0.4))

    def start_time(self) -> float:
        return float(self.rng.uniform(0, self.duration))

    # -- benign traffic
    def dns_lookup(self, cip: int, t: float, name: str, ips: list[str]) -> float:
        fid = self.flow(17, cip, ip2int(RESOLVER), 53, 0.0)
        txid = int(self.rng.integers(0, 65536))
        self.msg(fid, t, 0, literal=dns_query(txid, name), ackdelay=-1)
        rt = float(self.rng.uniform(0.002, 0.03))
        self.msg(fid, t + rt, 1, literal=dns_response(txid, name, ips), ackdelay=-1)
        return t + rt + 0.0005

    def tls_session(self, t: float, sizes: list[int], name: str | None = None,
                    think: tuple[float, float] = (0.05, 1.5), rate_mbps: float | None = None) -> None:
        rng = self.rng
        cip = int(rng.choice(self.clients))
        sip = int(rng.choice(self.servers))
        name = name or str(rng.choice(BENIGN_NAMES))
        if rng.random() < 0.6:
            t = self.dns_lookup(cip, t, name, [int2ip(sip)])
        fid = self.flow(6, cip, sip, 443, self.pick_rtt())
        rtt = self.f_rtt[fid]
        rate = rate_mbps or float(np.clip(rng.lognormal(math.log(25), 0.8), 2, 400))
        gap = MSS * 8 / (rate * 1e6)
        t = self.tcp_open(fid, t)
        t = self.msg(fid, t, 0, literal=tls_client_hello(rng, name), ackdelay=-1)
        shs = int(rng.integers(2500, 5200))
        pre = tls_server_hello_prefix(rng, shs)
        t = self.msg(fid, t + rtt, 1, nbytes=len(pre) + shs, literal=pre, gap=gap, ackdelay=0.00005)
        fin = b"\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x35" + rng.bytes(53)
        t = self.msg(fid, t + 0.001, 0, literal=fin, ackdelay=rtt)
        for size in sizes:
            t = self.msg(fid, t + 0.0005, 0, nbytes=int(rng.integers(120, 900)), tls=True, ackdelay=-1)
            t = self.msg(fid, t + rtt + float(rng.uniform(0.001, 0.05)), 1, nbytes=size, tls=True,
                         gap=gap, ackdelay=0.00005)
            t += float(rng.uniform(*think))
        self.msg(fid, t, 0, nbytes=24, tls=True, ackdelay=-1)
        self.tcp_close(fid, t + 0.0002, by=0)

    def http_session(self, t: float) -> None:
        rng = self.rng
        cip = int(rng.choice(self.clients))
        sip = int(rng.choice(self.servers))
        name = str(rng.choice(BENIGN_NAMES))
        t = self.dns_lookup(cip, t, name, [int2ip(sip)])
        fid = self.flow(6, cip, sip, 80, self.pick_rtt())
        rtt = self.f_rtt[fid]
        rate = float(np.clip(rng.lognormal(math.log(20), 0.8), 2, 300))
        gap = MSS * 8 / (rate * 1e6)
        ua = str(rng.choice(USER_AGENTS))
        t = self.tcp_open(fid, t)
        for _ in range(int(rng.integers(1, 5))):
            path = str(rng.choice(HTTP_PATHS))
            req = (f"GET {path} HTTP/1.1\r\nHost: {name}\r\nUser-Agent: {ua}\r\nAccept: */*\r\n"
                   f"Accept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n\r\n").encode()
            t = self.msg(fid, t + 0.0003, 0, literal=req, ackdelay=-1)
            body = int(min(rng.lognormal(math.log(20000), 1.6), 8_000_000))
            ctype = ("application/octet-stream" if path.endswith((".exe", ".deb")) else
                     "image/webp" if path.endswith(".webp") else "application/octet-stream" if path.endswith(".ts")
                     else "application/javascript" if path.endswith(".js") else "text/html; charset=utf-8")
            hdr = (f"HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Fri, 01 Mar 2024 12:00:00 GMT\r\n"
                   f"Content-Type: {ctype}\r\nContent-Length: {body}\r\nConnection: keep-alive\r\n"
                   f"Cache-Control: max-age=3600\r\n\r\n").encode()
            t = self.msg(fid, t + rtt + float(rng.uniform(0.001, 0.03)), 1, nbytes=len(hdr) + body,
                         literal=hdr, gap=gap, ackdelay=0.00005)
            t += float(rng.uniform(0.01, 2.0))
        self.tcp_close(fid, t, by=int(rng.integers(0, 2)))

    # -- JSON line sessions (mining and decoys)
    def line_session(self, cip: int, sip: int, sport: int, t0: float, events: list[tuple[float, int, bytes]],
                     close: bool = True) -> int:
        """events: (time, direction, line). A line followed within 1 s by one from the other side
        gets no pure ACK (the reply carries it); otherwise a delayed ACK 40 ms / 1 RTT later."""
        fid = self.flow(6, cip, sip, sport, self.pick_rtt())
        rtt = self.f_rtt[fid]
        t = self.tcp_open(fid, t0)
        last = t
        events = sorted(events, key=lambda e: e[0])
        for i, (te, d, line) in enumerate(events):
            te = max(te, last + 0.0002)
            nxt = events[i + 1] if i + 1 < len(events) else None
            reply_soon = nxt is not None and nxt[1] != d and nxt[0] - te < 1.0
            ad = -1.0 if reply_soon else (0.04 if d == 1 else rtt)
            last = self.msg(fid, te, d, literal=line, ackdelay=ad)
        if close:
            self.tcp_close(fid, last + 0.5, by=0)
        return fid

    def _session_truth(self, fid: int, **kw) -> dict:
        d = {"client": f"{int2ip(self.f_cip[fid])}:{self.f_cport[fid]}",
             "server": f"{int2ip(self.f_sip[fid])}:{self.f_sport[fid]}", "transport": "tcp"}
        d.update(kw)
        return d

    def poisson_times(self, t0: float, t1: float, rate: float) -> list[float]:
        out, t = [], t0
        while True:
            t += float(self.rng.exponential(1.0 / rate))
            if t >= t1:
                return out
            out.append(t)

    def stratum_v1(self, port: int, pool_name: str, pool_ip: str, style: str, hashrate: float,
                   difficulty: int, user: str, agent: str) -> None:
        """Stratum v1 SHA-256. style 'python' = json.dumps with spaces on both sides (slush's
        stratum-mining server + cgminer); 'compact' = no spaces (most modern pools and miners)."""
        rng = self.rng
        cip = int(rng.choice(self.clients))
        t0 = float(rng.uniform(0.5, 0.03 * self.duration + 1))
        t0 = self.dns_lookup(cip, t0, pool_name, [pool_ip])
        t_end = self.duration - float(rng.uniform(0.5, 3))
        sep = (", ", ": ") if style == "python" else (",", ":")

        def line(obj) -> bytes:
            return (json.dumps(obj, separators=sep) + "\n").encode()
        ev: list[tuple[float, int, bytes]] = []
        t = t0 + 0.2
        ev.append((t, 0, line({"id": 1, "method": "mining.subscribe", "params": [agent]})))
        ev.append((t + 0.05, 1, line({"id": 1, "result": [[["mining.set_difficulty", hexs(rng, 4)],
                                                           ["mining.notify", hexs(rng, 16)]],
                                                          hexs(rng, 4), 4], "error": None})))
        ev.append((t + 0.1, 0, line({"id": 2, "method": "mining.authorize", "params": [user, "x"]})))
        ev.append((t + 0.15, 1, line({"id": 2, "result": True, "error": None})))
        ev.append((t + 0.16, 1, line({"id": None, "method": "mining.set_difficulty", "params": [difficulty]})))
        ntime = BASE_EPOCH + int(t)

        def notify(tn: float, job: str, clean: bool) -> bytes:
            return line({"id": None, "method": "mining.notify", "params": [
                job, hexs(rng, 32), "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4b03"
                + hexs(rng, 20), "ffffffff0" + hexs(rng, 40) + "00000000",
                [hexs(rng, 32) for _ in range(int(rng.integers(6, 12)))], "20000000", "1703e8b3",
                f"{ntime + int(tn - t0):08x}", clean]})
        jobs: list[tuple[float, str]] = []
        tn, j = t + 0.17, 0
        while tn < t_end:
            job = f"{int(rng.integers(1, 1 << 31)):x}"
            jobs.append((tn, job))
            ev.append((tn, 1, notify(tn, job, j == 0 or rng.random() < 0.1)))
            tn += float(rng.uniform(8, 28))
            j += 1
        rate = hashrate / (difficulty * 2 ** 32)
        shares = self.poisson_times(t + 0.5, t_end, rate)
        k = 0
        for i, ts in enumerate(shares):
            while k + 1 < len(jobs) and jobs[k + 1][0] <= ts:
                k += 1
            mid = 10 + i
            ev.append((ts, 0, line({"params": [user, jobs[k][1], hexs(rng, 4), f"{ntime + int(ts - t0):08x}",
                                               hexs(rng, 4)], "id": mid, "method": "mining.submit"})))
            ev.append((ts + 0.03 + float(rng.uniform(0, 0.05)), 1, line({"id": mid, "result": True, "error": None})))
        fid = self.line_session(cip, ip2int(pool_ip), port, t0, ev, close=False)
        self.truth["mining_sessions"].append(self._session_truth(
            fid, flavour=f"stratum-v1 ({style} JSON)", coin="BTC", algorithm="sha256d", pool=pool_name,
            user=user, agent=agent, difficulty=difficulty, k=2 ** 32, _share_times=shares,
            work_per_share=difficulty * 2 ** 32, hashrate_nominal_hs=hashrate))

    def xmrig(self, port: int, pool_name: str, pool_ip: str, hashrate: float, difficulty: int,
              agent: str | None) -> None:
        """CryptoNote (Monero) login/job/submit/keepalived, xmrig-style compact JSON.
        agent=None mimics the coinhive-style client without an `agent` field."""
        rng = self.rng
        cip = int(rng.choice(self.clients))
        t0 = float(rng.uniform(0.5, 0.03 * self.duration + 1))
        t0 = self.dns_lookup(cip, t0, pool_name, [pool_ip])
        t_end = self.duration - float(rng.uniform(0.5, 3))
        target_le = (0xFFFFFFFF // difficulty).to_bytes(4, "little").hex()
        t32 = int.from_bytes(bytes.fromhex(target_le), "little")
        diff_exact = (1 << 64) // (0xFFFFFFFFFFFFFFFF // (0xFFFFFFFF // t32))
        wallet = monero_address(rng)
        sid = f"{int(rng.integers(10**14, 10**15))}"
        height = 3_090_000 + int(rng.integers(0, 5000))
        seed_hash = hexs(rng, 32)

        def line(obj) -> bytes:
            return (json.dumps(obj, separators=(",", ":")) + "\n").encode()

        def job() -> dict:
            return {"blob": "1010" + hexs(rng, 74), "job_id": f"{int(rng.integers(1, 1 << 40))}",
                    "target": target_le, "algo": "rx/0", "height": height, "seed_hash": seed_hash}
        ev: list[tuple[float, int, bytes]] = []
        t = t0 + 0.2
        params = {"login": wallet, "pass": "x", "rigid": ""}
        if agent:
            params.update({"agent": agent, "algo": ["rx/0", "cn/r", "cn/2"]})
        ev.append((t, 0, line({"id": 1, "jsonrpc": "2.0", "method": "login", "params": params})))
        j = job()
        jobs = [(t, j["job_id"])]
        ev.append((t + 0.06, 1, line({"id": 1, "jsonrpc": "2.0", "error": None, "result": {
            "id": sid, "job": j, "extensions": ["algo", "nicehash", "connect", "tls", "keepalive"], "status": "OK"}})))
        tn = t + float(rng.uniform(20, 120))
        while tn < t_end:                       # new block ~ every 2 min, some extra jobs in between
            height += 1
            j = job()
            jobs.append((tn, j["job_id"]))
            ev.append((tn, 1, line({"jsonrpc": "2.0", "method": "job", "params": j})))
            tn += float(rng.uniform(15, 60))
        mid = 2
        for tk in np.arange(t + 60, t_end, 60.0):   # xmrig keepalive every 60 s
            ev.append((float(tk), 0, line({"id": mid, "jsonrpc": "2.0", "method": "keepalived", "params": {"id": sid}})))
            ev.append((float(tk) + 0.05, 1, line({"id": mid, "jsonrpc": "2.0", "error": None,
                                                  "result": {"status": "KEEPALIVED"}})))
            mid += 1
        shares = self.poisson_times(t + 0.5, t_end, hashrate / diff_exact)
        k = 0
        for ts in shares:
            while k + 1 < len(jobs) and jobs[k + 1][0] <= ts:
                k += 1
            ev.append((ts, 0, line({"id": mid, "jsonrpc": "2.0", "method": "submit", "params": {
                "id": sid, "job_id": jobs[k][1], "nonce": hexs(rng, 4),
                "result": hexs(rng, 28) + "00000000", "algo": "rx/0"}})))
            ev.append((ts + 0.05, 1, line({"id": mid, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}})))
            mid += 1
        fid = self.line_session(cip, ip2int(pool_ip), port, t0, ev, close=False)
        self.truth["mining_sessions"].append(self._session_truth(
            fid, flavour="cryptonote login/job/submit" + ("" if agent else " (no agent field)"), coin="XMR",
            algorithm="randomx", pool=pool_name, user=wallet, agent=agent, target=target_le,
            difficulty=diff_exact, k=1, _share_times=shares,
            work_per_share=diff_exact, hashrate_nominal_hs=hashrate))

    def eth_proxy(self, port: int, pool_name: str, pool_ip: str, hashrate: float, difficulty: float) -> None:
        """Claymore-style eth-proxy: eth_submitLogin / eth_getWork / eth_submitWork / eth_submitHashrate."""
        rng = self.rng
        cip = int(rng.choice(self.clients))
        t0 = float(rng.uniform(0.5, 0.03 * self.duration + 1))
        t0 = self.dns_lookup(cip, t0, pool_name, [pool_ip])
        t_end = self.duration - float(rng.uniform(0.5, 3))
        wallet = "0x" + hexs(rng, 20)
        boundary = "0x" + f"{(1 << 256) // int(difficulty):064x}"
        seed = "0x" + hexs(rng, 32)

        def cl(obj) -> bytes:   # Claymore: Python-like spacing
            return (json.dumps(obj, separators=(", ", ": ")) + "\n").encode()

        def sv(obj) -> bytes:
            return (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        ev: list[tuple[float, int, bytes]] = []
        t = t0 + 0.2
        ev.append((t, 0, cl({"worker": "eth1.0", "jsonrpc": "2.0", "params": [wallet + ".rig2", "x"], "id": 2,
                             "method": "eth_submitLogin"})))
        ev.append((t + 0.05, 1, sv({"id": 2, "jsonrpc": "2.0", "result": True})))
        headers = []
        tg, mid = t + 0.1, 3
        while tg < t_end:                         # getWork poll every ~5 s
            h = "0x" + hexs(rng, 32)
            headers.append((tg, h))
            ev.append((tg, 0, cl({"worker": "", "jsonrpc": "2.0", "params": [], "id": mid, "method": "eth_getWork"})))
            ev.append((tg + 0.04, 1, sv({"id": mid, "jsonrpc": "2.0", "result": [h, seed, boundary]})))
            tg += float(rng.uniform(4, 6))
            mid += 1
        for th in np.arange(t + 30, t_end, 30.0):
            ev.append((float(th), 0, cl({"id": 6, "jsonrpc": "2.0", "method": "eth_submitHashrate",
                                         "params": [f"0x{int(hashrate * rng.uniform(0.97, 1.03)):064x}",
                                                    "0x" + hexs(rng, 32)], "worker": "rig2"})))
            ev.append((float(th) + 0.04, 1, sv({"id": 6, "jsonrpc": "2.0", "result": True})))
        shares = self.poisson_times(t + 1, t_end, hashrate / difficulty)
        k = 0
        for ts in shares:
            while k + 1 < len(headers) and headers[k + 1][0] <= ts:
                k += 1
            ev.append((ts, 0, cl({"id": 4, "jsonrpc": "2.0", "method": "eth_submitWork",
                                  "params": ["0x" + hexs(rng, 8), headers[k][1], "0x" + hexs(rng, 32)],
                                  "worker": "rig2"})))
            ev.append((ts + 0.04, 1, sv({"id": 4, "jsonrpc": "2.0", "result": True})))
        fid = self.line_session(cip, ip2int(pool_ip), port, t0, ev, close=False)
        self.truth["mining_sessions"].append(self._session_truth(
            fid, flavour="eth-proxy (Claymore)", coin="ETH", algorithm="ethash", pool=pool_name, user=wallet,
            agent=None, difficulty=difficulty, k=1, boundary=boundary, _share_times=shares,
            work_per_share=difficulty, hashrate_nominal_hs=hashrate))

    def decoys(self) -> None:
        """Benign JSON-RPC that looks a bit like Stratum."""
        rng = self.rng
        # Go net/rpc/jsonrpc over raw TCP: compact {"method":..,"params":..,"id":..} lines
        for _ in range(2):
            cip = int(rng.choice(self.clients))
            sip = int(rng.choice(self.servers))
            t0 = float(rng.uniform(1, self.duration * 0.8))
            ev, t = [], t0 + 0.1
            for i in range(int(rng.integers(20, 60))):
                a, b = int(rng.integers(1, 1000)), int(rng.integers(1, 1000))
                ev.append((t, 0, (json.dumps({"method": "Arith.Multiply", "params": [{"A": a, "B": b}], "id": i},
                                             separators=(",", ":")) + "\n").encode()))
                ev.append((t + 0.002, 1, (json.dumps({"id": i, "result": a * b, "error": None},
                                                     separators=(",", ":")) + "\n").encode()))
                t += float(rng.uniform(0.5, 5))
            fid = self.line_session(cip, sip, 1234, t0, ev)
            self.truth["decoys"].append(self._session_truth(fid, what="Go net/rpc/jsonrpc over raw TCP", mining=False))
        # Electrum wallet <-> ElectrumX server (plain TCP 50001)
        cip = int(rng.choice(self.clients))
        sip = int(rng.choice(self.servers))
        t0 = float(rng.uniform(1, self.duration * 0.5))
        ev = [(t0 + 0.1, 0, b'{"jsonrpc": "2.0", "method": "server.version", "params": ["electrum/4.5.3", "1.4"], "id": 0}\n'),
              (t0 + 0.15, 1, b'{"jsonrpc": "2.0", "result": ["ElectrumX 1.16.0", "1.4"], "id": 0}\n'),
              (t0 + 0.2, 0, b'{"jsonrpc": "2.0", "method": "blockchain.headers.subscribe", "params": [], "id": 1}\n'),
              (t0 + 0.25, 1, ('{"jsonrpc": "2.0", "result": {"hex": "' + hexs(rng, 80) + '", "height": 832000}, "id": 1}\n').encode())]
        t = t0 + 0.3
        for i in range(2, 30):
            ev.append((t, 0, ('{"jsonrpc": "2.0", "method": "blockchain.scripthash.subscribe", "params": ["'
                              + hexs(rng, 32) + f'"], "id": {i}}}\n').encode()))
            ev.append((t + 0.05, 1, ('{"jsonrpc": "2.0", "result": null, "id": ' + str(i) + '}\n').encode()))
            t += float(rng.uniform(0.01, 0.2))
        for tb in np.arange(t + 600, self.duration - 1, 600.0):
            ev.append((float(tb), 1, ('{"jsonrpc": "2.0", "method": "blockchain.headers.subscribe", "params": [{"hex": "'
                                      + hexs(rng, 80) + '", "height": 832001}]}\n').encode()))
        fid = self.line_session(cip, sip, 50001, t0, ev)
        self.truth["decoys"].append(self._session_truth(fid, what="Electrum <-> ElectrumX JSON-RPC (TCP 50001)", mining=False))
        # Wallet polling an Ethereum node over HTTP JSON-RPC (port 8545)
        cip = int(rng.choice(self.clients))
        sip = int(rng.choice(self.servers))
        fid = self.flow(6, cip, sip, 8545, self.pick_rtt())
        t = self.tcp_open(fid, float(rng.uniform(1, self.duration * 0.8)))
        for i in range(40):
            body = json.dumps({"jsonrpc": "2.0", "method": "eth_getBalance" if i % 2 else "eth_blockNumber",
                               "params": ["0x" + hexs(rng, 20), "latest"] if i % 2 else [], "id": i})
            req = (f"POST / HTTP/1.1\r\nHost: {int2ip(sip)}:8545\r\nUser-Agent: Go-http-client/1.1\r\n"
                   f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n\r\n{body}").encode()
            t = self.msg(fid, t + 0.0003, 0, literal=req, ackdelay=-1)
            rb = json.dumps({"jsonrpc": "2.0", "id": i, "result": "0x" + hexs(rng, 4)})
            resp = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Fri, 01 Mar 2024 12:00:00 GMT\r\n"
                    f"Content-Length: {len(rb)}\r\n\r\n{rb}").encode()
            t = self.msg(fid, t + self.f_rtt[fid], 1, literal=resp, ackdelay=0.04)
            t += float(rng.uniform(1, 8))
        self.tcp_close(fid, t)
        self.truth["decoys"].append(self._session_truth(fid, what="Ethereum node JSON-RPC over HTTP (8545)", mining=False))

    def mining(self) -> None:
        self.stratum_v1(3333, "stratum.slushpool.com", "203.0.113.10", "python", 14e12, 65536,
                        "minerfarm.s9_01", "cgminer/4.11.1")
        self.stratum_v1(443, "btc.viabtc.io", "203.0.113.11", "compact", 110e12, 131072,
                        btc_bech32_address(self.rng) + ".s19xp", "bmminer/2.0.0")
        self.xmrig(4444, "pool.supportxmr.com", "203.0.113.20", 12000, 100000,
                   "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0")
        self.xmrig(80, "xmr.2miners.com", "203.0.113.21", 4000, 40000, None)
        self.eth_proxy(8008, "eth.f2pool.com", "203.0.113.30", 30.45e6, 6e8)

    def benign(self, target_packets: int) -> None:
        rng = self.rng
        while self.est_packets < target_packets:
            r = rng.random()
            t = self.start_time()
            if r < 0.055:           # bulk download: 70 % of packets
                size = int(min(rng.lognormal(math.log(400_000), 1.5), 40_000_000))
                self.tls_session(t, [size], think=(0.0, 0.0))
            elif r < 0.50:          # short API-style TLS sessions
                n = int(rng.integers(1, 6))
                self.tls_session(t, [int(rng.integers(150, 6000)) for _ in range(n)])
            elif r < 0.62:          # cleartext HTTP/1.1 keep-alive
                self.http_session(t)
            else:                   # background DNS: a page load or an OS resolving a few names at once
                cip = int(rng.choice(self.clients))
                for name in rng.choice(BENIGN_NAMES, size=int(rng.integers(1, 9)), replace=False):
                    self.dns_lookup(cip, t, str(name), [int2ip(int(rng.choice(self.servers)))])
                    t += float(rng.uniform(0.0005, 0.05))

    # -- expansion to packets
    def packets(self) -> dict[str, np.ndarray]:
        m_flow = np.asarray(self.m_flow, np.int64)
        m_t = np.asarray(self.m_t, np.float64)
        m_dir = np.asarray(self.m_dir, np.int8)
        m_len = np.asarray(self.m_len, np.int64)
        m_flags = np.asarray(self.m_flags, np.uint8)
        m_lo = np.asarray(self.m_lit_off, np.int64)
        m_ll = np.asarray(self.m_lit_len, np.int64)
        m_tls = np.asarray(self.m_tls, bool)
        m_gap = np.asarray(self.m_gap, np.float64)
        m_ad = np.asarray(self.m_ackdelay, np.float64)
        f_proto = np.asarray(self.f_proto, np.uint8)

        nseg = np.maximum(1, -(-m_len // MSS))
        M, R = len(m_len), int(nseg.sum())
        mi = np.repeat(np.arange(M), nseg)
        k = np.arange(R) - np.repeat(np.cumsum(nseg) - nseg, nseg)
        last = k == nseg[mi] - 1
        plen = np.where(last, m_len[mi] - k * MSS, MSS)
        t = m_t[mi] + k * m_gap[mi]
        data = m_len[mi] > 0
        flags = np.where(data, np.where(last, ACK | PSH, ACK), m_flags[mi]).astype(np.uint8)
        lit_len = np.clip(m_ll[mi] - k * MSS, 0, plen)
        lit_off = m_lo[mi] + k * MSS
        rec_start = m_tls[mi] & (k % TLS_REC_SEGS == 0)
        tls_len = np.where(rec_start, np.minimum(TLS_REC, m_len[mi] - k * MSS) - 5, 0)
        d = m_dir[mi]
        # pure ACKs from the receiver: every second segment, and after the last one unless a reply follows
        tcp = f_proto[m_flow[mi]] == 6
        want = tcp & data & ((k % 2 == 1) | (last & (m_ad[mi] >= 0)))
        rtt = np.asarray(self.f_rtt)[m_flow[mi]]
        # a client acks what it receives at once; the server's ACK of an upload arrives one RTT later
        ad = np.where(last, np.maximum(m_ad[mi], 0), np.where(d == 1, 0.00005, rtt))
        a = np.flatnonzero(want)
        flow = np.concatenate([m_flow[mi], m_flow[mi][a]])
        t = np.concatenate([t, t[a] + ad[a]])
        d = np.concatenate([d, 1 - d[a]]).astype(np.int8)
        flags = np.concatenate([flags, np.full(len(a), ACK, np.uint8)])
        z = np.zeros(len(a), np.int64)
        plen = np.concatenate([plen, z])
        lit_len = np.concatenate([lit_len, z])
        lit_off = np.concatenate([lit_off, z])
        tls_len = np.concatenate([tls_len, z])

        # seq / ack per flow and direction (rows grouped by flow, in time order)
        o = np.lexsort((t, flow))
        flow, t, d, flags, plen, lit_len, lit_off, tls_len = (x[o] for x in (flow, t, d, flags, plen, lit_len, lit_off, tls_len))
        sl = plen + ((flags & (SYN | FIN)) != 0)
        first = np.ones(len(flow), bool)
        first[1:] = flow[1:] != flow[:-1]
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, len(flow)))
        nf = len(self.f_proto)
        rng = self.rng
        isn = rng.integers(0, 2 ** 32, size=(nf, 2), dtype=np.uint64).astype(np.int64)
        ipid = rng.integers(0, 2 ** 16, size=(nf, 2), dtype=np.int64)
        cum, cnt = [], []
        for dd in (0, 1):
            x = np.where(d == dd, sl, 0)
            c = np.cumsum(x)
            base = np.repeat(c[starts] - x[starts], sizes)
            cum.append(c - base)            # inclusive of the current row
            n1 = (d == dd).astype(np.int64)
            c1 = np.cumsum(n1)
            cnt.append(c1 - np.repeat(c1[starts] - n1[starts], sizes))
        own = np.where(d == 0, cum[0], cum[1]) - sl
        other = np.where(d == 0, cum[1], cum[0])
        seq = (isn[flow, d] + own) % 2 ** 32
        ack = np.where(flags & ACK, (isn[flow, 1 - d] + other) % 2 ** 32, 0)
        ip_id = (ipid[flow, d] + np.where(d == 0, cnt[0], cnt[1])) % 2 ** 16

        # drop pure ACKs that acknowledge nothing new (several short messages in a row would
        # otherwise each get their own delayed ACK: Wireshark would call them duplicate ACKs)
        keep = np.ones(len(flow), bool)
        pure = (plen == 0) & (flags == ACK)
        for dd in (0, 1):
            idx = np.flatnonzero(d == dd)
            prev, cur = idx[:-1], idx[1:]
            dup = (flow[cur] == flow[prev]) & pure[cur] & (ack[cur] == ack[prev])
            keep[cur[dup]] = False
        t, flow, d, flags, plen, lit_len, lit_off, tls_len, seq, ack, ip_id = (
            x[keep] for x in (t, flow, d, flags, plen, lit_len, lit_off, tls_len, seq, ack, ip_id))

        o = np.argsort(t, kind="stable")
        return {"t": t[o], "flow": flow[o], "dir": d[o], "flags": flags[o], "plen": plen[o],
                "lit_len": lit_len[o], "lit_off": lit_off[o], "tls_len": tls_len[o], "seq": seq[o],
                "ack": ack[o], "ip_id": ip_id[o]}


def _h_from_shares(times: list[float], work_per_share: float) -> float | None:
    if len(times) < 2:
        return None
    return (len(times) - 1) * work_per_share / (times[-1] - times[0])


# --------------------------------------------------------------------------- writing

HDR_COMMON = [("ts_sec", "<u4"), ("ts_usec", "<u4"), ("incl", "<u4"), ("orig", "<u4"),
              ("dmac", "u1", (6,)), ("smac", "u1", (6,)), ("etype", ">u2"),
              ("vihl", "u1"), ("tos", "u1"), ("tot_len", ">u2"), ("ip_id", ">u2"), ("frag", ">u2"),
              ("ttl", "u1"), ("proto", "u1"), ("csum", ">u2"), ("src", ">u4"), ("dst", ">u4")]
DT_TCP = np.dtype(HDR_COMMON + [("sport", ">u2"), ("dport", ">u2"), ("seq", ">u4"), ("ack", ">u4"),
                                ("off", "u1"), ("flags", "u1"), ("win", ">u2"), ("tcsum", ">u2"), ("urg", ">u2")])
DT_UDP = np.dtype(HDR_COMMON + [("sport", ">u2"), ("dport", ">u2"), ("ulen", ">u2"), ("ucsum", ">u2")])
assert DT_TCP.itemsize == REC_TCP and DT_UDP.itemsize == REC_UDP


def _headers(dt: np.dtype, rows: np.ndarray, P: dict, F: dict, proto: int) -> np.ndarray:
    n = len(rows)
    h = np.zeros(n, dt)
    t = P["t"][rows] + BASE_EPOCH
    sec = np.floor(t)
    h["ts_sec"] = sec
    h["ts_usec"] = np.minimum(((t - sec) * 1e6).round(), 999999)
    l4 = 20 if proto == 6 else 8
    plen = P["plen"][rows]
    h["incl"] = h["orig"] = 14 + 20 + l4 + plen
    fl = P["flow"][rows]
    d = P["dir"][rows]
    cip, sip = F["cip"][fl], F["sip"][fl]
    cport, sport = F["cport"][fl], F["sport"][fl]
    src = np.where(d == 0, cip, sip)
    dst = np.where(d == 0, sip, cip)
    host_mac = np.zeros((n, 6), np.uint8)
    host_mac[:, 0] = 0x02
    host_mac[:, 2:] = cip.astype(">u4").view(np.uint8).reshape(n, 4)
    router = np.frombuffer(ROUTER_MAC, np.uint8)
    h["smac"] = np.where(d[:, None] == 0, host_mac, router)
    h["dmac"] = np.where(d[:, None] == 0, router, host_mac)
    h["etype"] = 0x0800
    h["vihl"] = 0x45
    h["tot_len"] = 20 + l4 + plen
    h["ip_id"] = P["ip_id"][rows]
    h["frag"] = 0x4000
    h["ttl"] = np.where(d == 0, 64, F["ttl"][fl])
    h["proto"] = proto
    h["src"] = src
    h["dst"] = dst
    h["sport"] = np.where(d == 0, cport, sport)
    h["dport"] = np.where(d == 0, sport, cport)
    if proto == 6:
        h["seq"] = P["seq"][rows]
        h["ack"] = P["ack"][rows]
        h["off"] = 0x50
        h["flags"] = P["flags"][rows]
        h["win"] = np.where(d == 0, F["win_c"][fl], F["win_s"][fl])
    else:
        h["ulen"] = 8 + plen
    b = h.view(np.uint8).reshape(n, dt.itemsize)
    ip = b[:, 30:50].astype(np.uint32)
    s = ((ip[:, 0::2] << 8) | ip[:, 1::2]).sum(axis=1)
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    h["csum"] = (~s) & 0xFFFF
    return b


def write_pcap(path: Path, cap: Capture, P: dict, chunk: int = 65536) -> int:
    rng = cap.rng
    F = {"cip": np.asarray(cap.f_cip, np.uint32), "sip": np.asarray(cap.f_sip, np.uint32),
         "cport": np.asarray(cap.f_cport, np.uint16), "sport": np.asarray(cap.f_sport, np.uint16),
         "proto": np.asarray(cap.f_proto, np.uint8)}
    nf = len(F["cip"])
    F["ttl"] = rng.choice(np.array([45, 49, 50, 52, 53, 56, 113, 116, 242], np.uint8), size=nf)
    F["win_c"] = rng.choice(np.array([501, 502, 1026, 2048, 64240, 65535], np.uint16), size=nf)
    F["win_s"] = rng.choice(np.array([83, 235, 501, 1050, 4096, 65535], np.uint16), size=nf)
    lit = np.frombuffer(bytes(cap.lit), np.uint8)
    pool = np.frombuffer(rng.bytes(chunk * (REC_TCP + MSS) + (1 << 20)), np.uint8)
    n = len(P["t"])
    total = 0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i0 in range(0, n, chunk):
            rows = np.arange(i0, min(n, i0 + chunk))
            udp = F["proto"][P["flow"][rows]] == 17
            plen = P["plen"][rows]
            rl = np.where(udp, REC_UDP, REC_TCP) + plen
            off = np.cumsum(rl) - rl
            size = int(rl.sum())
            start = int(rng.integers(0, len(pool) - size))
            buf = pool[start:start + size].copy()        # payload bytes nobody parses: random
            for sel, dt, proto in ((~udp, DT_TCP, 6), (udp, DT_UDP, 17)):
                idx = np.flatnonzero(sel)
                if len(idx):
                    hb = _headers(dt, rows[idx], P, F, proto)
                    buf[off[idx, None] + np.arange(dt.itemsize)] = hb
            hl = np.where(udp, REC_UDP, REC_TCP)
            tl = P["tls_len"][rows]
            ti = np.flatnonzero(tl > 0)
            if len(ti):
                rec = np.empty((len(ti), 5), np.uint8)
                rec[:, :3] = (0x17, 3, 3)
                rec[:, 3] = tl[ti] >> 8
                rec[:, 4] = tl[ti] & 0xFF
                buf[(off[ti] + hl[ti])[:, None] + np.arange(5)] = rec
            ll = P["lit_len"][rows]
            li = np.flatnonzero(ll > 0)
            if len(li):
                cnt = ll[li]
                tot = int(cnt.sum())
                within = np.arange(tot) - np.repeat(np.cumsum(cnt) - cnt, cnt)
                dst = np.repeat(off[li] + hl[li], cnt) + within
                src = np.repeat(P["lit_off"][rows][li], cnt) + within
                buf[dst] = lit[src]
            f.write(buf.data)
            total += size
    return total + 24


def generate(packets: int, out: Path, seed: int = 1, duration: float | None = None, quiet: bool = False,
             mining: bool = True) -> dict:
    t_start = time.perf_counter()
    duration = duration or max(120.0, packets / 2500.0)
    cap = Capture(seed, duration)
    if mining:
        cap.mining()
    cap.decoys()
    cap.benign(int(packets * 1.02))
    P = cap.packets()
    while len(P["t"]) < packets:     # the estimate was short: add more benign traffic
        cap.benign(cap.est_packets + int((packets - len(P["t"])) * 1.2) + 1000)
        P = cap.packets()
    P = {k: v[:packets] for k, v in P.items()}   # cut at the capture's end (in time)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbytes = write_pcap(out, cap, P)
    cap.truth.update({
        "generator": "bench/gen_capture.py", "seed": seed, "packets": packets, "bytes": nbytes,
        "flows": len(cap.f_proto), "duration_s": float(P["t"][-1] - P["t"][0]),
        "first_ts": BASE_EPOCH + float(P["t"][0]), "last_ts": BASE_EPOCH + float(P["t"][-1]),
        "note": "cut at `packets` (in time order); shares counted are those inside the file; "
                "hashrate_from_shares_hs = (shares-1) * work_per_share / (last_share - first_share)",
    })
    # shares after the cut are not in the file: count and rate only those before the last packet
    t_last = float(P["t"][-1])
    for s in cap.truth["mining_sessions"]:
        st = [x for x in s.pop("_share_times") if x < t_last - 0.2]
        s["shares"] = len(st)
        s["first_share"] = BASE_EPOCH + st[0] if st else None
        s["last_share"] = BASE_EPOCH + st[-1] if st else None
        s["hashrate_from_shares_hs"] = _h_from_shares(st, s["work_per_share"])
    Path(str(out) + ".truth.json").write_text(json.dumps(cap.truth, indent=1))
    el = time.perf_counter() - t_start
    if not quiet:
        print(f"wrote {out}: {packets:,} packets, {nbytes / 1e6:,.1f} MB, {len(cap.f_proto):,} flows, "
              f"{cap.truth['duration_s']:.0f} s of traffic, {len(cap.truth['mining_sessions'])} mining sessions, "
              f"in {el:.1f} s", file=sys.stderr)
    return cap.truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=1_500_000)
    ap.add_argument("--out", type=Path, default=None,
                    help="default: bench/out/mixed_<packets>_s<seed>.pcap")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=None,
                    help="seconds of traffic (default: packets / 2500, at least 120)")
    ap.add_argument("--no-mining", action="store_true",
                    help="leave the mining sessions out (benign traffic and decoys only)")
    a = ap.parse_args(argv)
    if a.packets < 2000:
        ap.error("--packets must be at least 2000 (the mining sessions alone need a few hundred)")
    out = a.out or DEFAULT_OUT_DIR / f"mixed_{a.packets}_s{a.seed}{'_nomining' if a.no_mining else ''}.pcap"
    generate(a.packets, out, a.seed, a.duration, mining=not a.no_mining)
    return 0


if __name__ == "__main__":
    sys.exit(main())
