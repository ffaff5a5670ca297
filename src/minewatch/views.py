"""Views of evidence for people and programs: the session JSON line and table rows.

One place decides what a "mining session" looks like outside the store, so the CLI, the API and
the report agree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .evidence import Evidence


def _iso(t: Any) -> str | None:
    if t is None:
        return None
    if isinstance(t, (int, float)):
        t = datetime.fromtimestamp(float(t), tz=timezone.utc)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _get(e: Evidence | dict, k: str) -> Any:
    return e.get(k) if isinstance(e, dict) else getattr(e, k)


def session_json(e: Evidence | dict) -> dict[str, Any]:
    """The `scan --json` line of one session (evidence with entity_kind 'ip:port')."""
    obs = _get(e, "observables") or {}
    return {
        "client": obs.get("client") or _get(e, "entity"),
        "server": obs.get("server") or _get(e, "counterpart"),
        "protocol": obs.get("protocol"),
        "coin": _get(e, "coin"),
        "algorithm": _get(e, "algorithm"),
        "wallet": obs.get("wallet"),
        "wallet_valid": obs.get("wallet_valid"),
        "worker": obs.get("worker"),
        "agent": obs.get("agent"),
        "pool_host": obs.get("pool_host"),
        "shares_submitted": obs.get("shares_submitted"),
        "shares_accepted": obs.get("shares_accepted"),
        "shares_rejected": obs.get("shares_rejected"),
        "shares_verified": obs.get("shares_verified"),
        "hashrate_hs": _get(e, "hashrate_hs"),
        "hashrate_low_hs": _get(e, "hashrate_low_hs"),
        "hashrate_high_hs": _get(e, "hashrate_high_hs"),
        "hashrate_reason": obs.get("hashrate_reason"),
        "reported_hashrate_hs": obs.get("reported_hashrate_hs"),
        "power_w_low": _get(e, "power_w_low"),
        "power_w_high": _get(e, "power_w_high"),
        "score": _get(e, "score"),
        "confidence": _get(e, "confidence"),
        "first_seen": _iso(_get(e, "first_seen")),
        "last_seen": _iso(_get(e, "last_seen")),
        "reasons": list(_get(e, "reasons") or []),
        "provenance": _get(e, "provenance") or {},
        "evidence_id": _get(e, "evidence_id"),
    }


def host_json(e: Evidence | dict) -> dict[str, Any]:
    obs = _get(e, "observables") or {}
    return {
        "host": _get(e, "entity"),
        "coin": _get(e, "coin"),
        "algorithm": _get(e, "algorithm"),
        "sessions": obs.get("sessions"),
        "power_reason": obs.get("power_reason"),
        "pools": obs.get("pools") or obs.get("servers"),
        "hashrate_hs": _get(e, "hashrate_hs"),
        "hashrate_low_hs": _get(e, "hashrate_low_hs"),
        "hashrate_high_hs": _get(e, "hashrate_high_hs"),
        "power_w_low": _get(e, "power_w_low"),
        "power_w_high": _get(e, "power_w_high"),
        "reasons": list(_get(e, "reasons") or []),
        "evidence_id": _get(e, "evidence_id"),
    }


SI = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def fmt_rate(h: float | None, algorithm: str | None = None) -> str:
    """3 significant digits with an SI prefix; Equihash counts solutions (Sol/s)."""
    if h is None:
        return "—"
    unit = "Sol/s" if algorithm == "equihash" else "H/s"
    for f, p in SI:
        if h >= f:
            return f"{h / f:.3g} {p}{unit}"
    return f"{h:.3g} {unit}"


def short(s: str | None, keep: int = 8) -> str:
    """A long wallet shortened for tables (head…tail); JSON output keeps it whole."""
    if not s:
        return "—"
    return s if len(s) <= 2 * keep + 1 else f"{s[:keep]}…{s[-keep // 2:]}"


def _watts(w: float) -> str:
    return f"{w / 1000:.3g} kW" if w >= 1000 else f"{w:.3g} W"


def fmt_power(lo: float | None, hi: float | None) -> str:
    if lo is None:
        return "—"
    if hi is None:
        return f"≥ {_watts(lo)}"
    return f"{_watts(lo)}–{_watts(hi)}"
