"""Host names tied to server IPs inside one capture: DNS answers, TLS SNI, HTTP Host.

The kernel decodes them into fixed-width rows; here they are kept as numpy blocks (deduplicated
to the latest row per (IP, name, kind) when they grow) and turned into `NameObservation`s only for
the IPs a detector cares about, so names cost no per-packet Python work.
"""

from __future__ import annotations

import socket
import struct

import numpy as np

from ..records import NameObservation
from . import _layout as K

COMPACT_ROWS = 1 << 20
KINDS = {K.K_DNS: "dns", K.K_TLS_HELLO: "sni", K.K_HTTP_HEAD: "http_host"}


class NameCollector:
    def __init__(self) -> None:
        self.blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rows = 0

    def add_rows(self, nmi: np.ndarray, nmf: np.ndarray, nmb: np.ndarray) -> None:
        if len(nmi) == 0:
            return
        self.blocks.append((nmi.copy(), nmf.copy(), nmb.copy()))
        self.rows += len(nmi)
        if self.rows > COMPACT_ROWS:
            self._compact()

    def _merged(self):
        if not self.blocks:
            return (np.zeros((0, K.NNM_I), np.int64), np.zeros(0), np.zeros((0, K.NAME_MAX),
                                                                            np.uint8))
        i, f, b = (np.concatenate(x) for x in zip(*self.blocks))
        return i, f, b

    def _compact(self) -> None:
        """Keep the latest row per (server IP, name, kind): memory grows with distinct names."""
        i, f, b = self._merged()
        key = np.column_stack([i[:, K.NM_SHI], i[:, K.NM_SLO], i[:, K.NM_KIND]])
        name_hash = b.view(np.uint64).reshape(len(b), -1).sum(axis=1, dtype=np.uint64) \
            if b.shape[1] % 8 == 0 else b.sum(axis=1)
        order = np.lexsort((f, name_hash, key[:, 2], key[:, 1], key[:, 0]))
        i, f, b, name_hash, key = i[order], f[order], b[order], name_hash[order], key[order]
        last = np.ones(len(i), bool)
        same = (key[1:] == key[:-1]).all(axis=1) & (name_hash[1:] == name_hash[:-1])
        last[:-1] = ~same
        self.blocks = [(i[last], f[last], b[last])]
        self.rows = int(last.sum())

    def observations(self, ips: set[tuple[int, int]] | None = None) -> list[NameObservation]:
        """Observations for server IPs in `ips` ((hi, lo) integer pairs), or all of them."""
        i, f, b = self._merged()
        if ips is not None:
            if not ips:
                return []
            want = np.array(sorted(ips), dtype=np.int64).reshape(-1, 2)
            sel = np.isin(i[:, K.NM_SLO], want[:, 1])
            i, f, b = i[sel], f[sel], b[sel]
            keep = [n for n in range(len(i)) if (int(i[n, K.NM_SHI]), int(i[n, K.NM_SLO])) in ips]
            i, f, b = i[keep], f[keep], b[keep]
        out = []
        for n in range(len(i)):
            row = i[n]
            name = b[n, :int(row[K.NM_LEN])].tobytes().decode("ascii", "replace")
            chi, clo = int(row[K.NM_CHI]), int(row[K.NM_CLO])
            ttl = int(row[K.NM_TTL])
            out.append(NameObservation(
                ts=float(f[n]), name=name, ip=ip_str(int(row[K.NM_SHI]), int(row[K.NM_SLO]),
                                                     int(row[K.NM_VER])),
                kind=KINDS[int(row[K.NM_KIND])],
                client_ip=ip_str(chi, clo, int(row[K.NM_CVER])),
                ttl=ttl if ttl >= 0 else None, frame=int(row[K.NM_FRAME])))
        out.sort(key=lambda o: (o.ts, o.frame, o.ip, o.name))
        return out


def ip_str(hi: int, lo: int, ver: int) -> str:
    if ver == 4:
        return socket.inet_ntop(socket.AF_INET, struct.pack(">I", lo & 0xFFFFFFFF))
    return socket.inet_ntop(socket.AF_INET6, struct.pack(">QQ", hi & (2**64 - 1),
                                                         lo & (2**64 - 1)))
