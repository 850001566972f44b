"""``crm sync setup``: a vdirsyncer config that pairs each synced vdir with its collection on a
CardDAV/CalDAV server, discovered by vdirsyncer itself (crm never speaks HTTP).

Two passes of ``vdirsyncer discover``: the first, on a throw-away config with
``collections = ["from b"]``, lists the server's address books and calendars with their URLs;
the second runs on the config written for good, where each pair names one collection by its URL
(``collections = null``), so the vdir is exactly the folder in crm's ``[sync]`` table.

The password never sits on a command line, in the config or in a message: vdirsyncer runs
``password.fetch`` (the user's own command, or ``cat`` of a 0600 file) when it needs it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from crmcli.errors import CrmError

MARKER = "# Written by `crm sync setup`"
CALENDAR_NAMES = ("tasks", "journal", "deals", "cases")
DISCOVER_TIMEOUT = 120  # seconds; a server that does not answer must not hang the command
_PROMPT_ANSWERS = "y\n" * 64  # "Should vdirsyncer attempt to create it?" for each collection


@dataclass(frozen=True)
class Pair:
    """One collection to sync: crm's name for it, the vdir, and the server side."""

    name: str  # contacts, tasks, journal
    folder: Path
    kind: str  # carddav or caldav
    fileext: str
    item_types: tuple[str, ...] = ()  # for a calendar: the components this vdir holds


@dataclass
class Setup:
    url: str
    user: str | None  # None: a server without authentication
    password_fetch: list[str] | None  # vdirsyncer's ["command", ...]; None without a user
    pairs: list[Pair]
    config_file: Path
    status_folder: Path
    chosen: dict[str, str] = field(default_factory=dict)  # a pair's name -> collection name


def contacts_pair(folder: Path) -> Pair:
    return Pair("contacts", folder, "carddav", ".vcf")


def calendar_pair(name: str, folder: Path) -> Pair:
    components = {"tasks": ("VTODO",), "journal": ("VJOURNAL",), "deals": ("VTODO",),
                  "cases": ("VTODO",)}[name]
    return Pair(name, folder, "caldav", ".ics", components)


def find_vdirsyncer() -> str:
    """The vdirsyncer executable's absolute path (cron's PATH rarely holds ~/.local/bin)."""
    found = shutil.which("vdirsyncer")
    if found is None:
        raise CrmError("vdirsyncer is not installed or not on PATH; install it (pipx install "
                       "vdirsyncer, or your system's package) and run crm sync setup again")
    return os.path.abspath(found)


def write_password_file(path: Path, password: str) -> None:
    """The password alone in a file only its owner can read (written whole, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password)
    os.replace(temporary, path)


def run(setup: Setup, vdirsyncer: str, secret: str | None = None) -> dict[str, str]:
    """Discover each pair's collection, write the config, let vdirsyncer discover it for good.
    Returns the ``[sync]`` settings to store. ``secret`` is only blanked out of messages."""
    contacts, calendars = setup.pairs[:1], setup.pairs[1:]
    found = _explore(setup, contacts, setup.url, vdirsyncer, secret)
    if calendars:
        book = found["contacts"][setup.chosen["contacts"]]
        found |= _explore(setup, calendars, _home(setup.url, book), vdirsyncer, secret)
    urls = {pair.name: found[pair.name][setup.chosen[pair.name]] for pair in setup.pairs}
    for pair in setup.pairs:
        pair.folder.mkdir(parents=True, exist_ok=True)
    setup.config_file.parent.mkdir(parents=True, exist_ok=True)
    setup.config_file.write_text(render(setup, setup.pairs, setup.status_folder, urls),
                                 encoding="utf-8")
    _discover(vdirsyncer, setup.config_file, secret)
    settings = {"command": f"{shlex.quote(vdirsyncer)} -c {shlex.quote(str(setup.config_file))}"
                           " sync"}
    settings.update({pair.name: str(pair.folder) for pair in setup.pairs})
    return settings


def _explore(setup: Setup, pairs: list[Pair], url: str, vdirsyncer: str, secret: str | None
             ) -> dict[str, dict[str, str]]:
    """Each pair's collections under ``url`` (name -> URL), from a throw-away discovery; the
    pair's collection is chosen among them."""
    with tempfile.TemporaryDirectory(prefix="crmcli-discover-") as scratch:
        trial, status = Path(scratch) / "config", Path(scratch) / "status"
        trial.write_text(render(setup, pairs, status, {pair.name: url for pair in pairs},
                                discovering=True), encoding="utf-8")
        _discover(vdirsyncer, trial, secret)
        found = _collections(status, pairs, url)
    for pair in pairs:
        setup.chosen[pair.name] = choose(pair, found[pair.name], setup)
    return found


def _home(url: str, book: str) -> str:
    """Where to look for calendars: the address book's parent when the URL named the book
    (a collection URL is no place to discover from without a login), else the URL."""
    if url.rstrip("/") != book.rstrip("/"):
        return url
    return url.rstrip("/").rsplit("/", 1)[0] + "/"


