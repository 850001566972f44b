"""The vCard reader's fast paths give exactly what its general paths give.

Reading recognises plain lines with cheap str operations and leaves the rest to the general
path (vobject's line parser, line-by-line decoding). Each fast path is checked against its
general path on every line of the corpus and on generated lines built from the characters
that parsers trip on."""

from __future__ import annotations

import io

import pytest
from conftest import CORPUS
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crmcli.interchange.vcard_conform import _COMPONENT_SEPARATOR, _components
from crmcli.interchange.vcard_lines import (
    _PLAIN_HEAD,
    Line,
    _parsed,
    _serialized,
    parse_line,
    unfolded_text,
)
from crmcli.interchange.vcard_normalise import normalise_card
from crmcli.interchange.vcard_records import _FOLD
from crmcli.interchange.vcard_split import _EOL, _split_lines, iter_raw_cards

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")


def _outcome(parse, text: str):
    """What a line parser makes of ``text``: the line's attributes, or the error it raised."""
    try:
        line = parse(text, 7)
    except Exception as problem:  # the error is what is compared
        return type(problem).__name__
    return (type(line).__name__, line.name, line.params, line.value, line.group, line.lineNumber)


def _corpus_lines() -> list[str]:
    """Every physical line of the corpus, and every line normalised for parsing."""
    lines: list[str] = []
    for path in sorted(CORPUS.glob("*.vcf")):
        data = path.read_bytes()
        lines += data.decode("utf-8", "replace").splitlines()
        with path.open("rb") as stream:
            for raw in iter_raw_cards(stream):
                if raw.error is None:
                    lines += [text for _, text in normalise_card(raw).lines]
    return lines


@needs_corpus
def test_plain_lines_parse_as_vobject_parses_them_on_every_corpus_line():
    lines = _corpus_lines()
    assert len(lines) > 3000
    for text in lines:
        assert _outcome(parse_line, text) == _outcome(_parsed, text), text
    assert sum(1 for text in lines if _PLAIN_HEAD.match(text)) > 1000  # the fast path is taken


def test_a_head_read_before_is_no_line_without_its_colon():
    for text in ("TEL;TYPE=CELL:+34 600", "TEL;TYPE=CELL"):
        assert _outcome(parse_line, text) == _outcome(_parsed, text)
    assert _outcome(parse_line, "TEL;TYPE=CELL") == "ParseError"
    first, second = parse_line("EMAIL;TYPE=WORK:a@x"), parse_line("EMAIL;TYPE=WORK:b@x")
    assert (first.value, second.value) == ("a@x", "b@x") and first.params == second.params


