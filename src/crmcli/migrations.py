"""Schema history. Append-only: never edit a migration that has been released.

Each migration runs in its own transaction together with the record of it having run. A new
book is created from the schema they leave (``crmcli.schema``): after appending one, run
``python scripts/gen_schema.py``.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("crmcli")


def apply_all(db: Database) -> None:
    """Apply every pending migration to the database ``crmcli.db`` hands over (it keeps
    ``PRAGMA user_version`` in step)."""
    migrations.apply(db)


def _run(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


@migrations()
def m001_contacts_companies_tags_notes(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE companies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            name_folded TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE contacts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            name_folded TEXT NOT NULL,
            company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
            title TEXT,
            birthday TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX contacts_name_folded ON contacts(name_folded)",
        "CREATE INDEX contacts_company_id ON contacts(company_id)",
        "CREATE INDEX contacts_created_at ON contacts(created_at)",
        "CREATE INDEX contacts_updated_at ON contacts(updated_at)",
        """CREATE TABLE contact_details (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'address', 'url')),
            label TEXT NOT NULL DEFAULT '',
            value TEXT NOT NULL,
            norm TEXT NOT NULL,
            position INTEGER NOT NULL
        )""",
        "CREATE INDEX contact_details_contact ON contact_details(contact_id, kind, position)",
        "CREATE INDEX contact_details_norm ON contact_details(kind, norm)",
        """CREATE TABLE contact_tags (
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (contact_id, tag)
        )""",
        "CREATE INDEX contact_tags_tag ON contact_tags(tag)",
        """CREATE TABLE notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX notes_contact ON notes(contact_id, created_at)",
        # One row per contact (rowid = contact id): the folded text of its fields and of its
        # notes, in two columns so that either can be refreshed alone.
        "CREATE VIRTUAL TABLE contact_search USING fts5(body, notes, tokenize = 'unicode61')",
    )


@migrations()
def m002_anniversaries_and_vcards(db: Database) -> None:
    _run(
        db,
        "ALTER TABLE contacts ADD COLUMN anniversary TEXT",
        # What a contact's imported vCard held beyond crmcli's own fields (photo, unknown and
        # grouped properties, as JSON) and the card as imported, so export can write it back;
        # `rendered` is a ready vCard 3.0, valid while the contact's fingerprint is
        # `rendered_for` (it saves re-serialising unchanged cards on every export).
        """CREATE TABLE contact_cards (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
            data TEXT NOT NULL,
            original TEXT NOT NULL,
            rendered TEXT,
            rendered_for TEXT,
            updated_at TEXT NOT NULL
        )""",
    )


@migrations()
def m003_interactions_and_note_search(db: Database) -> None:
    from crmcli.normalize import fold

    _run(
        db,
        """CREATE TABLE interactions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            kind TEXT NOT NULL
                CHECK (kind IN ('call', 'email', 'meeting', 'message', 'visit', 'other')),
            body TEXT NOT NULL DEFAULT '',
            happened_at TEXT NOT NULL,
            duration_minutes INTEGER,
            outcome TEXT,
            created_at TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX interactions_contact ON interactions(contact_id, happened_at)",
        # Live interactions by time, covering the timeline's and the heatmap's scans.
        "CREATE INDEX interactions_live ON interactions(happened_at, contact_id, kind)"
        " WHERE deleted_at IS NULL",
        "CREATE INDEX notes_created ON notes(created_at)",
        # rowid = note id; the folded text of live notes, for `crm notes search`.
        "CREATE VIRTUAL TABLE note_search USING fts5(body, tokenize = 'unicode61')",
    )
    for note_id, body in db.execute(
        "SELECT id, body FROM notes WHERE deleted_at IS NULL").fetchall():
        db.execute("INSERT INTO note_search (rowid, body) VALUES (?, ?)", [note_id, fold(body)])


@migrations()
def m004_followups(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE followups (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL,
            due_at TEXT NOT NULL,
            has_time INTEGER NOT NULL DEFAULT 0,
            body TEXT NOT NULL DEFAULT '',
            rule TEXT,
            from_done INTEGER NOT NULL DEFAULT 0,
            done_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX followups_open ON followups(done_at, deleted_at, due_at)",
        "CREATE INDEX followups_contact ON followups(contact_id, due_at)",
        # Keep-in-touch: days between interactions; NULL follows the tag defaults, 0 is off.
        "ALTER TABLE contacts ADD COLUMN cadence_days INTEGER",
        # What `crm remind` has sent, so that a second run the same day sends nothing twice.
        """CREATE TABLE reminders_sent (
            item TEXT NOT NULL,
            sent_on TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (item, sent_on)
        )""",
    )


@migrations()
def m005_deals(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE deals (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            amount_minor INTEGER,
            currency TEXT NOT NULL,
            stage TEXT NOT NULL,
            probability INTEGER CHECK (probability BETWEEN 0 AND 100),
            close_on TEXT,
            lost_reason TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            closed_at TEXT,
            deleted_at TEXT
        )""",
        "CREATE INDEX deals_stage ON deals(stage, close_on)",
        "CREATE INDEX deals_contact ON deals(contact_id)",
        "CREATE INDEX deals_company ON deals(company_id)",
        """CREATE TABLE deal_stage_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            from_stage TEXT,
            to_stage TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )""",
        "CREATE INDEX deal_stage_changes_deal ON deal_stage_changes(deal_id, changed_at)",
        "CREATE INDEX deal_stage_changes_when ON deal_stage_changes(changed_at)",
    )


