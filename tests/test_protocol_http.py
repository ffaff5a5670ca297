"""protocols/http.py: the incremental HTTP/1.x parser used for getwork / getblocktemplate."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minewatch.errors import ProtocolError
from minewatch.protocols.http import HttpStreamParser, looks_like_http

GETWORK = (b"POST / HTTP/1.1\r\nHost: us1.bitminter.com:3333\r\n"
           b"Authorization: Basic Qmlnc2t5OjEyMw==\r\nContent-Length: 44\r\n"
           b"User-Agent: bfgminer/5.2.0\r\nX-Mining-Extensions: longpoll midstate\r\n\r\n"
           b'{"method": "getwork", "params": [], "id":0}\n')
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 55\r\n\r\n"
         b'{"id":0,"result":null,"error":[20,"Parse error",null]}\n')


def feed_all(parser, data: bytes, step: int = 0):
    if not step:
        return parser.feed(data) + parser.finish()
    out = []
    for i in range(0, len(data), step):
        out += parser.feed(data[i:i + step])
    return out + parser.finish()


def test_request_headers_auth_and_json_body():
    (m,) = feed_all(HttpStreamParser(), GETWORK)
    assert m.is_request and m.method == "POST" and m.target == "/"
    assert m.host == "us1.bitminter.com:3333" and m.user_agent == "bfgminer/5.2.0"
    assert m.basic_auth_user() == "Bigsky"                    # base64 "Bigsky:123"
    (msg,) = m.json_messages()
    assert msg.method == "getwork" and msg.params == []


@pytest.mark.parametrize("step", [1, 7, 50])
def test_byte_by_byte_gives_the_same_messages(step):
    whole = feed_all(HttpStreamParser(), GETWORK + GETWORK)
    assert len(whole) == 2                                   # pipelined requests
    assert feed_all(HttpStreamParser(), GETWORK + GETWORK, step) == whole


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x;ext=1\r\n" % len(p) + p + b"\r\n" for p in parts) + b"0\r\nX-T: y\r\n\r\n"


def test_chunked_response_and_trailer():
    data = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked(b'{"id":0,"re', b'sult":true,"err":1', b"}"))
    for step in (0, 1, 3):
        (m,) = feed_all(HttpStreamParser(), data, step)
        assert m.status == 200 and m.body == b'{"id":0,"result":true,"err":1}'


def test_chunk_without_crlf_is_protocol_error():
    with pytest.raises(ProtocolError):
        HttpStreamParser().feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                b"2\r\nabcd\r\n")


def test_response_until_close_and_no_body_statuses():
    p = HttpStreamParser()
    assert p.feed(b"HTTP/1.0 204 No Content\r\n\r\nHTTP/1.0 200 OK\r\n\r\n{\"id\":1,") != []
    (m,) = p.feed(b'"result":true}') + p.finish()
    assert m.body == b'{"id":1,"result":true}'


def test_gzip_body_is_decoded():
    body = gzip.compress(b'{"id":1,"result":{"data":"00"}}')
    data = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)
    (m,) = feed_all(HttpStreamParser(), data)
    assert m.json_messages()[0].result == {"data": "00"}


def test_json_batch_gives_several_messages():
    body = b'[{"id":1,"method":"getwork","params":[]},{"id":2,"method":"getwork","params":[]}]'
    data = b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    (m,) = feed_all(HttpStreamParser(), data)
    assert [x.id for x in m.json_messages()] == [1, 2]


def test_gap_resyncs_at_next_start_line():
    p = HttpStreamParser()
    assert p.feed(b"tail of an earlier body}\r\n" + GETWORK[:20], gap_before=True) == []
    (m,) = p.feed(GETWORK[20:])
    assert m.json_messages()[0].method == "getwork"


def test_garbage_raises_protocol_error_then_stays_quiet():
    p = HttpStreamParser()
    with pytest.raises(ProtocolError):
        p.feed(b"HELLO WORLD\r\n\r\n")
    assert p.broken and p.feed(GETWORK) == []


def test_bad_content_length_is_protocol_error():
    with pytest.raises(ProtocolError):
        HttpStreamParser().feed(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")


def test_looks_like_http():
    assert looks_like_http(GETWORK) and looks_like_http(REPLY)
    assert not looks_like_http(b'{"id":1}') and not looks_like_http(b"\x16\x03\x01")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=80), st.booleans()), max_size=6))
def test_never_raises_anything_but_protocol_error(chunks):
    p = HttpStreamParser(max_header=256, max_body=256)
    for data, gap in chunks:
        try:
            for m in p.feed(data, gap):
                m.json_messages()
        except ProtocolError:
            pass
    p.finish()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 2 * len(GETWORK)), max_size=6))
def test_split_points_do_not_matter(cuts):
    stream = GETWORK + GETWORK
    cuts = sorted({c for c in cuts if c < len(stream)})
    p = HttpStreamParser()
    out = []
    for a, b in zip([0] + cuts, cuts + [len(stream)]):
        out += p.feed(stream[a:b])
    assert out == feed_all(HttpStreamParser(), stream) and len(out) == 2