_PIECES = ["EMAIL", "TEL", "item1", "x_y", "TYPE", "type", "ENCODING", "QUOTED-PRINTABLE",
           "work", "a", "9", "é", ".", ";", ":", "=", ",", '"', " ", "\t", "\\", "-", "_", "\r",
           "\n", "@", "/", "\x00"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
@example("EMAIL;TYPE=INTERNET,WORK:g0@example0.com")
@example("item1.X_AB;TYPE=a,,b:v")
@example("TEL;TYPE=;X=y:1")
@example("N;ENCODING=QUOTED-PRINTABLE:=41")
@example('X;A="b:c":d')
@example("a.b.c:d")
def test_a_plain_line_parses_as_vobject_parses_it(text):
    assert _outcome(parse_line, text) == _outcome(_parsed, text)


def _written(write, line) -> str:
    try:
        return write(line)
    except Exception as problem:  # the error is what is compared
        return type(problem).__name__


@needs_corpus
def test_lines_are_written_as_vobject_writes_them_on_every_corpus_line():
    written = 0
    for text in _corpus_lines():
        try:
            line = parse_line(text)
        except Exception:  # not a content line: nothing to write
            continue
        assert _written(unfolded_text, line) == _written(_serialized, line), text
        written += 1
    assert written > 1000


_WORDS = st.sampled_from(["work", "a,b", "x;y", "u:v", 'q"q', "", "QUOTED-PRINTABLE", "é", " "])


@settings(max_examples=1000, deadline=None)
@given(name=st.sampled_from(["EMAIL", "x-ab", "TEL"]),
       group=st.sampled_from([None, "", "item1"]),
       params=st.dictionaries(st.sampled_from(["TYPE", "ENCODING", "X-A", "CHARSET"]),
                              st.lists(_WORDS, max_size=3), max_size=3),
       value=st.sampled_from(["", "x@y", "a\\,b", "=41", "v\r\n", "é:;,\""]))
def test_a_line_is_written_as_vobject_writes_it(name, group, params, value):
    line = Line(name, params, value, group, None)
    assert _written(unfolded_text, line) == _written(_serialized, line)


@settings(max_examples=1000, deadline=None)
@given(value=st.lists(st.sampled_from(["a", ";", "\\", ",", "é", " "]), max_size=16).map("".join),
       count=st.sampled_from([5, 7]))
def test_components_split_as_the_general_split_does(value, count):
    parts = _COMPONENT_SEPARATOR.split(value)
    components = ["".join(parts[i:i + 2]) for i in range(0, len(parts), 2)][:count]
    assert _components(value, count) == ";".join(components + [""] * (count - len(components)))


def _unfolded_line_by_line(lines: list[str]) -> list[str]:
    logical: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and logical:
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["A", " ", "\t", "\n", ":", "é"]), max_size=20).map("".join))
@example("A\n\n \tB")
@example(" A\n  B\n")
def test_unfolding_a_card_at_once_joins_the_lines_one_by_one_would(text):
    assert _FOLD.sub("", text).split("\n") == _unfolded_line_by_line(text.split("\n"))


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b"\xc3"]), max_size=20).map(b"".join))
@example(b"a\r\r\nb")
@example(b"a\rb\r\n")
def test_lines_split_as_the_general_split_does(data):
    assert _split_lines(data) == _EOL.split(data)


def _is_company_asking_each_n(fields) -> bool:
    """``vcard_read.is_company`` as it was: each N of the name read out again."""
    from crmcli.interchange.vcard_values import name_from_n, text_value
    from crmcli.normalize import fold

    for line in fields.extra:
        if line.name == "KIND":
            return text_value(line).lower() in ("org", "organization")
        if line.name == "X-ABSHOWAS" and text_value(line).upper() == "COMPANY":
            return True
    company = fields.first("org")
    if not company:
        return False
    names = fields.firsts["name"].lines if "name" in fields.firsts else []
    if any(line.name == "N" and name_from_n(line) for line in names):
        return False
    return not any(line.name == "FN" and fold(text_value(line)) != fold(company) for line in names)


def _company_or_not(text: str) -> list[tuple[bool, bool]]:
    from crmcli.interchange.vcard_read import is_company, read_card

    outcomes = []
    for raw in iter_raw_cards(io.BytesIO(text.encode())):
        if raw.error is None:
            fields = read_card(raw).fields
            outcomes.append((is_company(fields), _is_company_asking_each_n(fields)))
    return outcomes


@needs_corpus
def test_a_card_is_a_company_as_before_on_every_corpus_card():
    outcomes = [outcome for path in sorted(CORPUS.glob("*.vcf"))
                for outcome in _company_or_not(path.read_text("utf-8", "replace"))]
    assert len(outcomes) > 100
    assert all(new == old for new, old in outcomes)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["N:;;;;", "N:,;;;", "N:\\,;;", "N:Lima;Ana;;;", "N: ;",
                                 "N:;Ana", "FN:Acme", "FN:Ana", "FN:", "ORG:Acme", "ORG:;x",
                                 "item1.N:x;y", "N;CHARSET=UTF-8:;;", "KIND:org"]),
                max_size=5))
def test_a_card_is_a_company_as_before_whatever_its_names(lines):
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\n" + "".join(f"{line}\r\n" for line in lines) \
        + "END:VCARD\r\n"
    assert all(new == old for new, old in _company_or_not(text))
