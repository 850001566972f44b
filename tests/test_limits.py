"""Bounded work on any input: values per contact, properties per card and the size of one
field are capped (crmcli.limits), and what is past a cap is reported, in linear time."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from work import counted

from crmcli.interchange.vcard_read import read_card
from crmcli.interchange.vcard_split import iter_raw_cards
from crmcli.limits import MAX_CARD_LINES, MAX_FIELD, MAX_FORM_BYTES, MAX_TEXT, MAX_VALUES


def _card(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "FN:Many Values", *lines, "END:VCARD", ""])


def _editor(tmp_path, script: str) -> dict:
    path = tmp_path / "editor.py"
    path.write_text(textwrap.dedent(script))
    return {"EDITOR": f"{sys.executable} {path}"}


def _work_to_read(emails: int) -> int:
    """Lines of Python run and calls made (Python and C) reading a card of ``emails``
    emails: a count that grows with the work spent on each value."""
    data = _card(*(f"EMAIL:user{i}@example.com" for i in range(emails))).encode()
    with counted() as work:
        [raw] = iter_raw_cards(io.BytesIO(data))
        card = read_card(raw)
    assert len(card.fields.kinds["email"]) == MAX_VALUES
    return work.lines + work.calls


def test_a_card_with_many_emails_keeps_the_first_thousand_in_linear_time(crm, tmp_path):
    """Counted, not timed (wall-clock bounds fail under load): past the limit, each further
    thousand emails costs the same work as the thousand before; quadratic work would cost
    more each time. What is kept (at most MAX_VALUES) is then bounded work."""
    _work_to_read(2 * MAX_VALUES)  # patterns compiled, modules loaded
    two, three, four = (_work_to_read(n * MAX_VALUES) for n in (2, 3, 4))
    assert three - two > 0
    assert abs((four - three) - (three - two)) <= 0.05 * (three - two)

    path = tmp_path / "many.vcf"
    path.write_text(_card(*(f"EMAIL:user{i}@example.com" for i in range(3 * MAX_VALUES))))
    result = crm.ok("import", str(path))
    assert f"kept the first {MAX_VALUES:,} EMAIL values; skipped {2 * MAX_VALUES:,}" in (
        result.stderr)
    emails = crm.ok("show", "1", "--json").json()["emails"]
    assert len(emails) == MAX_VALUES
    assert emails[-1]["value"] == f"user{MAX_VALUES - 1}@example.com"
    again = crm.ok("import", str(path))
    assert "unchanged 1" in again.stderr


def test_a_card_with_many_categories_keeps_the_first_thousand_tags(crm, tmp_path):
    """One CATEGORIES line of 100,000 names gave the contact 100,000 tags."""
    path = tmp_path / "tags.vcf"
    path.write_text(_card("CATEGORIES:" + ",".join(f"t{i:06d}" for i in range(3 * MAX_VALUES))))
    result = crm.ok("import", str(path))
    assert f"kept the first {MAX_VALUES:,} tags; skipped {2 * MAX_VALUES:,}" in result.stderr
    assert len(crm.ok("show", "1", "--json").json()["tags"]) == MAX_VALUES
    many = crm.ok("add", "Bo", *(f"--tag=t{i}" for i in range(MAX_VALUES + 1)))
    assert f"kept the first {MAX_VALUES:,} tags; skipped 1" in many.stderr


def test_a_company_card_with_more_tags_than_a_company_holds_keeps_the_first(crm, tmp_path):
    """The company was refused whole, its name, emails and phones with it."""
    path = tmp_path / "org.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Big Org\r\nORG:Big Org\r\n"
                    "EMAIL:info@big.example\r\nCATEGORIES:"
                    + ",".join(f"t{i}" for i in range(MAX_VALUES + 1)) + "\r\nEND:VCARD\r\n")
    result = crm.ok("import", str(path))
    assert f"kept the first {MAX_VALUES:,} tags; skipped 1" in result.stderr
    [company] = crm.ok("company", "list", "--json").json()
    assert company["name"] == "Big Org"
    assert len(crm.ok("company", "show", "Big Org", "--json").json()["tags"]) == MAX_VALUES


def test_tags_written_twice_count_once_against_the_limit(crm, tmp_path):
    """'VIP' and '+vip' are one tag: a card naming each of 600 tags twice was cut to 500."""
    names = [f"t{i}" for i in range(600)]
    path = tmp_path / "twice.vcf"
    path.write_text(_card("CATEGORIES:" + ",".join(names + [n.upper() for n in names])))
    result = crm.ok("import", str(path))
    assert "kept the first" not in result.stderr
    assert len(crm.ok("show", "1", "--json").json()["tags"]) == 600
    assert "unchanged 1" in crm.ok("import", str(path)).stderr
    crm.ok("add", "Bo", *(f"--tag={name}" for name in names + [f"+{n}" for n in names]))
    assert len(crm.ok("show", "Bo", "--json").json()["tags"]) == 600


def test_a_card_with_too_many_properties_is_cut_with_a_warning(crm, tmp_path):
    path = tmp_path / "noisy.vcf"
    path.write_text(_card("EMAIL:a@example.com",
                          *(f"X-NOISE-{i}:value" for i in range(MAX_CARD_LINES + 5))))
    result = crm.ok("import", str(path))
    assert f"kept the first {MAX_CARD_LINES:,} properties; skipped" in result.stderr
    assert crm.ok("show", "a@example.com", "--json").json()["name"] == "Many Values"


def test_an_editor_form_with_many_values_keeps_the_first_thousand(crm, tmp_path):
    crm.add("Ana")
    env = _editor(tmp_path, f"""
        import sys
        with open(sys.argv[1], "a") as form:
            for i in range({MAX_VALUES + 500}):
                form.write(f"email: user{{i}}@example.com\\n")
    """)
    result = crm.ok("edit", "ana", env=env)
    assert f"kept the first {MAX_VALUES:,} emails; skipped 500" in result.stderr
    assert len(crm.ok("show", "ana", "--json").json()["emails"]) == MAX_VALUES


@pytest.mark.parametrize("args", [
    ["add", "x" * (MAX_FIELD + 1)],
    ["add", "Ana", "--title", "x" * (MAX_FIELD + 1)],
    ["add", "Ana", "--company", "x" * (MAX_FIELD + 1)],
    ["add", "Ana", "--tag", "x" * (MAX_FIELD + 1)],
    ["add", "Ana", "--note", "x" * (MAX_TEXT + 1)],
])
def test_a_huge_field_is_refused_on_add(crm, args):
    result = crm(*args)
    assert result.exit_code == 1
    assert "is too long:" in result.stderr
    assert result.stderr.count("\n") == 1
    assert len(result.stderr) < 300
    assert crm.ok("list", "--json").json() == []


def test_a_huge_email_or_phone_is_left_out_with_a_warning(crm, tmp_path):
    result = crm.ok("add", "Ana", "-e", "a@" + "x" * MAX_FIELD + ".com", "-p", "1" * 100_000)
    assert "left out email 'a@xxxx" in result.stderr
    assert f"longer than {MAX_FIELD:,} characters" in result.stderr
    card = tmp_path / "phone.vcf"
    card.write_text(_card("EMAIL:bo@x.example", "TEL:" + "9" * 100_000))
    assert "left out phone '9999" in crm.ok("import", str(card)).stderr
    assert crm.ok("show", "bo@x.example", "--json").json()["phones"] == []


def test_a_huge_field_is_refused_everywhere_else(crm, tmp_path):
    crm.add("Ana")
    huge, text = "x" * (MAX_FIELD + 1), "x" * (MAX_TEXT + 1)
    for args in (["edit", "ana", "--title", huge], ["note", "ana", text],
                 ["log", "ana", text], ["follow-up", "ana", "tomorrow", text],
                 ["deal", "add", "ana", huge], ["company", "add", huge]):
        result = crm(*args)
        assert result.exit_code == 1, args
        assert "is too long:" in result.stderr, args
    env = _editor(tmp_path, f"""
        import sys
        text = open(sys.argv[1]).read().replace("title: ", "title: " + "x" * {MAX_FIELD + 1})
        open(sys.argv[1], "w").write(text)
    """)
    assert "title is too long" in crm("edit", "ana", env=env).stderr
    card = tmp_path / "huge.vcf"
    card.write_text(_card(f"TITLE:{huge}"))
    assert "card 1 (line 1): title is too long" in crm("import", str(card)).stderr
    record = crm.ok("show", "ana", "--json").json()
    assert record["title"] is None
    assert record["notes"] == []


def test_a_form_saved_in_another_encoding_is_kept_not_lost(crm, tmp_path):
    crm.add("Ana")
    env = _editor(tmp_path, """
        import sys
        text = open(sys.argv[1]).read().replace("title: ", "title: Directora de Operações")
        open(sys.argv[1], "w", encoding="latin-1").write(text)
    """)
    result = crm("edit", "ana", env=env)
    assert result.exit_code == 1
    assert "the saved text is not UTF-8 (byte " in result.stderr
    kept = result.stderr.split("your edit is kept in ")[1].rstrip(")\n")
    assert "Directora de Opera\xe7\xf5es".encode("latin-1") in Path(kept).read_bytes()
    assert crm.ok("show", "ana", "--json").json()["title"] is None


def test_a_huge_saved_form_is_refused_before_it_is_read(crm, tmp_path):
    crm.add("Ana")
    env = _editor(tmp_path, f"""
        import sys
        with open(sys.argv[1], "a") as form:
            form.write("x" * {MAX_FORM_BYTES + 1})
    """)
    result = crm("edit", "ana", env=env)
    assert result.exit_code == 1
    assert f"more than the {MAX_FORM_BYTES:,} bytes it may hold" in result.stderr


def test_a_named_pipe_left_by_the_editor_is_an_error_not_a_hang(crm, tmp_path):
    """The form was opened for reading and waited for a writer that never came."""
    crm.add("Ana")
    env = _editor(tmp_path, """
        import os, sys
        os.remove(sys.argv[1])
        os.mkfifo(sys.argv[1])
    """)
    done = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(crm.db_path), "edit",
                           "ana"], env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, (
        "crm: error: the editor left a named pipe where the file it was given was, not a "
        "file; nothing was changed\n"))


@pytest.mark.parametrize(("replace", "what"), [
    ("os.mkdir(path)", "a folder"),
    ("os.symlink(path + '.real', path)", "a symbolic link"),
])
def test_a_folder_or_link_left_by_the_editor_is_one_error(crm, tmp_path, replace, what):
    crm.add("Ana")
    env = _editor(tmp_path, f"""
        import os, sys
        path = sys.argv[1]
        text = open(path).read().replace("title: ", "title: CEO")
        open(path + ".real", "w").write(text)
        os.remove(path)
        {replace}
    """)
    result = crm("edit", "ana", env=env)
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: the editor left {what} where the file it was given was, not a file; "
        "nothing was changed\n"))
    assert crm.ok("show", "ana", "--json").json()["title"] is None


def test_an_editor_that_removes_the_file_is_one_error(crm, tmp_path):
    crm.add("Ana")
    result = crm("note", "ana", env=_editor(tmp_path, "import os, sys; os.remove(sys.argv[1])"))
    assert (result.exit_code, result.stderr) == (
        1, "crm: error: the editor left no file to read; nothing was changed\n")



@pytest.mark.parametrize(("args", "what"), [
    (["note", "ana", "-"], "the note"), (["log", "ana", "-"], "the text"),
    (["company", "note", "Acme", "-"], "the note"), (["case", "note", "1", "-"], "the entry"),
    (["case", "resolve", "1", "-"], "the answer"),
])
def test_stdin_is_read_no_further_than_the_longest_text(crm, args, what):
    crm.add("Ana", "--company", "Acme")
    crm.ok("case", "open", "ana", "Late delivery")
    endless = subprocess.Popen(["yes"], stdout=subprocess.PIPE)  # stdin that never ends
    try:
        result = subprocess.run([sys.executable, "-m", "crmcli", "--db", str(crm.db_path), *args],
                                stdin=endless.stdout, capture_output=True, text=True, timeout=60)
    finally:
        endless.kill()
        endless.wait()
    assert result.returncode == 1, result.stderr
    assert result.stderr == (f"crm: error: {what} is too long: {MAX_TEXT + 1:,} characters, "
                             f"the limit is {MAX_TEXT:,}\n")
    assert crm.ok("show", "ana", "--json").json()["notes"] == []


def _with_tags_from_before(crm, count: int) -> None:
    """Ana, holding ``count`` tags written straight to the file (as before the limit)."""
    import sqlite3

    crm.add("Ana Lima", "-e", "ana@example.com")
    with sqlite3.connect(crm.db_path) as db:
        db.executemany("INSERT INTO contact_tags (contact_id, tag) VALUES (1, ?)",
                       [(f"t{i:04d}",) for i in range(count)])


def test_a_contact_past_the_tag_limit_can_lose_tags_and_is_told_how(crm):
    """A contact with 1,500 tags from before the limit could not even lose one, and the error
    did not say how to get under it."""
    _with_tags_from_before(crm, MAX_VALUES + 500)
    refused = crm("tag", "1", "+new")
    assert (refused.exit_code, refused.stderr) == (1, (
        f"crm: error: {MAX_VALUES + 501:,} tags: a contact has at most {MAX_VALUES:,}; it has "
        f"{MAX_VALUES + 500:,} already: remove 501 or more first (crm tag 1 -- -TAG -TAG ...; "
        "crm show 1 --json lists them)\n"))
    crm.ok("tag", "1", "--", "-t0001", "-t0002")
    tags = crm.ok("show", "1", "--json").json()["tags"]
    assert len(tags) == MAX_VALUES + 498 and "t0001" not in tags


def test_editing_a_contact_past_the_tag_limit_keeps_its_tags(crm):
    """crm edit --title on a contact with 1,500 tags from before the limit dropped 500."""
    _with_tags_from_before(crm, MAX_VALUES + 500)
    crm.ok("edit", "1", "--title", "CTO", "--untag", "t0001")
    shown = crm.ok("show", "1", "--json").json()
    assert (shown["title"], len(shown["tags"]), "t1499" in shown["tags"]) == (
        "CTO", MAX_VALUES + 499, True)
    refused = crm("edit", "1", "--tag", "new")
    assert refused.exit_code == 1 and refused.stderr.startswith(
        f"crm: error: {MAX_VALUES + 500:,} tags: a contact has at most {MAX_VALUES:,}; it has "
        f"{MAX_VALUES + 499:,} already: remove 500 or more first (crm tag 1 -- -TAG")


def test_the_editor_form_of_a_contact_past_the_tag_limit_keeps_its_tags(crm, tmp_path):
    _with_tags_from_before(crm, MAX_VALUES + 500)
    env = _editor(tmp_path, """
        import sys
        with open(sys.argv[1], "a") as form:
            form.write("email: new@example.com\\n")
    """)
    crm.ok("edit", "1", env=env)
    shown = crm.ok("show", "1", "--json").json()
    assert (len(shown["emails"]), len(shown["tags"])) == (2, MAX_VALUES + 500)


def test_import_tag_onto_a_card_at_the_limit_names_the_tag_left_out(crm, tmp_path):
    """The warning said "kept the first 1,000 tags; skipped 1", not which."""
    path = tmp_path / "full.vcf"
    path.write_text(_card("CATEGORIES:" + ",".join(f"c{i}" for i in range(MAX_VALUES))))
    result = crm.ok("import", str(path), "--tag", "newsletter")
    assert (f"did not add the tag 'newsletter': the card has {MAX_VALUES:,} tags, the most a "
            "contact keeps") in result.stderr
    assert "skipped 1" not in result.stderr
    assert "newsletter" not in crm.ok("show", "1", "--json").json()["tags"]


def test_import_tag_onto_a_contact_at_the_limit_keeps_the_rest_of_the_card(crm, tmp_path):
    """The card's record failed whole: "1,001 tags: a contact has at most 1,000"."""
    _with_tags_from_before(crm, MAX_VALUES)
    path = tmp_path / "ana.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ana Lima\r\nEMAIL:ana@example.com\r\n"
                    "TITLE:CTO\r\nEND:VCARD\r\n")
    result = crm.ok("import", str(path), "--tag", "newsletter")
    assert (f"contact 1: did not add the tag 'newsletter': it has {MAX_VALUES:,} tags, the most "
            "a contact keeps") in result.stderr
    assert "updated 1" in result.stderr
    shown = crm.ok("show", "1", "--json").json()
    assert (shown["title"], len(shown["tags"]), "newsletter" in shown["tags"]) == (
        "CTO", MAX_VALUES, False)


def test_a_company_past_the_tag_limit_can_lose_tags_and_is_told_how(crm):
    import sqlite3

    crm.ok("company", "add", "Globex")
    with sqlite3.connect(crm.db_path) as db:
        db.executemany("INSERT INTO company_tags (company_id, tag) VALUES (1, ?)",
                       [(f"t{i:04d}",) for i in range(MAX_VALUES + 500)])
    refused = crm("company", "tag", "1", "+new")
    assert (refused.exit_code, refused.stderr) == (1, (
        f"crm: error: {MAX_VALUES + 501:,} tags: a company has at most {MAX_VALUES:,}; it has "
        f"{MAX_VALUES + 500:,} already: remove 501 or more first (crm company tag 1 -- -TAG "
        "-TAG ...; crm company show 1 --json lists them)\n"))
    crm.ok("company", "tag", "1", "--", "-t0001")
    crm.ok("company", "edit", "1", "--industry", "Retail")
    shown = crm.ok("company", "show", "1", "--json").json()
    assert (shown["industry"], len(shown["tags"])) == ("Retail", MAX_VALUES + 499)
