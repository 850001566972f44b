"""Output formats: TSV escaping, RFC 4180 CSV, spreadsheet safety, control characters."""

from __future__ import annotations

import io

import pytest

from crmcli import output


def test_csv_is_rfc_4180_with_crlf_and_quoting():
    stream = io.StringIO()
    records = [{"name": 'Ana "the boss", Lima', "note": "line 1\nline 2"}]
    output.write_csv(records, [("name", "Name"), ("note", "Note")], stream)
    assert stream.getvalue() == 'name,note\r\n"Ana ""the boss"", Lima","line 1\nline 2"\r\n'


def test_spreadsheet_formulas_are_neutralised():
    for text in ("=SUM(A1)", "+34 612", "-2", "@cmd", "\tx"):
        assert output.spreadsheet_safe(text) == "'" + text
    assert output.spreadsheet_safe("Ana") == "Ana"


def test_tsv_escapes_tabs_and_newlines(capsys):
    output.Output("tsv").records([{"a": "x\ty", "b": "1\n2\\3"}], [("a", "a"), ("b", "b")])
    assert capsys.readouterr().out == "a\tb\nx\\ty\t1\\n2\\\\3\n"


@pytest.mark.parametrize("cells", [("plain", "1.5"), ("a\\b", ""), ("cr\r", "x"), ("", "t\tb"),
                                   ("\t", "\t"), ("n\n", None), ("ok", ["x\ty", "z"])])
def test_tsv_lines_without_escapes_are_written_as_each_cell_escaped(capsys, cells):
    """A line written without escaping (nothing to escape) equals one escaped cell by cell."""
    record = dict(zip("ab", cells, strict=True))
    output.Output("tsv").records([record], [("a", "a"), ("b", "b")])
    escaped = "\t".join(output.cell(value).translate(output._TSV_ESCAPES) for value in cells)
    assert capsys.readouterr().out == f"a\tb\n{escaped}\n"


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("cells", [("a\x1bb", "c"), ("x\x9by\\z", "\x07"), ("\x7f\r", "\t\x00")])
def test_tsv_strips_controls_whether_or_not_a_cell_is_escaped(capsys, cells, terminal):
    record = dict(zip("ab", cells, strict=True))
    output.Output("tsv", terminal=terminal).records([record], [("a", "a"), ("b", "b")])
    escaped = output.safe("\t".join(value.translate(output._TSV_ESCAPES) for value in cells))
    assert capsys.readouterr().out == f"a\tb\n{escaped}\n"


@pytest.mark.parametrize("terminal", [False, True])
def test_tsv_shows_bidi_overrides_as_a_table_does_and_csv_and_json_keep_them(capsys, terminal):
    record = {"name": "Eve \u202eevil\u2066x\u2069 \x1b[2J", "note": "Zoë 👩\u200d💻\tok"}
    columns = [("name", "Name"), ("note", "Note")]
    output.Output("tsv", terminal=terminal).records([record], columns)
    assert capsys.readouterr().out == ("name\tnote\nEve <U+202E>evil<U+2066>x<U+2069> [2J\t"
                                       "Zoë 👩\u200d💻\\tok\n")  # piped, U+202E went out raw
    output.Output("csv").records([record], columns)
    output.Output("json").records([record], columns)
    csv_text, json_text = capsys.readouterr().out.split("\r\n", 2)[1:]
    assert "\u202e" in csv_text and '"Eve \u202eevil\u2066x\u2069 \\u001b[2J"' in json_text


def test_a_piped_tsv_line_is_written_as_it_is_only_when_nothing_changes_it():
    """A line goes out as it is when no cell holds a backslash or a character that is not
    printable: escaping and ``safe`` change no other character (and do change those)."""
    kept = "".join(character for character in map(chr, range(0x110000))
                   if character.isprintable() and character != "\\")
    assert output.safe(kept) == kept == kept.translate(output._TSV_ESCAPES)
    for code in [*range(0xA0), 0xAD, 0x202E, 0x2066, 0xFEFF, 0xE0041]:
        text = chr(code)
        changed = text.translate(output._TSV_ESCAPES) != text or output.safe(text) != text
        assert changed == (not text.isprintable() or text == "\\"), hex(code)


def test_lines_with_something_to_change_are_escaped_and_made_safe(capsys):
    records = [{"a": "Zoë\u00a0Ng", "b": "x\\y"}, {"a": "Ana\u202e", "b": "ok"},
               {"a": "\u00ad", "b": "👩\u200d💻"}, {"a": "José Núñez Łódź", "b": "山田"}]
    output.Output("tsv").records(records, [("a", "a"), ("b", "b")])
    assert capsys.readouterr().out == ("a\tb\nZoë\u00a0Ng\tx\\\\y\nAna<U+202E>\tok\n"
                                       "<U+00AD>\t👩\u200d💻\nJosé Núñez Łódź\t山田\n")


def test_safe_strips_control_characters_but_keeps_text():
    assert output.safe("A\x1b[31mB\x07C\x9bD\nE") == "A[31mBCD\nE"


def test_cells_flatten_lists_and_money():
    assert output.cell([{"value": "a@b.c", "label": "work"}, {"value": "d@e.f"}]) == "a@b.c, d@e.f"
    assert output.cell({"amount": "1250.00", "currency": "EUR"}) == "1250.00 EUR"
    assert output.cell(None) == ""


def test_records_stream_and_an_error_mid_stream_stops_the_command(capsys):
    from crmcli.errors import InvalidInput

    def rows():
        yield {"a": 1}
        assert capsys.readouterr().out == '{"a": 1}\n'  # written before the next is read
        raise InvalidInput("row 2 is bad")

    with pytest.raises(InvalidInput):
        output.Output("jsonl").records(rows(), [("a", "a")])


def test_json_lists_are_one_record_per_line_and_valid(capsys):
    output.Output("json").records(iter([{"a": 1}, {"a": "x"}]), [])
    assert capsys.readouterr().out == '[\n  {"a": 1},\n  {"a": "x"}\n]\n'
    output.Output("json").records(iter([]), [])
    assert capsys.readouterr().out == "[]\n"


def test_created_is_a_sentence_on_a_terminal_and_the_id_in_a_pipe(capsys):
    output.Output(terminal=True).created(7, "Added contact 7: Ana \x1b[2J")
    output.Output(terminal=False).created(7, "Added contact 7: Ana")
    assert capsys.readouterr().out == "Added contact 7: Ana [2J\n7\n"
