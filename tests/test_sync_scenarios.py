"""End to end: two books (laptop, desktop) and a phone editing the server, through a real
Radicale and the real vdirsyncer driven by the config `crm sync setup` writes.

One world per module keeps it fast: every scenario makes its edits in the same phase, then each
book syncs twice (laptop, desktop, laptop, desktop); after that all three must agree, and a
third round must move nothing. Each test checks one scenario's outcome on the server (GET), on
both books, and in what `crm sync` reported."""

from __future__ import annotations

from dataclasses import dataclass, field

import dav
import pytest
from syncworld import Clock, Device, Phone, server_contacts

ROUNDS = 2
FILLERS = 6


@dataclass
class World:
    book: dav.Collection
    phone: Phone
    laptop: Device
    desktop: Device
    uids: dict[str, str] = field(default_factory=dict)  # scenario's contact -> UID
    rounds: dict[str, list] = field(default_factory=dict)  # phase -> [(device, Result)]
    fixed_point: dict[str, list] = field(default_factory=dict)
    agreement: dict[str, tuple] = field(default_factory=dict)  # phase -> (server, lap, desk)

    @property
    def devices(self) -> tuple[Device, Device]:
        return self.laptop, self.desktop

    def sync_rounds(self, phase: str) -> None:
        self.rounds[phase] = [(device.name, device.sync())
                              for _ in range(ROUNDS) for device in self.devices]
        self.agreement[phase] = (server_contacts(self.book), self.laptop.contacts(),
                                 self.desktop.contacts())
        etags = self.book.list()
        self.fixed_point[phase] = [(device.name, device.sync()) for device in self.devices]
        self.fixed_point[phase].append(("server etags unchanged", etags == self.book.list()))

    def uid(self, device: Device, contact_id: int) -> str:
        return device.ok("show", str(contact_id), "--json").json()["uid"]


def _build(server: dav.Radicale, tmp_path_factory) -> World:
    clock = Clock()
    book = server.addressbook()
    world = World(book, Phone(book, clock),
                  Device("laptop", tmp_path_factory.mktemp("laptop"), clock),
                  Device("desktop", tmp_path_factory.mktemp("desktop"), clock))
    for device in world.devices:
        device.setup(server, book)
    _create(world)
    world.sync_rounds("create")
    _edit(world)
    world.sync_rounds("edit")
    return world


def _create(world: World) -> None:
    laptop, desktop, phone, uids = world.laptop, world.desktop, world.phone, world.uids
    for key, name, extra in (
            ("laptop_new", "Ana Lima", ["--email", "ana@lima.pt", "--title", "CEO"]),
            ("edit_laptop", "Bruno Alves", ["--email", "bruno@alves.pt"]),
            ("same_field", "Carla Dias", ["--title", "Buyer"]),
            ("same_field_books", "Duarte Reis", ["--title", "Intern"]),
            ("rm_laptop", "Eva Costa", []),
            ("phone_deletes_edited", "Filipa Nunes", ["--title", "CFO"]),
            ("merge_keep", "Gil Sousa", ["--email", "gil@sousa.pt"]),
            ("merge_other", "Gil Sousa Jr", ["--email", "gil@work.pt", "--tag", "vip"])):
        uids[key] = world.uid(laptop, laptop.add(name, *extra))
    for key, name, extra in (("desktop_new", "Hugo Pires", ["--phone", "+351 912 345 678"]),
                             ("edit_desktop", "Inês Mota", []),
                             ("rm_desktop", "João Faria", []),
                             ("rm_laptop_phone_edits", "Luísa Gama", ["--title", "Manager"])):
        uids[key] = world.uid(desktop, desktop.add(name, *extra))
    for number in range(FILLERS):  # so the deletions stay under the guard's 20%
        laptop.add(f"Filler {number}")
    phone.create("0b9f6c2e-4f7a-4d53-9e4b-7a1c2d3e4f50.vcf", "phone-new-1", "Marta Rocha",
                 "EMAIL;TYPE=INTERNET:marta@rocha.pt", "TEL;TYPE=CELL:+351 913 000 111")
    phone.create("Nuno Phone.vcf", "nuno-from-phone", "Nuno Silva", "TITLE:Sales")
    phone.create("edit-phone.vcf", "edit-phone", "Olga Paiva", "TEL:+351 914 000 222")
    phone.create("rm-phone.vcf", "rm-phone", "Paulo Viana")
    uids.update(phone_new="phone-new-1", plain_name="nuno-from-phone", edit_phone="edit-phone",
                rm_phone="rm-phone")


