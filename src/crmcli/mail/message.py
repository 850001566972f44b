"""What crm reads in a mail message, through the stdlib ``email`` package (``policy.default``):
RFC 2047 encoded words in any charset Python knows, multipart and HTML-only bodies, broken or
missing dates, 8-bit bytes where only ASCII belongs. A message it cannot read raises
:class:`BadMail` with the reason, never anything else."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from crmcli.dates import FIRST_YEAR, LAST_YEAR, local_zone
from crmcli.errors import InvalidInput
from crmcli.limits import MAX_MAIL_NESTING, MAX_MAIL_PARTS, MAX_MESSAGE_ID

MAX_TEXT_READ = 1_000_000  # characters of a body searched for its first lines
EXCERPT_LINES = 5
EXCERPT_WIDTH = 300  # characters kept of one line of the excerpt, and of the subject
_WRITTEN_ID = 998  # characters of a Message-ID crm kept before it hashed long ones
_ATTRIBUTION = re.compile(r"(wrote|escribió|a écrit|schrieb|ha scritto|escreveu|schreef)\s*:$",
                          re.IGNORECASE)
_ATTRIBUTION_START = ("on ", "el ", "le ", "am ", "il ", "em ", "op ")
_REPLY_SEPARATORS = re.compile(r"-{3,}\s*(original message|forwarded message)\s*-{3,}|_{20,}",
                               re.IGNORECASE)
_SENT_FROM = re.compile(r"sent from my \w+", re.IGNORECASE)


class BadMail(InvalidInput):
    """A message crm cannot read, with the reason."""


@dataclass(frozen=True)
class Glance:
    """The header block read quickly, nothing decoded: enough to tell bulk mail and whether a
    message concerns a contact (the full parser costs ten times as much per message)."""

    addresses: tuple[tuple[str, str], ...]  # (email, display name as written): From, To, Cc
    sender: str  # the From address, folded; "" without one
    recipients: int  # addresses in To and Cc
    list_id: bool
    precedence: str  # lower-case, "" when absent
    date_text: str

    @property
    def date(self) -> dt.datetime | None:
        from email.utils import parsedate_to_datetime

        try:
            return _in_range(parsedate_to_datetime(self.date_text))
        except (TypeError, ValueError, IndexError, OverflowError):
            return None


def glance(header: bytes) -> Glance:
    """A message's header block at a glance (bytes that are not UTF-8 replaced)."""
    from email import policy
    from email.parser import HeaderParser
    from email.utils import getaddresses

    try:
        message = HeaderParser(policy=policy.compat32).parsestr(header.decode("utf-8",
                                                                              "replace"))
        found = {name: [(" ".join(display.split()), _address(address)) for display, address
                        in getaddresses(message.get_all(name) or []) if "@" in address.strip()[1:]]
                 for name in ("From", "To", "Cc")}
    except Exception as exc:  # the stdlib's header parsers raise assorted errors on bad input
        raise BadMail(f"unreadable headers ({type(exc).__name__})") from None
    addresses = tuple(found["From"] + found["To"] + found["Cc"])
    if not addresses:
        raise BadMail("not a mail message (no From, To or Cc address)")
    return Glance(addresses, found["From"][0][1].casefold() if found["From"] else "",
                  len(addresses) - len(found["From"]), message.get("List-Id") is not None,
                  str(message.get("Precedence") or "").strip().lower(),
                  str(message.get("Date") or ""))


def _address(written: str) -> str:
    """An address; one written with encoded words (some mailers' way with non-ASCII local
    parts, which the full parser accepts too) decoded."""
    return "".join(display_name(written).split()) if "=?" in written else written.strip()


def display_name(written: str) -> str:
    """A display name as written in a header, its RFC 2047 encoded words decoded."""
    from email.errors import HeaderParseError
    from email.header import decode_header, make_header

    with contextlib.suppress(LookupError, UnicodeError, ValueError, HeaderParseError):
        written = str(make_header(decode_header(written)))
    return " ".join(clean(written).split())


@dataclass(frozen=True)
class Envelope:
    """The header block of a message concerning a contact, decoded."""

    key: str  # the Message-ID (a long one hashed), else a hash of the main headers
    subject: str  # at most EXCERPT_WIDTH characters
    date: dt.datetime | None  # aware; None when missing or unreadable
    has_id: bool = True  # whether ``key`` is the Message-ID
    cut_id: str = ""  # a long Message-ID cut as crm logged it before it hashed them

    def keys(self, text: str | None) -> tuple[str, ...]:
        """What the message, of body ``text`` (see ``body_text``), is logged under, then
        what else it may have been logged under: its Message-ID (one longer than
        MAX_MESSAGE_ID as its hash, then cut as crm logged it before); without one, the
        headers' hash and a digest of the text (two notes from one sender with neither date
        nor subject differ only there), then the headers' hash alone (how crm logged them
        before it counted the text: those are still recognised)."""
        if self.has_id:
            return (self.key, self.cut_id) if self.cut_id else (self.key,)
        words = " ".join((text or "").split()).encode()
        return (f"{self.key}+{hashlib.sha256(words).hexdigest()[:16]}", self.key)


def read_envelope(header: bytes) -> Envelope:
    """The envelope of a message from its header block (or the whole message)."""
    from email import policy
    from email.parser import BytesHeaderParser

    try:
        message = BytesHeaderParser(policy=policy.default).parsebytes(header)
        return _envelope(message)
    except BadMail:
        raise
    except Exception as exc:  # the stdlib's header parsers raise assorted errors on bad input
        raise BadMail(f"unreadable headers ({type(exc).__name__})") from None


