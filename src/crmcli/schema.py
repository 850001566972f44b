"""The schema crmcli's migrations leave in a new book, written by
scripts/gen_schema.py from a book they built (tests/test_schema.py keeps the two equal: run
the script after appending a migration). A new book is created from it in one transaction,
without loading sqlite-utils and running every migration (about 60 ms of every first
command)."""

# Generated: do not edit.

MIGRATIONS = (
    'm001_contacts_companies_tags_notes',
    'm002_anniversaries_and_vcards',
    'm003_interactions_and_note_search',
    'm004_followups',
    'm005_deals',
    'm006_followup_days_and_zones',
    'm007_phone_keys',
    'm008_journal',
    'm009_sync_state',
    'm010_relationships',
    'm011_custom_fields',
    'm012_row_versions',
    'm013_followups_without_contact',
    'm014_followup_series_uid',
    'm015_segments',
    'm016_important_dates',
    'm017_campaigns',
    'm018_company_records',
    'm019_company_cards_become_companies',
    'm020_personal_facts',
    'm021_private_fields',
    'm022_cases',
    'm023_linkedin_profiles_are_urls',
    'm024_calendar_events',
    'm025_personal_interactions_index',
    'm026_hot_path_indexes',
    'm027_logged_mail',
    'm028_live_birthdays_index',
    'm029_dashboard_indexes',
    'm030_card_hashes',
    'm031_contact_moments',
    'm032_address_lookup_indexes',
    'm033_company_names_index',
    'm034_ready_cards_dropped_with_their_inputs',
    'm035_stand_in_years_mean_no_year',
)
SEQUENCES = (('followups', 0), ('contact_dates', 0))
STATEMENTS = (
    (
        'CREATE TABLE "_sqlite_migrations" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "migration_set" TEXT,\n'
        '   "name" TEXT,\n'
        '   "applied_at" TEXT\n'
        ')'
    ),
    (
        'CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"\n'
        '    ON "_sqlite_migrations" ("migration_set", "name")'
    ),
    (
        'CREATE TABLE companies (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            name TEXT NOT NULL,\n'
        '            name_folded TEXT NOT NULL UNIQUE,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL\n'
        '        , version INTEGER NOT NULL DEFAULT 1, uid TEXT, industry TEXT, size TEXT'
        ', deleted_at TEXT)'
    ),
    (
        'CREATE TABLE contacts (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            uid TEXT NOT NULL UNIQUE,\n'
        '            name TEXT NOT NULL,\n'
        '            name_folded TEXT NOT NULL,\n'
        '            company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,\n'
        '            title TEXT,\n'
        '            birthday TEXT,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            deleted_at TEXT\n'
        '        , cadence_days INTEGER, version INTEGER NOT NULL DEFAULT 1, how_we_met T'
        'EXT, met_on TEXT)'
    ),
    (
        'CREATE INDEX contacts_name_folded ON contacts(name_folded)'
    ),
    (
        'CREATE INDEX contacts_company_id ON contacts(company_id)'
    ),
    (
        'CREATE INDEX contacts_created_at ON contacts(created_at)'
    ),
    (
        'CREATE INDEX contacts_updated_at ON contacts(updated_at)'
    ),
    (
        'CREATE TABLE contact_details (\n'
        '            id INTEGER PRIMARY KEY,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        "            kind TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'address', 'url"
        "')),\n"
        "            label TEXT NOT NULL DEFAULT '',\n"
        '            value TEXT NOT NULL,\n'
        '            norm TEXT NOT NULL,\n'
        '            position INTEGER NOT NULL\n'
        '        )'
    ),
    (
        'CREATE INDEX contact_details_norm ON contact_details(kind, norm)'
    ),
    (
        'CREATE TABLE contact_tags (\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            tag TEXT NOT NULL,\n'
        '            PRIMARY KEY (contact_id, tag)\n'
        '        )'
    ),
    (
        'CREATE INDEX contact_tags_tag ON contact_tags(tag)'
    ),
    (
        'CREATE TABLE notes (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            body TEXT NOT NULL,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            deleted_at TEXT\n'
        '        )'
    ),
    (
        'CREATE INDEX notes_contact ON notes(contact_id, created_at)'
    ),
    (
        "CREATE VIRTUAL TABLE contact_search USING fts5(body, notes, tokenize = 'unicode6"
        "1')"
    ),
    (
        'CREATE TABLE contact_cards (\n'
        '            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CAS'
        'CADE,\n'
        '            data TEXT NOT NULL,\n'
        '            original TEXT NOT NULL,\n'
        '            rendered TEXT,\n'
        '            rendered_for TEXT,\n'
        '            updated_at TEXT NOT NULL\n'
        '        , card_hash TEXT, hashed_version INTEGER)'
    ),
    (
        'CREATE TABLE interactions (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            kind TEXT NOT NULL\n'
        "                CHECK (kind IN ('call', 'email', 'meeting', 'message', 'visit', "
        "'other')),\n"
        "            body TEXT NOT NULL DEFAULT '',\n"
        '            happened_at TEXT NOT NULL,\n'
        '            duration_minutes INTEGER,\n'
        '            outcome TEXT,\n'
        '            created_at TEXT NOT NULL,\n'
        '            deleted_at TEXT\n'
        '        , campaign TEXT, message_id TEXT, direction TEXT)'
    ),
    (
        'CREATE INDEX interactions_contact ON interactions(contact_id, happened_at)'
    ),
    (
        'CREATE INDEX interactions_live ON interactions(happened_at, contact_id, kind) WH'
        'ERE deleted_at IS NULL'
    ),
    (
        'CREATE INDEX notes_created ON notes(created_at)'
    ),
    (
        "CREATE VIRTUAL TABLE note_search USING fts5(body, tokenize = 'unicode61')"
    ),
    (
        'CREATE TABLE reminders_sent (\n'
        '            item TEXT NOT NULL,\n'
        '            sent_on TEXT NOT NULL,\n'
        '            sent_at TEXT NOT NULL,\n'
        '            PRIMARY KEY (item, sent_on)\n'
        '        )'
    ),
    (
        'CREATE TABLE deals (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,\n'
        '            company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,\n'
        '            title TEXT NOT NULL,\n'
        '            amount_minor INTEGER,\n'
        '            currency TEXT NOT NULL,\n'
        '            stage TEXT NOT NULL,\n'
        '            probability INTEGER CHECK (probability BETWEEN 0 AND 100),\n'
        '            close_on TEXT,\n'
        '            lost_reason TEXT,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            closed_at TEXT,\n'
        '            deleted_at TEXT\n'
        '        , version INTEGER NOT NULL DEFAULT 1)'
    ),
    (
        'CREATE INDEX deals_stage ON deals(stage, close_on)'
    ),
    (
        'CREATE INDEX deals_contact ON deals(contact_id)'
    ),
    (
        'CREATE INDEX deals_company ON deals(company_id)'
    ),
    (
        'CREATE TABLE deal_stage_changes (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,\n'
        '            from_stage TEXT,\n'
        '            to_stage TEXT NOT NULL,\n'
        '            changed_at TEXT NOT NULL\n'
        '        )'
    ),
    (
        'CREATE INDEX deal_stage_changes_deal ON deal_stage_changes(deal_id, changed_at)'
    ),
    (
        'CREATE INDEX deal_stage_changes_when ON deal_stage_changes(changed_at)'
    ),
    (
        'CREATE TABLE journal_operations (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            what TEXT NOT NULL,\n'
        '            source TEXT NOT NULL,\n'
        '            started_at TEXT NOT NULL,\n'
        '            schema_version INTEGER NOT NULL,\n'
        '            undoes INTEGER\n'
        '        )'
    ),
    (
        'CREATE INDEX journal_operations_started ON journal_operations(started_at)'
    ),
    (
        'CREATE TABLE journal_changes (\n'
        '            id INTEGER PRIMARY KEY,\n'
        '            operation_id INTEGER NOT NULL REFERENCES journal_operations(id) ON D'
        'ELETE CASCADE,\n'
        '            table_name TEXT NOT NULL,\n'
        '            row_id INTEGER NOT NULL,\n'
        "            kind TEXT NOT NULL CHECK (kind IN ('insert', 'update', 'delete')),\n"
        '            old TEXT\n'
        '        )'
    ),
    (
        'CREATE INDEX journal_changes_operation ON journal_changes(operation_id)'
    ),
    (
        'CREATE INDEX journal_changes_row ON journal_changes(table_name, row_id)'
    ),
    (
        'CREATE TABLE sync_items (\n'
        '            folder TEXT NOT NULL,\n'
        '            href TEXT NOT NULL,\n'
        '            collection TEXT NOT NULL,\n'
        '            uid TEXT,\n'
        '            mtime_ns INTEGER NOT NULL,\n'
        '            size INTEGER NOT NULL,\n'
        '            hash TEXT NOT NULL,\n'
        '            props TEXT NOT NULL,\n'
        '            row_id INTEGER NOT NULL,\n'
        '            row_version TEXT,\n'
        '            synced_at TEXT NOT NULL,\n'
        '            PRIMARY KEY (folder, href)\n'
        '        )'
    ),
    (
        'CREATE INDEX sync_items_row ON sync_items(collection, row_id)'
    ),
    (
        'CREATE TABLE sync_conflicts (\n'
        '            id INTEGER PRIMARY KEY,\n'
        '            at TEXT NOT NULL,\n'
        '            collection TEXT NOT NULL,\n'
        '            href TEXT NOT NULL,\n'
        '            row_id INTEGER,\n'
        '            field TEXT NOT NULL,\n'
        '            kept TEXT,\n'
        '            lost TEXT,\n'
        '            winner TEXT,\n'
        "            status TEXT NOT NULL CHECK (status IN ('resolved', 'unresolved'))\n"
        '        )'
    ),
    (
        'CREATE TABLE relationships (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            kind TEXT NOT NULL,\n'
        '            related_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,\n'
        '            related_name TEXT,\n'
        '            name_folded TEXT,\n'
        '            created_at TEXT NOT NULL,\n'
        '            CHECK ((related_id IS NULL) != (related_name IS NULL)),\n'
        '            CHECK (related_id IS NULL OR related_id != contact_id)\n'
        '        )'
    ),
    (
        'CREATE UNIQUE INDEX relationships_edge ON relationships(contact_id, kind, coales'
        "ce(related_id, 0), coalesce(name_folded, ''))"
    ),
    (
        'CREATE INDEX relationships_related ON relationships(related_id)'
    ),
    (
        'CREATE INDEX relationships_name ON relationships(name_folded)'
    ),
    (
        'CREATE TABLE custom_fields (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        "            entity TEXT NOT NULL CHECK (entity IN ('contacts', 'companies')),\n"
        '            name TEXT NOT NULL,\n'
        '            type TEXT NOT NULL\n'
        "                CHECK (type IN ('text', 'number', 'date', 'choice', 'url', 'bool"
        "')),\n"
        '            choices TEXT,\n'
        '            created_at TEXT NOT NULL, private INTEGER NOT NULL DEFAULT 0,\n'
        '            UNIQUE (entity, name)\n'
        '        )'
    ),
    (
        'CREATE TABLE contact_field_values (\n'
        '            field_id INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CAS'
        'CADE,\n'
        '            record_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE'
        ',\n'
        '            value TEXT NOT NULL,\n'
        '            PRIMARY KEY (field_id, record_id)\n'
        '        )'
    ),
    (
        'CREATE INDEX contact_field_values_record ON contact_field_values(record_id)'
    ),
    (
        'CREATE TABLE company_field_values (\n'
        '            field_id INTEGER NOT NULL REFERENCES custom_fields(id) ON DELETE CAS'
        'CADE,\n'
        '            record_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCAD'
        'E,\n'
        '            value TEXT NOT NULL,\n'
        '            PRIMARY KEY (field_id, record_id)\n'
        '        )'
    ),
    (
        'CREATE INDEX company_field_values_record ON company_field_values(record_id)'
    ),
    (
        'CREATE TRIGGER contacts_version AFTER UPDATE ON contacts\n'
        '                WHEN NEW.version <= OLD.version\n'
        '                BEGIN UPDATE contacts SET version = OLD.version + 1 WHERE id = O'
        'LD.id; END'
    ),
    (
        'CREATE TRIGGER deals_version AFTER UPDATE ON deals\n'
        '                WHEN NEW.version <= OLD.version\n'
        '                BEGIN UPDATE deals SET version = OLD.version + 1 WHERE id = OLD.'
        'id; END'
    ),
    (
        'CREATE TABLE "followups" (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,\n'
        '            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL,\n'
        '            due TEXT NOT NULL,\n'
        '            has_time INTEGER NOT NULL DEFAULT 0,\n'
        "            body TEXT NOT NULL DEFAULT '',\n"
        '            rule TEXT,\n'
        '            from_done INTEGER NOT NULL DEFAULT 0,\n'
        '            done_at TEXT,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            deleted_at TEXT,\n'
        '            zone TEXT,\n'
        '            version INTEGER NOT NULL DEFAULT 1\n'
        '        , uid TEXT)'
    ),
    (
        'CREATE INDEX followups_open ON followups(done_at, deleted_at, due)'
    ),
    (
        'CREATE INDEX followups_contact ON followups(contact_id, due)'
    ),
    (
        'CREATE TRIGGER followups_version AFTER UPDATE ON followups\n'
        '                WHEN NEW.version <= OLD.version\n'
        '                BEGIN UPDATE followups SET version = OLD.version + 1 WHERE id = '
        'OLD.id; END'
    ),
    (
        'CREATE INDEX followups_uid ON followups(uid)'
    ),
    (
        'CREATE TABLE segments (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            name TEXT NOT NULL UNIQUE,\n'
        '            query TEXT NOT NULL,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL\n'
        '        )'
    ),
    (
        'CREATE TABLE contact_dates (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            label TEXT NOT NULL,\n'
        '            label_folded TEXT NOT NULL,\n'
        '            date TEXT NOT NULL,\n'
        '            UNIQUE (contact_id, label_folded)\n'
        '        )'
    ),
    (
        'CREATE INDEX contact_dates_day ON contact_dates(substr(date, -5))'
    ),
    (
        'CREATE TABLE campaigns (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            uid TEXT NOT NULL UNIQUE,\n'
        '            name TEXT NOT NULL UNIQUE,\n'
        '            query TEXT NOT NULL,\n'
        '            template TEXT NOT NULL,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL\n'
        '        )'
    ),
    (
        'CREATE TABLE campaign_recipients (\n'
        '            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASC'
        'ADE,\n'
        '            address TEXT NOT NULL,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            added_at TEXT NOT NULL,\n'
        '            PRIMARY KEY (campaign_id, address)\n'
        '        )'
    ),
    (
        'CREATE INDEX campaign_recipients_contact ON campaign_recipients(contact_id)'
    ),
    (
        'CREATE TABLE campaign_deliveries (\n'
        '            campaign_uid TEXT NOT NULL,\n'
        '            address TEXT NOT NULL,\n'
        '            state TEXT NOT NULL\n'
        "                CHECK (state IN ('sending', 'sent', 'unknown', 'deferred', 'fail"
        "ed')),\n"
        '            attempts INTEGER NOT NULL DEFAULT 0,\n'
        '            message_id TEXT NOT NULL,\n'
        '            reason TEXT,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            PRIMARY KEY (campaign_uid, address)\n'
        '        )'
    ),
    (
        'CREATE INDEX campaign_deliveries_failed ON campaign_deliveries(address) WHERE st'
        "ate = 'failed'"
    ),
    (
        'CREATE TABLE mail_opt_outs (\n'
        '            contact_id INTEGER PRIMARY KEY REFERENCES contacts(id) ON DELETE CAS'
        'CADE,\n'
        '            since TEXT NOT NULL\n'
        '        )'
    ),
    (
        'CREATE TABLE company_details (\n'
        '            id INTEGER PRIMARY KEY,\n'
        '            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCA'
        'DE,\n'
        "            kind TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'address', 'url"
        "')),\n"
        "            label TEXT NOT NULL DEFAULT '',\n"
        '            value TEXT NOT NULL,\n'
        '            position INTEGER NOT NULL\n'
        '        )'
    ),
    (
        'CREATE INDEX company_details_company ON company_details(company_id, kind, positi'
        'on)'
    ),
    (
        'CREATE TABLE company_tags (\n'
        '            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCA'
        'DE,\n'
        '            tag TEXT NOT NULL,\n'
        '            PRIMARY KEY (company_id, tag)\n'
        '        )'
    ),
    (
        'CREATE TABLE company_notes (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCA'
        'DE,\n'
        '            body TEXT NOT NULL,\n'
        '            created_at TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            deleted_at TEXT\n'
        '        )'
    ),
    (
        'CREATE INDEX company_notes_company ON company_notes(company_id, created_at)'
    ),
    (
        'CREATE TABLE company_cards (\n'
        '            company_id INTEGER PRIMARY KEY REFERENCES companies(id) ON DELETE CA'
        'SCADE,\n'
        '            data TEXT NOT NULL,\n'
        '            original TEXT NOT NULL,\n'
        '            updated_at TEXT NOT NULL\n'
        '        )'
    ),
    (
        'CREATE TRIGGER companies_version AFTER UPDATE ON companies\n'
        '                WHEN NEW.version <= OLD.version\n'
        '                BEGIN UPDATE companies SET version = OLD.version + 1 WHERE id = '
        'OLD.id; END'
    ),
    (
        'CREATE UNIQUE INDEX companies_uid ON companies(uid)'
    ),
    (
        'CREATE TABLE contact_interests (\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            interest TEXT NOT NULL,\n'
        '            interest_folded TEXT NOT NULL,\n'
        '            PRIMARY KEY (contact_id, interest_folded)\n'
        '        )'
    ),
    (
        'CREATE TABLE contact_gifts (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            description TEXT NOT NULL,\n'
        '            given_on TEXT,\n'
        '            created_at TEXT NOT NULL\n'
        '        )'
    ),
    (
        'CREATE INDEX contact_gifts_contact ON contact_gifts(contact_id, given_on)'
    ),
    (
        'CREATE TABLE cases (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            uid TEXT NOT NULL UNIQUE,\n'
        '            contact_id INTEGER REFERENCES contacts(id) ON DELETE CASCADE,\n'
        '            company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,\n'
        '            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL,\n'
        '            title TEXT NOT NULL,\n'
        "            priority TEXT NOT NULL DEFAULT 'normal'\n"
        "                CHECK (priority IN ('low', 'normal', 'high', 'urgent')),\n"
        '            channel TEXT,\n'
        "            status TEXT NOT NULL DEFAULT 'open'\n"
        "                CHECK (status IN ('open', 'waiting', 'resolved', 'closed')),\n"
        '            opened_at TEXT NOT NULL,\n'
        '            due_at TEXT,\n'
        '            paused_seconds INTEGER NOT NULL DEFAULT 0,\n'
        '            waiting_since TEXT,\n'
        '            waiting_until TEXT,\n'
        '            first_response_at TEXT,\n'
        '            resolved_at TEXT,\n'
        '            closed_at TEXT,\n'
        '            resolution TEXT,\n'
        '            updated_at TEXT NOT NULL,\n'
        '            version INTEGER NOT NULL DEFAULT 1,\n'
        '            CHECK (contact_id IS NOT NULL OR company_id IS NOT NULL)\n'
        '        )'
    ),
    (
        'CREATE INDEX cases_status ON cases(status, due_at)'
    ),
    (
        'CREATE INDEX cases_contact ON cases(contact_id, status)'
    ),
    (
        'CREATE INDEX cases_company ON cases(company_id, status)'
    ),
    (
        'CREATE TRIGGER cases_version AFTER UPDATE ON cases\n'
        '            WHEN NEW.version <= OLD.version\n'
        '            BEGIN UPDATE cases SET version = OLD.version + 1 WHERE id = OLD.id; '
        'END'
    ),
    (
        'CREATE TABLE case_events (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,\n'
        '            at TEXT NOT NULL,\n'
        "            kind TEXT NOT NULL CHECK (kind IN ('opened', 'note', 'waiting', 'res"
        "umed',\n"
        "                                               'resolved', 'reopened', 'closed')"
        '),\n'
        "            body TEXT NOT NULL DEFAULT ''\n"
        '        )'
    ),
    (
        'CREATE INDEX case_events_case ON case_events(case_id, at)'
    ),
    (
        'CREATE INDEX case_events_at ON case_events(at)'
    ),
    (
        'CREATE TABLE calendar_events (\n'
        '            id INTEGER PRIMARY KEY AUTOINCREMENT,\n'
        '            calendar TEXT NOT NULL,\n'
        '            uid TEXT NOT NULL,\n'
        '            recurrence_id TEXT NOT NULL,\n'
        '            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCAD'
        'E,\n'
        '            sequence INTEGER NOT NULL,\n'
        '            starts_at TEXT NOT NULL,\n'
        '            ends_at TEXT NOT NULL,\n'
        '            all_day INTEGER NOT NULL,\n'
        '            summary TEXT NOT NULL,\n'
        "            state TEXT NOT NULL CHECK (state IN ('planned', 'logged', 'cancelled"
        "')),\n"
        '            followup_id INTEGER REFERENCES followups(id) ON DELETE SET NULL,\n'
        '            interaction_id INTEGER REFERENCES interactions(id) ON DELETE SET NUL'
        'L,\n'
        '            UNIQUE (uid, recurrence_id, contact_id)\n'
        '        )'
    ),
    (
        'CREATE INDEX calendar_events_state ON calendar_events(state, ends_at)'
    ),
    (
        'CREATE INDEX calendar_events_calendar ON calendar_events(calendar, state, starts'
        '_at)'
    ),
    (
        'CREATE INDEX calendar_events_contact ON calendar_events(contact_id)'
    ),
    (
        'CREATE INDEX interactions_personal ON interactions(contact_id, happened_at, camp'
        'aign) WHERE deleted_at IS NULL'
    ),
    (
        'CREATE INDEX contacts_trashed ON contacts(deleted_at) WHERE deleted_at IS NOT NU'
        'LL'
    ),
    (
        'CREATE INDEX contacts_birthday_day ON contacts(substr(birthday, -5))'
    ),
    (
        'CREATE INDEX contact_details_phone_tail ON contact_details(kind, substr(norm, -7'
        '))'
    ),
    (
        'CREATE INDEX contacts_cadence ON contacts(cadence_days) WHERE cadence_days IS NO'
        'T NULL'
    ),
    (
        'CREATE INDEX interactions_message ON interactions(message_id) WHERE message_id I'
        'S NOT NULL'
    ),
    (
        'CREATE INDEX campaign_deliveries_message ON campaign_deliveries(message_id)'
    ),
    (
        'CREATE INDEX contacts_birthday_live ON contacts(substr(birthday, -5), name, comp'
        'any_id, birthday, deleted_at) WHERE deleted_at IS NULL AND birthday IS NOT NULL'
    ),
    (
        'CREATE INDEX followups_due ON followups(done_at, deleted_at, due, has_time, cont'
        'act_id)'
    ),
    (
        'CREATE INDEX deals_close ON deals(close_on, stage, deleted_at, contact_id)'
    ),
    (
        'CREATE INDEX deals_totals ON deals(stage, currency, amount_minor, probability, c'
        'ontact_id, deleted_at)'
    ),
    (
        'CREATE INDEX contact_cards_hash ON contact_cards(card_hash) WHERE card_hash IS N'
        'OT NULL'
    ),
    (
        'CREATE TABLE contact_moments (\n'
        '            contact_id INTEGER PRIMARY KEY,\n'
        '            last_at TEXT NOT NULL,\n'
        '            moments TEXT\n'
        '        )'
    ),
    (
        'CREATE TRIGGER interactions_moments_insert AFTER INSERT ON interactions\n'
        '            WHEN NEW.deleted_at IS NULL AND NEW.campaign IS NULL\n'
        '            BEGIN \n'
        '        DELETE FROM contact_moments WHERE contact_id = NEW.contact_id;\n'
        '        INSERT INTO contact_moments (contact_id, last_at, moments)\n'
        '        SELECT NEW.contact_id, last_at, moments FROM (\n'
        '    SELECT max(happened_at) AS last_at, group_concat(unixepoch(happened_at)) AS '
        'moments\n'
        '      FROM (SELECT happened_at FROM interactions\n'
        '             WHERE contact_id = NEW.contact_id AND deleted_at IS NULL AND campai'
        'gn IS NULL\n'
        '             ORDER BY happened_at DESC LIMIT 10))\n'
        '         WHERE last_at IS NOT NULL AND EXISTS (SELECT 1 FROM contacts WHERE id ='
        ' NEW.contact_id); END'
    ),
    (
        'CREATE TRIGGER interactions_moments_delete AFTER DELETE ON interactions\n'
        '            WHEN OLD.deleted_at IS NULL AND OLD.campaign IS NULL\n'
        '            BEGIN \n'
        '        DELETE FROM contact_moments WHERE contact_id = OLD.contact_id;\n'
        '        INSERT INTO contact_moments (contact_id, last_at, moments)\n'
        '        SELECT OLD.contact_id, last_at, moments FROM (\n'
        '    SELECT max(happened_at) AS last_at, group_concat(unixepoch(happened_at)) AS '
        'moments\n'
        '      FROM (SELECT happened_at FROM interactions\n'
        '             WHERE contact_id = OLD.contact_id AND deleted_at IS NULL AND campai'
        'gn IS NULL\n'
        '             ORDER BY happened_at DESC LIMIT 10))\n'
        '         WHERE last_at IS NOT NULL AND EXISTS (SELECT 1 FROM contacts WHERE id ='
        ' OLD.contact_id); END'
    ),
    (
        'CREATE TRIGGER interactions_moments_update\n'
        '            AFTER UPDATE OF contact_id, happened_at, deleted_at, campaign ON int'
        'eractions\n'
        '            WHEN OLD.deleted_at IS NULL AND OLD.campaign IS NULL OR NEW.deleted_'
        'at IS NULL AND NEW.campaign IS NULL\n'
        '            BEGIN \n'
        '        DELETE FROM contact_moments WHERE contact_id = OLD.contact_id;\n'
        '        INSERT INTO contact_moments (contact_id, last_at, moments)\n'
        '        SELECT OLD.contact_id, last_at, moments FROM (\n'
        '    SELECT max(happened_at) AS last_at, group_concat(unixepoch(happened_at)) AS '
        'moments\n'
        '      FROM (SELECT happened_at FROM interactions\n'
        '             WHERE contact_id = OLD.contact_id AND deleted_at IS NULL AND campai'
        'gn IS NULL\n'
        '             ORDER BY happened_at DESC LIMIT 10))\n'
        '         WHERE last_at IS NOT NULL AND EXISTS (SELECT 1 FROM contacts WHERE id ='
        ' OLD.contact_id);\n'
        '                  \n'
        '        DELETE FROM contact_moments WHERE contact_id = NEW.contact_id;\n'
        '        INSERT INTO contact_moments (contact_id, last_at, moments)\n'
        '        SELECT NEW.contact_id, last_at, moments FROM (\n'
        '    SELECT max(happened_at) AS last_at, group_concat(unixepoch(happened_at)) AS '
        'moments\n'
        '      FROM (SELECT happened_at FROM interactions\n'
        '             WHERE contact_id = NEW.contact_id AND deleted_at IS NULL AND campai'
        'gn IS NULL\n'
        '             ORDER BY happened_at DESC LIMIT 10))\n'
        '         WHERE last_at IS NOT NULL AND EXISTS (SELECT 1 FROM contacts WHERE id ='
        ' NEW.contact_id); END'
    ),
    (
        'CREATE INDEX contact_details_contact ON contact_details(contact_id, kind, positi'
        'on, value)'
    ),
    (
        'CREATE INDEX contacts_addressing ON contacts(id, deleted_at, name_folded, name, '
        'company_id)'
    ),
    (
        'CREATE INDEX companies_names ON companies(id, name)'
    ),
    (
        'CREATE TRIGGER notes_drop_ready_cards_insert AFTER INSERT ON notes BEGIN UPDATE '
        'contact_cards SET rendered = NULL, rendered_for = NULL WHERE contact_id IN (NEW.'
        'contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER notes_drop_ready_cards_delete AFTER DELETE ON notes BEGIN UPDATE '
        'contact_cards SET rendered = NULL, rendered_for = NULL WHERE contact_id IN (OLD.'
        'contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER notes_drop_ready_cards_update AFTER UPDATE ON notes BEGIN UPDATE '
        'contact_cards SET rendered = NULL, rendered_for = NULL WHERE contact_id IN (OLD.'
        'contact_id, NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER relationships_drop_ready_cards_insert AFTER INSERT ON relationshi'
        'ps BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER relationships_drop_ready_cards_delete AFTER DELETE ON relationshi'
        'ps BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (OLD.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER relationships_drop_ready_cards_update AFTER UPDATE ON relationshi'
        'ps BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (OLD.contact_id, NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contact_gifts_drop_ready_cards_insert AFTER INSERT ON contact_gif'
        'ts BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contact_gifts_drop_ready_cards_delete AFTER DELETE ON contact_gif'
        'ts BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (OLD.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contact_gifts_drop_ready_cards_update AFTER UPDATE ON contact_gif'
        'ts BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (OLD.contact_id, NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contact_field_values_drop_ready_cards_insert AFTER INSERT ON cont'
        'act_field_values BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = '
        'NULL WHERE contact_id IN (NEW.record_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contact_field_values_drop_ready_cards_delete AFTER DELETE ON cont'
        'act_field_values BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = '
        'NULL WHERE contact_id IN (OLD.record_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contact_field_values_drop_ready_cards_update AFTER UPDATE ON cont'
        'act_field_values BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = '
        'NULL WHERE contact_id IN (OLD.record_id, NEW.record_id) AND rendered IS NOT NULL'
        '; END'
    ),
    (
        'CREATE TRIGGER mail_opt_outs_drop_ready_cards_insert AFTER INSERT ON mail_opt_ou'
        'ts BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER mail_opt_outs_drop_ready_cards_delete AFTER DELETE ON mail_opt_ou'
        'ts BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (OLD.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER mail_opt_outs_drop_ready_cards_update AFTER UPDATE ON mail_opt_ou'
        'ts BEGIN UPDATE contact_cards SET rendered = NULL, rendered_for = NULL WHERE con'
        'tact_id IN (OLD.contact_id, NEW.contact_id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER companies_drop_ready_cards AFTER UPDATE OF name ON companies WHEN'
        ' OLD.name IS NOT NEW.name BEGIN UPDATE contact_cards SET rendered = NULL, render'
        'ed_for = NULL WHERE contact_id IN (SELECT id FROM contacts WHERE company_id = NE'
        'W.id) AND rendered IS NOT NULL; END'
    ),
    (
        'CREATE TRIGGER custom_fields_drop_ready_cards AFTER UPDATE OF name, type ON cust'
        'om_fields WHEN OLD.name IS NOT NEW.name OR OLD.type IS NOT NEW.type BEGIN UPDATE'
        ' contact_cards SET rendered = NULL, rendered_for = NULL WHERE contact_id IN (SEL'
        'ECT record_id FROM contact_field_values WHERE field_id = NEW.id) AND rendered IS'
        ' NOT NULL; END'
    ),
    (
        'CREATE TRIGGER contacts_drop_related_ready_cards AFTER UPDATE OF name, uid, dele'
        'ted_at ON contacts WHEN OLD.name IS NOT NEW.name OR OLD.uid IS NOT NEW.uid OR OL'
        'D.deleted_at IS NOT NEW.deleted_at BEGIN UPDATE contact_cards SET rendered = NUL'
        'L, rendered_for = NULL WHERE contact_id IN (SELECT contact_id FROM relationships'
        ' WHERE related_id = NEW.id) AND rendered IS NOT NULL; END'
    ),
)
