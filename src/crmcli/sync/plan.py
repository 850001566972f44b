"""Deciding what a sync moves: each item of a vdir compared with its base row and its contact
(or, for a company card, its company), without writing anything (``--dry-run`` and ``crm sync
status`` stop here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from sqlite3 import Connection

from crmcli import companies, contacts
from crmcli.errors import InvalidInput
from crmcli.models import Company, Contact
from crmcli.normalize import fold, uid_key
from crmcli.sync import base as bases
from crmcli.sync import cards, props, vdir
from crmcli.sync.base import Base
from crmcli.sync.vdir import FileState

EXTENSION = ".vcf"
BATCH = 500

# What a step does: the side written and how.
KINDS = {
    "pull-new": ("pulled", "new"), "pull": ("pulled", "changed"),
    "pull-delete": ("pulled", "deleted"), "restore": ("pulled", "changed"),
    "push-new": ("pushed", "new"), "push": ("pushed", "changed"),
    "push-delete": ("pushed", "deleted"), "reupload": ("pushed", "new"),
    "keep": ("pushed", "new"),
    "merge": ("merged", "changed"), "link": ("merged", "changed"),
    "absorb": ("merged", "changed"),
    "refresh": (None, None), "drop": (None, None),
    "retry": (None, None), "left-alone": (None, None),  # a calendar file that is no row
}
# A company card takes the same steps, as "company-" + the contact's step.
KINDS |= {f"company-{kind}": side for kind, side in KINDS.items()
          if kind not in ("link", "absorb", "keep")}


@dataclass
class Step:
    kind: str
    href: str
    base: Base | None = None
    card: cards.PhoneCard | None = None
    phone: props.Props | None = None  # the file's owned properties, when it was read
    state: FileState | None = None
    contact: Contact | None = None
    row_id: int | None = None  # the book's row a new item is made from
    company: Company | None = None  # the company as crm holds it, when crm changed it
    new_href: str | None = None  # where the contact goes if uploaded again: its file holds
    # another card (a new UID)

    @property
    def deletes(self) -> bool:
        return self.kind.removeprefix("company-") in ("pull-delete", "push-delete")


@dataclass
class Plan:
    folder: Path
    size: int = 0  # items the collection held at the last sync
    steps: list[Step] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (href, reason)
    had_problems: bool = False  # the last run left unresolved problems to clear or renew
    reports: list[str] = field(default_factory=list)  # decided before applying (by a hook)

    def moving(self) -> list[Step]:
        return [step for step in self.steps if KINDS[step.kind][0]]


@dataclass
class Outcome:
    counts: Counter = field(default_factory=Counter)  # ("pulled", "new") -> n
    conflicts: int = 0
    reports: list[str] = field(default_factory=list)  # restored, re-uploaded
    problems: list[tuple[str, str]] = field(default_factory=list)
    wrote_files: bool = False


def make(db: Connection, folder: Path, region: str | None) -> Plan:
    plan = Plan(folder)
    files = vdir.listing(folder, EXTENSION)
    known = {item.href: item for item in bases.load(db, str(folder), "contacts")}
    plan.size = len(known)
    plan.had_problems = bases.has_unresolved(db, "contacts")
    rows = _contact_rows(db)
    synced_ids = {item.row_id for item in known.values()}
    changed_in_crm = _crm_changes(db, known.values(), rows, region)
    renewed = set()  # files that hold another card now
    for item in known.values():
        row, crm = rows.get(item.row_id), changed_in_crm.get(item.row_id)
        if _compare(plan, item, files.get(item.href), row, crm, region):
            renewed.add(item.href)
            _replaced(plan, item, row, crm, files)
    taken_uids = {uid_key(item.uid) for item in known.values()
                  if item.uid and item.href in files and item.href not in renewed}
    firms = {item.href: item for item in bases.load(db, str(folder), "companies")}
    plan.size += len(firms)
    firm_uids = _companies_in_files(db, plan, firms, files, region)
    firm_names: set[str] = set()  # of new cards, matched by name when not by UID
    for href in sorted(set(files) - set(known) - set(firms) | renewed):
        step = _new_file(plan, href, region)
        if step and step.kind == "company-pull-new":
            if step.card.company.uid:
                firm_uids.add(step.card.company.uid)
            firm_names.add(fold(step.card.company.name))
            continue
        uid = step.card.contact.uid if step else None
        if uid and uid_key(uid) in taken_uids:
            step.kind = "absorb"  # a second file with the UID of another: phones do that
        elif uid:
            taken_uids.add(uid_key(uid))
    for row_id, (_, deleted, uid) in rows.items():
        if row_id not in synced_ids and not deleted and not (uid and uid_key(uid) in taken_uids):
            plan.steps.append(Step("push-new", _file_name(row_id, uid, files), row_id=row_id))
    _new_companies(db, plan, firms, files, firm_uids, firm_names)
    # Companies first: a company renamed or made on the phone is in the book before the
    # cards of its people name it.
    plan.steps.sort(key=lambda step: not step.kind.startswith("company-"))
    return plan


# The row version (raised by a trigger on every write, m012) of the contact and of its company,
# whose name is the card's ORG: when it is what the base row holds, crm changed nothing there.
# It also moves on writes sync does not own (a cadence); the owned properties then decide.
ROW_VERSION = "c.version || '.' || coalesce(co.version, 0)"


def row_version(db: Connection, contact_id: int) -> str | None:
    row = db.execute(f"SELECT {ROW_VERSION} FROM contacts c LEFT JOIN companies co"
                     " ON co.id = c.company_id WHERE c.id = ?", [contact_id]).fetchone()
    return row[0] if row else None


def _contact_rows(db: Connection) -> dict[int, tuple[str, bool, str | None]]:
    """Each contact's row version, whether it is in the trash, and its UID."""
    return {row[0]: (row[1], row[2] is not None, row[3]) for row in db.execute(
        f"SELECT c.id, {ROW_VERSION}, c.deleted_at, c.uid FROM contacts c"
        " LEFT JOIN companies co ON co.id = c.company_id")}