@migrations()
def m006_followup_days_and_zones(db: Database) -> None:
    """All-day follow-ups become calendar days (they were the local midnight of whichever
    process made them, as a UTC instant); timed ones keep their instant and gain the zone they
    are typed in (unknown for existing rows: they follow the configured zone).

    The migrating process's zone is not trusted (cron may run with TZ=UTC): the stored instant
    rounded to the nearest UTC midnight is the day for every zone from UTC-11:59 to UTC+12:00.
    A row made at UTC+12:01..+14:00 (New Zealand in summer, Tonga, Kiribati) or at UTC-12:00
    comes out a day early or late; ``crm followups edit ID --when DATE`` puts it right.
    An instant so late that the next day is past year 9999 keeps its UTC day.
    """
    _run(
        db,
        "ALTER TABLE followups RENAME COLUMN due_at TO due",
        "ALTER TABLE followups ADD COLUMN zone TEXT",
        "UPDATE followups SET due = coalesce(date(due, '+12 hours'), date(due))"
        " WHERE has_time = 0 AND date(due) IS NOT NULL",
    )


@migrations()
def m007_phone_keys(db: Database) -> None:
    """Phone numbers matched by their E.164 form (libphonenumber) where they have a country
    code: ``+44 (0)7700 900005`` was ``+4407700900005``. Numbers without one keep their
    national key; no region is assumed here (a migration may run from cron, with no locale).
    A value that is not a number (or has more than 15 digits) is kept as text, unmatched."""
    from crmcli.normalize import phone_key

    rows = db.execute("SELECT id, value FROM contact_details WHERE kind = 'phone'").fetchall()
    db.conn.executemany("UPDATE contact_details SET norm = ? WHERE id = ?",
                        [(phone_key(value), row_id) for row_id, value in rows])


@migrations()
def m008_journal(db: Database) -> None:
    """The journal of operations (what, when, from where) and the row-level changes that
    reverse them; the triggers that fill it are created by each connection (crmcli.journal)."""
    _run(
        db,
        """CREATE TABLE journal_operations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            what TEXT NOT NULL,
            source TEXT NOT NULL,
            started_at TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            undoes INTEGER
        )""",
        "CREATE INDEX journal_operations_started ON journal_operations(started_at)",
        """CREATE TABLE journal_changes (
            id INTEGER PRIMARY KEY,
            operation_id INTEGER NOT NULL REFERENCES journal_operations(id) ON DELETE CASCADE,
            table_name TEXT NOT NULL,
            row_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('insert', 'update', 'delete')),
            old TEXT
        )""",
        "CREATE INDEX journal_changes_operation ON journal_changes(operation_id)",
        "CREATE INDEX journal_changes_row ON journal_changes(table_name, row_id)",
    )


@migrations()
def m009_sync_state(db: Database) -> None:
    """What `crm sync` last agreed with each vdir: one base row per item (its file, the owned
    properties as agreed, the book row and its version), and the conflicts it resolved or
    could not. The state lives in the book, so another book pointed at the same vdir starts
    from nothing and never takes the vdir's items for deletions."""
    _run(
        db,
        """CREATE TABLE sync_items (
            folder TEXT NOT NULL,
            href TEXT NOT NULL,
            collection TEXT NOT NULL,
            uid TEXT,
            mtime_ns INTEGER NOT NULL,
            size INTEGER NOT NULL,
            hash TEXT NOT NULL,
            props TEXT NOT NULL,
            row_id INTEGER NOT NULL,
            row_version TEXT,
            synced_at TEXT NOT NULL,
            PRIMARY KEY (folder, href)
        )""",
        "CREATE INDEX sync_items_row ON sync_items(collection, row_id)",
        """CREATE TABLE sync_conflicts (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            collection TEXT NOT NULL,
            href TEXT NOT NULL,
            row_id INTEGER,
            field TEXT NOT NULL,
            kept TEXT,
            lost TEXT,
            winner TEXT,
            status TEXT NOT NULL CHECK (status IN ('resolved', 'unresolved'))
        )""",
    )


