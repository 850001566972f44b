"""CSV interchange: Google Contacts (old and new layout), Outlook and crmcli's own columns."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcli.errors import InvalidInput
from crmcli.interchange.csv_read import read_contacts
from crmcli.interchange.csv_write import write_contacts
from crmcli.models import STAND_IN_YEARS, Contact, Detail, ImportantDate, PartialDate

# Samples as the services export them (trimmed to a few contacts). Google's old layout with a
# BOM and CRLF, its new layout with LF, Outlook's full column set with CRLF.
GOOGLE_OLD_CSV = (
    '\ufeffName,Given Name,Additional Name,Family Name,Yomi Name,Name Prefix,Name '
    'Suffix,Nickname,Birthday,Gender,Notes,Photo,Group Membership,E-mail 1 - '
    'Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone '
    '1 - Value,Phone 2 - Type,Phone 2 - Value,Address 1 - Type,Address 1 - Formatted,'
    'Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,'
    'Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address,'
    'Organization 1 - Type,Organization 1 - Name,Organization 1 - Title,Organization '
    '1 - Department,Website 1 - Type,Website 1 - Value\r\n'
    'José Núñez,José,,Núñez,,,,Pepe,1980-05-17,,"Met at PyConES, Madrid.\nLikes '
    '""cortado"", no sugar.",,* myContacts ::: Clientes ::: * starred,* Work,'
    'jose@acme.es ::: jnunez@acme.es,Home,pepe@example.org,Mobile,+34 612 345 '
    '678,Work,+34 91 555 0100 ::: +34 91 555 0101,Work,"Calle Mayor 1\n28013 '
    'Madrid\nES",Calle Mayor 1,Madrid,,,28013,ES,,,"Acme Iberia, S.L.",CTO,,Profile,'
    'https://acme.es/jose\r\n'
    ',Ana,María,Ruiz,,Dr.,,,--02-29,female,,,* myContacts,Other,ana.ruiz@example.com,'
    ',,,,,,Home,,Rua Augusta 20,Lisboa,,,1100-053,Portugal,,,,,,,\r\n'
    ',,,,,,,,,,,,* myContacts ::: Proveedores,,,,,Work,+34 93 111 2233,,,,,,'
    ',,,,,,,Ferretería López,,,,\r\n'
    'Bea Sanz,,,,,,,,31/02/1980,,,,* myContacts,,bea@example.com,,,,,,,,,,,,'
    ',,,,,,,,,\r\n'
    ',,,,,,,,,,a row with nothing but a note,,* myContacts,,,,,,,,,,,,,,,,,,'
    ',,,,,\r\n'
)
GOOGLE_NEW_CSV = (
    'First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,'
    'Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization '
    'Name,Organization Title,Organization Department,Birthday,Notes,Photo,Labels,'
    'E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone '
    '1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Address 1 - Label,'
    'Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO '
    'Box,Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,Address '
    '1 - Extended Address,Website 1 - Label,Website 1 - Value,Event 1 - Label,'
    'Event 1 - Value\n'
    'Claire,,Dubois,,,,,,,,Dubois & Fils,Gérante,,--12-03,"Prefers email.\n'
    'Call after 10:00, never on Mondays.",,Suppliers ::: * myContacts ::: * '
    'starred,* Work,claire@dubois.fr,Home,claire.d@example.fr ::: cdubois@example.net,'
    'Mobile,+33 6 12 34 56 78,Work Fax,+33 1 23 45 67 89,Work,"12 rue de la '
    'Paix\n75002 Paris\nFrance",12 rue de la Paix,,,,,,,,https://dubois.fr,Anniversary,'
    '2005-06-18\n'
    "Tom,,O'Brien,,,,,,,,,,,1975-11-30,,,* myContacts,,,,,Home,+353 1 555 0199,"
    ',,,,,,,,,,,,,Graduation,1997-06-01\n'
)
OUTLOOK_CSV = (
    'Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,'
    'Business Street,Business Street 2,Business Street 3,Business City,Business '
    'State,Business Postal Code,Business Country/Region,Home Street,Home Street '
    '2,Home Street 3,Home City,Home State,Home Postal Code,Home Country/Region,'
    'Other Street,Other Street 2,Other Street 3,Other City,Other State,Other '
    "Postal Code,Other Country/Region,Assistant's Phone,Business Fax,Business "
    'Phone,Business Phone 2,Callback,Car Phone,Company Main Phone,Home Fax,Home '
    'Phone,Home Phone 2,ISDN,Mobile Phone,Other Fax,Other Phone,Pager,Primary '
    "Phone,Radio Phone,TTY/TDD Phone,Telex,Account,Anniversary,Assistant's Name,"
    'Billing Information,Birthday,Business Address PO Box,Categories,Children,'
    'Directory Server,E-mail Address,E-mail Type,E-mail Display Name,E-mail '
    '2 Address,E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 '
    'Type,E-mail 3 Display Name,Gender,Government ID Number,Hobby,Home Address '
    "PO Box,Initials,Internet Free Busy,Keywords,Language,Location,Manager's "
    'Name,Mileage,Notes,Office Location,Organizational ID Number,Other Address '
    'PO Box,Priority,Private,Profession,Referred By,Sensitivity,Spouse,User '
    '1,User 2,User 3,User 4,Web Page\r\n'
    'Mr.,John,Q.,Public,Jr.,"Contoso, Ltd.",Sales,Account Manager,1 Microsoft '
    'Way,,,Redmond,WA,98052,United States of America,,,,,,,,,,,,,,,,(425) 555-0199,'
    '(425) 555-0100,(425) 555-0101,,,,,(206) 555-0123,,,(425) 555-0142,,,,,,'
    ',,,0/0/00,,,5/17/1980,,Clients;VIP,,,john.public@contoso.com,SMTP,John '
    'Public (john.public@contoso.com),jqp@example.com,SMTP,,,,,Unspecified,,'
    ',,J.Q.P.,,,,,,,"Renewal due in Q3, ""gold"" tier.\r\n'
    'Ask about the Denver office.",,,,Normal,False,,,Normal,,,,,,https://contoso.com\r\n'
    ',Jane,,Doe,,,,,,,,,,,,"42 Elm St\nApt 3",,,Springfield,IL,62701,,,,,,,,,'
    ',,,,,,,,,,,,,555-0175,,,,,,,0/0/00,,,0/0/00,,,,,/o=ExchangeLabs/ou=Exchange '
    'Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jdoe,EX,,jane.doe@fabrikam.com,'
    ',,,,,Unspecified,,,,,,,,,,,,,,,Normal,False,,,Normal,,,,,,\r\n'
    ',Lars,,Nielsen,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,+45 20 12 34 56,,,,,'
    ',,,,0/0/00,,,17/5/1982,,,,,,,,,,,,,,Unspecified,,,,,,,,,,,,,,,Normal,False,'
    ',,Normal,,,,,,\r\n'
)


TODAY = dt.date(2026, 11, 25)  # two-digit years are read up to this year


def _read(text: str, date_order: str = "DMY"):
    return read_contacts(io.StringIO(text, newline=""), date_order, TODAY)


def _write(pairs, dialect: str) -> tuple[str, list[str]]:
    stream = io.StringIO(newline="")
    warnings = write_contacts(pairs, stream, dialect)
    return stream.getvalue(), warnings


def _cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ----------------------------------------------------------------------------------- reading


def test_google_old_layout():
    contacts = _read(GOOGLE_OLD_CSV)
    assert contacts.dialect == "google"
    assert contacts.ignored_columns == ["Yomi Name", "Nickname", "Gender", "Photo",
                                        "Organization 1 - Type", "Organization 1 - Department"]
    jose, ana, shop, bea, empty = list(contacts)
    assert (jose.row, jose.line, ana.row, ana.line) == (1, 2, 2, 6)
    assert jose.contact == Contact(
        "José Núñez", company="Acme Iberia, S.L.", title="CTO",
        emails=[Detail("jose@acme.es", "work"), Detail("jnunez@acme.es", "work"),
                Detail("pepe@example.org", "home")],
        phones=[Detail("+34 612 345 678", "mobile"), Detail("+34 91 555 0100", "work"),
                Detail("+34 91 555 0101", "work")],
        addresses=[Detail("Calle Mayor 1\n28013 Madrid\nES", "work")],
        urls=[Detail("https://acme.es/jose", "profile")],
        tags=["Clientes", "starred"], birthday=PartialDate(1980, 5, 17))
    assert jose.notes == ['Met at PyConES, Madrid.\nLikes "cortado", no sugar.']
    assert (jose.warnings, jose.error) == ([], None)
    assert ana.contact == Contact(
        "Dr. Ana María Ruiz", emails=[Detail("ana.ruiz@example.com", "other")],
        addresses=[Detail("Rua Augusta 20\nLisboa, 1100-053\nPortugal", "home")],
        birthday=PartialDate(None, 2, 29))
    assert ana.notes == []
    assert shop.contact == Contact("Ferretería López", company="Ferretería López",
                                   phones=[Detail("+34 93 111 2233", "work")],
                                   tags=["Proveedores"])
    assert bea.contact.name == "Bea Sanz" and bea.contact.birthday is None
    assert bea.warnings == ["birthday '31/02/1980' is not a date; imported without it"]
    assert (empty.row, empty.contact, empty.error) == (5, None, "no name, email, phone or company")
    assert empty.where == "row 5 (line 9)"


def test_google_new_layout():
    contacts = _read(GOOGLE_NEW_CSV)
    assert contacts.dialect == "google"
    assert contacts.ignored_columns == [
        "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name", "Nickname",
        "File As", "Organization Department", "Photo"]
    claire, tom = list(contacts)
    assert claire.contact == Contact(
        "Claire Dubois", company="Dubois & Fils", title="Gérante",
        emails=[Detail("claire@dubois.fr", "work"), Detail("claire.d@example.fr", "home"),
                Detail("cdubois@example.net", "home")],
        phones=[Detail("+33 6 12 34 56 78", "mobile"), Detail("+33 1 23 45 67 89", "work fax")],
        addresses=[Detail("12 rue de la Paix\n75002 Paris\nFrance", "work")],
        urls=[Detail("https://dubois.fr")], tags=["Suppliers", "starred"],
        birthday=PartialDate(None, 12, 3), anniversary=PartialDate(2005, 6, 18))
    assert claire.notes == ["Prefers email.\nCall after 10:00, never on Mondays."]
    assert tom.contact == Contact("Tom O'Brien", phones=[Detail("+353 1 555 0199", "home")],
                                  birthday=PartialDate(1975, 11, 30), dates=[
                                      ImportantDate("Graduation", PartialDate(1997, 6, 1))])
    assert tom.warnings == []
    assert (tom.row, tom.line) == (2, 6)


def test_outlook_layout():
    contacts = _read(OUTLOOK_CSV)
    assert contacts.dialect == "outlook"
    assert {"Department", "E-mail Type", "E-mail Display Name", "Gender", "Initials",
            "Priority"} <= set(contacts.ignored_columns)
    assert not {"Business Street", "Business Fax", "Categories", "Web Page", "Birthday"} & set(
        contacts.ignored_columns)
    john, jane, lars = list(contacts)
    assert john.contact == Contact(
        "Mr. John Q. Public Jr.", company="Contoso, Ltd.", title="Account Manager",
        emails=[Detail("john.public@contoso.com"), Detail("jqp@example.com")],
        phones=[Detail("(425) 555-0199", "work fax"), Detail("(425) 555-0100", "work"),
                Detail("(425) 555-0101", "work"), Detail("(206) 555-0123", "home"),
                Detail("(425) 555-0142", "mobile")],
        addresses=[Detail("1 Microsoft Way\nRedmond, WA 98052\nUnited States of America",
                          "work")],
        urls=[Detail("https://contoso.com")], tags=["Clients", "VIP"],
        birthday=PartialDate(1980, 5, 17))
    assert john.notes == ['Renewal due in Q3, "gold" tier.\r\nAsk about the Denver office.']
    assert john.warnings == []
    assert jane.contact == Contact(
        "Jane Doe", emails=[Detail("jane.doe@fabrikam.com")], phones=[Detail("555-0175")],
        addresses=[Detail("42 Elm St\nApt 3\nSpringfield, IL 62701", "home")])
    assert len(jane.warnings) == 1 and jane.warnings[0].startswith("email '/o=ExchangeLabs/")
    assert lars.contact.birthday == PartialDate(1982, 5, 17)
    assert lars.warnings == ["birthday '17/5/1982' read as DMY"]


def test_header_tolerates_case_spaces_bom_and_semicolons():
    text = "\ufeff NAME ; e-mail 1 - VALUE ;Notes;Colour\r\nAna;ana@example.com;hi;red\r\n"
    contacts = _read(text)
    assert (contacts.dialect, contacts.ignored_columns) == ("google", ["Colour"])
    [ana] = contacts
    assert ana.contact == Contact("Ana", emails=[Detail("ana@example.com")])
    assert ana.notes == ["hi"]


def test_numeric_birthdays_follow_date_order_outside_outlook():
    text = "Name,Birthday\nAna,03/04/1990\nBo,3/4\n"
    assert [r.contact.birthday for r in _read(text)] == [PartialDate(1990, 4, 3),
                                                          PartialDate(None, 4, 3)]
    assert _read(text, "MDY").__next__().contact.birthday == PartialDate(1990, 3, 4)


def test_a_ragged_row_is_reported_and_reading_goes_on():
    text = ('Name,E-mail 1 - Value\r\nAna,ana@example.com,extra\r\n"Bo\nBo",bo@example.com\r\n'
            "\r\nCy\r\nDi,di@example.com\r\n")
    records = list(_read(text))
    assert [(r.row, r.line, r.error) for r in records] == [
        (1, 2, "3 cells where the header has 2"), (2, 3, None),
        (4, 6, "1 cells where the header has 2"), (5, 7, None)]
    assert [r.contact.name for r in records if r.contact] == ["Bo\nBo", "Di"]


@pytest.mark.parametrize(("text", "problem"), [
    ("", "the file is empty"),
    ("\r\n\r\n", "the file is empty"),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Ruiz\r\nEND:VCARD\r\n", "vCard"),
    ("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00b\xee\x9dh^\x01", "binary data"),
    ("Dear Ana,\nthanks for the lunch, see you soon.\n", "no name, email, phone or company"),
    ("id,amount,currency\n1,10.00,EUR\n", "no name, email, phone or company"),
])
def test_a_file_that_is_not_a_contacts_csv_is_refused(text, problem):
    with pytest.raises(InvalidInput, match="not a contacts CSV") as error:
        _read(text)
    assert problem in str(error.value)


def test_text_that_is_not_utf8_is_refused_with_a_hint():
    stream = io.TextIOWrapper(io.BytesIO(b"Name,Notes\r\nJos\xe9,caf\xe9\r\n"), encoding="utf-8",
                              errors="surrogateescape", newline="")  # as the importer opens it
    with pytest.raises(InvalidInput, match=r"line 2, column 4: not UTF-8 text \(byte 0xE9\)"):
        list(read_contacts(stream, "DMY", TODAY))


@pytest.mark.parametrize("where", ["file", "stdin"])
def test_a_byte_that_is_not_utf8_is_named_at_its_line(crm, tmp_path, where):
    data = (b"Name,E-mail 1 - Value,Notes\r\nAna Lima,ana@example.com,\r\n"
            b'Bo Chen,bo@example.com,"two\r\nlines"\r\nJos\xe9 N\xfa\xf1ez,jose@example.com,\r\n')
    path = tmp_path / "google.csv"
    path.write_bytes(data)
    result = (crm("import", str(path)) if where == "file"
              else crm("import", "-", "--format", "csv", input=data))
    name = path if where == "file" else "stdin"
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {name}: line 5, column 4: not UTF-8 text (byte 0xE9); save the file as "
        "UTF-8 CSV\n"))  # it said line 1: the decoder failed on the file's first block
    if where == "file":  # checked before anything is imported
        assert crm.ok("list", "--json").json() == []


@pytest.mark.parametrize("blank_lines", [0, 2])
def test_a_header_line_over_the_limit_is_one_error_naming_its_line(crm, tmp_path, blank_lines):
    """It was cut at the limit: a header of the first columns, and a row of the rest with a
    warning as long as the line."""
    columns = ["Name", "E-mail 1 - Value"] + [f"Custom column {n}" for n in range(5_000)]
    path = tmp_path / "wide.csv"
    path.write_text("\r\n" * blank_lines + ",".join(columns) + "\r\n"
                    + "Ana Lima,ana@example.com" + "," * 5_000 + "\r\n")
    result = crm("import", str(path))
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {path}: line {blank_lines + 1}: longer than 65,536 characters, the "
        "limit for a CSV header line\n"))
    assert crm.ok("list", "--json").json() == []


def test_a_calendar_given_to_import_is_named_as_one(crm, tmp_path):
    """It was "no name, email, phone or company column in the header (BEGIN:VCALENDAR)"."""
    path = tmp_path / "meetings.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    result = crm("import", str(path))
    assert (result.exit_code, result.stderr) == (1, (
        f"crm: error: {path}: not a contacts CSV: this is a calendar (crm import-calendar "
        "reads its meetings)\n"))


def test_a_long_list_of_columns_not_imported_is_cut_short(crm, tmp_path):
    columns = ["Name"] + [f"Custom {n}" for n in range(2_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(columns) + "\r\n" + "Ana Lima" + "," * 2_000 + "\r\n")
    notice = crm.ok("import", str(path)).stderr.splitlines()[0]
    assert notice == (f"{path}: columns not imported: "
                      + ", ".join(f"Custom {n}" for n in range(100)) + " and 1,900 more")
    assert crm.ok("list", "--json").json()[0]["name"] == "Ana Lima"


def test_rows_are_read_lazily():
    rows = "".join(f"Person {n},p{n}@example.com,+34 600 {n:06d}\r\n" for n in range(20_000))
    stream = io.StringIO("Name,E-mail 1 - Value,Phone 1 - Value\r\n" + rows, newline="")
    contacts = read_contacts(stream, "DMY", TODAY)
    assert next(contacts).contact.name == "Person 0"
    assert stream.tell() < len(stream.getvalue()) / 10
    assert sum(1 for _ in contacts) == 19_999


# ----------------------------------------------------------------------------------- writing

SAMPLE = [
    (Contact("José Núñez", company="Acme Iberia, S.L.", title="CTO",
             emails=[Detail("jose@acme.es", "work"), Detail("pepe@example.org", "home"),
                     Detail("jnunez@acme.es", "work"), Detail("old@acme.es", "")],
             phones=[Detail("+34 612 345 678", "mobile"), Detail("+34 91 555 0100", "work"),
                     Detail("+34 91 555 0101", "work fax"), Detail("600 111 222", "home")],
             addresses=[Detail("Calle Mayor 1\n28013 Madrid", "work"),
                        Detail("Rúa Nova 2, Vigo", "home"), Detail("Apartado 7", "")],
             urls=[Detail("https://acme.es", "work"), Detail("https://pepe.dev", ""),
                   Detail("https://github.com/pepe", "")],
             tags=["clientes", "starred", "vip"], birthday=PartialDate(1980, 5, 17),
             anniversary=PartialDate(2009, 9, 12)),
     ['Met at PyConES, Madrid.\nLikes "cortado", no sugar.', "Second note: call back"]),
    (Contact("Ana María Ruiz", emails=[Detail("ana@example.com")],
             birthday=PartialDate(1992, 2, 29)), []),
    (Contact("Cher", phones=[Detail("+1 555 0100")], birthday=PartialDate(None, 2, 29)),
     ["-- signed, Cher"]),
]


def _joined(notes: list[str]) -> list[str]:
    return ["\n\n".join(notes)] if notes else []


@pytest.mark.parametrize("dialect", ["google", "crmcli"])
def test_google_and_crmcli_round_trip_everything(dialect):
    text, warnings = _write(SAMPLE, dialect)
    assert warnings == []
    records = list(_read(text))
    assert [r.error for r in records] == [None] * len(SAMPLE)
    assert [(r.contact, r.notes) for r in records] == [(c, _joined(n)) for c, n in SAMPLE]


def test_google_columns():
    text, _ = _write(SAMPLE, "google")
    assert text.startswith("Name,Given Name,Family Name,Birthday,Notes,Group Membership,")
    assert text.endswith("\r\n") and "\r\n" in text.split("\r\n", 1)[1]
    jose, ana, cher = _cells(text)
    assert (jose["Given Name"], jose["Family Name"], jose["Birthday"]) == (
        "José", "Núñez", "1980-05-17")
    assert jose["Group Membership"] == "* myContacts ::: clientes ::: * starred ::: vip"
    assert (jose["E-mail 1 - Type"], jose["E-mail 1 - Value"]) == ("Work", "jose@acme.es")
    assert (jose["E-mail 3 - Type"], jose["E-mail 3 - Value"]) == (
        "Work ::: ", "jnunez@acme.es ::: old@acme.es")
    assert (jose["Phone 2 - Type"], jose["Phone 3 - Type"]) == ("Work", "Work Fax ::: Home")
    assert (jose["Event 1 - Type"], jose["Event 1 - Value"]) == ("Anniversary", "2009-09-12")
    assert (ana["Given Name"], ana["Family Name"]) == ("Ana María", "Ruiz")
    assert (cher["Given Name"], cher["Family Name"], cher["Birthday"]) == ("Cher", "", "'--02-29")


def test_outlook_round_trip_keeps_what_outlook_can_hold():
    text, warnings = _write(SAMPLE, "outlook")
    assert warnings == [
        "José Núñez: email 'old@acme.es' not written (no free Outlook column)",
        "José Núñez: URL 'https://pepe.dev' not written (no free Outlook column)",
        "José Núñez: URL 'https://github.com/pepe' not written (no free Outlook column)",
        "Cher: birthday --02-29 not written (Outlook needs a year)"]
    jose_cells = _cells(text)[0]
    assert (jose_cells["First Name"], jose_cells["Last Name"]) == ("José", "Núñez")
    assert jose_cells["Birthday"] == "5/17/1980"
    assert jose_cells["Categories"] == "clientes;starred;vip"
    assert jose_cells["Business Fax"] == "'+34 91 555 0101"
    jose, ana, cher = list(_read(text))
    assert jose.contact == Contact(
        "José Núñez", company="Acme Iberia, S.L.", title="CTO",
        emails=[Detail("jose@acme.es"), Detail("pepe@example.org"), Detail("jnunez@acme.es")],
        phones=[Detail("+34 91 555 0100", "work"), Detail("600 111 222", "home"),
                Detail("+34 612 345 678", "mobile"), Detail("+34 91 555 0101", "work fax")],
        addresses=SAMPLE[0][0].addresses, urls=[Detail("https://acme.es")],
        tags=["clientes", "starred", "vip"], birthday=PartialDate(1980, 5, 17),
        anniversary=PartialDate(2009, 9, 12))
    assert jose.notes == _joined(SAMPLE[0][1])
    assert ana.contact == SAMPLE[1][0]
    assert cher.contact == Contact("Cher", phones=[Detail("+1 555 0100")])
    assert cher.notes == ["-- signed, Cher"]


def test_outlook_phones_go_to_the_columns_for_their_label():
    labels = ["cell", "mobile", "pager", "x", ""]
    contact = Contact("Bo Li", phones=[Detail(f"600 000 00{n}", label)
                                       for n, label in enumerate(labels, 1)])
    text, warnings = _write([(contact, [])], "outlook")
    [cells] = _cells(text)
    assert (cells["Mobile Phone"], cells["Other Phone"], cells["Pager"]) == (
        "600 000 001", "600 000 002", "600 000 003")
    assert warnings == ["Bo Li: phone '600 000 004' not written (no free Outlook column)",
                        "Bo Li: phone '600 000 005' not written (no free Outlook column)"]


def test_unknown_dialect_is_refused():
    with pytest.raises(InvalidInput, match="unknown CSV dialect 'excel'"):
        write_contacts([], io.StringIO(), "excel")


# --------------------------------------------------------------------- formula neutralisation

DANGEROUS = Contact("=HYPERLINK(\"http://evil\",\"x\")", company="@SUM(A1:A9)", title="-2+3",
                    emails=[Detail("+x@example.com")], phones=[Detail("+34 612 345 678")],
                    addresses=[Detail("\tTabbed St 1")], tags=["=cmd|' /C calc'!A0", "ok"],
                    urls=[Detail("'=already-quoted")])


@pytest.mark.parametrize("dialect", ["google", "outlook", "crmcli"])
def test_formulas_are_neutralised_and_restored(dialect):
    text, _ = _write([(DANGEROUS, ["=1+1", "'+quoted note"])], dialect)
    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row if cell]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'+34 612 345 678" in cells and "''=already-quoted" in cells
    [record] = _read(text)
    contact = record.contact
    assert (contact.name, contact.company, contact.title) == (
        DANGEROUS.name, DANGEROUS.company, DANGEROUS.title)
    assert [p.value for p in contact.phones] == ["+34 612 345 678"]
    assert [u.value for u in contact.urls] == ["'=already-quoted"]
    assert record.notes == ["=1+1\n\n'+quoted note"]


def test_reading_removes_exactly_one_neutralising_quote():
    text = ("Name,Phone 1 - Value,Notes,Organization 1 - Name\r\n"
            "'=Ana,'+34 612 345 678,'just quoted,''-two quotes\r\n")
    [record] = _read(text)
    assert record.contact.name == "=Ana"
    assert record.contact.phones == [Detail("+34 612 345 678")]
    assert record.contact.company == "'-two quotes"
    assert record.notes == ["'just quoted"]


# ------------------------------------------------------------------------------- hypothesis

_TEXT = st.text(st.one_of(st.characters(exclude_categories=("Cs",)),
                          st.sampled_from(',;"\'\n\r\t =+-@*')), min_size=1, max_size=24)
_STRIPPED = _TEXT.map(str.strip).filter(bool)
_LABELS = st.sampled_from(["", "work", "home", "mobile", "work fax", "other", "main"])


def _details(values, max_size: int):
    return st.lists(st.builds(Detail, values, _LABELS), max_size=max_size)


_DATES = st.one_of(
    st.none(), st.just(PartialDate(None, 2, 29)),
    st.dates().filter(lambda d: d.year not in STAND_IN_YEARS).map(  # those read as no year
        lambda d: PartialDate(d.year, d.month, d.day)),
    st.dates(dt.date(2000, 1, 1), dt.date(2000, 12, 31)).map(
        lambda d: PartialDate(None, d.month, d.day)))
_EMAILS = st.builds("{}@{}.{}".format, st.text("abxyz019._%+-", min_size=1, max_size=8),
                    st.text("abcdefgh-", min_size=1, max_size=8), st.sampled_from(["com", "es"]))
_PHONES = st.builds(lambda plus, groups: plus + " ".join(groups), st.sampled_from(["", "+"]),
                    st.lists(st.text("0123456789", min_size=2, max_size=4), min_size=2,
                             max_size=4))
_URLS = st.builds("https://{}.{}/{}".format, st.text("abcdefgh", min_size=1, max_size=8),
                  st.sampled_from(["com", "es"]), st.text("abc123", max_size=6))
_TAGS = st.text(st.characters(categories=("L", "N")) | st.sampled_from(" =+@'.-_"),
                min_size=1, max_size=12).map(str.strip).filter(bool)
_CONTACTS = st.builds(
    Contact, name=_STRIPPED, company=st.none() | _STRIPPED, title=st.none() | _STRIPPED,
    emails=_details(_EMAILS, 5), phones=_details(_PHONES, 5),
    addresses=_details(_STRIPPED.filter(lambda text: ":::" not in text), 3),
    urls=_details(_URLS, 3), tags=st.lists(_TAGS, max_size=4, unique=True),
    birthday=_DATES, anniversary=_DATES)


@pytest.mark.parametrize("dialect", ["crmcli", "google"])
@settings(max_examples=100, deadline=None)
@given(people=st.lists(st.tuples(_CONTACTS, st.lists(_STRIPPED, max_size=2)), max_size=4))
def test_generated_contacts_survive_a_round_trip(dialect, people):
    text, warnings = _write(people, dialect)
    assert warnings == []
    records = list(_read(text))
    assert [(r.contact, r.notes, r.warnings) for r in records] == [
        (contact, _joined(notes), []) for contact, notes in people]
