"""Detectors turn records into Evidence. Each has `name`, `version` and a pure `detect(records)`.

Every detector registered here runs through tests/test_detector_contract.py.
"""

from __future__ import annotations

from typing import Iterable, Protocol

from ..evidence import Evidence


class Detector(Protocol):
    name: str
    version: str

    def detect(self, records: Iterable) -> list[Evidence]:
        """Pure and deterministic: same records in, same evidence out; no records → no evidence."""
        ...


REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    REGISTRY[cls.name] = cls
    return cls
