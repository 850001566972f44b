"""vCard import against vobject's own parse, re-import, and export of changed contacts.

    python benchmarks/bench_import.py                       # 10,000 cards, 5 runs
    python benchmarks/bench_import.py --cards 100000 --runs 5
    python benchmarks/bench_import.py --cards 1000000 --runs 1 --no-baseline
    python benchmarks/bench_import.py --cards 1000000 --runs 1 --memory-only

Each figure is the median of the runs after a warm-up, as whole processes: wall time, CPU
time (user + system of the whole process tree, the parsing worker included) and the peak
resident memory of the tree. Every command runs on one core (`taskset -c 0`: crm then parses
in its own process; `--all-cores` lets it start its parsing worker). Targets:
- import CPU <= 1.0x the CPU of `vobject.readComponents` over the same file (wall printed
  too); peak <= 60 MB;
- re-importing the unchanged file <= 0.5x the first import (CPU and wall);
- exporting contacts changed since their import (cards written again) costs <= 2x per
  contact what exporting unchanged ones (cards stored ready) does (CPU and wall), the two
  exports alternated run by run; ``--edit`` chooses the change: of the contact's own fields
  (a tag added, a phone changed, a longer name, an email added), which move its version, or
  of what else its card is made from, which do not (a note, a gift, a relationship, a custom
  field, an opt-out, its company renamed). ``--export-only`` skips the import figures when
  the imported book is there.
``--memory-only`` measures the import alone, on every core (its parsing worker running), with
no warm-up: the peak of a 100,000- or 1,000,000-card import, and how long it takes.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
from pathlib import Path

from bench_interchange import card_file
from common import CRM, DATA, Run, measure, medians, repeat, scratch_copy, verdict

PEAK_MB = 60
ONE_CORE = ["taskset", "-c", "0"]
VOBJECT_PARSE = ("import sys, vobject\n"
                 "with open(sys.argv[1], encoding='utf-8') as f:\n"
                 "    n = sum(1 for _ in vobject.readComponents(f))\n")


def cards(count: int) -> Path:
    """The benchmark's vCard file; past 100,000 cards, copies of the 100,000-card file (made
    by vobject, which would take an hour for a million), each with its own UIDs, names and
    email addresses so that every card is a new contact."""
    if count <= 100_000 or count % 100_000:
        return card_file(count)
    path = DATA / f"cards-{count}.vcf"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8", newline="") as out:
            for copy in range(count // 100_000):
                with card_file(100_000).open(encoding="utf-8", newline="") as source:
                    out.writelines(_renamed(line, copy) for line in source)
        os.replace(partial, path)
    return path


def _renamed(line: str, copy: int) -> str:
    if not copy:
        return line
    if line.startswith("UID:"):
        return line.replace("UID:bench-", f"UID:bench{copy}-")
    if line.startswith("FN:"):
        return f"{line[:-2]} c{copy}\r\n"
    if line.startswith("EMAIL"):
        return line.replace("@example", f"@c{copy}example")
    return line


def environment(db_path: Path) -> dict:
    return {**os.environ, "CRM_DB": str(db_path), "XDG_CONFIG_HOME": str(DATA / "no-config")}


def fresh(db_path: Path):
    def remove() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return remove


def line(label: str, run: Run, extra: str = "") -> None:
    print(f"{label:<34} wall {run.wall:7.2f} s  cpu {run.cpu:7.2f} s  "
          f"peak RSS {run.peak_mb:6.1f} MB (PSS {run.peak_pss_mb:5.1f})  {extra}", flush=True)


def ratio_verdict(name: str, run: Run, base: Run, limit: float) -> tuple[str, bool]:
    wall, cpu = run.wall / base.wall, run.cpu / base.cpu
    ok = cpu <= limit and wall <= limit
    return (f"{name}: cpu {cpu:.2f}x {verdict(cpu <= limit)}, wall {wall:.2f}x "
            f"{verdict(wall <= limit)} (<= {limit}x)"), ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip vobject's parse (for a 1,000,000-card file)")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--edit", choices=sorted(EDITS), default="tag",
                        help="the bulk edit made before exporting changed contacts (default: tag)")
    parser.add_argument("--all-cores", action="store_true",
                        help="do not pin the commands to one core")
    parser.add_argument("--export-only", action="store_true",
                        help="measure only the exports, with the book imported before if any")
    parser.add_argument("--memory-only", action="store_true",
                        help="the import's time and peak memory alone, on every core and with "
                             "no warm-up (no baseline, re-import or export)")
    options = parser.parse_args()
    global CRM
    if not (options.all_cores or options.memory_only) and shutil.which("taskset"):
        CRM = [*ONE_CORE, *CRM]
    if options.memory_only:
        return memory(cards(options.cards), options)
    source = cards(options.cards)
    work = DATA / f"import-bench-{options.cards}"
    work.mkdir(exist_ok=True)
    first_db, env = work / "first.db", environment(work / "first.db")
    print(f"{options.cards:,} cards ({source.stat().st_size / 1e6:.0f} MB), median of "
          f"{options.runs} run(s) after a warm-up, "
          f"{'on one core' if CRM[0] == 'taskset' else 'on every core'}")
    passed = True
    if options.export_only and first_db.exists():
        return 0 if export(first_db, work, options) else 1
    imported = medians(repeat([*CRM, "import", str(source)], options.runs, env,
                              prepare=fresh(first_db)))
    memory_ok = imported.peak_mb <= PEAK_MB
    passed &= memory_ok
    if not options.no_baseline:
        pin = ONE_CORE if CRM[:len(ONE_CORE)] == ONE_CORE else []
        parse = medians(repeat([*pin, sys.executable, "-c", VOBJECT_PARSE, str(source)],
                               options.runs))
        line("vobject.readComponents", parse)
        text, ok = ratio_verdict("import / vobject", imported, parse, 1.0)
        passed &= ok
        line("crm import", imported, text)
    else:
        line("crm import", imported)
    print(f"{'':34} peak RSS of the tree {verdict(memory_ok)} (<= {PEAK_MB} MB; PSS counts "
          "the pages the parsing worker shares with its parent once)")
    again_db = work / "again.db"
    reimport = medians(repeat([*CRM, "import", str(source)], options.runs,
                              environment(again_db),
                              prepare=lambda: scratch_copy(first_db, again_db)))
    text, ok = ratio_verdict("re-import / import", reimport, imported, 0.5)
    passed &= ok
    line("crm import (unchanged, again)", reimport, text)
    if not options.no_export:
        passed &= export(first_db, work, options)
    return 0 if passed else 1


def memory(source: Path, options) -> int:
    """``--memory-only``: import ``source`` into a new book ``--runs`` times; the median times
    and the largest peaks, judged on RSS (each process's pages counted in full, so the
    pages the worker shares with its parent count twice) and on PSS (counted once)."""
    db_path = DATA / f"import-bench-{options.cards}" / "memory.db"
    db_path.parent.mkdir(exist_ok=True)
    print(f"{options.cards:,} cards ({source.stat().st_size / 1e6:.0f} MB), "
          f"{options.runs} run(s), on every core (the parsing worker included)")
    imported = medians(repeat([*CRM, "import", str(source)], options.runs,
                              environment(db_path), prepare=fresh(db_path), warm_up=False))
    fresh(db_path)()
    rss_ok, pss_ok = imported.peak_mb <= PEAK_MB, imported.peak_pss_mb <= PEAK_MB
    line("crm import", imported, f"RSS {verdict(rss_ok)}, PSS {verdict(pss_ok)} "
         f"(<= {PEAK_MB} MB)")
    return 0 if rss_ok and pss_ok else 1


# The bulk edits --edit chooses from, each applied to every contact's JSON record (a JSONL
# re-import), or (COMPANY) to the book.
EDITS = {
    "tag": ("a tag added", lambda record: record.update(tags=[*record["tags"], "edited"])),
    "phone": ("its first phone number changed", lambda record: record.update(
        phones=[{"value": f"+34 699 {record['id']:06d}", "label": "cell"},
                *record["phones"][1:]])),
    "name": ("its name longer", lambda record: record.update(name=f"{record['name']} Jr")),
    "email": ("an email address added", lambda record: record.update(
        emails=[*record["emails"], {"value": f"c{record['id']}@example.org", "label": "home"}])),
    "note": ("a note added", lambda record: record.update(
        notes=[*record["notes"], f"Called about order {record['id']}"])),
    "gift": ("a gift noted", lambda record: record.update(
        gifts=[*record.get("gifts", []), {"description": "a book", "given_on": "2026-11-01"}])),
    "relation": ("a relationship added", lambda record: record.update(
        relationships=[*record["relationships"],
                       {"type": "friend", "name": f"Bo Friend {record['id']}", "uid": None}])),
    "field": ("a custom field set", lambda record: record.update(
        fields={**record["fields"], "source": f"fair {record['id'] % 50}"})),
    "optout": ("campaign mail refused", lambda record: record.update(no_mail=True)),
    "company": ("its company renamed", None),
}
COMPANY_RENAMED = "UPDATE companies SET name = name || ' Ltd', name_folded = name_folded || ' ltd'"


def export(first_db: Path, work: Path, options) -> bool:
    """Export the imported book as it is (every card stored ready), then after a bulk edit
    (``--edit``) that changes every contact's card (every card written again), the two
    alternated run by run."""
    changed_db = work / f"changed-{options.edit}.db"
    if not changed_db.exists():
        edit(first_db, changed_db, work, options.edit)
    cases = {"cached": [*CRM, "export"], "written": [*CRM, "export"]}
    envs = {"cached": environment(first_db), "written": environment(changed_db)}
    runs: dict[str, list[Run]] = {label: [] for label in cases}
    for round_ in range(options.runs + 1):  # the first a warm-up
        for label, argv in cases.items():
            run = measure(argv, envs[label])
            if round_:
                runs[label].append(run)
    cached, written = medians(runs["cached"]), medians(runs["written"])
    count = options.cards
    line("crm export (cards stored ready)", cached,
         f"{cached.cpu / count * 1000:.3f} ms cpu a contact")
    text, ok = ratio_verdict("written / stored", written, cached, 2.0)
    pair = statistics.median(w.cpu / c.cpu for w, c in zip(runs["written"], runs["cached"],
                                                             strict=True))
    line("crm export (every contact changed)", written,
         f"{written.cpu / count * 1000:.3f} ms cpu a contact; {text}; paired cpu "
         f"{pair:.2f}x; each with {EDITS[options.edit][0]}")
    return ok


def edit(first_db: Path, changed_db: Path, work: Path, kind: str) -> None:
    """``changed_db``: the imported book with every contact's card changed by ``kind``."""
    scratch_copy(first_db, changed_db)
    change = EDITS[kind][1]
    if change is None:  # the companies renamed, as `crm company edit` renames one
        with sqlite3.connect(changed_db) as db:
            db.execute(COMPANY_RENAMED)
        db.close()
        return
    records = work / "edited.jsonl"
    measure([*CRM, "export", "-f", "jsonl", "-o", str(records)], environment(changed_db))
    edited = work / f"edited-{kind}.jsonl"
    with records.open(encoding="utf-8") as lines, edited.open("w", encoding="utf-8") as out:
        for text in lines:
            record = json.loads(text)
            change(record)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    measure([*CRM, "import", "-f", "jsonl", str(edited)], environment(changed_db))


if __name__ == "__main__":
    shutil.rmtree(DATA / "no-config", ignore_errors=True)
    sys.exit(main())
