"""crm sync carries companies as company cards in the contacts vdir, three-way like contacts:
made, edited, renamed and deleted on either side; then through a real Radicale and vdirsyncer
with two books and a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
import vcard_check
from conftest import Crm
from syncworld import Clock, Device, Phone
from test_sync import LATER, edit_card, settle, sync

pytestmark = pytest.mark.usefixtures("vdir")


@pytest.fixture
def vdir(tmp_path) -> Path:
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{tmp_path / "vdir"}"\n')
    return tmp_path / "vdir"


@pytest.fixture
def laptop(tmp_path) -> Crm:
    return Crm(tmp_path / "laptop.db")


@pytest.fixture
def desktop(tmp_path) -> Crm:
    return Crm(tmp_path / "desktop.db")


def company_card(vdir: Path, name: str) -> Path:
    found = [path for path in vdir.glob("*.vcf")
             if f"ORG:{name}\r\n" in (text := path.read_bytes().decode())
             and "X-ABSHOWAS:COMPANY" in text.upper()]
    assert len(found) == 1, found
    return found[0]


def firms(book: Crm, *args: str) -> dict[str, dict]:
    return {c["name"]: c for c in book.ok("company", "list", "--json", *args).json()}


@pytest.fixture
def acme(laptop, desktop):
    """Acme, with details and a custom field, on the laptop, the phone and the desktop."""
    laptop.ok("field", "add", "segment", "--type", "text", "--on", "companies")
    laptop.ok("company", "add", "Acme", "--industry", "logistics", "--website",
              "https://acme.example", "-t", "customer", "--set", "segment=smb")
    laptop.add("Ana Lima", "--company", "Acme")
    laptop.add("Bo Chen", "--company", "Solo Ltd")  # only a name its people give: no card
    assert sync(laptop) == "crm sync: contacts: pushed 3 new\n"
    assert sync(desktop) == "crm sync: contacts: pulled 3 new\n"
    settle(laptop, desktop)


def test_a_company_travels_as_a_company_card_to_another_book(vdir, laptop, desktop, acme):
    path = company_card(vdir, "Acme")
    text = path.read_bytes().decode()
    assert vcard_check.check_cards(text, "3.0") == 1
    for line in ("FN:Acme", "URL:https://acme.example", "CATEGORIES:customer",
                 "X-CRMCLI-INDUSTRY:logistics", "X-CRMCLI-FIELD;X-NAME=segment:smb"):
        assert line in text
    acme = firms(desktop)["Acme"]
    assert (acme["industry"], acme["tags"], acme["fields"]) == ("logistics", ["customer"],
                                                                 {"segment": "smb"})
    assert acme["uid"] == firms(laptop)["Acme"]["uid"]
    assert [c["name"] for c in desktop.ok("list", "--json").json()] == ["Ana Lima", "Bo Chen"]
    assert len(list(vdir.glob("*.vcf"))) == 3


def test_vcard_4_company_cards_say_kind_org(vdir, tmp_path, laptop):
    (tmp_path / "config" / "crmcli" / "config.toml").write_text(
        f'[sync]\ncommand = ""\ncontacts = "{vdir}"\nvcard_version = "4.0"\n')
    laptop.ok("company", "add", "Initech", "--industry", "software")
    laptop("sync")
    text = company_card(vdir, "Initech").read_bytes().decode()
    assert "KIND:org" in text and vcard_check.check_cards(text, "4.0") == 1


def test_a_company_renamed_on_the_phone_is_renamed_and_its_people_follow(vdir, laptop,
                                                                          desktop, acme):
    edit_card(company_card(vdir, "Acme"), "FN:Acme\r\n", "FN:Acme Corp\r\n")
    edit_card(company_card(vdir, "Acme"), "ORG:Acme\r\n", "ORG:Acme Corp\r\n")
    assert sync(laptop) == "crm sync: contacts: pulled 1 changed\n"
    assert "Acme Corp" in firms(laptop) and "Acme" not in firms(laptop)
    settle(laptop, desktop)
    assert firms(desktop)["Acme Corp"]["industry"] == "logistics"
    for book in (laptop, desktop):
        assert book.ok("show", "ana", "--json").json()["company"] == "Acme Corp"
    assert len(list(vdir.glob("*.vcf"))) == 3


def test_edits_on_the_phone_and_in_crm_merge_property_by_property(vdir, laptop, desktop,
                                                                   acme):
    edit_card(company_card(vdir, "Acme"), "END:VCARD", "TEL;TYPE=WORK:+1 555 0100\r\nEND:VCARD")
    laptop.ok("company", "tag", "Acme", "+partner")
    desktop.ok("company", "edit", "Acme", "--size", "200")
    settle(laptop, desktop)
    for book in (laptop, desktop):
        acme = firms(book)["Acme"]
        assert [p["value"] for p in acme["phones"]] == ["+1 555 0100"]
        assert (acme["tags"], acme["size"]) == (["customer", "partner"], "200")
    text = company_card(vdir, "Acme").read_bytes().decode()
    assert "TEL;TYPE=WORK:+1 555 0100" in text and "X-CRMCLI-SIZE:200" in text
    assert laptop.ok("sync", "conflicts", "--json").json() == []


def test_the_same_field_changed_on_both_sides_keeps_the_newer_and_notes_the_other(
        vdir, laptop, acme):
    edit_card(company_card(vdir, "Acme"), "X-CRMCLI-INDUSTRY:logistics",
              "REV:20261125T103000Z\r\nX-CRMCLI-INDUSTRY:shipping")
    laptop.ok("company", "edit", "Acme", "--industry", "freight", env=LATER)
    result = sync(laptop, env=LATER)
    assert result == "crm sync: contacts: merged 1 changed; 1 conflict (crm sync conflicts)\n"
    assert firms(laptop)["Acme"]["industry"] == "freight"  # crm's change is the newer
    assert "X-CRMCLI-INDUSTRY:freight" in company_card(vdir, "Acme").read_bytes().decode()
    notes = laptop.ok("company", "show", "Acme", "--json").json()["notes"]
    assert notes[0]["body"] == ("sync conflict on industry: kept 'freight' (crm), replaced "
                                "'shipping' from the phone")
    conflict = laptop.ok("sync", "conflicts", "--json").json()[0]
    assert (conflict["collection"], conflict["field"], conflict["kept"], conflict["lost"]) == (
        "companies", "industry", "freight", "shipping")
    acme_id = firms(laptop)["Acme"]["id"]
    assert (conflict["record"], conflict["contact_id"]) == (f"company {acme_id}", None)
    table = laptop.ok("sync", "conflicts").stdout
    assert table.splitlines()[0].split("\t")[3] == "record"
    assert f"\tcompany {acme_id}\t" in table
    assert sync(laptop, env=LATER) == ""


def test_a_company_deleted_on_the_phone_goes_to_the_trash(vdir, laptop, desktop, acme):
    company_card(vdir, "Acme").unlink()
    assert sync(laptop) == "crm sync: contacts: pulled 1 deleted\n"
    assert "Acme" not in firms(laptop) and "Acme" in firms(laptop, "--trash")
    assert laptop.ok("show", "ana", "--json").json()["company"] == "Acme"  # people keep it
    settle(laptop, desktop)
    assert "Acme" in firms(desktop, "--trash")
    laptop.ok("company", "restore", "Acme")
    assert sync(laptop) == "crm sync: contacts: pushed 1 new\n"
    assert company_card(vdir, "Acme")


def test_a_company_trashed_in_crm_is_deleted_from_the_phone_unless_edited_there(
        vdir, laptop, acme):
    laptop.ok("company", "rm", "Acme", "--yes")
    assert sync(laptop) == "crm sync: contacts: pushed 1 deleted\n"
    assert not [p for p in vdir.glob("*.vcf") if b"ORG:Acme\r\n" in p.read_bytes()
                and b"SHOWAS" in p.read_bytes().upper()]


def test_a_company_card_made_on_the_phone_becomes_a_company_and_then_follows(vdir, laptop):
    vdir.mkdir()
    (vdir / "phone-firm.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-firm\r\nFN:Globex\r\nN:;;;;\r\n"
        b"ORG:Globex\r\nX-ABShowAs:COMPANY\r\nTEL:+1 555 0199\r\nX-PHONE-ONLY:kept\r\n"
        b"END:VCARD\r\n")
    assert sync(laptop) == "crm sync: contacts: pulled 1 new\n"
    assert laptop.ok("list", "--json").json() == []
    assert firms(laptop)["Globex"]["uid"] == "phone-firm"
    laptop.ok("company", "edit", "Globex", "--industry", "energy")
    assert sync(laptop) == "crm sync: contacts: pushed 1 changed\n"
    text = (vdir / "phone-firm.vcf").read_bytes().decode()
    assert "X-CRMCLI-INDUSTRY:energy" in text and "X-PHONE-ONLY:kept" in text
    assert sync(laptop) == ""


def test_a_company_made_on_the_phone_and_in_crm_at_once_is_one_card(vdir, laptop):
    laptop.ok("company", "add", "Globex", "--industry", "energy")
    vdir.mkdir()
    (vdir / "phone-firm.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-firm\r\nFN:Globex\r\nN:;;;;\r\n"
        b"ORG:Globex\r\nX-ABShowAs:COMPANY\r\nTEL:+1 555 0199\r\nEND:VCARD\r\n")
    sync(laptop)
    assert [p.name for p in vdir.glob("*.vcf")] == ["phone-firm.vcf"]
    text = (vdir / "phone-firm.vcf").read_bytes().decode()
    assert "X-CRMCLI-INDUSTRY:energy" in text and "+1 555 0199" in text
    assert sync(laptop) == ""


def test_a_new_card_stands_for_its_uid_or_its_name_not_another_company(vdir, laptop):
    """A card without a UID stands for the company of its name; a card whose UID reads like
    another company's name does not keep that company off the phone."""
    laptop.ok("company", "add", "Globex", "--industry", "energy")
    laptop.ok("company", "add", "Umbrella", "--industry", "pharma")
    vdir.mkdir()
    (vdir / "initech.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:globex\r\nFN:Initech\r\nN:;;;;\r\n"
        b"ORG:Initech\r\nX-ABShowAs:COMPANY\r\nEND:VCARD\r\n")
    (vdir / "umbrella.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Umbrella\r\nN:;;;;\r\n"
        b"ORG:Umbrella\r\nX-ABShowAs:COMPANY\r\nTEL:+1 555 0199\r\nEND:VCARD\r\n")
    sync(laptop)
    cards = {path.name: path.read_bytes().decode() for path in vdir.glob("*.vcf")}
    assert sorted(line for text in cards.values() for line in text.splitlines()
                  if line.startswith("ORG:")) == ["ORG:Globex", "ORG:Initech", "ORG:Umbrella"]
    assert "X-CRMCLI-INDUSTRY:pharma" in cards["umbrella.vcf"]
    assert sorted(firms(laptop)) == ["Globex", "Initech", "Umbrella"]
    assert sync(laptop) == ""