@migrations()
def m010_relationships(db: Database) -> None:
    """Relationships between people: ``contact_id``'s ``kind`` is ``related_id`` (a contact in
    the book) or ``related_name`` (a person who is not)."""
    _run(
        db,
        """CREATE TABLE relationships (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            related_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
            related_name TEXT,
            name_folded TEXT,
            created_at TEXT NOT NULL,
            CHECK ((related_id IS NULL) != (related_name IS NULL)),
            CHECK (related_id IS NULL OR related_id != contact_id)
        )""",
        "CREATE UNIQUE INDEX relationships_edge ON relationships"
        "(contact_id, kind, coalesce(related_id, 0), coalesce(name_folded, ''))",
        "CREATE INDEX relationships_related ON relationships(related_id)",
        "CREATE INDEX relationships_name ON relationships(name_folded)",
    )


@migrations()
def m011_custom_fields(db: Database) -> None:
    """Custom fields: their definitions and the values contacts and companies hold."""
    _run(
        db,
        """CREATE TABLE custom_fields (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL CHECK (entity IN ('contacts', 'companies')),
            name TEXT NOT NULL,
            type TEXT NOT NULL
                CHECK (type IN ('text', 'number', 'date', 'choice', 'url', 'bool')),
            choices TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (entity, name)
        )""",
        """CREATE TABLE contact_field_values (
            field_id INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
            record_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            value TEXT NOT NULL,
            PRIMARY KEY (field_id, record_id)
        )""",
        "CREATE INDEX contact_field_values_record ON contact_field_values(record_id)",
        """CREATE TABLE company_field_values (
            field_id INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CASCADE,
            record_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
            value TEXT NOT NULL,
            PRIMARY KEY (field_id, record_id)
        )""",
        "CREATE INDEX company_field_values_record ON company_field_values(record_id)",
    )
VERSIONED_TABLES = ("contacts", "companies", "deals", "followups")


@migrations()
def m012_row_versions(db: Database) -> None:
    """A version per row that every write raises, so that a command that read a row before
    writing it back can tell whether someone else wrote it meanwhile. A trigger raises it, so
    no write path can forget; an update that sets it lower (an undo restoring old values)
    still moves it on."""
    for table in VERSIONED_TABLES:
        _run(
            db,
            f"ALTER TABLE {table} ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
            f"""CREATE TRIGGER {table}_version AFTER UPDATE ON {table}
                WHEN NEW.version <= OLD.version
                BEGIN UPDATE {table} SET version = OLD.version + 1 WHERE id = OLD.id; END""",
        )


_FOLLOWUP_COLUMNS = ("id, contact_id, deal_id, due, has_time, body, rule, from_done, done_at,"
                     " created_at, updated_at, deleted_at, zone, version")


@migrations()
def m013_followups_without_contact(db: Database) -> None:
    """A follow-up may name nobody (a chore, a task made on the phone): ``contact_id``
    becomes optional. SQLite cannot drop NOT NULL in place, so the table is rebuilt with its
    indexes and version trigger (``db`` turns foreign keys off around migrations, so dropping
    the old table cascades nothing), keeping its ids and its AUTOINCREMENT counter, so an id
    the journal or sync state remembers is never given to another follow-up."""
    counter = db.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'followups'").fetchone()
    _run(
        db,
        """CREATE TABLE followups_new (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL,
            due TEXT NOT NULL,
            has_time INTEGER NOT NULL DEFAULT 0,
            body TEXT NOT NULL DEFAULT '',
            rule TEXT,
            from_done INTEGER NOT NULL DEFAULT 0,
            done_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT,
            zone TEXT,
            version INTEGER NOT NULL DEFAULT 1
        )""",
        f"INSERT INTO followups_new ({_FOLLOWUP_COLUMNS})"
        f" SELECT {_FOLLOWUP_COLUMNS} FROM followups",
        "DROP TABLE followups",
        "ALTER TABLE followups_new RENAME TO followups",
        "CREATE INDEX followups_open ON followups(done_at, deleted_at, due)",
        "CREATE INDEX followups_contact ON followups(contact_id, due)",
        """CREATE TRIGGER followups_version AFTER UPDATE ON followups
                WHEN NEW.version <= OLD.version
                BEGIN UPDATE followups SET version = OLD.version + 1 WHERE id = OLD.id; END""",
    )
    if counter:
        db.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'followups'",
                   [counter[0]])


