"""TCP reassembly of one direction: split, retransmitted, overlapping, reordered, mid-session."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.sources.tcp import TcpStream

LINE = b'{"id":4,"method":"mining.submit","params":["w","j","00","5f","ab"]}\n'


def _run(segments, isn=1000):
    s = TcpStream()
    out = []
    for seq, data in segments:
        out += s.segment(seq, 0, data, 1, 0.0, isn)
    out += s.flush()
    return out


def _bytes(out):
    return b"".join(c[0] for c in out)


def test_split_line_in_order():
    a, b, c = LINE[:10], LINE[10:30], LINE[30:]
    out = _run([(1000, a), (1010, b), (1030, c)])
    assert _bytes(out) == LINE
    assert not any(gap for *_, gap in out)


def test_retransmission_and_overlap_read_once():
    out = _run([(1000, LINE[:20]), (1000, LINE[:20]), (1010, LINE[10:40]), (1040, LINE[40:]),
                (1040, LINE[40:])])
    assert _bytes(out) == LINE


def test_reordered_segments():
    out = _run([(1000, LINE[:10]), (1030, LINE[30:]), (1010, LINE[10:30])])
    assert _bytes(out) == LINE


def test_sequence_wraparound():
    isn = (1 << 32) - 15
    out = _run([(isn, LINE[:15]), (0, LINE[15:])], isn=isn)
    assert _bytes(out) == LINE


def test_mid_session_start_resyncs_at_line_boundary():
    # no SYN seen (isn -1): the first bytes are the tail of a line
    out = _run([(5000, b'rams":[]}\n' + LINE)], isn=-1)
    assert _bytes(out) == LINE
    assert out[0][3] is True          # gap_before


def test_hole_is_skipped_at_flush_with_gap_flag():
    out = _run([(1000, LINE), (1000 + len(LINE) + 50, LINE)])
    assert _bytes(out) == LINE + LINE
    assert [c[3] for c in out] == [False, True]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, len(LINE) - 1), min_size=1, max_size=6, unique=True),
       st.randoms(use_true_random=False), st.integers(0, 3))
def test_any_split_any_order_any_duplicates_gives_the_line_once(cuts, rnd, dups):
    cuts = sorted(cuts)
    bounds = [0, *cuts, len(LINE)]
    segs = [(1000 + a, LINE[a:b]) for a, b in zip(bounds, bounds[1:])]
    segs = segs + [rnd.choice(segs) for _ in range(dups)]
    rnd.shuffle(segs)
    out = _run(segs)
    assert _bytes(out) == LINE


def test_first_segment_reordered_after_the_second_with_known_isn():
    out = _run([(1010, LINE[10:]), (1000, LINE[:10])])
    assert _bytes(out) == LINE
