"""The full-text index: one row per contact, rebuilt from the stored contact the same way it is
written from a Contact."""

from __future__ import annotations

from crmcli import companies, contacts, db, search
from crmcli.models import Contact, Detail


def _row(conn, contact_id: int) -> tuple[str, str]:
    return conn.execute("SELECT body, notes FROM contact_search WHERE rowid = ?",
                        [contact_id]).fetchone()


def test_reindex_from_the_tables_writes_what_a_write_from_the_contact_wrote(db_path):
    conn = db.connect(db_path)
    ana = contacts.create(conn, Contact(
        name="Ána Ruiz", company="Ácme", title="CTO", tags=["vip", "lead"],
        emails=[Detail("ana@acme.com", "work"), Detail("ana@home.org", "")],
        phones=[Detail("+34 612 34 56 78", "mobile")], addresses=[Detail("Calle 1\nMadrid", "")],
        urls=[Detail("https://acme.com", "")]), notes=["Prefers Señor café"])
    written = _row(conn, ana.id)
    search.reindex(conn, ana.id)
    assert _row(conn, ana.id) == written
    assert written[0] == search.contact_text(contacts.get(conn, ana.id))
    assert "612345678" in written[0].split() and written[1] == "prefers senor cafe"


def test_a_renamed_company_is_found_under_its_new_name(db_path):
    conn = db.connect(db_path)
    ana = contacts.create(conn, Contact(name="Ana", company="Initech"))
    companies.rename(conn, companies.resolve(conn, "Initech"), "Initrode")
    assert contacts.search_ids(conn, "initrode") == [ana.id]
    assert contacts.search_ids(conn, "initech") == []
