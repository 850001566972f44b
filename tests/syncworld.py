"""Devices for the sync scenarios: books (laptop, desktop) each with its own config, data
folder and database, set up with `crm sync setup` against a real Radicale, and a phone that
edits the server with plain HTTP. One clock is shared by all: each crm run and each phone edit
is a minute after the one before, so "newer" is decided by the scenario, not the wall clock."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dav
from conftest import Crm, Result

BIN = Path(sys.executable).parent
START = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    moment: dt.datetime = START

    def tick(self) -> str:
        self.moment += dt.timedelta(minutes=1)
        return self.moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def rev(self) -> str:
        """A phone's REV stamp for an edit made now."""
        return self.tick().replace("-", "").replace(":", "")


@dataclass
class Device:
    """A computer with crm: its own book, config and vdirs."""

    name: str
    home: Path
    clock: Clock
    runs: list[tuple[str, Result]] = field(default_factory=list)

    def env(self) -> dict[str, str | None]:
        return {"XDG_CONFIG_HOME": str(self.home / "config"),
                "XDG_DATA_HOME": str(self.home / "data"), "CRM_CONFIG": None, "CRM_DB": None,
                "CRM_NOW": self.clock.tick(), "TZ": "UTC", "NO_COLOR": None, "COLUMNS": "200",
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        result = Crm(self.home / "crm.db")(*args, input=input, env=self.env())
        self.runs.append((" ".join(args), result))
        return result

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self(*args, input=input)
        assert result.exit_code == 0, (self.name, args, result.stderr)
        return result

    def add(self, name: str, *args: str) -> int:
        return int(self.ok("add", name, *args).stdout.strip())

    def setup(self, server: dav.Radicale, book: dav.Collection) -> Result:
        if server.user is None:
            return self.ok("sync", "setup", book.url)
        return self.ok("sync", "setup", book.url, "--user", server.user, "--password-stdin",
                       input=f"{server.password}\n")

    def sync(self) -> Result:
        return self("sync")

    def contacts(self) -> dict[str, tuple]:
        """The book's contacts by UID, as comparable fields."""
        return {row["uid"]: (row["name"], row["title"] or "",
                             frozenset(email["value"].lower() for email in row["emails"]),
                             frozenset(_digits(phone["value"]) for phone in row["phones"]),
                             frozenset(row["tags"]))
                for row in self.ok("list", "--json").json()}

    def vdirsyncer(self, *args: str) -> subprocess.CompletedProcess:
        config = self.home / "config" / "crmcli" / "vdirsyncer" / "config"
        return subprocess.run([str(BIN / "vdirsyncer"), "-c", str(config), *args],
                              capture_output=True, text=True, timeout=60, check=False)


def server_contacts(book: dav.Collection) -> dict[str, tuple]:
    """The server's cards by UID, as comparable fields (read with GET, as a phone would)."""
    import vobject

    found = {}
    for text in book.items().values():
        card = vobject.readOne(text)
        values = card.contents
        uid = card.uid.value
        assert uid not in found, f"two items on the server hold {uid}"
        found[uid] = (card.fn.value, values["title"][0].value if "title" in values else "",
                      frozenset(email.value.lower() for email in values.get("email", [])),
                      frozenset(_digits(tel.value) for tel in values.get("tel", [])),
                      frozenset(_categories(values)))
    return found


def _categories(values: dict) -> list[str]:
    return [tag for line in values.get("categories", []) for tag in line.value if tag]


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


@dataclass
class Phone:
    """Edits the server's address book as a phone's CardDAV client does."""

    book: dav.Collection
    clock: Clock

    def create(self, href: str, uid: str, name: str, *lines: str) -> None:
        family, _, given = name.partition(" ")[::-1]
        text = "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}",
                            f"N:{family};{given};;;", *lines, f"REV:{self.clock.rev()}",
                            "END:VCARD", ""])
        reply = self.book.put(href, text)
        assert reply.status == 201, reply.text

    def href(self, uid: str) -> str:
        for href, text in self.book.items().items():
            if f"UID:{uid}" in text.replace("\r\n ", ""):
                return href
        raise AssertionError(f"no item with UID {uid} on the server")

    def edit(self, uid: str, **changes: str | list[str]) -> None:
        """Set properties (title="CEO", tel=["+1 555"]) and a new REV; PUT over the etag."""
        import vobject

        href = self.href(uid)
        etag = self.book.list()[href]
        card = vobject.readOne(self.book.get(href))
        for name, value in {**changes, "rev": self.clock.rev()}.items():
            card.contents.pop(name, None)
            for one in value if isinstance(value, list) else [value]:
                card.add(name).value = one
        reply = self.book.put(href, card.serialize(), etag=etag)
        assert reply.status in (200, 201, 204), reply.text

    def delete(self, uid: str) -> None:
        self.book.delete(self.href(uid))
