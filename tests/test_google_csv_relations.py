"""Relationships through the Google Contacts CSV: Relation N - Type/Value read into
relationships (a name in the book linked), written back, and a round trip into a fresh book."""

from __future__ import annotations

import csv
import io

from conftest import Crm

GOOGLE_CSV = (
    "Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Relation 1 - Type,"
    "Relation 1 - Value,Relation 2 - Type,Relation 2 - Value,Relation 3 - Type,"
    "Relation 3 - Value\r\n"
    "Ana Lima,Ana,Lima,* Work,ana@example.com,Manager,Bo Chen,Mother,Rosa Lima,"
    "Domestic Partner ::: Best Buddy,Rui Lima ::: Zé Costa\r\n"
    "Bo Chen,Bo,Chen,,,Referred By,Ana Lima,Brother,Dan Chen,,\r\n")


def _relations(crm: Crm) -> dict[str, list[tuple[str, str, bool]]]:
    found = {}
    for row in crm.ok("list", "--json").json():
        record = crm.ok("relations", str(row["id"]), "--json").json()
        found[row["name"]] = sorted((r["type"], r["name"], r["contact_id"] is not None)
                                    for r in record if r["direction"] == "out")
    return found


def test_google_relations_import_into_relationships_linking_names_in_the_book(crm):
    crm.ok("import", "--format", "csv", "-", input=GOOGLE_CSV)
    assert _relations(crm) == {
        "Ana Lima": [("best-buddy", "Zé Costa", False), ("manager", "Bo Chen", True),
                     ("parent", "Rosa Lima", False), ("partner", "Rui Lima", False)],
        "Bo Chen": [("referred-by", "Ana Lima", True), ("sibling", "Dan Chen", False)]}


def test_a_google_import_with_relations_is_undone_as_one_operation(crm):
    crm.add("Cy Old")
    crm.ok("import", "--format", "csv", "-",
           input="Name,Relation 1 - Type,Relation 1 - Value\r\nAna Lima,Friend,Cy Old\r\n")
    assert [(r["label"], r["name"]) for r in crm.ok("relations", "cy", "--json").json()] == [
        ("friend", "Ana Lima")]
    crm.ok("undo")
    assert [row["name"] for row in crm.ok("list", "--json").json()] == ["Cy Old"]
    assert crm.ok("relations", "cy", "--json").json() == []


def test_google_export_writes_relation_columns(crm):
    crm.add("Ana Lima")
    crm.add("Bo Chen")
    crm.ok("relate", "ana", "manager", "bo")
    crm.ok("relate", "ana", "spouse", "Rui Lima")
    crm.ok("relate", "ana", "colleague", "Eva Ruiz")
    crm.ok("relate", "bo", "referred-by", "ana")
    exported = crm.ok("export", "-f", "csv").stdout
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(exported))}
    ana, bo = rows["Ana Lima"], rows["Bo Chen"]
    assert (ana["Relation 1 - Type"], ana["Relation 1 - Value"]) == ("Manager", "Bo Chen")
    assert (ana["Relation 2 - Type"], ana["Relation 2 - Value"]) == (
        "Spouse ::: colleague", "Rui Lima ::: Eva Ruiz")
    assert (bo["Relation 1 - Type"], bo["Relation 1 - Value"]) == ("Referred By", "Ana Lima")
    assert bo["Relation 2 - Type"] == bo["Relation 2 - Value"] == ""


def test_a_google_csv_export_imported_into_a_fresh_book_has_the_same_relationships(
        crm, tmp_path):
    crm.ok("import", "--format", "csv", "-", input=GOOGLE_CSV)
    crm.ok("relate", "bo", "introduced-by", "Eva Ruiz")
    exported = crm.ok("export", "-f", "csv").stdout
    fresh = Crm(tmp_path / "fresh.db")
    result = fresh.ok("import", "--format", "csv", "-", input=exported)
    assert "left out" not in result.stderr
    assert _relations(fresh) == _relations(crm)
    assert ("introduced-by", "Eva Ruiz", False) in _relations(fresh)["Bo Chen"]
