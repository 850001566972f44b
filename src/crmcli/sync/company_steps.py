"""Company cards in the contacts vdir: each step of sync/plan.py for a company, carried out the
way sync/apply.py does it for a contact (mixed into its Applier). A company travels as a
company card (``X-ABShowAs:COMPANY``, 4.0 ``KIND:org``); its owned properties are its name,
industry, size, emails, phones, addresses, websites, tags and custom fields, merged three-way
(the losing value of a conflict goes to a company note and ``crm sync conflicts``)."""

from __future__ import annotations

from crmcli import companies
from crmcli import fields as custom_fields
from crmcli.interchange.company_cards import import_one, save_card
from crmcli.interchange.stored_cards import StoredCard
from crmcli.models import Company
from crmcli.sync import base as bases
from crmcli.sync import cards, props, vdir
from crmcli.sync.base import Base
from crmcli.sync.plan import Step

COLLECTION = "companies"


class CompanySteps:
    """The ``_company_*`` steps of apply.Applier (which gives db, plan, folder, version,
    region, stamp, outcome, files_in_batch and _phone_time)."""

    def _company_pull_new(self, step: Step) -> None:
        """A card new to this book: a company (or added to the one of its UID or name)."""
        card = step.card
        existing = self._company_named(card.company)
        if existing is not None and existing.deleted_at:
            companies.restore(self.db, existing.id)
            self.outcome.reports.append(f"{step.href}: company {existing.name} restored in crm"
                                        " (on the phone as a new card)")
        import_one(self.db, card.company, card.notes, StoredCard(card.data, card.original),
                   skip_existing=False)
        self._company_settle(step, self._company_named(card.company))

    def _company_merge(self, step: Step) -> None:
        """Changed on the phone (and in crm too, when it is a merge)."""
        company = companies.get(self.db, step.base.row_id, deleted=None)
        self._company_uid(step.card.company.uid, company)
        phone_wins = self._phone_time(step, step.base) >= (company.updated_at or "")
        merged, clashes = props.merge(step.base.props, step.phone,
                                      props.of_company(company, self.region), phone_wins,
                                      props.COMPANY_SINGLES)
        for clash in clashes:
            self._record(step.href, company.id, clash, COLLECTION, companies.add_note)
        self._write_company(company, merged)
        save_card(self.db, company.id, StoredCard(step.card.data, step.card.original))
        self._company_settle(step, companies.get(self.db, company.id, deleted=None))

    _company_pull = _company_merge

    def _company_restore(self, step: Step) -> None:
        companies.restore(self.db, step.base.row_id)
        self.outcome.reports.append(f"{step.href}: company restored in crm (changed on the "
                                    "phone after it was deleted in crm)")
        self._company_merge(step)

    def _company_pull_delete(self, step: Step) -> None:
        companies.trash(self.db, step.base.row_id)
        bases.forget(self.db, self.folder, step.href)

    def _company_push_new(self, step: Step) -> None:
        self._company_push_file(step.href, step.row_id)

    def _company_push(self, step: Step) -> None:
        # The file's UID, though an undo of the sync that took it brought the old one back.
        self._company_uid(step.base.uid, companies.get(self.db, step.base.row_id, deleted=None))
        self._company_push_file(step.href, step.base.row_id)

    def _company_reupload(self, step: Step) -> None:
        self.outcome.reports.append(f"{step.href}: company card uploaded again (deleted on "
                                    "the phone after it was changed in crm)")
        self._company_push_file(step.href, step.base.row_id)

    def _company_push_delete(self, step: Step) -> None:
        vdir.remove(self.plan.folder, step.href)
        bases.forget(self.db, self.folder, step.href)
        self.outcome.wrote_files = self.files_in_batch = True

    def _company_drop(self, step: Step) -> None:
        bases.forget(self.db, self.folder, step.href)

    def _company_refresh(self, step: Step) -> None:
        item = step.base
        if step.card:
            item.uid = self._company_uid(step.card.company.uid,
                                         companies.get(self.db, item.row_id, deleted=None))
        item.state = step.state or item.state
        item.row_version = str(companies.get(self.db, item.row_id, deleted=None).version)
        bases.save(self.db, self.folder, COLLECTION, item)

    # ------------------------------------------------------------------ shared

    def _company_uid(self, uid: str | None, company: Company) -> str | None:
        """``uid``, the UID the phone gave the company's card, becomes the company's (unless another
        company holds it): the card in the same file is the same company (crm knows company
        cards by UID, else by name; its people, notes and deals stay with it), and crm never
        writes the old UID back over the new one, which a server refuses. Returns the UID."""
        if uid and uid != company.uid and companies.set_uid(self.db, company.id, uid):
            company.uid = uid
        return company.uid

    def _company_named(self, company: Company) -> Company | None:
        return ((companies.find_by_uid(self.db, company.uid) if company.uid else None)
                or companies.find(self.db, company.name))

    def _write_company(self, company: Company, merged: props.Props) -> None:
        """Give the company the merged properties (custom fields the book lacks are created
        as text, as an import does)."""
        wanted = props.apply_company(company, merged)
        companies.update(self.db, wanted)
        current = {name: custom_fields.as_text(value, name)
                   for name, value in company.fields.items()}
        for name in wanted.fields:
            if custom_fields.find(self.db, name, COLLECTION) is None:
                custom_fields.define(self.db, name, "text", COLLECTION)
        changes = custom_fields.Changes(
            set={name: value for name, value in wanted.fields.items()
                 if current.get(name) != value},
            unset=[name for name in current if name not in wanted.fields])
        if not changes.is_empty():
            custom_fields.apply(self.db, company.id, changes, COLLECTION)

    def _company_settle(self, step: Step, company: Company) -> None:
        """Agree on the file as it is when it says what the book holds, else write it."""
        if props.of_company(company, self.region) == step.phone:
            self._company_save(step.href, company, step.phone, step.state)
        else:
            self._company_push_file(step.href, company.id)

    def _company_push_file(self, href: str, company_id: int) -> None:
        company = companies.get(self.db, company_id, deleted=None)
        data = cards.render_company(self.db, company, self.version)
        phone = props.of_company(cards.parse(data).company, self.region)
        with vdir.staged(self.plan.folder, href, data) as state:
            self._company_save(href, company, phone, state)
        self.outcome.wrote_files = self.files_in_batch = True

    def _company_save(self, href: str, company: Company, phone: props.Props, state) -> None:
        current = companies.get(self.db, company.id, deleted=None)
        bases.save(self.db, self.folder, COLLECTION, Base(
            href, current.uid, state, props.digest(phone),
            bases.props_text(props.of_company(current, self.region)), current.id,
            str(current.version), self.stamp))
