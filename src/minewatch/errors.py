"""The project's own error types. Every error names the file and the position that caused it."""

from __future__ import annotations


class MinewatchError(Exception):
    """Base class: anything minewatch raises on bad input is one of these."""


class CaptureError(MinewatchError):
    """A packet capture could not be read (fully). `frame` is 1-based, `offset` a byte offset."""

    def __init__(self, message: str, path: str | None = None, frame: int | None = None,
                 offset: int | None = None):
        self.path, self.frame, self.offset = path, frame, offset
        where = []
        if path:
            where.append(str(path))
        if frame is not None:
            where.append(f"frame {frame}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")


class NotACaptureError(CaptureError):
    """The file is not a pcap/pcapng capture at all (exit code 2 in the CLI)."""


class ProtocolError(MinewatchError):
    """A protocol message could not be parsed (raised by the pure protocol modules)."""
