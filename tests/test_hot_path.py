"""The light entry path (crmcli.entry) answers `crm --version` and `crm mutt-query Q` exactly
as the Typer app does, or hands the invocation over before writing anything.

Each argument list runs as whole processes: first through the light path alone (a probe that
reports when it would hand over, and fails if Typer, Rich, dateutil or sqlite-utils were
imported), then through the Typer app; stdout, stderr and the exit code are compared.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crmcli import db as crmcli_db

HANDED_OVER = 99
HEAVY = ("typer", "click", "rich", "dateutil", "sqlite_utils", "phonenumbers", "vobject")
LIGHT = f"""
import sys
from crmcli import entry
code = entry.serve(sys.argv[1:])
heavy = [name for name in {HEAVY!r} if name in sys.modules]
if heavy:
    sys.exit(f"heavy imports on the light path: {{heavy}}")
sys.exit({HANDED_OVER} if code is None else code)
"""
FULL = "import sys; sys.argv[0] = 'crm'; from crmcli.cli import main; main()"
RELEASES = Path(__file__).parent / "fixtures" / "releases"


def _run(program: str, args: list[str], env: dict) -> tuple[str, str, int]:
    done = subprocess.run([sys.executable, "-c", program, *args], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60,
                          cwd=Path(__file__).parent)
    return done.stdout, done.stderr, done.returncode


@pytest.fixture
def books(crm, db_path, tmp_path, monkeypatch):
    """A book with a few people, and files that are not books to open as they are."""
    monkeypatch.setenv("CRM_NOW", "2026-02-10T09:00:00+00:00")  # the cases run at 2026-02-27
    crm.ok("add", "José Núñez", "-e", "jose@acme.example", "-e", "home:jn@mail.example",
           "--company", "ACME")
    crm.ok("add", "Ana Lima", "-e", "ana@lima.example", "-p", "+351 21 123 4567")
    crm.ok("add", "Ana\u202eevil Bidi", "-e", "bidi@x.example")
    crm.ok("add", "Esc\x1b[31mape Person", "-e", "esc@x.example", "--company", "Bell\x07Co")
    crm.ok("add", "Bo Chen", "--birthday", "1980-03-02", "--tag", "vip")
    crm.ok("rm", str(crm.add("Ana Trashed", "-e", "trashed@x.example")), "--yes")
    crm.ok("follow-up", "ana lima", "2026-02-20", "Send the \u202equote\x1b[2J")
    crm.ok("follow-up", "bo chen", "2026-03-01 09:30", "Call back", "--every", "1w")
    crm.ok("follow-up", "nunez", "2026-03-12", "Later than a week")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.executescript((RELEASES / "v12.sql").read_text())
    (tmp_path / "folder.db").mkdir()
    empty = tmp_path / "empty.db"
    crmcli_db.connect(empty).close()
    default = tmp_path / "data" / "crmcli" / "crm.db"  # XDG_DATA_HOME (conftest)
    default.parent.mkdir(parents=True)
    shutil.copyfile(db_path, default)
    monkeypatch.delenv("CRM_NOW")
    return {"book": str(db_path), "other": str(other), "old": str(old),
            "folder": str(tmp_path / "folder.db"), "missing": str(tmp_path / "no" / "x.db"),
            "dotted": f"{tmp_path}/./{db_path.name}", "slashed": f"{tmp_path}//{db_path.name}",
            "home_book": f"~/{db_path.name}", "empty": str(empty)}


# (argument list with {book}-style names, extra environment (None: unset), whether the light
# path serves it)
CASES = [
    (["--version"], {}, True),
    (["-V"], {}, True),
    (["mutt-query", "ana"], {}, True),
    (["mutt-query", "nunez"], {}, True),  # accents folded; two addresses, a company
    (["mutt-query", "bidi"], {}, True),  # a bidi override shown, never sent raw
    (["mutt-query", "esc"], {}, True),  # controls stripped (a pattern compiled on first use)
    (["mutt-query", "jose@acme.example"], {}, True),  # an address typed whole
    (["mutt-query", "nobody"], {}, True),  # nothing found: exit 1
    (["mutt-query", ""], {}, True),
    (["mutt-query", "123 4567"], {}, True),  # phone digits
    (["mutt-query", "+351 21 123 4567"], {}, True),  # a country code: no libphonenumber
    (["mutt-query", "+44 20 7946 0018"], {}, True),  # a national prefix that is a pattern
    (["mutt-query", "00351211234567"], {}, True),
    (["--db", "{book}", "mutt-query", "jose"], {"CRM_DB": "{missing}"}, True),
    (["--db={book}", "mutt-query", "jose"], {}, True),
    (["mutt-query", "ana"], {"CRM_NOW": "yesterday-ish"}, True),  # a bad clock: exit 1
    (["--db", "{other}", "mutt-query", "x"], {}, True),  # not a crmcli book: refused
    (["mutt-query", "ana"], {"CRM_CONFIG": "{bad_zone}"}, True),  # a config error
    (["mutt-query", "ana"], {"CRM_CONFIG": "{settings}", "CRM_DB": None}, True),  # book named
    (["mutt-query", "ana"], {"CRM_CONFIG": "{bad_keep}"}, True),  # [journal] keep checked
    (["mutt-query", "ana"], {"CRM_DB": None}, True),  # the default book ($XDG_DATA_HOME)
    (["--db", "{home_book}", "mutt-query", "ana"], {"HOME": "{home}"}, True),  # ~ expanded
    (["--db", "{dotted}", "mutt-query", "ana"], {}, False),  # messages name it as Path does
    (["--db", "{slashed}", "mutt-query", "ana"], {}, False),
    (["--db", "{old}", "mutt-query", "nunez"], {}, False),  # to be migrated first
    (["--db", "{missing}", "mutt-query", "x"], {}, False),  # to be created (or refused)
    (["--db", "{folder}", "mutt-query", "x"], {}, False),
    (["mutt-query", "ana"], {"CRM_CONFIG": "{unknown_key}"}, False),  # a warning to print
    (["mutt-query", "-ana"], {}, False),
    (["mutt-query"], {}, False),
    (["mutt-query", "ana", "lima"], {}, False),
    (["--debug", "mutt-query", "ana"], {}, False),
    (["--version", "x"], {}, False),
    (["due"], {}, True),  # overdue, today, upcoming and birthdays; a bidi override shown
    (["due"], {"CRM_NOW": "2026-03-05T23:30:00-05:00"}, True),  # another day, in its zone
    (["due"], {"CRM_DB": "{empty}"}, True),  # nothing due: a line on stderr
    (["--db", "{book}", "due"], {"CRM_DB": "{missing}"}, True),
    (["--db={book}", "due"], {}, True),
    (["due"], {"CRM_NOW": "yesterday-ish"}, True),
    (["due"], {"CRM_CONFIG": "{cadence}"}, True),  # get back in touch with a vip
    (["due"], {"CRM_CONFIG": "{far_zone}", "CRM_NOW": "2026-02-28T23:30:00"}, True),  # its day
    (["due"], {"CRM_CONFIG": "{bad_cadence}"}, True),  # a long value cut in the message
    (["due"], {"CRM_CONFIG": "{settings}", "CRM_DB": None}, True),
    (["--db", "{other}", "due"], {}, True),
    (["--db", "{old}", "due"], {}, False),
    (["--db", "{missing}", "due"], {}, False),
    (["due"], {"CRM_CONFIG": "{unknown_key}"}, False),
    (["due"], {"CRM_CONFIG": "{hooked}"}, False),
    (["due", "--json"], {}, False),
    (["due", "--all"], {}, False),
    (["--debug", "due"], {}, False),
    (["due", "x"], {}, False),
    (["--db", "", "due"], {}, False),
]


@pytest.mark.parametrize(("args", "extra", "served"), CASES,
                         ids=[" ".join(args) + (f" {extra}" if extra else "")
                              for args, extra, _ in CASES])
def test_light_and_full_paths_answer_alike(books, tmp_path, args, extra, served):
    (tmp_path / "zone.toml").write_text('timezone = "Mars/Olympus"\n')
    (tmp_path / "unknown.toml").write_text('colour = "blue"\n')
    (tmp_path / "settings.toml").write_text(f'db = "{books["book"]}"\ncurrency = "USD"\n')
    (tmp_path / "keep.toml").write_text('[journal]\nkeep = "forever"\n')
    (tmp_path / "cadence.toml").write_text('[cadence]\nvip = "2d"\n')
    (tmp_path / "far_zone.toml").write_text('timezone = "Pacific/Kiritimati"\n')
    (tmp_path / "bad_cadence.toml").write_text(f'[cadence]\nvip = "{"x" * 300}"\n')
    (tmp_path / "hooked.toml").write_text('[hooks]\ntimeout = "5s"\n')
    names = {**books, "bad_zone": str(tmp_path / "zone.toml"),
             "cadence": str(tmp_path / "cadence.toml"),
             "far_zone": str(tmp_path / "far_zone.toml"),
             "bad_cadence": str(tmp_path / "bad_cadence.toml"),
             "hooked": str(tmp_path / "hooked.toml"),
             "unknown_key": str(tmp_path / "unknown.toml"),
             "settings": str(tmp_path / "settings.toml"), "bad_keep": str(tmp_path / "keep.toml"),
             "home": str(tmp_path)}
    args = [arg.format(**names) for arg in args]
    env = {**os.environ, "CRM_DB": books["book"], "TERM": "dumb",
           "CRM_NOW": "2026-02-27T10:00:00+01:00",
           **{key: value.format(**names) for key, value in extra.items() if value is not None}}
    for key in [key for key, value in extra.items() if value is None]:
        del env[key]
    light = _run(LIGHT, args, env)
    if not served:
        assert light == ("", "", HANDED_OVER)
        return
    full = _run(FULL, args, env)
    assert light == full
    assert "Traceback" not in light[1]
    assert light[0] or light[1]


def test_the_agenda_on_a_terminal_is_for_the_full_path(books):
    """Piped, ``crm due`` is records; on a terminal Rich draws it: the full path's work."""
    leader, follower = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-c", LIGHT, "due"], stdout=follower,
                              stderr=subprocess.PIPE, env={**os.environ, "CRM_DB": books["book"]},
                              timeout=60, cwd=Path(__file__).parent)
    finally:
        os.close(follower)
        os.close(leader)
    assert (done.returncode, done.stderr) == (HANDED_OVER, b"")


