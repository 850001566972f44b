"""Messages of very many or very deeply nested MIME parts: read up to the limits, the rest
ignored, so that one message costs a bounded time; the text in the parts read is logged."""

from __future__ import annotations

from test_mail import book, emails  # noqa: F401 (the fixture)

from crmcli.limits import MAX_MAIL_NESTING, MAX_MAIL_PARTS
from crmcli.mail.message import excerpt, parse

HEAD = (b"From: Ana Lima <ana@atlanticofoods.pt>\nTo: Me <me@example.org>\nSubject: Parts\n"
        b"Date: Thu, 19 Nov 2026 10:05:00 -0300\nMessage-ID: <parts@atlanticofoods.pt>\n"
        b"MIME-Version: 1.0\n")
TEXT = b"Content-Type: text/plain\n\nThe pilot is a go.\n"


def _flat(count: int) -> bytes:
    """A text part, then ``count`` empty parts side by side."""
    return b"".join([HEAD, b"Content-Type: multipart/mixed; boundary=b\n\n--b\n", TEXT,
                     b"--b\n\nx\n" * count, b"--b--\n"])


def _nested(depth: int) -> bytes:
    """A text part beside a multipart holding a multipart... ``depth`` levels down."""
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i)
                       + (TEXT + b"--b%d\n" % i if i == 0 else b"") for i in range(depth))
    closing = b"".join(b"--b%d--\n" % i for i in reversed(range(depth)))
    return HEAD + opening + b"Content-Type: text/plain\n\ndeep\n" + closing


def _depth(part) -> int:
    return 1 + max(map(_depth, part.iter_parts()), default=0) if part.is_multipart() else 0


def test_a_message_of_24000_parts_is_read_up_to_the_limit():
    raw = _flat(24_000)
    assert len(raw) < 1_000_000
    assert sum(1 for _ in parse(raw).walk()) == MAX_MAIL_PARTS
    assert excerpt(raw) == "The pilot is a go."
    assert sum(1 for _ in parse(_flat(10)).walk()) == 12  # the message, its text, ten more


def test_a_message_nested_24000_levels_deep_is_read_down_to_the_limit():
    raw = _nested(24_000)
    assert len(raw) < 2_000_000
    assert _depth(parse(raw)) == MAX_MAIL_NESTING
    assert excerpt(raw) == "The pilot is a go."
    assert _depth(parse(_nested(5))) == 5


def test_log_mail_logs_the_text_of_a_message_of_too_many_parts(book):  # noqa: F811
    for raw in (_nested(24_000), _flat(24_000)):
        book.ok("log-mail", input=raw)
    assert emails(book) == [("Ana Lima", "in", "2026-11-19T13:05:00Z",
                             "Parts\nThe pilot is a go.")]
