"""LinkedIn's Connections.csv: read past its notes, matched by profile URL, email or name,
job changes recorded, told in the import summary and in the morning email."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from test_storage import RELEASES

from crmcli import db as storage
from crmcli.interchange import linkedin

NOW = {"CRM_NOW": "2026-11-25T10:00:00+00:00"}
PREAMBLE = ('Notes:\n"When exporting your connection data, you may notice that some of the '
            "email addresses are missing. You will only see email addresses for connections "
            "who have allowed their connections to see or download it. You can learn more "
            'here: https://www.linkedin.com/help/linkedin/answer/261"\n\n')
HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
FIRST = (PREAMBLE + HEADER
         + "Ana,Lima,https://www.linkedin.com/in/ana-lima,ana@atlantico.pt,Atlantico Foods,"
           "COO,12 Mar 2024\n"
         + 'Bo,Berg,https://www.linkedin.com/in/boberg/,,Nordic Wood,Sales Lead,"Jan 5, 2023"\n'
         + "Chen,Wu,https://www.linkedin.com/in/chenwu,,,,2022-07-01\n")
# A month later: Ana moved to Globex, Bo was promoted; Chen still lists no job.
SECOND = (PREAMBLE + HEADER
          + "Ana,Lima,https://www.linkedin.com/in/ana-lima/,,Globex,CEO,12 Mar 2024\n"
          + 'Bo,Berg,https://www.linkedin.com/in/boberg,,Nordic Wood,VP Sales,"Jan 5, 2023"\n'
          + "Chen,Wu,https://www.linkedin.com/in/chenwu,,,,2022-07-01\n")


@pytest.fixture
def exports(tmp_path):
    first, second = tmp_path / "Connections.csv", tmp_path / "Connections-2.csv"
    first.write_text(FIRST)
    second.write_text(SECOND)
    return first, second


def test_an_export_with_its_notes_brings_in_each_connection(crm, exports):
    result = crm.ok("import", str(exports[0]), env=NOW)
    assert result.stderr == "created 3, updated 0, unchanged 0, skipped 0, failed 0\n"
    ana = crm.ok("show", "ana", "--json").json()
    assert (ana["name"], ana["company"], ana["title"], ana["tags"], ana["met_on"]) == (
        "Ana Lima", "Atlantico Foods", "COO", ["linkedin"], "2024-03-12")
    assert ana["emails"] == [{"value": "ana@atlantico.pt", "label": ""}]
    assert ana["urls"] == [{"value": "https://www.linkedin.com/in/ana-lima", "label": "linkedin"}]
    bo = crm.ok("show", "bo", "--json").json()
    assert (bo["met_on"], bo["emails"], bo["urls"][0]["value"]) == (
        "2023-01-05", [], "https://www.linkedin.com/in/boberg")  # the trailing slash dropped
    chen = crm.ok("show", "chen", "--json").json()
    assert (chen["company"], chen["title"], chen["met_on"]) == (None, None, "2022-07-01")


def test_a_newer_export_records_the_job_changes(crm, exports):
    crm.ok("import", str(exports[0]), env=NOW)
    result = crm.ok("import", str(exports[1]), env=NOW)
    assert result.stderr == (
        "created 0, updated 2, unchanged 1, skipped 0, failed 0\n"
        "2 job change(s):\n"
        "  Ana Lima (contact 1): COO at Atlantico Foods → CEO at Globex\n"
        "  Bo Berg (contact 2): Sales Lead at Nordic Wood → VP Sales at Nordic Wood\n")
    listed = crm.ok("list", "-f", "json").json()
    assert [(c["name"], c["company"], c["title"]) for c in listed] == [
        ("Ana Lima", "Globex", "CEO"), ("Bo Berg", "Nordic Wood", "VP Sales"),
        ("Chen Wu", None, None)]
    ana = crm.ok("show", "ana", "--json").json()
    assert ana["emails"][0]["value"] == "ana@atlantico.pt"  # kept: the newer file hides it
    assert len(ana["urls"]) == 1
    shown = crm.ok("show", "ana").stdout
    assert "note  changed job: COO at Atlantico Foods → CEO at Globex" in shown
    timeline = crm.ok("activity", "--json").json()
    assert sorted(e["text"] for e in timeline) == [
        "changed job: COO at Atlantico Foods → CEO at Globex",
        "changed job: Sales Lead at Nordic Wood → VP Sales at Nordic Wood"]
    again = crm.ok("import", str(exports[1]), env=NOW)
    assert again.stderr == "created 0, updated 0, unchanged 3, skipped 0, failed 0\n"


def test_a_connection_matches_by_email_then_by_name(crm, tmp_path):
    crm.add("Ana Lima", "-e", "ana@atlantico.pt", "-c", "Atlantico Foods", "--title", "COO")
    crm.add("Chen Wu")
    crm.add("Di Nunes")
    crm.add("Di Nunes")  # two of that name: no match by name alone
    path = tmp_path / "Connections.csv"
    path.write_text(PREAMBLE + HEADER
                    + "Ana,Lima,https://www.linkedin.com/in/x1,ana@atlantico.pt,Globex,CEO,"
                      "12 Mar 2024\n"
                    + "Chen,Wu,https://www.linkedin.com/in/x2,,Initech,CTO,12 Mar 2024\n"
                    + "Di,Nunes,https://www.linkedin.com/in/x3,,,,12 Mar 2024\n")
    result = crm.ok("import", str(path), env=NOW)
    assert result.stderr.splitlines()[:3] == [
        "created 1, updated 2, unchanged 0, skipped 0, failed 0", "1 job change(s):",
        "  Ana Lima (contact 1): COO at Atlantico Foods → CEO at Globex"]
    chen = crm.ok("show", "2", "--json").json()
    assert (chen["company"], chen["title"], chen["urls"][0]["label"]) == (
        "Initech", "CTO", "linkedin")  # a first job is no change


def test_the_morning_email_tells_each_job_change_once(crm, exports):
    crm.ok("import", str(exports[0]), env=NOW)
    crm.ok("import", str(exports[1]), env=NOW)
    email = crm.ok("remind", "--stdout", env={"CRM_NOW": "2026-11-26T07:00:00+00:00"}).stdout
    assert email.startswith("2 job changes (Thu 26 Nov)\n")
    assert ("Job changes (2)\n---------------\n"
            "  yesterday  Ana Lima: COO at Atlantico Foods → CEO at Globex\n"
            "  yesterday  Bo Berg: Sales Lead at Nordic Wood → VP Sales at Nordic Wood\n"
            ) in email
    later = crm.ok("remind", "--stdout", env={"CRM_NOW": "2026-11-27T07:00:00+00:00"}).stdout
    assert later == ""


def test_a_linkedin_import_is_undone_whole(crm, exports):
    crm.ok("import", str(exports[0]), env=NOW)
    before = crm.ok("dump").stdout
    crm.ok("import", str(exports[1]), env=NOW)
    crm.ok("undo")
    assert crm.ok("dump").stdout == before


def test_an_export_missing_a_column_is_refused_whole(crm, tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text(PREAMBLE + "First Name,Last Name,URL,Email Address,Company,Position\n"
                    + "Ana,Lima,https://www.linkedin.com/in/ana,,Acme,COO\n")
    result = crm("import", str(path))
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {path}: LinkedIn export, line 4: the header has no Connected On column "
        "(expected: First Name, Last Name, URL, Email Address, Company, Position, "
        "Connected On)\n"))
    assert crm.ok("dump").stdout.count("INSERT") == 0
    no_header = tmp_path / "notes-only.csv"
    no_header.write_text(PREAMBLE)
    result = crm("import", str(no_header))
    assert (result.exit_code, result.stderr.count("\n")) == (1, 1)
    assert "LinkedIn export: no header line" in result.stderr


@pytest.mark.parametrize(("text", "line"), [
    (FIRST.replace("Chen,Wu", "Ch\xe9n,Wu"), "7, column 3"),
    (FIRST.replace("email", "\xe9mail"), "2, column 71")])
def test_a_byte_that_is_not_utf8_is_named_at_its_line(crm, tmp_path, text, line):
    path = tmp_path / "Connections.csv"
    path.write_bytes(text.encode("latin-1"))
    result = crm("import", str(path))
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {path}: line {line}: not UTF-8 text (byte 0xE9); save the file as UTF-8 "
        "CSV\n"))
    assert crm.ok("list", "--json").json() == []


def test_a_line_of_notes_over_the_limit_is_one_error_naming_its_line(crm, tmp_path):
    path = tmp_path / "Connections.csv"
    path.write_text(PREAMBLE.replace("here:", "here: " + "x" * 70_000) + HEADER)
    result = crm("import", str(path))
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {path}: line 2: longer than 65,536 characters, the limit for a CSV "
        "header line\n"))


def test_stdin_and_a_header_without_notes_are_recognised(crm):
    text = HEADER + "Ana,Lima,https://www.linkedin.com/in/ana,,Acme,COO,05 Jan 2021\n"
    crm.ok("import", "-", input=text)
    assert crm.ok("show", "ana", "--json").json()["met_on"] == "2021-01-05"


@pytest.mark.parametrize(("text", "expected"), [
    ("12 Mar 2024", "2024-03-12"), ("12 March 2024", "2024-03-12"),
    ("Mar 12, 2024", "2024-03-12"), ("2024-03-12", "2024-03-12"), ("3/12/24", "2024-12-03"),
    ("soon", None)])
def test_connected_on_in_its_forms(text, expected):
    warnings: list[str] = []
    found = linkedin._date(text, "DMY", dt.date(2026, 11, 25), "row 1", warnings)
    assert (str(found) if found else None) == expected
    assert bool(warnings) == (expected is None)


def test_the_profile_is_a_social_profile_in_vcards_both_ways(crm, exports, tmp_path):
    crm.ok("import", str(exports[0]), env=NOW)
    for version in ("3.0", "4.0"):
        card = crm.ok("export", "ana", "--vcard-version", version).stdout
        assert card.splitlines().count(
            "X-SOCIALPROFILE;TYPE=linkedin:https://www.linkedin.com/in/ana-lima") == 1
        assert "URL" not in card
    path = tmp_path / "ana.vcf"
    path.write_text(crm.ok("export", "ana").stdout)
    fresh = type(crm)(tmp_path / "fresh.db")
    fresh.ok("import", str(path))
    shown = fresh.ok("show", "ana", "--json").json()
    assert shown["urls"] == [{"value": "https://www.linkedin.com/in/ana-lima",
                              "label": "linkedin"}]
    assert fresh.ok("export", "ana").stdout == crm.ok("export", "ana").stdout


def test_other_social_profiles_stay_handles(crm, tmp_path):
    path = tmp_path / "ana.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Lima\r\n"
                    "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/analima\r\n"
                    "X-SOCIALPROFILE;type=linkedin;x-user=analima:http\\://www.linkedin.com/in/"
                    "analima\r\nEND:VCARD\r\n")
    crm.ok("import", str(path))
    shown = crm.ok("show", "ana", "--json").json()
    assert shown["urls"] == [{"value": "http://www.linkedin.com/in/analima",
                              "label": "linkedin"}]
    card = crm.ok("export", "ana").stdout
    assert "X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/analima" in card
    assert card.upper().count("X-SOCIALPROFILE;TYPE=LINKEDIN") == 1
    assert "x-user=analima" in card.lower()  # Apple's own line, kept as it came


@pytest.mark.parametrize("release", [p for p in RELEASES if int(p.stem[1:]) < 23],
                         ids=lambda p: p.stem)  # books from before migration 23
def test_the_migration_makes_kept_profiles_urls(tmp_path, release):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'contact_cards'"
                            ).fetchone():
            pytest.skip("a book from before stored cards")
        extra = ('["X-SOCIALPROFILE;TYPE=linkedin:https://www.linkedin.com/in/ana",'
                 ' "X-SOCIALPROFILE;TYPE=twitter:https://x.com/ana"]')
        conn.execute("DELETE FROM contact_cards WHERE contact_id = 1")
        conn.execute("INSERT INTO contact_cards (contact_id, data, original, updated_at)"
                     " VALUES (1, ?, '', '2026-01-01T00:00:00Z')",
                     ['{"photo": null, "rev": null, "extra": ' + extra + "}"])
    database = storage.connect(path)
    from crmcli import contacts
    from crmcli.handles import for_contact

    first = contacts.get(database, 1, deleted=None)
    assert [(u.value, u.label) for u in first.urls if u.label == "linkedin"] == [
        ("https://www.linkedin.com/in/ana", "linkedin")]
    assert for_contact(database, 1) == [{"service": "Twitter", "value": "https://x.com/ana"}]
    database.close()


def test_an_outlook_file_is_not_taken_for_linkedin(crm, tmp_path):
    path = tmp_path / "outlook.csv"
    path.write_text("First Name,Middle Name,Last Name,Company,Job Title,E-mail Address\n"
                    "Ana,,Lima,Acme,COO,ana@x.example\n")
    assert crm.ok("import", str(path)).stderr.startswith("created 1")
    assert crm.ok("show", "ana", "--json").json()["tags"] == []