def choose(pair: Pair, collections: dict[str, str], setup: Setup) -> str:
    """The collection a pair syncs: the one the URL names, else the one named after the pair
    (``deals``, ``journal``), else the only one not named after another pair. Deals and cases
    are tasks too, so each needs a calendar of its own, named after it."""
    wanted = setup.url.rstrip("/")
    for name, url in collections.items():
        if url.rstrip("/") == wanted:
            return name
    for name in collections:
        if name.strip("/").lower() == pair.name:
            return name
    others = {name: url for name, url in collections.items()
              if name.strip("/").lower() not in CALENDAR_NAMES}
    kind = "address book" if pair.kind == "carddav" else "calendar"
    if pair.name in ("deals", "cases"):
        raise CrmError(f"no calendar named {pair.name} found at {setup.url}; {pair.name} go in "
                       f"a calendar of their own: create one named {pair.name} on the server "
                       "and run crm sync setup again")
    if len(others) == 1:
        return next(iter(others))
    if not collections:
        raise CrmError(f"no {kind} found at {setup.url} for {pair.name}; create one on the "
                       "server (or give its own URL) and run crm sync setup again")
    listed = ", ".join(f"{name} ({url})" for name, url in sorted(collections.items()))
    raise CrmError(f"{len(collections)} {kind}s found for {pair.name}: {listed}; give the URL "
                   "of the one to sync")


def _discover(vdirsyncer: str, config: Path, secret: str | None) -> None:
    """``vdirsyncer discover``, answering yes to its prompts; CrmError with its first error
    line if it fails."""
    try:
        finished = subprocess.run([vdirsyncer, "-c", str(config), "discover"],
                                  input=_PROMPT_ANSWERS, capture_output=True, text=True,
                                  timeout=DISCOVER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise CrmError(f"vdirsyncer discover did not finish in {DISCOVER_TIMEOUT} s; is the "
                       "server reachable?") from None
    except OSError as exc:
        raise CrmError(f"vdirsyncer could not run: {exc.strerror or exc}") from None
    if finished.returncode:
        raise CrmError(f"vdirsyncer discover failed: {_first_error(finished, secret)}")


def _first_error(finished: subprocess.CompletedProcess, secret: str | None) -> str:
    lines = [line.strip() for line in (finished.stderr + finished.stdout).splitlines()]
    errors = [line for line in lines if line.lower().startswith(("error", "critical"))]
    line = (errors or [line for line in lines if line] or [f"exit status "
                                                           f"{finished.returncode}"])[0]
    if secret:
        line = line.replace(secret, "***")
    return line[:300]


def _collections(status: Path, pairs: list[Pair], url: str) -> dict[str, dict[str, str]]:
    """Each pair's discovered collections, name -> URL, as vdirsyncer saved them."""
    found: dict[str, dict[str, str]] = {}
    for pair in pairs:
        try:
            saved = json.loads((status / f"crm_{pair.name}.collections").read_text("utf-8"))
        except (OSError, ValueError):
            raise CrmError(f"vdirsyncer discover saved no collections for {pair.name}") from None
        # A collection found at the URL itself is saved without one of its own.
        found[pair.name] = {name: configs[1].get("url", url)
                            for name, configs in saved.get("collections", [])
                            if name is not None}
    return found


def render(setup: Setup, pairs: list[Pair], status: Path, urls: dict[str, str],
           discovering: bool = False) -> str:
    """The text of vdirsyncer's config, each pair's server side at ``urls[pair.name]``.
    Values are JSON, as vdirsyncer reads them."""
    sections = [_HEADER.format(marker=MARKER, url=setup.url),
                f"[general]\nstatus_path = {json.dumps(str(status))}\n"]
    for pair in pairs:
        local = status.parent / pair.name if discovering else pair.folder
        sections.append(_pair(setup, pair, local, urls[pair.name], discovering))
    return "\n".join(sections)


def _pair(setup: Setup, pair: Pair, local: Path, url: str, discovering: bool) -> str:
    collections = '["from b"]' if discovering else "null"
    lines = [f"# {pair.name}: crm's vdir (a) <-> the server's "
             f"{'address book' if pair.kind == 'carddav' else 'calendar'} (b)",
             f"[pair crm_{pair.name}]", f'a = "crm_{pair.name}_local"',
             f'b = "crm_{pair.name}_server"',
             "# One collection, named by its URL below; `crm sync setup` chose it.",
             f"collections = {collections}",
             "# The server wins a conflict inside one vdirsyncer run: an edit on the phone made",
             "# between crm's two runs stays on the server, and crm merges it on its next run.",
             'conflict_resolution = "b wins"',
             "# The collection's display name travels with `vdirsyncer metasync`.",
             'metadata = ["displayname"]', "",
             f"[storage crm_{pair.name}_local]", 'type = "filesystem"',
             f"path = {json.dumps(str(local))}", f"fileext = {json.dumps(pair.fileext)}", "",
             f"[storage crm_{pair.name}_server]", f"type = {json.dumps(pair.kind)}",
             f"url = {json.dumps(url)}"]
    if pair.item_types:
        lines.append(f"item_types = {json.dumps(list(pair.item_types))}")
    if setup.user is not None:
        lines += [f"username = {json.dumps(setup.user)}",
                  "# vdirsyncer runs this to read the password; it is never stored here.",
                  f"password.fetch = {json.dumps(setup.password_fetch)}"]
    return "\n".join(lines) + "\n"


_HEADER = """\
{marker}, for crm's vdirs and {url}.
# crm runs `vdirsyncer -c THIS-FILE sync` before and after it reconciles the book with the
# vdirs ([sync] command in crm's config). Run `crm sync setup` again rather than editing by
# hand; after an edit, run `vdirsyncer -c THIS-FILE discover`. See docs/sync.md.
"""