@migrations()
def m014_followup_series_uid(db: Database) -> None:
    """One identity per follow-up series: ``crm done`` on a recurring follow-up opens the next
    occurrence under the same UID, so a phone (and ``crm export --format ics``) sees one task
    moving forward. Existing rows get a random UID each (an id is not unique across books)."""
    _run(
        db,
        "ALTER TABLE followups ADD COLUMN uid TEXT",
        "UPDATE followups SET uid = 'followup-' || lower(hex(randomblob(16))) || '@crmcli'",
        "CREATE INDEX followups_uid ON followups(uid)",
    )


@migrations()
def m015_segments(db: Database) -> None:
    """Saved segments: a name for a query, evaluated each time it is used."""
    _run(
        db,
        """CREATE TABLE segments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            query TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    )


@migrations()
def m016_important_dates(db: Database) -> None:
    """Important dates: the anniversary column becomes the "anniversary" row of a table that
    holds any labelled date of a contact."""
    _run(
        db,
        """CREATE TABLE contact_dates (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            label_folded TEXT NOT NULL,
            date TEXT NOT NULL,
            UNIQUE (contact_id, label_folded)
        )""",
        "CREATE INDEX contact_dates_day ON contact_dates(substr(date, -5))",
        "INSERT INTO contact_dates (contact_id, label, label_folded, date)"
        " SELECT id, 'anniversary', 'anniversary', anniversary FROM contacts"
        " WHERE anniversary IS NOT NULL AND anniversary != '' ORDER BY id",
        "ALTER TABLE contacts DROP COLUMN anniversary",
    )


@migrations()
def m017_campaigns(db: Database) -> None:
    """Campaigns, their recipients (one per address), what was delivered (kept out of the
    journal: an undo never mails anyone again), contacts who want no campaign mail, and the
    campaign and Message-ID of the emails a campaign logged."""
    _run(
        db,
        """CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL UNIQUE,
            query TEXT NOT NULL,
            template TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE campaign_recipients (
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            address TEXT NOT NULL,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            added_at TEXT NOT NULL,
            PRIMARY KEY (campaign_id, address)
        )""",
        "CREATE INDEX campaign_recipients_contact ON campaign_recipients(contact_id)",
        """CREATE TABLE campaign_deliveries (
            campaign_uid TEXT NOT NULL,
            address TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('sending', 'sent', 'unknown', 'deferred', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            message_id TEXT NOT NULL,
            reason TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (campaign_uid, address)
        )""",
        "CREATE INDEX campaign_deliveries_failed ON campaign_deliveries(address)"
        " WHERE state = 'failed'",
        """CREATE TABLE mail_opt_outs (
            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CASCADE,
            since TEXT NOT NULL
        )""",
        "ALTER TABLE interactions ADD COLUMN campaign TEXT",
        "ALTER TABLE interactions ADD COLUMN message_id TEXT",
    )


@migrations()
def m018_company_records(db: Database) -> None:
    """Companies as records of their own: a UID (vCard), industry, size, the trash, their
    emails, phones, addresses and websites, tags, notes and the card they came from."""
    import uuid

    _run(
        db,
        "ALTER TABLE companies ADD COLUMN uid TEXT",
        "ALTER TABLE companies ADD COLUMN industry TEXT",
        "ALTER TABLE companies ADD COLUMN size TEXT",
        "ALTER TABLE companies ADD COLUMN deleted_at TEXT",
        """CREATE TABLE company_details (
            id INTEGER PRIMARY KEY,
            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'address', 'url')),
            label TEXT NOT NULL DEFAULT '',
            value TEXT NOT NULL,
            position INTEGER NOT NULL
        )""",
        "CREATE INDEX company_details_company ON company_details(company_id, kind, position)",
        """CREATE TABLE company_tags (
            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (company_id, tag)
        )""",
        """CREATE TABLE company_notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT
        )""",
        "CREATE INDEX company_notes_company ON company_notes(company_id, created_at)",
        # What a company's vCard held beyond crmcli's fields (see contact_cards).
        """CREATE TABLE company_cards (
            company_id INTEGER PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
            data TEXT NOT NULL,
            original TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
    )
    # A UID for each company; giving one is no change of the company (its version stays).
    trigger = db.execute("SELECT sql FROM sqlite_master WHERE name = 'companies_version'"
                         ).fetchone()[0]
    _run(db, "DROP TRIGGER companies_version")
    rows = db.execute("SELECT id FROM companies").fetchall()
    db.conn.executemany("UPDATE companies SET uid = ? WHERE id = ?",
                        [(str(uuid.uuid4()), row_id) for (row_id,) in rows])
    _run(db, trigger, "CREATE UNIQUE INDEX companies_uid ON companies(uid)")


