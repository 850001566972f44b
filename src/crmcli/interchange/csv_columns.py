"""The three CSV dialects crmcli reads and writes (Google Contacts, Outlook, crmcli): their
columns, shared by `csv_read` and `csv_write`.

Column map (Google, old and new layout | Outlook | crmcli)
    name       Name, else Name Prefix + Given/First Name + Additional/Middle Name + Family/Last
               Name + Name Suffix | Title + First + Middle + Last Name + Suffix | name.
               With no name at all: the company, else the first email, else the first phone.
    company    Organization 1 - Name, Organization Name | Company | company
    title      Organization 1 - Title, Organization Title | Job Title | title
    emails     E-mail N - Type/Label + Value | E-mail Address, E-mail 2/3 Address | email_N(_label)
    phones     Phone N - Type/Label + Value | one column per label (`OUTLOOK_PHONES`: Mobile Phone
               is mobile, Business Phone work, Business Fax work fax, Other Phone no label...) |
               phone_N(_label)
    addresses  Address N - Type/Label + Formatted (else Street, City, Region, ...) | Business,
               Home, Other Street/Street 2/City/State/Postal Code/Country/Region | address_N(_label)
    urls       Website N - Type/Label + Value | Web Page | url_N(_label)
    tags       Group Membership, Labels (` ::: `) | Categories (`;`) | tags (`,`)
    birthday   Birthday: YYYY-MM-DD or --MM-DD | M/D/YYYY, 0/0/00 for none | as Google
    anniversary  Event N - Type "Anniversary" + Event N - Value | Anniversary | anniversary
    dates      other Event N - Type/Value (Event 2 holds them, ` ::: `-joined) | - |
               dates (`label: date`, ` ::: `-joined)
    fields     - | - | one column per custom field, named after it
    relations  Relation N - Type/Value (a name; the contact of that name in the book is
               linked on import; Relation 2 holds the rest, ` ::: `-joined) | - |
               relations (`type: name`, ` ::: `-joined)
    notes      Notes | Notes | notes (several notes are written as one, split by a blank line)
    uid        - | - | uid
    kind, industry, size   - | - | kind (`company` for a company's row), industry, size
    no_mail    - | - | no_mail (`true` for a contact refusing campaign mail, else empty)
    personal   - | - | how_we_met, met_on (a date), interests (` ::: `-joined), gifts
               (`2026-03-02: Rioja Reserva` given that day, `idea: A book` an idea; ` ::: `-joined)

Google's types lose their primary-marking star and their case (`* Work` -> work); ` ::: ` separates
several values in one cell; the `* myContacts` group is dropped and `* starred` becomes a tag.
Numeric birthdays other than these follow ``date_order``; Outlook's are month-first, and one that
only reads day-first (17/5/1980) is taken so, with a warning.

Every cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`
(one more when it already starts with quotes and such a character); reading removes exactly one,
so `+34 612 345 678` and `--02-29` round-trip (other programs' importers may keep the quote).
The crmcli dialect carries the contact's `uid`, so that re-importing its own file updates the
same contacts. Kept by no dialect: ids, timestamps, spaces around values, the split between
several notes, tags holding the dialect's tag separator.

"""

from __future__ import annotations

import re

DIALECTS = ("google", "outlook", "crmcli")
COLUMNS = {"emails": 3, "phones": 3, "addresses": 2, "urls": 2}
MULTI = " ::: "
OUTLOOK_PHONES = {
    "Business Phone": "work", "Business Phone 2": "work", "Home Phone": "home",
    "Home Phone 2": "home", "Mobile Phone": "mobile", "Other Phone": "", "Business Fax": "work fax",
    "Home Fax": "home fax", "Other Fax": "fax", "Pager": "pager", "Car Phone": "car",
    "Company Main Phone": "main", "Assistant's Phone": "assistant", "Primary Phone": "primary",
    "Callback": "callback", "Radio Phone": "radio", "ISDN": "isdn", "TTY/TDD Phone": "tty",
    "Telex": "telex"}
OUTLOOK_EMAILS = {"E-mail Address": "", "E-mail 2 Address": "", "E-mail 3 Address": ""}
OUTLOOK_ADDRESSES = {"Business Street": "work", "Home Street": "home", "Other Street": ""}
OUTLOOK_URLS = {"Web Page": ""}
# Google's relation types crm writes as Google does; the others (sibling, colleague, custom
# words) are written as they are, Google's custom labels. Read: these, Google's own spellings
# below, and relationships.ALIASES (Mother is parent, Referred By referred-by).
GOOGLE_RELATION_LABELS = {
    "spouse": "Spouse", "partner": "Partner", "child": "Child", "parent": "Parent",
    "relative": "Relative", "friend": "Friend", "manager": "Manager", "assistant": "Assistant",
    "referred-by": "Referred By"}
GOOGLE_RELATIONS = {"domestic partner": "partner", "domesticpartner": "partner",
                    "referredby": "referred-by"}
NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
SINGULAR = {"emails": "email", "phones": "phone", "addresses": "address", "urls": "URL"}