def _edit(world: World) -> None:
    """Every scenario's edits, all before the next sync."""
    laptop, desktop, phone, uids = world.laptop, world.desktop, world.phone, world.uids
    laptop.ok("edit", "Bruno Alves", "--title", "CTO")
    desktop.ok("edit", "Inês Mota", "--email", "ines@mota.pt", "--tag", "lead")
    phone.edit(uids["edit_phone"], tel=["+351 914 000 222", "+351 915 000 333"])
    laptop.ok("edit", "Carla Dias", "--title", "Head of Buying")  # earlier ...
    phone.edit(uids["same_field"], title="Chief Buyer")  # ... than the phone's change
    laptop.ok("edit", "Duarte Reis", "--title", "Analyst")
    desktop.ok("edit", "Duarte Reis", "--title", "Senior Analyst")  # the newer
    laptop.ok("rm", "Eva Costa", "--yes")
    desktop.ok("rm", "João Faria", "--yes")
    phone.delete(uids["rm_phone"])
    laptop.ok("edit", "Filipa Nunes", "--title", "CEO")
    phone.delete(uids["phone_deletes_edited"])
    laptop.ok("rm", "Luísa Gama", "--yes")
    phone.edit(uids["rm_laptop_phone_edits"], title="Director")
    laptop.ok("merge", "Gil Sousa", "Gil Sousa Jr", "--yes")
    laptop.ok("edit", "Nuno Silva", "--email", "nuno@silva.pt")
    phone.edit(uids["plain_name"], title="Head of Sales")


@pytest.fixture(scope="module")
def world(radicale, tmp_path_factory) -> World:
    return _build(radicale, tmp_path_factory)


def _agreed(world: World, phase: str) -> dict[str, tuple]:
    server, laptop, desktop = world.agreement[phase]
    assert laptop == server, "laptop and server differ"
    assert desktop == server, "desktop and server differ"
    return server


def _fields(world: World, key: str, phase: str = "edit") -> tuple | None:
    return _agreed(world, phase).get(world.uids[key])


@pytest.mark.parametrize("phase", ["create", "edit"])
def test_every_sync_succeeds_and_two_rounds_bring_all_three_to_the_same_content(world, phase):
    for device, result in world.rounds[phase]:
        assert result.exit_code == 0, (device, result.stderr)
    assert len(_agreed(world, phase)) == {"create": 16, "edit": 12}[phase] + FILLERS


@pytest.mark.parametrize("phase", ["create", "edit"])
def test_a_third_round_moves_nothing(world, phase):
    *runs, (_, etags_unchanged) = world.fixed_point[phase]
    for device, result in runs:
        assert (result.exit_code, result.stderr) == (0, ""), device
    assert etags_unchanged


def test_created_on_each_side_reaches_all_three(world):
    name, title, emails, *_ = _fields(world, "laptop_new", "create")
    assert (name, title, emails) == ("Ana Lima", "CEO", {"ana@lima.pt"})
    assert _fields(world, "desktop_new", "create")[3] == {"351912345678"}
    assert _fields(world, "phone_new", "create")[2:4] == ({"marta@rocha.pt"}, {"351913000111"})


def test_a_card_made_on_the_phone_keeps_its_file_name_and_is_not_duplicated(world):
    assert "Nuno Phone.vcf" in world.book.list()
    name, title, emails, *_ = _fields(world, "plain_name")
    assert (name, title, emails) == ("Nuno Silva", "Head of Sales", {"nuno@silva.pt"})
    names = [fields[0] for fields in _agreed(world, "edit").values()]
    assert len(names) == len(set(names))