@migrations()
def m019_company_cards_become_companies(db: Database) -> None:
    """Contacts imported from company vCards become the companies they are (see
    crmcli.company_migration: what moves where, nothing lost)."""
    from crmcli.company_migration import move_company_cards

    move_company_cards(db.conn)


@migrations()
def m020_personal_facts(db: Database) -> None:
    """The personal facts a salesperson keeps: how and when you met, interests, gift ideas and
    gifts given (``given_on`` set)."""
    _run(
        db,
        "ALTER TABLE contacts ADD COLUMN how_we_met TEXT",
        "ALTER TABLE contacts ADD COLUMN met_on TEXT",
        """CREATE TABLE contact_interests (
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            interest TEXT NOT NULL,
            interest_folded TEXT NOT NULL,
            PRIMARY KEY (contact_id, interest_folded)
        )""",
        """CREATE TABLE contact_gifts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            description TEXT NOT NULL,
            given_on TEXT,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX contact_gifts_contact ON contact_gifts(contact_id, given_on)",
    )


@migrations()
def m021_private_fields(db: Database) -> None:
    """A custom field may be private: `crm mcp` withholds it unless told otherwise."""
    _run(db, "ALTER TABLE custom_fields ADD COLUMN private INTEGER NOT NULL DEFAULT 0")


@migrations()
def m022_cases(db: Database) -> None:
    """Service cases: a customer's request or complaint with a status, a promise (``due_at``,
    pushed later by the time the case waits on the customer) and a history of events."""
    _run(
        db,
        """CREATE TABLE cases (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,
            company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            priority TEXT NOT NULL DEFAULT 'normal'
                CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
            channel TEXT,
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'waiting', 'resolved', 'closed')),
            opened_at TEXT NOT NULL,
            due_at TEXT,
            paused_seconds INTEGER NOT NULL DEFAULT 0,
            waiting_since TEXT,
            waiting_until TEXT,
            first_response_at TEXT,
            resolved_at TEXT,
            closed_at TEXT,
            resolution TEXT,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            CHECK (contact_id IS NOT NULL OR company_id IS NOT NULL)
        )""",
        "CREATE INDEX cases_status ON cases(status, due_at)",
        "CREATE INDEX cases_contact ON cases(contact_id, status)",
        "CREATE INDEX cases_company ON cases(company_id, status)",
        """CREATE TRIGGER cases_version AFTER UPDATE ON cases
            WHEN NEW.version <= OLD.version
            BEGIN UPDATE cases SET version = OLD.version + 1 WHERE id = OLD.id; END""",
        """CREATE TABLE case_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('opened', 'note', 'waiting', 'resumed',
                                               'resolved', 'reopened', 'closed')),
            body TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX case_events_case ON case_events(case_id, at)",
        "CREATE INDEX case_events_at ON case_events(at)",
    )


@migrations()
def m023_linkedin_profiles_are_urls(db: Database) -> None:
    """A card's LinkedIn profile (X-SOCIALPROFILE;TYPE=linkedin), kept until now among its
    other properties, becomes a URL labelled linkedin, as cards are read from now on (so an
    export writes it once, and sync sees it where it reads it)."""
    _profiles_to_urls(db, "contact_cards", "contact_details", "contact_id")
    _profiles_to_urls(db, "company_cards", "company_details", "company_id")


def _profiles_to_urls(db: Database, cards: str, details: str, owner: str) -> None:
    import json

    from crmcli.normalize import fold

    rows = db.execute(f"SELECT {owner}, data FROM {cards}"
                      " WHERE data LIKE '%X-SOCIALPROFILE%'").fetchall()
    for owner_id, text in rows:
        data = json.loads(text)
        extra = data.get("extra") or []
        urls = {line: url for line in extra if (url := _linkedin_url(line))}
        if not urls:
            continue
        data["extra"] = [line for line in extra if line not in urls]
        db.execute(f"UPDATE {cards} SET data = ? WHERE {owner} = ?",
                   [json.dumps(data, ensure_ascii=False), owner_id])
        for url in urls.values():
            known = db.execute(f"SELECT norm, position FROM {details} WHERE {owner} = ?"
                               " AND kind = 'url'", [owner_id]).fetchall()
            if fold(url) not in {norm for norm, _ in known}:
                db.execute(f"INSERT INTO {details} ({owner}, kind, label, value, norm, position)"
                           " VALUES (?, 'url', 'linkedin', ?, ?, ?)",
                           [owner_id, url, fold(url), max((p for _, p in known), default=-1) + 1])