def _envelope(message) -> Envelope:
    try:
        message_id = _message_id(message.get("Message-ID"))
    except Exception:  # the stdlib's parser raises on an empty one (<>, < >, <@>): as if none
        message_id = None
    subject = " ".join(clean(str(message.get("Subject") or "")).split())
    subject = subject[:EXCERPT_WIDTH].rstrip()
    date = _in_range(getattr(message.get("Date"), "datetime", None))
    if message_id is None:
        return Envelope(key=_header_hash(message), subject=subject, date=date, has_id=False)
    if len(message_id) <= MAX_MESSAGE_ID:
        return Envelope(key=message_id, subject=subject, date=date)
    return Envelope(key=f"sha256:{hashlib.sha256(message_id.encode()).hexdigest()}",
                    subject=subject, date=date, cut_id=message_id[:_WRITTEN_ID])


def clean(text: str) -> str:
    """Header text as people read it: 8-bit bytes (kept by the parser as surrogates) read as
    UTF-8, whatever does not decode replaced."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _message_id(header) -> str | None:
    text = clean(str(header or "")).strip()
    if "<" in text and ">" in text:
        text = text[text.index("<"): text.index(">", text.index("<")) + 1]
    return text or None


def _header_hash(message) -> str:
    """A stand-in for a missing Message-ID: the same message hashes the same each time."""
    digest = hashlib.sha256()
    for name in ("From", "To", "Cc", "Date", "Subject"):
        for value in message.get_all(name) or ():
            digest.update(f"{name}:{' '.join(clean(str(value)).split())}\n".encode())
    return f"sha256:{digest.hexdigest()[:40]}"


def _in_range(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    # A date without a zone (-0000: "the zone is unknown") is read in the configured zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=local_zone())


# ---------------------------------------------------------------------------------- the body


def excerpt(raw: bytes) -> str:
    """The first lines of the message's text (plain, else HTML), without quoted replies and
    signatures."""
    return first_lines(body_text(raw))


def body_text(raw: bytes) -> str:
    """The message's text (plain, else HTML's), decoded: at most MAX_TEXT_READ characters."""
    try:
        part = parse(raw).get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        text = _content(part)[:MAX_TEXT_READ]
        if part.get_content_subtype() == "html":
            text = html_text(text)
    except Exception as exc:  # the stdlib's MIME parsing raises assorted errors on bad input
        raise BadMail(f"unreadable body ({type(exc).__name__})") from None
    return text


def parse(raw: bytes):
    """The message, its MIME parts read up to the MAX_MAIL_PARTS-th or to the first one
    MAX_MAIL_NESTING levels deep, the rest ignored: each line of a part costs a check per
    enclosing part, and each part a new object."""
    from email import policy
    from email.feedparser import BytesFeedParser

    parts = _Parts()
    parser = BytesFeedParser(policy=policy.default.clone(message_factory=parts))
    try:
        parser.feed(raw)
        return parser.close()
    except _EnoughParts:
        return parts.root


class _EnoughParts(Exception):
    """The parts read so far are all that will be."""


class _Parts:
    """The parser's message factory: makes the parts, and stops the parse at the limits."""

    def __init__(self):
        self.root = None
        self.made = 0

    def __call__(self, policy):
        from email.message import EmailMessage

        if self.made >= MAX_MAIL_PARTS or self._nesting() >= MAX_MAIL_NESTING:
            raise _EnoughParts
        part = EmailMessage(policy=policy)
        self.made += 1
        if self.root is None:
            self.root = part
        return part

    def _nesting(self) -> int:
        """How many levels deep the part made last is."""
        level, part = 0, self.root
        while part is not None and part.is_multipart():
            children = part.get_payload()
            part = children[-1] if children else None
            level += part is not None
        return level


def _content(part) -> str:
    """A text part decoded with its charset; an unknown charset read as UTF-8."""
    try:
        text = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace")
    return clean(text) if isinstance(text, str) else ""


def first_lines(text: str, count: int = EXCERPT_LINES) -> str:
    """Up to ``count`` non-empty lines of what the writer wrote: quoted lines, the quote's
    attribution ("On ... wrote:"), forwarded or original messages and the signature end it."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if line.rstrip() == "--" or _REPLY_SEPARATORS.fullmatch(stripped) or (
                _SENT_FROM.fullmatch(stripped)):
            break
        if _ATTRIBUTION.search(stripped):
            if kept and kept[-1].lower().startswith(_ATTRIBUTION_START) and not (
                    stripped.lower().startswith(_ATTRIBUTION_START)):
                kept.pop()  # the attribution's first half, wrapped onto two lines
            break
        if not stripped or stripped.startswith(">"):
            continue
        kept.append(" ".join(stripped.split())[:EXCERPT_WIDTH])
        if len(kept) == count:
            break
    return "\n".join(kept)


class _TextOfHtml(HTMLParser):
    """The text of an HTML body: scripts, styles and quoted replies (``blockquote``, Gmail's
    and Outlook's quote blocks) left out, a line break at each block."""

    BLOCKS = frozenset(("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "table", "ul", "ol", "hr", "pre"))
    HIDDEN = frozenset(("script", "style", "head", "title", "blockquote"))
    QUOTES = ("gmail_quote", "divRplyFwdMsg", "appendonsend", "moz-cite-prefix")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.stopped = False

    def handle_starttag(self, tag, attrs):
        marks = " ".join(str(value) for name, value in attrs if name in ("class", "id"))
        if any(quote in marks for quote in self.QUOTES):
            self.stopped = True
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden and not self.stopped:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