def _crm_changes(db: Connection, known, rows, region: str | None) -> dict[int, Contact | None]:
    """The contacts changed in crm since their base (None: unchanged). The row version
    answers at once; the owned properties decide where it moved."""
    suspects = {item.row_id: item for item in known
                if item.row_id in rows and not rows[item.row_id][1]
                and item.row_version != rows[item.row_id][0]}
    changed: dict[int, Contact | None] = {}
    for batch in _batches(list(suspects)):
        for contact in cards.with_opt_out(db, contacts.load_many(db, batch)):
            same = props.of_contact(contact, region) == suspects[contact.id].props
            changed[contact.id] = None if same else contact
    return changed


def _compare(plan: Plan, item: Base, state: FileState | None, row, crm,
             region: str | None, prefix: str = "") -> bool:
    """The step of an item agreed on before. ``row``: the book row's (version, trashed) or
    None when it is gone; ``crm``: the row when crm changed what sync owns; ``prefix``:
    "company-" for a company card. True, with no step, when the file now holds a person's
    card with another UID: another card (see :func:`_replaced`)."""
    step = Step("drop", item.href, base=item, contact=crm)
    if prefix:
        step.contact, step.company = None, crm
    phone_changed = False
    if state is not None and state != item.state:
        if not _read(plan, step, region, as_company=bool(prefix)):
            return False
        uid = step.card.contact.uid
        if not prefix and item.uid and uid and uid_key(uid) != uid_key(item.uid):
            return True  # the same UID written another way is the same card
        phone_changed = props.digest(step.phone) != item.hash
        if not phone_changed:
            step.kind = "refresh"
    gone_in_crm, trashed = row is None, row is not None and row[1]
    if state is None:  # deleted on the phone
        step.kind = "drop" if gone_in_crm or trashed else ("reupload" if crm else "pull-delete")
    elif gone_in_crm:
        step.kind = "push-delete"
    elif trashed:
        step.kind = "restore" if phone_changed else "push-delete"
    elif phone_changed:
        step.kind = "merge" if crm else "pull"
    elif crm:
        step.kind = "push"
    elif step.kind != "refresh":
        if row[0] == item.row_version:
            return False
        step.kind = "refresh"  # written in crm without changing what sync owns
    step.kind = prefix + step.kind
    plan.steps.append(step)
    return False