def _linkedin_url(line: str) -> str | None:
    """The profile URL of an ``X-SOCIALPROFILE;TYPE=linkedin:URL`` line (as a card's extra
    property holds it), else None."""
    import re

    name, _, value = line.partition(":")
    prop, *params = name.split(";")
    if prop.rpartition(".")[2].upper() != "X-SOCIALPROFILE":
        return None
    types = {word.strip().strip('"').lower() for param in params
             if param.upper().startswith("TYPE=") for word in param[5:].split(",")}
    url = re.sub(r"\\(.)", r"\1", value).strip()
    return url if types - {"pref", ""} == {"linkedin"} and url else None


@migrations()
def m024_calendar_events(db: Database) -> None:
    """What crm import-calendar made of each occurrence of a calendar event, per contact
    (see crmcli.meetings)."""
    _run(
        db,
        """CREATE TABLE calendar_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            calendar TEXT NOT NULL,
            uid TEXT NOT NULL,
            recurrence_id TEXT NOT NULL,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            sequence INTEGER NOT NULL,
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            all_day INTEGER NOT NULL,
            summary TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('planned', 'logged', 'cancelled')),
            followup_id INTEGER REFERENCES followups(id) ON DELETE SET NULL,
            interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NULL,
            UNIQUE (uid, recurrence_id, contact_id)
        )""",
        "CREATE INDEX calendar_events_state ON calendar_events(state, ends_at)",
        "CREATE INDEX calendar_events_calendar ON calendar_events(calendar, state, starts_at)",
        "CREATE INDEX calendar_events_contact ON calendar_events(contact_id)",
    )


@migrations()
def m025_personal_interactions_index(db: Database) -> None:
    """Each contact's live interactions newest first, with the campaign that sent them: the
    rhythm of ``crm health`` and ``crm next`` reads a contact's last ten personal ones from
    this index alone, for 10,000 contacts at a time."""
    _run(
        db,
        "CREATE INDEX IF NOT EXISTS interactions_personal"
        " ON interactions(contact_id, happened_at, campaign)"
        " WHERE deleted_at IS NULL",
    )


@migrations()
def m026_hot_path_indexes(db: Database) -> None:
    """Indexes for the interactive commands on a large book: the trashed contacts that every
    listing leaves out (a partial index: a few rows, not a scan of the book), birthdays by
    month and day, phone numbers by their last seven digits (what every matching form of a
    number shares: ``contact_refs._same_phone``), and the contacts with a keep-in-touch cadence."""
    _run(
        db,
        "CREATE INDEX IF NOT EXISTS contacts_trashed ON contacts(deleted_at)"
        " WHERE deleted_at IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS contacts_birthday_day ON contacts(substr(birthday, -5))",
        "CREATE INDEX IF NOT EXISTS contact_details_phone_tail"
        " ON contact_details(kind, substr(norm, -7))",
        "CREATE INDEX IF NOT EXISTS contacts_cadence ON contacts(cadence_days)"
        " WHERE cadence_days IS NOT NULL",
    )


@migrations()
def m027_logged_mail(db: Database) -> None:
    """Mail logged from a mailbox: the direction of an email (``in``, ``out``; NULL for other
    interactions), and the indexes that find a Message-ID already logged or sent by a
    campaign, so that importing a mailbox twice logs nothing new."""
    _run(
        db,
        "ALTER TABLE interactions ADD COLUMN direction TEXT",
        "CREATE INDEX interactions_message ON interactions(message_id)"
        " WHERE message_id IS NOT NULL",
        "CREATE INDEX campaign_deliveries_message ON campaign_deliveries(message_id)",
    )


@migrations()
def m028_live_birthdays_index(db: Database) -> None:
    """The live contacts' birthdays by month and day, with what the agenda shows of each
    (name, company, date): a week's birthdays in a big book are counted and listed from the
    index alone, not from thousands of contact rows read one by one."""
    _run(
        db,
        "CREATE INDEX IF NOT EXISTS contacts_birthday_live"
        " ON contacts(substr(birthday, -5), name, company_id, birthday, deleted_at)"
        " WHERE deleted_at IS NULL AND birthday IS NOT NULL",
    )