def test_a_field_set_in_crm_alone_is_pushed(vdir, laptop, acme):
    laptop.ok("company", "edit", "Acme", "--set", "segment=enterprise")
    assert sync(laptop) == "crm sync: contacts: pushed 1 changed\n"
    assert "X-CRMCLI-FIELD;X-NAME=segment:enterprise" in (
        company_card(vdir, "Acme").read_bytes().decode())


# ------------------------------------------------------------------ through Radicale


def test_two_books_and_a_phone_agree_on_companies_through_radicale(radicale_fresh,
                                                                    tmp_path):
    clock = Clock()
    book = radicale_fresh.addressbook()
    phone = Phone(book, clock)
    laptop, desktop = (Device(name, tmp_path / name, clock) for name in ("laptop", "desktop"))
    for device in (laptop, desktop):
        device.setup(radicale_fresh, book)
    laptop.ok("company", "add", "Acme", "--industry", "logistics", "-t", "customer")
    laptop.add("Ana Lima", "--company", "Acme")
    for device in (laptop, desktop, laptop):
        device.ok("sync")
    uid = laptop.ok("company", "show", "Acme", "--json").json()["uid"]
    phone.edit(uid, fn="Acme Corp", org=[["Acme Corp"]])  # renamed on the phone
    desktop.ok("company", "edit", "Acme", "--size", "200")  # edited on the second computer
    phone.create("globex.vcf", "phone-globex", "Globex", "ORG:Globex", "X-ABShowAs:COMPANY")
    for _ in range(2):
        for device in (laptop, desktop):
            device.ok("sync")
    for device in (laptop, desktop):
        assert (device.ok("sync").stderr, device.ok("list", "--json").json()[0]["company"]) == (
            "", "Acme Corp")
        found = {c["name"]: (c["size"], c["industry"])
                 for c in device.ok("company", "list", "--json").json()}
        assert found == {"Acme Corp": ("200", "logistics"), "Globex": (None, None)}
    cards = book.items().values()
    assert sum("X-ABSHOWAS:COMPANY" in text.upper() for text in cards) == 2
    assert any("ORG:Acme Corp" in text and "X-CRMCLI-SIZE:200" in text for text in cards)


