"""Seeded-mutation fuzzing of the importers (vCard, CSV, JSON, JSON Lines), shared by the
suite's bounded run (tests/test_fuzz.py) and the long run (benchmarks/fuzz_importers.py).

Seeds are real files: the vCard corpus in ../shared/corpus/vcards when it is there, and small
CSV, JSON and JSONL books written by crm itself. Each case is a seed changed by a few
mutations chosen by a seeded random generator (bytes flipped, inserted, repeated or cut;
tokens that parsers trip on: quotes, escapes, folds, huge numbers, lone surrogates, other
encodings), imported into a real book. A case passes when it raises nothing but crmcli's own
errors and takes less than ``CASE_SECONDS``; the book must pass PRAGMA integrity_check.
Every ``CLI_EVERY``-th case goes through the whole command (``crm import -f FMT -``), so that
the error handler and the messages are fuzzed too: it must end with exit 0 or 1, never an
internal error.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "vcards"
CASE_SECONDS = 2.0
TODAY = dt.date(2026, 11, 26)  # two-digit years read up to it: never the wall clock
CLI_EVERY = 25
FORMATS = ("vcard", "csv", "json", "jsonl")

_TOKENS = [
    b"\r\n", b"\n ", b"\r\n\t", b":", b";", b",", b"=", b'"', b"\\", b"\\n", b"=\r\n",
    b"BEGIN:VCARD\r\n", b"END:VCARD\r\n", b"VERSION:2.1\r\n", b"VERSION:4.0\r\n",
    b"TEL:" + b"9" * 5000 + b"\r\n", b"EMAIL:" + b"a" * 3000 + b"@x.example\r\n",
    b"ENCODING=QUOTED-PRINTABLE", b"ENCODING=b", b"CHARSET=latin-1", b"BDAY:0000-00-00\r\n",
    b"item1.", b"X-ABLabel:", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3", b"\xed\xa0\x80", b"\x00",
    b'"\\ud800"', b'"\\udfff x"', b"[", b"]", b"{", b"}", b"null", b"1e999", b"-0",
    b'{"name": "x", "emails": [' + b'"a@b.example",' * 200 + b'"c@d.example"]}',
    b",,,,,,,,,,", b'"""', b"=cmd|' /C calc'!A0", b"+34 612 34 56 78", b"1-800-flowers",
]


@dataclass
class Outcome:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0


def seeds(tmp: Path) -> dict[str, list[bytes]]:
    """Real inputs of each format to mutate."""
    from crmcli import contacts, db
    from crmcli.interchange.csv_columns import DIALECTS
    from crmcli.interchange.csv_write import write_contacts
    from crmcli.models import Contact, Detail, PartialDate

    book = [
        Contact(name="José Núñez", company="Iberia Logistics", title="CEO",
                emails=[Detail("jose@iberialog.es", "work")],
                phones=[Detail("+34 612 34 56 78", "mobile"), Detail("1-800-flowers")],
                addresses=[Detail("Calle Mayor 1\nMadrid", "work")], tags=["vip", "lead"],
                birthday=PartialDate(None, 2, 29)),
        Contact(name="Ana Lima", emails=[Detail("ana@atlantico.pt")],
                phones=[Detail("07700 900005")], urls=[Detail("https://atlantico.pt")]),
    ]
    texts: dict[str, list[bytes]] = {fmt: [] for fmt in FORMATS}
    for dialect in DIALECTS:
        stream = io.StringIO()
        write_contacts([(c, ["Met in Lisbon", "A\n\nB"]) for c in book], stream, dialect)
        texts["csv"].append(stream.getvalue().encode())
    texts["csv"].append(  # LinkedIn's Connections.csv, with its notes
        'Notes:\n"When exporting your connection data, you may notice..."\n\n'
        "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        "José,Núñez,https://www.linkedin.com/in/jose/,jose@iberialog.es,Iberia,CEO,12 Mar 2024\n"
        'Ana,Lima,https://www.linkedin.com/in/ana,,,,"Mar 5, 2023"\n'.encode())
    database = db.connect(tmp / "seeds.db")
    records = [contacts.to_record(contacts.create(database, c)) for c in book]
    database.close()
    import json

    texts["json"].append(json.dumps(records, ensure_ascii=False).encode())
    texts["jsonl"].append("\n".join(json.dumps(r) for r in records).encode())
    texts["vcard"] = [path.read_bytes() for path in sorted(CORPUS.glob("*.vcf"))
                      if path.stat().st_size < 200_000] or [_fallback_card()]
    return texts


