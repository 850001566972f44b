"""An export to a vdir writes each card over the file that already holds its UID, whatever
that file is called; the folder's UIDs are looked up, not held in memory."""

from __future__ import annotations

import os
import sqlite3

from crmcli.interchange import exporter


def card(uid: str, name: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEND:VCARD\r\n"


def test_a_card_is_written_over_the_file_holding_its_uid(crm, tmp_path):
    crm.add("Ana Lima")
    crm.add("Bo Diaz")
    uids = [row["uid"] for row in crm.ok("list", "--json").json()]
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    (vdir / "server-href-1.vcf").write_text(card(uids[0], "Old Name"), newline="")
    (vdir / "notes.txt").write_text(f"UID:{uids[1]}\n")
    crm.ok("export", "--vdir", str(vdir))
    assert sorted(path.name for path in vdir.iterdir()) == [
        f"{uids[1]}.vcf", "notes.txt", "server-href-1.vcf"]
    assert "FN:Ana Lima" in (vdir / "server-href-1.vcf").read_text()


def test_the_first_file_found_holding_a_uid_is_the_one(tmp_path):
    vdir = tmp_path / "vdir"
    vdir.mkdir()
    (vdir / "a.vcf").write_text(card("u-1", "A").replace("\r\nUID", "\r\n UID"), newline="")
    (vdir / "b.vcf").write_text(card("u-2", "B").replace("UID:u-2", "UID:u-\r\n 2"),
                                newline="")
    (vdir / "c.vcf").write_text(card("u-2", "C"), newline="")
    (vdir / "d.vcf").mkdir()
    holding = exporter.vdir_files_by_uid(sqlite3.connect(":memory:"), vdir)
    first = next(entry.name for entry in os.scandir(vdir) if entry.name in ("b.vcf", "c.vcf"))
    assert (holding("u-2"), holding("u-1"), holding("u-3"), holding(None)) == (
        first, None, None, None)  # a.vcf: its UID line is folded into the line before
