"""Typed records that sources produce and detectors consume. Sources judge nothing."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Conn:
    """One TCP (or UDP) conversation. `client` is the side that opened it when the SYN was seen;
    otherwise a guess (the higher port), which a detector may correct from content (`swapped()`)."""

    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    transport: str = "tcp"
    syn_seen: bool = False
    source: str = ""          # file the packets came from
    community_id: str = ""    # Community ID v1 of the 5-tuple (direction independent)

    @property
    def client(self) -> str:
        return endpoint(self.client_ip, self.client_port)

    @property
    def server(self) -> str:
        return endpoint(self.server_ip, self.server_port)

    def swapped(self) -> "Conn":
        return Conn(self.server_ip, self.server_port, self.client_ip, self.client_port,
                    self.transport, self.syn_seen, self.source, self.community_id)


def endpoint(ip: str, port: int) -> str:
    """'ip:port', with IPv6 addresses in brackets."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


CLIENT_TO_SERVER = 0
SERVER_TO_CLIENT = 1


@dataclass(frozen=True, slots=True)
class StreamChunk:
    """In-order, de-duplicated bytes of one direction of a TCP connection (after reassembly).
    `frame` is the 1-based capture frame number of the segment that completed these bytes.
    `gap_before` is True when bytes are missing before this chunk (capture started mid-session
    or lost segments): a line parser must resynchronise at the next newline."""

    conn: Conn
    direction: int
    ts: float
    frame: int
    data: bytes
    gap_before: bool = False


@dataclass(frozen=True, slots=True)
class ConnSummary:
    """Per-connection facts the reader knows at the end: first payload sizes (Stratum V2 Noise
    handshake: 64-byte client record, 234-byte server reply), packet/byte counts, times."""

    conn: Conn
    first_ts: float
    last_ts: float
    first_frame: int
    last_frame: int
    packets: tuple[int, int] = (0, 0)        # client→server, server→client
    payload_bytes: tuple[int, int] = (0, 0)
    first_payload_len: tuple[int, int] = (-1, -1)  # -1: no payload seen in that direction
    first_payload_dir: int = -1              # which direction carried payload first
    first_payload_head: bytes = b""        # first bytes of the first client payload


@dataclass(frozen=True, slots=True)
class NameObservation:
    """A host name tied to a server IP in the same capture: DNS answer, TLS SNI or HTTP Host."""

    ts: float
    name: str
    ip: str
    kind: str            # "dns" | "sni" | "http_host"
    client_ip: str = ""
    ttl: int | None = None
    frame: int = 0


@dataclass
class CaptureStats:
    path: str
    link_types: set[int] = field(default_factory=set)
    frames: int = 0
    bytes: int = 0
    tcp_payload_packets: int = 0
    selected_packets: int = 0        # handed to Python-level reassembly
    warnings: list[str] = field(default_factory=list)
    truncated_at_frame: int | None = None