def _replaced(plan: Plan, item: Base, row, crm, files) -> None:
    """A file whose card now has another UID holds another card: a card's UID is its
    identity, for vdirsyncer (which deletes the one item on the server and makes the other),
    khard and phones (a CardDAV server refuses a new UID in the same item). The contact the
    file held is deleted on the phone, as if its file had gone (changed in crm meanwhile, it
    is uploaded again, to a file of its own); the file is then read as a new card."""
    kind = "drop" if row is None or row[1] else ("reupload" if crm else "pull-delete")
    plan.steps.append(Step(kind, item.href, base=item, contact=crm,
                           new_href=_file_name(item.row_id, item.uid, files)))
    plan.reports.append(f"{item.href}: its card has another UID now: a new card; the card of "
                        f"contact {item.row_id} it held counts as deleted on the phone")


def _new_file(plan: Plan, href: str, region: str | None) -> Step | None:
    step = Step("pull-new", href)
    if not _read(plan, step, region):
        return None
    if step.card.company is not None:
        step.kind = "company-pull-new"
    plan.steps.append(step)
    return step


# ------------------------------------------------------------------------ company cards

# A company's row version, whether it is in the trash, its UID, and whether it belongs on the
# phone (as in a whole-book export: more than a name its people give).
_COMPANY_ROWS = ("SELECT co.id, co.version, co.deleted_at IS NOT NULL, co.uid,"
                 " {exported}, co.name_folded FROM companies co")


def _company_rows(db: Connection) -> dict[int, tuple[str, bool, str | None, bool, str]]:
    from crmcli.interchange.company_cards import EXPORTED

    return {row[0]: (str(row[1]), bool(row[2]), row[3], bool(row[4]), row[5])
            for row in db.execute(_COMPANY_ROWS.format(exported=EXPORTED))}


def _companies_in_files(db: Connection, plan: Plan, firms: dict[str, Base], files: dict,
                        region: str | None) -> set[str]:
    """The steps of the company cards agreed on before, compared three ways like contacts;
    returns the UIDs they stand for."""
    if not firms:
        return set()
    rows = _company_rows(db)
    suspects = [item for item in firms.values() if item.row_id in rows
                and not rows[item.row_id][1] and item.row_version != rows[item.row_id][0]]
    held = {company.id: company for company in
            companies.load_many(db, [item.row_id for item in suspects])}
    for item in firms.values():
        company = held.get(item.row_id)
        if company is not None and props.of_company(company, region) == item.props:
            company = None
        _compare(plan, item, files.get(item.href), rows.get(item.row_id), company, region,
                 prefix="company-")
    return {item.uid for item in firms.values() if item.uid and item.href in files}


def _new_companies(db: Connection, plan: Plan, firms: dict[str, Base], files: dict,
                   uids: set[str], folded_names: set[str]) -> None:
    """A company that belongs on the phone and has no card there yet gets one (unless a card
    on the phone has its UID, or a new one, taken in this run, its name)."""
    synced = {item.row_id for item in firms.values()}
    names = set(files) | {step.href for step in plan.steps}
    for row_id, (_, trashed, uid, exported, folded) in _company_rows(db).items():
        taken = uid in uids or folded in folded_names
        if exported and not trashed and row_id not in synced and not taken:
            href = _file_name(row_id, uid, names)
            names.add(href)
            plan.steps.append(Step("company-push-new", href, row_id=row_id))


def _read(plan: Plan, step: Step, region: str | None, as_company: bool | None = None) -> bool:
    """Read and parse the step's file; a file that cannot be read is a problem, skipped.
    ``as_company``: read it as a company card (True) or a person's (False) whatever it says
    it is; None: as it says."""
    try:
        read = vdir.read(plan.folder, step.href)
        if read is None:
            raise InvalidInput("vanished while being read")
        step.card = cards.parse(read[0])
    except (InvalidInput, UnicodeError) as exc:
        plan.problems.append((step.href, str(exc)))
        return False
    step.state = read[1]
    if as_company and step.card.company is None:
        step.card = cards.as_company(step.card)
    elif as_company is False:
        step.card.company = None
    if step.card.company is not None:
        step.phone = props.of_company(step.card.company, region)
    else:
        step.phone = props.of_contact(step.card.contact, region)
    return True


def _file_name(row_id: int, uid: str | None, files) -> str:
    from crmcli.interchange.exporter import vdir_file_name

    name = vdir_file_name(Contact(name="", id=row_id, uid=uid))
    return name if name not in files else f"{row_id}-{name}"


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]
