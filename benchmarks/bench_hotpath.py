"""The hot path: `crm mutt-query` against abook (C) on the same contacts, `crm --version`
against the bare interpreter, as whole processes on generated books.

    python benchmarks/bench_hotpath.py                        # 10,000, 100,000, 1,000,000
    python benchmarks/bench_hotpath.py --contacts 10000 --runs 20
    python benchmarks/bench_hotpath.py --this-venv            # the running venv's crm instead
    python benchmarks/bench_hotpath.py --floor --runs 20      # what the floor is made of (10,000)

What runs is crm as a user installs it: `pip install` of this repository (not editable) into a
venv of its own, built once beside the books and reinstalled (without touching its
dependencies) when the package's files change. A development venv's editable install puts the
source folder on sys.path through a .pth file (newer setuptools: an import finder) and holds the
test extras; `--this-venv` measures it instead, for comparison. `python -c pass`, the floor and
crm all run on that venv's interpreter. pip's console script itself imports `re` (about 4 ms of
CPU here), which crm's safe-text and folding code use too.

Each book is built once and cached (see common.build_book: written through the domain layer).
abook reads a file written from the same generated contacts (names, emails, phones); it is
the system package `abook` and is used when installed (the script says when it is not). Runs
alternate crm, its peer and the floor, after a warm-up; reported per case: median wall and CPU
time in milliseconds, peak RSS, and the median ratio of the pairs. The floor is what Python
itself costs before crm does anything: the interpreter, `import sqlite3` and a connection to the
book (`python -c 'import sqlite3; sqlite3.connect(book).execute("select 1")'`); its ratio to
abook shows how close to C a Python program can get on that book. Targets, judged on wall and
on CPU time: mutt-query within 2x abook on 10,000 contacts and ahead of it (ratio below 1) on
100,000 and 1,000,000; `crm --version` within 3x `python -c pass`. Exits 1 when a target is
missed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

from common import (
    DATA,
    alternate,
    build_book,
    generated_contacts,
    judge,
    paired_ratio,
)

# What a user's shell has: unbuffered standard streams (set here for the tools) would make
# every write of the measured processes a system call.
os.environ.pop("PYTHONUNBUFFERED", None)
ABOOK = shutil.which("abook")
MUTT_TARGETS = {10_000: 2.0, 100_000: 1.0, 1_000_000: 1.0}  # crm / abook
VERSION_TARGET = 3.0  # crm --version / python -c pass
HEAVY = ("typer", "click", "rich", "dateutil", "sqlite_utils")
REPOSITORY = Path(__file__).resolve().parents[1]
INSTALLED = DATA / "installed"  # the venv crm is installed into


def installed_venv() -> Path:
    """The bin folder of a venv holding crm installed from this repository by pip (not
    editable), brought up to date with the package's files."""
    stamp, fingerprint = INSTALLED / "crmcli-source", _source_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return INSTALLED / "bin"
    source = _source_copy()
    pip = [str(INSTALLED / "bin" / "python"), "-m", "pip", "install", "-q"]
    if not (INSTALLED / "bin" / "python").exists():
        print(f"installing crm into {INSTALLED} (once)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(INSTALLED)], check=True)
        subprocess.run([*pip, str(source)], check=True)
    else:  # only crmcli changed: its dependencies stay as they are
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(source)], check=True)
    stamp.write_text(fingerprint)
    return INSTALLED / "bin"