def test_the_light_path_is_what_the_executable_runs(books):
    """`crm` and `python -m crmcli` start at crmcli.entry; its answer is the full path's."""
    env = {**os.environ, "CRM_DB": books["book"]}
    executable = subprocess.run([sys.executable, "-m", "crmcli", "mutt-query", "lima"], env=env,
                                capture_output=True, text=True, cwd=Path(__file__).parent)
    assert executable.returncode == 0
    assert executable.stdout == "crm: 1 address(es) for 'lima'\nana@lima.example\tAna Lima\t\n"


def test_many_addresses_come_in_order_and_whole(db_path, capsys, monkeypatch):
    """More addresses than one write holds: every line once, in the order of crm list."""
    from crmcli import contacts, db, entry
    from crmcli.models import Contact, Detail

    book = db.connect(db_path)
    with db.transaction(book):
        for number in range(1001, 0, -1):
            contacts.create(book, Contact(name=f"Person {number:04d}",
                                          emails=[Detail(f"p{number}@x.example", "work")]))
    book.close()
    monkeypatch.setenv("CRM_DB", str(db_path))
    assert entry.serve(["mutt-query", "person"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "crm: 1001 address(es) for 'person'",
        *(f"p{number}@x.example\tPerson {number:04d}\t" for number in range(1, 1002))]


# What the light path must not import for a book without a config file: each costs
# milliseconds a process (dataclasses alone ~9 ms of CPU here), and mutt-query needs none.
NOT_FOR_MUTT = ("dataclasses", "typing", "pathlib", "json", "tomllib", "zoneinfo",
                "crmcli.config", "crmcli.contacts", "crmcli.models", "crmcli.dates")


def test_the_light_path_imports_only_what_mutt_query_needs(books):
    probe = ("import sys\nfrom crmcli import entry\ncode = entry.serve(sys.argv[1:])\n"
             "print(code, sorted(name for name in sys.modules))")
    stdout, stderr, code = _run(probe, ["mutt-query", "lima"],
                                {**os.environ, "CRM_DB": books["book"]})
    assert code == 0, stderr
    assert stdout.startswith("crm: 1 address(es) for 'lima'\nana@lima.example\tAna Lima\t\n0 [")
    assert not [name for name in NOT_FOR_MUTT if f"'{name}'" in stdout]


def test_addresses_are_one_statement_led_by_the_index(books):
    """One statement from the full-text index to the lines (no ids fetched first, no
    batches), and its plan scans no table: only the index is scanned."""
    from crmcli import db, search

    class Counted:  # the real book, its statements noted
        def __init__(self, book):
            self.book, self.statements = book, []

        def execute(self, sql, *parameters):
            self.statements.append(sql)
            return self.book.execute(sql, *parameters)

    book = Counted(db.connect(Path(books["book"])))
    assert search.address_lines(book, "lima") == ["ana@lima.example\tAna Lima\t"]
    assert len(book.statements) == 1
    plan = [row[3] for row in book.book.execute(f"EXPLAIN QUERY PLAN {book.statements[0]}",
                                                ['"lima"*'])]
    book.book.close()
    assert plan[0].startswith("SCAN s VIRTUAL TABLE")
    assert [step for step in plan if step.startswith("SCAN")] == [plan[0]]
    # Each contact and its emails are read from indexes that hold them, not from the tables.
    assert "SEARCH c USING COVERING INDEX contacts_addressing (id=? AND deleted_at=?)" in plan
    assert ("SEARCH d USING COVERING INDEX contact_details_contact (contact_id=? AND kind=?)"
            in plan)
    assert "SEARCH co USING COVERING INDEX companies_names (id=?) LEFT-JOIN" in plan


@pytest.mark.parametrize("release", sorted(RELEASES.glob("v*.sql")), ids=lambda p: p.stem)
def test_the_address_indexes_come_with_the_upgrade_from_each_release(tmp_path, release):
    """Upgraded books get the indexes the address lookup reads, and find the same lines as
    a plain join of the tables (no index named) does."""
    from crmcli import db, search

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(release.read_text())
    book = db.connect(path)
    assert {name: [row[2] for row in book.execute(f"PRAGMA index_info({name})")]
            for name in ("contacts_addressing", "contact_details_contact",
                         "companies_names")} == {
        "contacts_addressing": ["id", "deleted_at", "name_folded", "name", "company_id"],
        "contact_details_contact": ["contact_id", "kind", "position", "value"],
        "companies_names": ["id", "name"]}
    plain = ("SELECT d.value || char(9) || c.name || char(9) || coalesce(co.name, '')"
             " FROM contacts c JOIN contact_details d ON d.contact_id = c.id"
             " AND d.kind = 'email' LEFT JOIN companies co ON co.id = c.company_id"
             " WHERE c.deleted_at IS NULL {} ORDER BY c.name_folded, c.id, d.position")
    every = [line for (line,) in book.execute(plain.format(""))]
    assert every and search.address_lines(book, "") == every
    for query in ("a", "lima", "nunez"):
        matching = "AND c.id IN (SELECT rowid FROM contact_search WHERE contact_search MATCH ?)"
        assert search.address_lines(book, query) == [line for (line,) in book.execute(
            plain.format(matching), [search.match_expression(query)])]
    book.close()


def test_the_executable_flushes_everything_and_ends_quietly_on_a_closed_pipe(db_path, tmp_path):
    """What the light path writes is all there, and a reader that goes away early
    (`| head -1`) sees no error."""
    from crmcli import contacts, db
    from crmcli.models import Contact, Detail

    book = db.connect(db_path)
    with db.transaction(book):
        for number in range(3000):
            contacts.create(book, Contact(name=f"Person {number:04d}",
                                          emails=[Detail(f"p{number}@x.example", "work")]))
    book.close()
    env = {**os.environ, "CRM_DB": str(db_path)}
    command = [sys.executable, "-m", "crmcli", "mutt-query", "person"]
    with (tmp_path / "out.txt").open("w") as written:
        assert subprocess.run(command, env=env, stdout=written, timeout=60).returncode == 0
    lines = (tmp_path / "out.txt").read_text().splitlines()
    assert lines[0] == "crm: 3000 address(es) for 'person'"
    assert lines[1:] == [f"p{number}@x.example\tPerson {number:04d}\t" for number in range(3000)]
    reader = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout.readline() == b"crm: 3000 address(es) for 'person'\n"
    reader.stdout.close()  # 120 kB do not fit in the pipe: the rest meets a closed pipe
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == b""
