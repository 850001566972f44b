"""Safe text: controls never reach a terminal, invisible formatting is shown, data stays exact
in files and pipes."""

from __future__ import annotations

import json
import sys
import unicodedata

from crmcli import text

RLO_NAME = "Ana \u202eevil\u202c Lima"


def test_bidi_and_invisible_characters_are_shown_visibly():
    assert text.safe(RLO_NAME) == "Ana <U+202E>evil<U+202C> Lima"
    assert text.safe("a\u2066b\u2069c\u200fd\u061ce\u200bf") == (
        "a<U+2066>b<U+2069>c<U+200F>d<U+061C>e<U+200B>f")
    assert text.safe("tag\U000e0041") == "tag<U+E0041>"
    assert text.safe("one\u2028row\u2029") == "one<U+2028>row<U+2029>"


def test_joiners_that_scripts_and_emoji_need_are_kept():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert text.safe(family) == family
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    assert text.safe(persian) == persian


def test_every_format_character_but_the_joiners_is_neutralised():
    missed = [hex(code) for code in range(sys.maxunicode + 1)
              if unicodedata.category(chr(code)) == "Cf" and code not in (0x200C, 0x200D)
              and text.safe(chr(code)) == chr(code)]
    assert missed == []


def test_controls_are_stripped_tabs_and_newlines_kept():
    assert text.safe("A\x1b]0;title\x07B\x9b31mC\tD\nE\rF") == "A]0;titleB31mC\tD\nEF"
    assert text.strip_controls("A\x1bB\u202eC") == "AB\u202eC"


def test_json_keeps_the_data_and_escapes_what_terminals_obey():
    encoded = text.to_json({"name": RLO_NAME, "x": "\x1b\x9b"})
    assert "\u202e" in encoded and "\\u001b" in encoded and "\\u009b" in encoded


def test_json_lines_rows_hold_no_line_separator_a_reader_splits_at(crm):
    """U+2028 and U+2029 are escaped in JSON (str.splitlines and JavaScript's line readers
    split at them), and read back as they were."""
    crm.add("Ana Lima", "--title", "Head\u2029of\u2028sales")
    exported = crm.ok("export", "-f", "jsonl").stdout
    assert len(exported.splitlines()) == 1 and "\\u2029of\\u2028" in exported
    assert json.loads(exported)["title"] == "Head\u2029of\u2028sales"
    assert crm.ok("list", "--json").json()[0]["title"] == "Head\u2029of\u2028sales"


def test_terminal_pages_show_bidi_controls_and_json_keeps_them(crm):
    contact_id = crm.add(RLO_NAME)
    page = crm.ok("show", str(contact_id), "-f", "table").stdout
    assert "Ana <U+202E>evil<U+202C> Lima" in page and "\u202e" not in page
    assert crm.ok("show", str(contact_id), "--json").json()["name"] == RLO_NAME
    assert crm.ok("list", "--csv").stdout.splitlines()[1].split(",")[1] == RLO_NAME


def test_ascii_text_loses_only_its_controls():
    """ASCII holds no invisible formatting character: safe() strips its controls alone."""
    every = "".join(map(chr, range(128)))
    assert text.safe(every) == "\t\n" + "".join(map(chr, range(32, 127)))
    assert text.safe("Ana\u202e" + every) == "Ana<U+202E>\t\n" + "".join(map(chr, range(32, 127)))


def test_printable_text_is_left_as_it_is():
    """safe() returns printable text (tabs and newlines aside) untouched without scanning it:
    no printable character is a control or an invisible formatting character."""
    printable = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isprintable())
    assert text._control().search(printable) is None
    assert text._invisible().search(printable) is None
    assert text.safe(printable + "\t\n") == printable + "\t\n"