def _source_copy() -> Path:
    """What pip builds from, copied beside the books: a build leaves nothing in the
    repository."""
    copy = DATA / "installed-source"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPOSITORY / name, copy / name)
    shutil.copytree(REPOSITORY / "src", copy / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return copy


def _source_fingerprint() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for path in [REPOSITORY / "pyproject.toml",
                 *sorted((REPOSITORY / "src").rglob("*.py"))]:
        digest.update(str(path.relative_to(REPOSITORY)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def abook_file(count: int):
    """The generated contacts in abook's own format, written once beside the books."""
    path = DATA / f"abook-{count}"
    if path.exists():
        return path
    partial = path.with_suffix(f".{os.getpid()}.partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write("# abook addressbook file\n\n[format]\nprogram=abook\nversion=0.6.1\n\n")
        for number, (contact, _) in enumerate(generated_contacts(count)):
            out.write(f"\n[{number}]\nname={contact.name}\n"
                      f"email={','.join(e.value for e in contact.emails)}\n"
                      f"mobile={contact.phones[0].value}\n")
    os.replace(partial, path)
    return path


def _light_path_used(python: str, crm: list[str], env: dict, args: list[str]) -> bool:
    """Whether ``crm ARGS`` ran without importing Typer, Rich, dateutil or sqlite-utils."""
    program = crm[1:] if crm[0] == python else crm  # the script, or -m crmcli
    done = subprocess.run([python, "-X", "importtime", *program, *args], env=env,
                          capture_output=True, text=True)
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0]
              for line in done.stderr.splitlines() if line.startswith("import time:")}
    return not loaded & set(HEAVY)


def _summary(label: str, runs) -> str:
    codes = sorted({run.code for run in runs})
    return (f"{label:<46} wall {1000 * statistics.median(r.wall for r in runs):8.1f} ms"
            f"  cpu {1000 * statistics.median(r.cpu for r in runs):8.1f} ms"
            f"  rss {max(r.peak_mb for r in runs):6.1f} MB"
            + (f"  exit {codes}" if codes != [0] else ""))


def mutt_query(python: str, crm: list[str], count: int, runs: int) -> bool:
    book = build_book(count)
    env = {**os.environ, "CRM_DB": str(book), "HOME": str(DATA)}
    for variable in ("CRM_CONFIG", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env.pop(variable, None)  # no config file: $HOME/.config/crmcli holds none
    with sqlite3.connect(book) as conn:
        full_name = conn.execute("SELECT name FROM contacts WHERE id = 4242").fetchone()[0]
    subprocess.run([*crm, "due"], env=env, stdout=subprocess.DEVNULL, check=True)  # migrated
    print(f"\n{count:,} contacts ({book.stat().st_size / 1e6:.0f} MB book)"
          f"; light path used: {_light_path_used(python, crm, env, ['mutt-query', full_name])}")
    floor = [python, "-c", f"import sqlite3; sqlite3.connect({str(book)!r}).execute('select 1')"]
    passed = True
    for label, query in (("full name", full_name), ("surname, thousands of hits", "weber")):
        cases = {f"crm mutt-query '{query}'": [*crm, "mutt-query", query]}
        if ABOOK:
            cases[f"abook --mutt-query '{query}'"] = [
                ABOOK, "--datafile", str(abook_file(count)), "--mutt-query", query]
        cases["floor: python, import sqlite3, connect"] = floor
        results = alternate(cases, env, runs)
        for case, measured in results.items():
            print(_summary(case, measured))
        if not ABOOK:
            print("  abook is not installed (apt-get install abook): no comparison")
            continue
        mine, peer, bare = results.values()
        print(f"  floor/abook: wall {paired_ratio(bare, peer, 'wall'):.2f}x, "
              f"cpu {paired_ratio(bare, peer, 'cpu'):.2f}x (what Python and sqlite3 cost alone)")
        wall, cpu = paired_ratio(mine, peer, "wall"), paired_ratio(mine, peer, "cpu")
        passed &= judge(f"{label}: crm/abook on {count:,}", wall, cpu, MUTT_TARGETS[count],
                        "x")
    return passed


def floor(python: str, crm: list[str], count: int, runs: int) -> None:
    """What the floor is made of, step by step, each a whole process on ``python``, beside
    crm and abook answering the same surname: the interpreter (with and without site, in
    isolated mode), the ``re`` that pip's console script imports, the sqlite3 extension and
    its Python wrapper, a connection, opening the book (a read: the -wal and -shm files are
    made and removed), its schema, and the query crm runs with its lines written out."""
    from crmcli import search

    book, query = build_book(count), "weber"
    env = {**os.environ, "CRM_DB": str(book), "HOME": str(DATA)}
    for variable in ("CRM_CONFIG", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env.pop(variable, None)
    subprocess.run([*crm, "due"], env=env, stdout=subprocess.DEVNULL, check=True)  # migrated
    expression = search.match_expression(query)
    lines_sql = search._ADDRESS_LINES.format(
        contacts="contact_search s CROSS JOIN contacts c INDEXED BY contacts_addressing"
        " ON c.id = s.rowid", matching="contact_search MATCH ? AND ")
    connect = f"import sqlite3; db = sqlite3.connect({str(book)!r}); db.execute"
    steps = {
        "python -I -S -c pass": ["-I", "-S", "-c", "pass"],
        "python -S -c pass": ["-S", "-c", "pass"],
        "python -I -c pass": ["-I", "-c", "pass"],
        "python -c pass": ["-c", "pass"],
        "  import re (pip's console script)": ["-c", "import re"],
        "  import _sqlite3": ["-c", "import _sqlite3"],
        "  import sqlite3": ["-c", "import sqlite3"],
        "  + connect, select 1 (the floor)": ["-c", f"{connect}('select 1')"],
        "  + open the book (user_version)": ["-c", f"{connect}('pragma user_version')"],
        "  + its schema (a table read)": ["-c", f"{connect}('select 1 from contacts limit 1')"],
        "  + re, the query, lines written": ["-c", f"import re, sys; {connect}; sys.stdout.write("
                                             f"'\\n'.join(r for (r,) in db.execute("
                                             f"{lines_sql!r}, [{expression!r}])))"],
    }
    cases = {label: [python, *args] for label, args in steps.items()}
    cases[f"crm mutt-query '{query}'"] = [*crm, "mutt-query", query]
    if ABOOK:
        cases[f"abook --mutt-query '{query}'"] = [
            ABOOK, "--datafile", str(abook_file(count)), "--mutt-query", query]
    results = alternate(cases, env, runs)
    print(f"\nthe floor on {count:,} contacts, step by step"
          + ("; x: CPU time / abook's" if ABOOK else ""))
    peer = statistics.median(r.cpu for r in results[list(cases)[-1]]) if ABOOK else None
    for case, measured in results.items():
        cpu = statistics.median(r.cpu for r in measured)
        print(_summary(case, measured) + (f"  {cpu / peer:5.2f}x" if peer else ""))


def version(python: str, crm: list[str], runs: int) -> bool:
    cases = {"crm --version": [*crm, "--version"], "python -c pass": [python, "-c", "pass"]}
    results = alternate(cases, dict(os.environ), runs)
    print()
    for case, measured in results.items():
        print(_summary(case, measured))
    mine, peer = results.values()
    return judge("crm --version / python -c pass", paired_ratio(mine, peer, "wall"),
                 paired_ratio(mine, peer, "cpu"), VERSION_TARGET, "x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, action="append",
                        choices=sorted(MUTT_TARGETS))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--this-venv", action="store_true",
                        help="measure the running venv's crm (editable in development)")
    parser.add_argument("--floor", action="store_true",
                        help="only break the floor down, step by step, on each book")
    options = parser.parse_args()
    bin_folder = Path(sys.executable).parent if options.this_venv else installed_venv()
    python, crm = str(bin_folder / "python"), [str(bin_folder / "crm")]
    print(f"crm: {crm[0]} ({'this venv' if options.this_venv else 'pip install, not editable'})"
          f"; abook: {ABOOK or 'not installed'}")
    if options.floor:
        for count in options.contacts or [10_000]:
            floor(python, crm, count, options.runs)
        return 0
    passed = version(python, crm, options.runs)
    for count in options.contacts or sorted(MUTT_TARGETS):
        passed &= mutt_query(python, crm, count, options.runs)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