def test_an_edit_on_each_side_reaches_all_three(world):
    assert _fields(world, "edit_laptop")[1] == "CTO"
    assert _fields(world, "edit_desktop")[2] == {"ines@mota.pt"}
    assert _fields(world, "edit_desktop")[4] == {"lead"}
    assert _fields(world, "edit_phone")[3] == {"351914000222", "351915000333"}


def test_the_same_field_changed_on_two_sides_takes_the_newer_and_reports_the_other(world):
    assert _fields(world, "same_field")[1] == "Chief Buyer"  # the phone's, made later
    assert _fields(world, "same_field_books")[1] == "Senior Analyst"  # the desktop's, later
    reported = world.laptop.ok("sync", "conflicts", "--json").json()
    assert any(row["lost"] == "Head of Buying" for row in reported), reported


def test_deleted_on_each_side_is_gone_everywhere(world):
    for key in ("rm_laptop", "rm_desktop", "rm_phone"):
        assert _fields(world, key) is None, key
    trash = world.laptop.ok("trash", "--json").json()
    assert {"Eva Costa", "Paulo Viana"} <= {row["name"] for row in trash}


def test_deleted_on_the_phone_while_edited_in_crm_comes_back(world):
    assert _fields(world, "phone_deletes_edited")[1] == "CEO"


def test_trashed_in_crm_while_edited_on_the_phone_is_restored(world):
    assert _fields(world, "rm_laptop_phone_edits")[1] == "Director"


def test_merging_two_contacts_deletes_the_losers_item(world):
    assert _fields(world, "merge_other") is None
    name, _, emails, _, tags = _fields(world, "merge_keep")
    assert (name, emails, tags) == ("Gil Sousa", {"gil@sousa.pt", "gil@work.pt"}, {"vip"})


def test_vdirsyncer_alone_finds_nothing_to_do_afterwards(world):
    for device in world.devices:
        run = device.vdirsyncer("sync")
        assert run.returncode == 0, run.stderr
        assert "Copying" not in run.stderr and "Deleting" not in run.stderr


def test_with_htpasswd_authentication_two_books_and_a_phone_agree(radicale_auth,
                                                                    tmp_path_factory):
    clock = Clock()
    book = radicale_auth.addressbook()
    phone = Phone(book, clock)
    laptop = Device("laptop", tmp_path_factory.mktemp("auth-laptop"), clock)
    desktop = Device("desktop", tmp_path_factory.mktemp("auth-desktop"), clock)
    for device in (laptop, desktop):
        device.setup(radicale_auth, book)
    laptop.add("Ana Lima", "--email", "ana@lima.pt")
    desktop.add("Bruno Alves", "--title", "CTO")
    phone.create("from-phone.vcf", "phone-1", "Carla Dias", "TITLE:Buyer")
    for _ in range(ROUNDS):
        for device in (laptop, desktop):
            assert device.sync().exit_code == 0, device.runs[-1][1].stderr
    server = server_contacts(book)
    assert laptop.contacts() == desktop.contacts() == server
    assert sorted(fields[0] for fields in server.values()) == [
        "Ana Lima", "Bruno Alves", "Carla Dias"]
    for device in (laptop, desktop):
        assert (device.sync().exit_code, device.runs[-1][1].stderr) == (0, "")


