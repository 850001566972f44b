"""The Radicale fixture (tests/dav.py) the sync tests stand on: a real server, real vdirsyncer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dav

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ana-1\r\nFN:Ana Lima\r\nN:Lima;Ana;;;\r\nEND:VCARD\r\n"
TODO = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VTODO\r\nUID:todo-1\r\n"
        "DTSTAMP:20261122T094600Z\r\nSUMMARY:Call Ana\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")


def test_addressbook_items_are_put_listed_read_and_deleted(addressbook):
    assert addressbook.list() == {}
    assert addressbook.put("phone-made name.vcf", CARD).status == 201
    listed = addressbook.list()
    assert list(listed) == ["phone-made name.vcf"]
    assert "FN:Ana Lima" in addressbook.get("phone-made name.vcf")
    stale = addressbook.put("phone-made name.vcf", CARD.replace("Ana", "Ana B"), etag='"old"')
    assert stale.status == 412
    addressbook.delete("phone-made name.vcf")
    assert addressbook.list() == {}
    assert addressbook.get("phone-made name.vcf") is None


def test_radicale_refuses_a_card_it_cannot_parse(addressbook):
    two_names = CARD.replace("N:Lima;Ana;;;", "N:Lima;Ana;;;\r\nN:Lim;A;;;")
    assert addressbook.put("x.vcf", two_names).status == 400
    assert addressbook.list() == {}


def test_calendar_takes_tasks(calendar):
    assert calendar.put("todo-1.ics", TODO).status == 201
    assert "SUMMARY:Call Ana" in calendar.items()["todo-1.ics"]


def test_collections_of_two_tests_are_apart(radicale, addressbook):
    other = radicale.addressbook()
    addressbook.put("a.vcf", CARD)
    assert other.list() == {}


def test_authentication_is_required_and_checked(radicale_auth):
    book = radicale_auth.addressbook()
    assert book.path.startswith(f"/{dav.USER}/")
    assert book.put("a.vcf", CARD).status == 201
    for user, password in (("ana", "wrong"), (None, None)):
        intruder = dav.Radicale(radicale_auth.port, radicale_auth.storage,
                                radicale_auth.process, user, password)
        assert intruder.request("GET", book.path + "a.vcf").status == 401


def test_vdirsyncer_syncs_with_the_authenticated_server(radicale_auth, tmp_path):
    book = radicale_auth.addressbook()
    book.put("from-phone.vcf", CARD)
    vdir = tmp_path / "contacts"
    secret = tmp_path / "secret"
    secret.write_text(dav.PASSWORD)
    config = tmp_path / "vdirsyncer.conf"
    config.write_text(f"""\
[general]
status_path = "{tmp_path / 'status'}"

[pair contacts]
a = "local"
b = "server"
collections = null
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = "{vdir}"
fileext = ".vcf"

[storage server]
type = "carddav"
url = "{book.url}"
username = "{dav.USER}"
password.fetch = ["command", "cat", "{secret}"]
""")
    vdir.mkdir()
    assert _vdirsyncer(config, "discover").returncode == 0
    run = _vdirsyncer(config, "sync")
    assert run.returncode == 0, run.stderr
    (pulled,) = vdir.iterdir()
    assert "FN:Ana Lima" in pulled.read_text()
    (vdir / "made-in-crm.vcf").write_text(CARD.replace("ana-1", "bea-2").replace("Ana", "Bea"))
    assert _vdirsyncer(config, "sync").returncode == 0
    assert sorted(book.list()) == ["bea-2.vcf", "from-phone.vcf"]  # vdirsyncer names by UID
    assert "FN:Bea Lima" in book.get("bea-2.vcf")


def test_a_fresh_server_starts_empty_and_stops(radicale_fresh, tmp_path):
    assert radicale_fresh.storage == tmp_path / "radicale"
    book = radicale_fresh.addressbook("contacts")
    assert book.path == "/tests/contacts/"
    radicale_fresh.stop()
    assert radicale_fresh.process.poll() is not None


def _vdirsyncer(config: Path, *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("vdirsyncer")), "-c", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)
