"""Incremental HTTP/1.x parser for one direction of a TCP stream. Pure: no I/O.

Enough HTTP for getwork / getblocktemplate / eth_getWork mining over HTTP: start line, headers,
bodies framed by Content-Length, chunked transfer coding, or (responses) the end of the stream;
gzip/deflate bodies decoded on demand. After a gap it resynchronises at the next start line.
Raises only ProtocolError; once broken it stays broken and returns nothing more.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError
from .stratum import Message, parse_body

MAX_HEADER = 64 * 1024
MAX_BODY = 16 * 1024 * 1024

_METHODS = (b"GET", b"POST", b"PUT", b"HEAD", b"OPTIONS", b"DELETE", b"PATCH", b"CONNECT")
_REQUEST_LINE = re.compile(rb"(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT) (\S+) HTTP/(1\.[01])\Z")
_STATUS_LINE = re.compile(rb"HTTP/(1\.[01]) (\d{3})(?: (.*))?\Z")
_START = re.compile(rb"(?:(?:GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT) \S+ HTTP/1\.[01]"
                    rb"|HTTP/1\.[01] \d{3})[^\n]*\n")


def looks_like_http(data: bytes) -> bool:
    """Does this payload start an HTTP/1.x request or response?"""
    head = data[:16]
    return head.startswith(b"HTTP/1.") or any(head.startswith(m + b" ") for m in _METHODS)


@dataclass(frozen=True, slots=True)
class HttpMessage:
    is_request: bool
    version: str
    method: str | None = None
    target: str | None = None
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def host(self) -> str | None:
        h = self.header("host")
        return h.strip() if h else None

    @property
    def user_agent(self) -> str | None:
        return self.header("user-agent")

    def basic_auth_user(self) -> str | None:
        """User name from `Authorization: Basic` (getwork miners put wallet.worker there)."""
        h = self.header("authorization") or ""
        scheme, _, token = h.strip().partition(" ")
        if scheme.lower() != "basic" or not token:
            return None
        try:
            raw = base64.b64decode(token.strip(), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
        return raw.partition(":")[0] or None

    def decoded_body(self, limit: int = MAX_BODY) -> bytes:
        """Body with gzip/deflate content coding removed (bounded against bombs)."""
        enc = (self.header("content-encoding") or "").strip().lower()
        if enc in ("", "identity"):
            return self.body
        if enc not in ("gzip", "x-gzip", "deflate"):
            raise ProtocolError(f"unsupported content-encoding {enc!r}")
        wbits = 47 if enc != "deflate" else 15    # 47: auto-detect gzip/zlib header
        try:
            d = zlib.decompressobj(wbits)
            out = d.decompress(self.body, limit)
            if enc == "deflate" and not out and self.body:
                out = zlib.decompressobj(-15).decompress(self.body, limit)   # raw deflate
        except zlib.error as e:
            raise ProtocolError(f"bad {enc} body: {e}") from None
        return out

    def json_messages(self) -> list[Message]:
        """JSON-RPC messages in the body; [] when the body is not JSON."""
        try:
            body = self.decoded_body().strip()
            if not body or body[:1] not in (b"{", b"["):
                return []
            return parse_body(body)
        except ProtocolError:
            return []


class HttpStreamParser:
    """Feed the bytes of one direction; get complete HttpMessages back."""

    def __init__(self, max_header: int = MAX_HEADER, max_body: int = MAX_BODY):
        self.max_header, self.max_body = max_header, max_body
        self._buf = bytearray()
        self._state = "start"        # start|length|chunk_size|chunk_data|chunk_end|trailer|close|resync|broken
        self._head: dict[str, Any] | None = None
        self._need = 0
        self._body = bytearray()

    @property
    def broken(self) -> bool:
        return self._state == "broken"

    def feed(self, data: bytes, gap_before: bool = False) -> list[HttpMessage]:
        if self._state == "broken":
            return []
        if gap_before:
            self._buf.clear()
            self._body.clear()
            self._head = None
            self._state = "resync"
        self._buf += data
        out: list[HttpMessage] = []
        try:
            while self._step(out):
                pass
        except ProtocolError:
            self._state = "broken"
            self._buf.clear()
            raise
        return out

    def finish(self) -> list[HttpMessage]:
        """End of stream: a response delimited by connection close is complete now."""
        if self._state == "close" and self._head is not None:
            self._body += self._buf
            self._buf.clear()
            return [self._emit()]
        return []

    # -- state machine: each step consumes what it can; False = need more data
    def _step(self, out: list[HttpMessage]) -> bool:
        st = self._state
        if st == "resync":
            return self._resync()
        if st == "start":
            return self._read_head(out)
        if st == "length":
            return self._read_length(out)
        if st == "chunk_size":
            return self._read_chunk_size()
        if st == "chunk_data":
            return self._read_chunk_data()
        if st == "chunk_end":
            return self._read_chunk_end()
        if st == "trailer":
            return self._read_trailer(out)
        if st == "close":
            self._body += self._buf
            self._buf.clear()
            self._check_body()
        return False

    def _resync(self) -> bool:
        m = _START.search(self._buf)
        if not m:
            keep = self._buf[-64:]        # a start line may straddle chunks
            self._buf = bytearray(keep)
            return False
        del self._buf[:m.start()]
        self._state = "start"
        return True

    def _read_head(self, out: list[HttpMessage]) -> bool:
        while self._buf[:2] == b"\r\n" or self._buf[:1] == b"\n":   # tolerate stray CRLFs
            del self._buf[:2 if self._buf[:2] == b"\r\n" else 1]
        end, sep = _find_head_end(self._buf)
        if end < 0:
            if len(self._buf) > self.max_header:
                raise ProtocolError(f"HTTP header longer than {self.max_header} bytes")
            return False
        raw = bytes(self._buf[:end])
        del self._buf[:end + sep]
        self._head = _parse_head(raw)
        self._body.clear()
        self._state = self._body_state(self._head)
        if self._state == "start":
            out.append(self._emit())
        return True

    def _body_state(self, head: dict[str, Any]) -> str:
        hdr = {k.lower(): v for k, v in head["headers"]}
        status = head.get("status")
        if status is not None and (100 <= status < 200 or status in (204, 304)):
            return "start"
        if "chunked" in hdr.get("transfer-encoding", "").lower():
            return "chunk_size"
        cl = hdr.get("content-length")
        if cl is not None:
            try:
                n = int(cl.strip())
            except ValueError:
                raise ProtocolError(f"bad Content-Length {cl[:20]!r}") from None
            if n < 0 or n > self.max_body:
                raise ProtocolError(f"Content-Length {n} out of range")
            self._need = n
            return "length" if n else "start"
        return "start" if head["is_request"] else "close"

    def _read_length(self, out: list[HttpMessage]) -> bool:
        take = min(self._need, len(self._buf))
        self._body += self._buf[:take]
        del self._buf[:take]
        self._need -= take
        if self._need:
            return False
        out.append(self._emit())
        return True

    def _read_chunk_size(self) -> bool:
        nl = self._buf.find(b"\n")
        if nl < 0:
            if len(self._buf) > 1024:
                raise ProtocolError("chunk size line too long")
            return False
        line = bytes(self._buf[:nl]).strip().split(b";")[0]
        del self._buf[:nl + 1]
        try:
            n = int(line, 16)
        except ValueError:
            raise ProtocolError(f"bad chunk size {line[:20]!r}") from None
        if n < 0:
            raise ProtocolError("negative chunk size")
        self._need = n
        self._state = "chunk_data" if n else "trailer"
        return True

    def _read_chunk_data(self) -> bool:
        take = min(self._need, len(self._buf))
        self._body += self._buf[:take]
        del self._buf[:take]
        self._need -= take
        self._check_body()
        if self._need:
            return False
        self._state = "chunk_end"
        return True

    def _read_chunk_end(self) -> bool:
        """The CRLF after a chunk's data (may arrive split over two segments)."""
        if self._buf[:2] == b"\r\n":
            del self._buf[:2]
        elif self._buf[:1] == b"\n":
            del self._buf[:1]
        elif len(self._buf) == 0 or self._buf == bytearray(b"\r"):
            return False
        else:
            raise ProtocolError("chunk data not followed by CRLF")
        self._state = "chunk_size"
        return True

    def _read_trailer(self, out: list[HttpMessage]) -> bool:
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > self.max_header:
                    raise ProtocolError("chunked trailer too long")
                return False
            line = bytes(self._buf[:nl]).strip()
            del self._buf[:nl + 1]
            if not line:
                out.append(self._emit())
                return True

    def _check_body(self) -> None:
        if len(self._body) > self.max_body:
            raise ProtocolError(f"HTTP body larger than {self.max_body} bytes")

    def _emit(self) -> HttpMessage:
        h = self._head or {}
        msg = HttpMessage(h.get("is_request", False), h.get("version", "1.1"), h.get("method"),
                          h.get("target"), h.get("status"), h.get("headers", ()),
                          bytes(self._body))
        self._head = None
        self._body.clear()
        self._state = "start"
        return msg


def _find_head_end(buf: bytearray) -> tuple[int, int]:
    a, b = buf.find(b"\r\n\r\n"), buf.find(b"\n\n")
    if a >= 0 and (b < 0 or a <= b):
        return a, 4
    if b >= 0:
        return b, 2
    return -1, 0


def _parse_head(raw: bytes) -> dict[str, Any]:
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    start = lines[0].strip()
    head: dict[str, Any]
    m = _REQUEST_LINE.match(start)
    if m:
        head = {"is_request": True, "method": m.group(1).decode(), "version": m.group(3).decode(),
                "target": m.group(2).decode("latin-1")}
    else:
        m = _STATUS_LINE.match(start)
        if not m:
            raise ProtocolError(f"not an HTTP/1.x start line: {start[:40]!r}")
        head = {"is_request": False, "version": m.group(1).decode(), "status": int(m.group(2))}
    headers = []
    for line in lines[1:]:
        if not line.strip():
            continue
        name, sep, value = line.partition(b":")
        if not sep or not name.strip() or b" " in name.strip():
            raise ProtocolError(f"bad header line {line[:40]!r}")
        headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    head["headers"] = tuple(headers)
    return head