@pytest.mark.parametrize("spelt", ["acme-on-the-phone".format, str.upper])
def test_a_company_card_given_another_uid_gives_the_company_that_uid(vdir, laptop, desktop,
                                                                     acme, spelt):
    """Its old UID was written back over the file's with the next change, which a server
    refuses (409): the company takes the card's new UID, and stays the same company."""
    path = company_card(vdir, "Acme")
    uid = firms(laptop)["Acme"]["uid"]
    edit_card(path, f"UID:{uid}", f"UID:{spelt(uid)}")
    assert sync(laptop, env=LATER) == ""
    acme = firms(laptop)["Acme"]
    assert (acme["id"], acme["uid"], acme["people"]) == (1, spelt(uid), 1)
    assert laptop.ok("company", "list", "--trash", "--json").json() == []
    laptop.ok("company", "edit", "acme", "--industry", "freight")
    assert sync(laptop, env=LATER) == "crm sync: contacts: pushed 1 changed\n"
    text = path.read_bytes().decode()
    assert f"UID:{spelt(uid)}\r\n" in text and "X-CRMCLI-INDUSTRY:freight" in text
    settle(laptop, desktop, env=LATER)
    assert (firms(desktop)["Acme"]["uid"], firms(desktop)["Acme"]["industry"]) == (
        spelt(uid), "freight")


def test_an_undone_sync_that_gave_a_company_its_cards_new_uid_never_writes_the_old_one(
        vdir, laptop, desktop, acme):
    """The undo brings the old UID back into the book; the next push wrote it over the file
    (a UID changed in place, which a server refuses)."""
    path = company_card(vdir, "Acme")
    uid = firms(laptop)["Acme"]["uid"]
    edit_card(path, f"UID:{uid}", "UID:acme-on-the-phone")
    sync(laptop, env=LATER)
    laptop.ok("undo", env=LATER)
    assert firms(laptop)["Acme"]["uid"] == uid
    laptop.ok("company", "edit", "acme", "--industry", "freight", env=LATER)
    assert sync(laptop, env=LATER) == "crm sync: contacts: pushed 1 changed\n"
    text = path.read_bytes().decode()
    assert "UID:acme-on-the-phone\r\n" in text and "X-CRMCLI-INDUSTRY:freight" in text
    assert firms(laptop)["Acme"]["uid"] == "acme-on-the-phone"
    assert sync(laptop, env=LATER) == ""
