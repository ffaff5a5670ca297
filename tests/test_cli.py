"""The command line: scan, JSON lines, idempotent store, bad input and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from minewatch.cli import app

from .conftest import REAL

runner = CliRunner()
MINING = REAL / "ndpi/mining.pcapng"
REQUIRED = {"client", "server", "protocol", "coin", "algorithm", "wallet", "worker", "agent",
            "pool_host", "shares_accepted", "hashrate_hs", "hashrate_low_hs", "hashrate_high_hs",
            "reported_hashrate_hs", "first_seen", "last_seen", "reasons", "evidence_id"}


def _jsonl(text):
    return [json.loads(ln) for ln in text.splitlines() if ln.startswith("{")]


def test_scan_json_lines(tmp_path):
    res = runner.invoke(app, ["scan", str(MINING), "--db", ":memory:", "--json"])
    assert res.exit_code == 0, res.output
    rows = _jsonl(res.stdout)
    assert len(rows) == 4
    for r in rows:
        assert REQUIRED <= set(r)
        assert r["reasons"] and all(isinstance(x, str) for x in r["reasons"])
        assert ":" in r["client"] and ":" in r["server"]
        assert r["first_seen"].endswith("Z")
    assert sorted(r["coin"] for r in rows) == ["ETH", "XMR", "ZEC", "ZEC"]


def test_rescan_adds_nothing_and_evidence_lists_it(tmp_path):
    db = str(tmp_path / "ev.duckdb")
    first = runner.invoke(app, ["scan", str(MINING), "--db", db])
    assert first.exit_code == 0, first.output
    assert "mining session" in first.output
    again = runner.invoke(app, ["scan", str(MINING), "--db", db])
    assert "0 new evidence row(s)" in again.output
    listed = runner.invoke(app, ["evidence", "--db", db, "--json"])
    rows = _jsonl(listed.stdout)
    assert len(rows) >= 4
    assert len({r["evidence_id"] for r in rows}) == len(rows)
    sessions = [r for r in rows if r["entity_kind"] == "ip:port"]
    assert len(sessions) == 4
    table = runner.invoke(app, ["evidence", "--db", db])
    assert table.exit_code == 0 and "stratum" in table.output


def test_folder_scan_finds_captures_in_subfolders():
    res = runner.invoke(app, ["scan", str(REAL / "other"), "--db", ":memory:", "--json"])
    assert res.exit_code == 0, res.output
    rows = _jsonl(res.stdout)
    files = {r["provenance"]["file"].rsplit("/", 1)[-1] for r in rows}
    assert files == {"bitcoin-mining.pcap", "coinhive-stratum.pcap"}


def test_not_a_capture_exits_2_naming_the_file(tmp_path):
    bad = tmp_path / "readme.txt"
    bad.write_text("hello\n")
    proc = subprocess.run([sys.executable, "-m", "minewatch.cli", "scan", str(bad), "--db",
                           ":memory:"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert str(bad) in proc.stderr.replace("\n", "") and "not a pcap" in proc.stderr


def test_missing_path_exits_2(tmp_path):
    res = runner.invoke(app, ["scan", str(tmp_path / "nope.pcap"), "--db", ":memory:"])
    assert res.exit_code == 2


def test_truncated_capture_warns_and_keeps_sessions(tmp_path):
    data = MINING.read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[: int(len(data) * 0.9)])
    res = runner.invoke(app, ["scan", str(cut), "--db", ":memory:", "--json"])
    assert res.exit_code == 0
    assert "warning" in res.stderr and "cut.pcapng" in res.stderr and "frame" in res.stderr
    assert len(_jsonl(res.stdout)) >= 3


def test_evidence_without_store_is_an_error(tmp_path):
    res = runner.invoke(app, ["evidence", "--db", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 2


def test_progress_bar_on_request():
    res = runner.invoke(app, ["scan", str(MINING), "--db", ":memory:", "--progress"])
    assert res.exit_code == 0
    assert "mining.pcapng" in res.stderr and "kB" in res.stderr


def test_verify_budget_zero_checks_no_share():
    res = runner.invoke(app, ["scan", str(MINING), "--db", ":memory:", "--json", "--verify", "0"])
    rows = _jsonl(res.stdout)
    assert rows and all(not r["shares_verified"] for r in rows)
    res = runner.invoke(app, ["scan", str(MINING), "--db", ":memory:", "--json"])
    assert any(r["shares_verified"] for r in _jsonl(res.stdout))


def test_randomx_recomputation_is_opt_in():
    from .conftest import SYNTH
    xmrig = str(SYNTH / "xmrig_login_agent.pcap")
    off = _jsonl(runner.invoke(app, ["scan", xmrig, "--db", ":memory:", "--json"]).stdout)
    assert any("off by default" in " ".join(r["reasons"]) for r in off)
    on = _jsonl(runner.invoke(app, ["scan", xmrig, "--db", ":memory:", "--json",
                                    "--verify-randomx"]).stdout)
    # the synthetic results are random bytes (no RandomX VM in the generator): recomputation
    # must call them invalid, never valid
    text = " ".join(" ".join(r["reasons"]) for r in on)
    assert "off by default" not in text and "invalid" in text