def test_a_uuid_the_phone_writes_in_capitals_stays_the_same_contact(radicale, addressbook,
                                                                    tmp_path_factory):
    """The server refuses the UID changed in place (409), so the phone deletes the card and
    makes it again with the UUID in capitals. It was a new contact, the old one (with its
    notes) in the trash; it is the same contact, which takes the phone's spelling, so that
    crm's next change goes into that item without a 409."""
    clock = Clock()
    phone = Phone(addressbook, clock)
    laptop = Device("laptop", tmp_path_factory.mktemp("case-laptop"), clock)
    laptop.setup(radicale, addressbook)
    ana = laptop.add("Ana Lima", "--title", "COO")
    laptop.ok("note", "ana", "Met at the fair")
    assert laptop.sync().exit_code == 0
    uid = laptop.ok("show", str(ana), "--json").json()["uid"]
    href = phone.href(uid)
    card = addressbook.get(href).replace(uid, uid.upper())
    assert addressbook.put(href, card, etag=addressbook.list()[href]).status == 409
    addressbook.delete(href)
    assert addressbook.put(href, card).status == 201
    assert laptop.sync().exit_code == 0
    assert set(laptop.contacts()) == {uid.upper()}
    assert laptop.ok("trash", "--json").json() == []
    assert [n["contact_id"] for n in laptop.ok("notes", "--json").json()] == [ana]
    laptop.ok("edit", "ana", "--title", "CEO")
    assert (laptop.sync().exit_code, laptop.runs[-1][1].stderr) == (
        0, "crm sync: contacts: pushed 1 changed\n")
    assert {uid: fields[:2] for uid, fields in server_contacts(addressbook).items()} == {
        uid.upper(): ("Ana Lima", "CEO")}
    assert (laptop.sync().exit_code, laptop.runs[-1][1].stderr) == (0, "")


def test_a_card_given_a_new_uid_is_a_new_card_everywhere(radicale, addressbook,
                                                          tmp_path_factory):
    """A card's UID is its identity. The server refuses a new UID in the same item (409), so
    a phone deletes the card and makes another; khard or a script may change it in the vdir,
    which vdirsyncer sends on as the same. Either way the contact is a new one, the old one in
    the trash, and crm never writes the old UID back."""
    clock = Clock()
    phone = Phone(addressbook, clock)
    laptop = Device("laptop", tmp_path_factory.mktemp("uid-laptop"), clock)
    laptop.setup(radicale, addressbook)
    ana, bo = laptop.add("Ana Lima", "--title", "COO"), laptop.add("Bo Chen", "--title", "CTO")
    laptop.ok("note", "ana", "Met at the fair")
    assert laptop.sync().exit_code == 0
    old = {laptop.ok("show", str(who), "--json").json()["uid"]: new
           for who, new in ((ana, "ana-new"), (bo, "bo-new"))}
    (ana_uid, bo_uid) = old
    href = phone.href(ana_uid)
    assert addressbook.put(href, addressbook.get(href).replace(ana_uid, "ana-new"),
                           etag=addressbook.list()[href]).status == 409
    card = addressbook.get(href).replace(ana_uid, "ana-new")
    addressbook.delete(href)
    assert addressbook.put(href, card).status == 201
    (file,) = [path for path in laptop.home.rglob("*.vcf") if bo_uid in path.read_text()]
    file.write_bytes(file.read_bytes().replace(bo_uid.encode(), b"bo-new"))  # as khard would
    assert laptop.sync().exit_code == 0
    assert {uid: fields[:2] for uid, fields in server_contacts(addressbook).items()} == {
        "ana-new": ("Ana Lima", "COO"), "bo-new": ("Bo Chen", "CTO")}
    assert set(laptop.contacts()) == {"ana-new", "bo-new"}
    trash = laptop.ok("trash", "--json").json()
    assert sorted(c["uid"] for c in trash) == sorted(old)
    new_ana = laptop.ok("show", "ana", "--json").json()["id"]
    assert [(n["contact_id"], n["body"]) for n in laptop.ok("notes", "--json").json()] == [
        (new_ana, "Met at the fair")]  # the card's NOTE
    laptop.ok("edit", "ana", "--title", "CEO")
    laptop.ok("edit", "bo", "--title", "CFO")
    assert laptop.sync().exit_code == 0
    assert {uid: fields[:2] for uid, fields in server_contacts(addressbook).items()} == {
        "ana-new": ("Ana Lima", "CEO"), "bo-new": ("Bo Chen", "CFO")}
    assert (laptop.sync().exit_code, laptop.runs[-1][1].stderr) == (0, "")