def _fallback_card() -> bytes:
    return ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:José Núñez\r\nN:Núñez;José;;;\r\n"
            "EMAIL;TYPE=work:jose@iberialog.es\r\nTEL;TYPE=cell:+34 612 34 56 78\r\n"
            "item1.URL:https://iberialog.es\r\nitem1.X-ABLabel:site\r\n"
            "NOTE:Met in Lisbon\\, twice\r\nBDAY:--0229\r\nEND:VCARD\r\n").encode()


def mutate(data: bytes, rng: random.Random) -> bytes:
    """``data`` after one to four random mutations."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(buffer) + 1)
        choice = rng.randrange(6)
        if choice == 0 and buffer:  # flip a byte
            buffer[min(where, len(buffer) - 1)] = rng.randrange(256)
        elif choice == 1:  # insert a token parsers trip on
            buffer[where:where] = rng.choice(_TOKENS)
        elif choice == 2:  # repeat a slice many times
            end = min(len(buffer), where + rng.randint(1, 80))
            buffer[where:where] = buffer[where:end] * rng.choice((2, 10, 500))
        elif choice == 3:  # cut a slice out
            del buffer[where:where + rng.randint(1, 200)]
        elif choice == 4:  # truncate
            del buffer[where:]
        else:  # random bytes
            buffer[where:where] = rng.randbytes(rng.randint(1, 16))
    return bytes(buffer)


def cases(texts: dict[str, list[bytes]], seed: int) -> Iterator[tuple[str, bytes]]:
    """An endless, reproducible stream of (format, mutated input), formats in turn."""
    rng = random.Random(seed)
    while True:
        for fmt in FORMATS:
            yield fmt, mutate(rng.choice(texts[fmt]), rng)


def run_case(database, fmt: str, data: bytes) -> None:
    """Import one input into the book as ``crm import -f FMT -`` does."""
    from crmcli.errors import CrmError
    from crmcli.interchange import importer, input_files

    source = input_files.Source(f"case.{fmt}", io.BytesIO(data), len(data))
    try:
        records = input_files.read_all([source], [input_files.Format(fmt)], "DMY", TODAY)
        importer.run(database, records)
    except CrmError:
        pass


def run_command(db_path: Path, fmt: str, data: bytes) -> str | None:
    """Import one input through the CLI in this process; what went wrong, if anything."""
    from typer.testing import CliRunner

    from crmcli.cli import app

    result = CliRunner().invoke(app, ["--db", str(db_path), "import", "-f", fmt, "-"],
                                input=data)
    if result.exception and not isinstance(result.exception, SystemExit):
        return f"{type(result.exception).__name__}: {result.exception}"
    if result.exit_code not in (0, 1) or "internal error" in result.stderr:
        return f"exit {result.exit_code}: {result.stderr[-300:]}"
    return None


def fuzz(tmp: Path, budget_seconds: float | None, max_cases: int | None, seed: int = 1
         ) -> Outcome:
    """Run cases until the budget or the count is spent; returns what happened."""
    from crmcli import db

    texts = seeds(tmp)
    database = db.connect(tmp / "fuzz.db")
    outcome = Outcome()
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    for fmt, data in cases(texts, seed):
        if (max_cases is not None and outcome.cases >= max_cases) or (
                deadline is not None and time.monotonic() > deadline):
            break
        started = time.process_time()  # CPU: a loaded machine does not make a case slow
        try:
            if outcome.cases % CLI_EVERY == 0:
                problem = run_command(tmp / "fuzz-cli.db", fmt, data)
                if problem:
                    outcome.failures.append(f"case {outcome.cases} ({fmt}, crm import): "
                                            f"{problem[:300]}")
            else:
                run_case(database, fmt, data)
        except Exception as exc:  # any other exception is the finding
            outcome.failures.append(f"case {outcome.cases} ({fmt}): {type(exc).__name__}: "
                                    f"{str(exc)[:200]}")
        took = time.process_time() - started
        outcome.slowest = max(outcome.slowest, took)
        if took > CASE_SECONDS:
            outcome.failures.append(f"case {outcome.cases} ({fmt}): took {took:.1f} s")
        outcome.cases += 1
    for path in (tmp / "fuzz.db", tmp / "fuzz-cli.db"):
        if path.exists():
            check = db.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                outcome.failures.append(f"{path.name}: integrity_check: {check}")
    database.close()
    return outcome