@migrations()
def m029_dashboard_indexes(db: Database) -> None:
    """Indexes the dashboard counts and adds up from, on a big book: follow-ups by due date
    with their kind (all-day or timed) and contact, deals by expected close date, and deals
    by stage and currency with what the pipeline's totals add up. followups_open stays: the
    agenda's first few follow-ups are read from it in due order, then id, which
    followups_due's added columns break."""
    _run(
        db,
        "CREATE INDEX followups_due ON followups(done_at, deleted_at, due, has_time, contact_id)",
        "CREATE INDEX deals_close ON deals(close_on, stage, deleted_at, contact_id)",
        "CREATE INDEX deals_totals"
        " ON deals(stage, currency, amount_minor, probability, contact_id, deleted_at)",
    )


@migrations()
def m030_card_hashes(db: Database) -> None:
    """What an import recognises an unchanged card by: a digest of the card's text as last
    imported (with what else that import brought) and the contact's version just after, so
    that importing the same file again skips the cards of contacts nobody changed since."""
    _run(
        db,
        "ALTER TABLE contact_cards ADD COLUMN card_hash TEXT",
        "ALTER TABLE contact_cards ADD COLUMN hashed_version INTEGER",
        "CREATE INDEX contact_cards_hash ON contact_cards(card_hash)"
        " WHERE card_hash IS NOT NULL",
    )


def _refresh_moments(contact: str) -> str:
    """Statements that rewrite the ``contact_moments`` row of ``contact`` (``NEW.contact_id``
    or ``OLD.contact_id``): none when it has no live personal interaction or is no longer in
    the book (an interaction deleted with its contact)."""
    return f"""
        DELETE FROM contact_moments WHERE contact_id = {contact};
        INSERT INTO contact_moments (contact_id, last_at, moments)
        SELECT {contact}, last_at, moments FROM ({_LATEST_MOMENTS.format(contact=contact)})
         WHERE last_at IS NOT NULL AND EXISTS (SELECT 1 FROM contacts WHERE id = {contact});"""


_LATEST_MOMENTS = """
    SELECT max(happened_at) AS last_at, group_concat(unixepoch(happened_at)) AS moments
      FROM (SELECT happened_at FROM interactions
             WHERE contact_id = {contact} AND deleted_at IS NULL AND campaign IS NULL
             ORDER BY happened_at DESC LIMIT 10)"""


@migrations()
def m031_contact_moments(db: Database) -> None:
    """Each contact's latest ten personal interactions (campaign mail left out), kept by
    triggers on every write to interactions whatever its path (log, unlog, edit, merge,
    forget, import, sync, undo, load): the rhythm of ``crm health`` and ``crm next`` reads
    one row per contact instead of ten index entries. ``moments``: seconds since the epoch,
    newest first, comma-separated; ``last_at``: the latest as stored."""
    personal = "{row}.deleted_at IS NULL AND {row}.campaign IS NULL"
    _run(
        db,
        """CREATE TABLE contact_moments (
            contact_id INTEGER PRIMARY KEY,
            last_at TEXT NOT NULL,
            moments TEXT
        )""",
        f"""CREATE TRIGGER interactions_moments_insert AFTER INSERT ON interactions
            WHEN {personal.format(row="NEW")}
            BEGIN {_refresh_moments("NEW.contact_id")} END""",
        f"""CREATE TRIGGER interactions_moments_delete AFTER DELETE ON interactions
            WHEN {personal.format(row="OLD")}
            BEGIN {_refresh_moments("OLD.contact_id")} END""",
        f"""CREATE TRIGGER interactions_moments_update
            AFTER UPDATE OF contact_id, happened_at, deleted_at, campaign ON interactions
            WHEN {personal.format(row="OLD")} OR {personal.format(row="NEW")}
            BEGIN {_refresh_moments("OLD.contact_id")}
                  {_refresh_moments("NEW.contact_id")} END""",
        f"""INSERT INTO contact_moments (contact_id, last_at, moments)
            SELECT id, last_at, moments FROM (
                SELECT c.id, (SELECT last_at FROM ({_LATEST_MOMENTS.format(contact="c.id")}))
                       AS last_at,
                       (SELECT moments FROM ({_LATEST_MOMENTS.format(contact="c.id")}))
                       AS moments
                  FROM contacts c)
             WHERE last_at IS NOT NULL""",
    )


@migrations()
def m032_address_lookup_indexes(db: Database) -> None:
    """What an address lookup (``crm mutt-query``) reads for each contact the search finds,
    held by indexes: its name, sort key, company and trash mark by id (``contacts_addressing``:
    narrow entries, a third of the pages of the table) and its emails with their values
    (``contact_details_contact`` widened by the value: no visit to the table per email). A
    fresh process reads a page per visit: a surname's 5,600 addresses among 100,000 contacts
    take a quarter less time."""
    _run(
        db,
        "DROP INDEX IF EXISTS contact_details_contact",
        "CREATE INDEX contact_details_contact"
        " ON contact_details(contact_id, kind, position, value)",
        "CREATE INDEX IF NOT EXISTS contacts_addressing"
        " ON contacts(id, deleted_at, name_folded, name, company_id)",
    )


@migrations()
def m033_company_names_index(db: Database) -> None:
    """Company names by id in narrow index entries (``companies_names``): the lists that name
    each row's company (the agenda's birthdays, mutt's address lines) look up thousands of
    companies, and a fresh process reads a page per visit: an index page holds five times as
    many companies as a table page. The 12,000 birthdays of a week among 1,000,000 contacts
    are read 6 ms faster, a surname's 55,000 addresses a quarter faster."""
    _run(db, "CREATE INDEX IF NOT EXISTS companies_names ON companies(id, name)")


# A contact's card stored ready to export (contact_cards.rendered) is dropped by a trigger when
# something else its card is made from changes: the writes to the contact's own row move its
# version, these do not. Tables of the contact's rows: the column naming the contact.
_CARD_INPUTS = {"notes": "contact_id", "relationships": "contact_id",
                "contact_gifts": "contact_id", "contact_field_values": "record_id",
                "mail_opt_outs": "contact_id"}
_DROP_READY_CARDS = ("UPDATE contact_cards SET rendered = NULL, rendered_for = NULL"
                     " WHERE contact_id IN ({contacts}) AND rendered IS NOT NULL;")


@migrations()
def m034_ready_cards_dropped_with_their_inputs(db: Database) -> None:
    """Triggers drop a contact's card stored ready to export when its notes, relationships,
    gifts, custom fields or opt-out change, when its company or a custom field is renamed, and
    when a contact it is related to is renamed, given another UID, trashed or restored. An
    export then knows the card changed without computing its fingerprint (14 µs a card; it
    stays the check of the cards still stored ready)."""
    statements = []
    for table, column in _CARD_INPUTS.items():
        for event, rows in (("INSERT", "NEW.{c}"), ("DELETE", "OLD.{c}"),
                            ("UPDATE", "OLD.{c}, NEW.{c}")):
            contacts = rows.format(c=column)
            statements.append(
                f"CREATE TRIGGER {table}_drop_ready_cards_{event.lower()} AFTER {event}"
                f" ON {table} BEGIN {_DROP_READY_CARDS.format(contacts=contacts)} END")
    statements += [
        "CREATE TRIGGER companies_drop_ready_cards AFTER UPDATE OF name ON companies"
        " WHEN OLD.name IS NOT NEW.name BEGIN " + _DROP_READY_CARDS.format(
            contacts="SELECT id FROM contacts WHERE company_id = NEW.id") + " END",
        "CREATE TRIGGER custom_fields_drop_ready_cards AFTER UPDATE OF name, type"
        " ON custom_fields WHEN OLD.name IS NOT NEW.name OR OLD.type IS NOT NEW.type BEGIN "
        + _DROP_READY_CARDS.format(
            contacts="SELECT record_id FROM contact_field_values WHERE field_id = NEW.id")
        + " END",
        "CREATE TRIGGER contacts_drop_related_ready_cards AFTER UPDATE OF name, uid, deleted_at"
        " ON contacts WHEN OLD.name IS NOT NEW.name OR OLD.uid IS NOT NEW.uid"
        " OR OLD.deleted_at IS NOT NEW.deleted_at BEGIN " + _DROP_READY_CARDS.format(
            contacts="SELECT contact_id FROM relationships WHERE related_id = NEW.id")
        + " END",
    ]
    _run(db, *statements)


_STAND_IN_YEAR = "length({c}) = 10 AND substr({c}, 1, 4) IN ('0000', '1604')"


@migrations()
def m035_stand_in_years_mean_no_year(db: Database) -> None:
    """Birthdays, important dates and met-on dates stored with a stand-in year (0000, Apple's,
    or 1604, CardBook's) by earlier releases become dates without a year (``--MM-DD``), as
    they are read since: they showed "turns 2026" and made calendar events in 1604."""
    dates = _STAND_IN_YEAR.format(c="date")
    _run(db,
         "UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE rendered IS NOT"
         f" NULL AND contact_id IN (SELECT contact_id FROM contact_dates WHERE {dates})",
         f"UPDATE contact_dates SET date = '--' || substr(date, 6) WHERE {dates}",
         *(f"UPDATE contacts SET {c} = '--' || substr({c}, 6) WHERE {_STAND_IN_YEAR.format(c=c)}"
           for c in ("birthday", "met_on")))
