"""A real Radicale 3 server for tests, and plain-HTTP helpers that act as a phone would.

crm never speaks HTTP; tests do, to set up collections and to edit the server's items the way a
phone or another client does (PUT, GET, DELETE of .vcf/.ics, PROPFIND to list).

Fixtures (registered in conftest.py):
    radicale, radicale_auth   one server per test session (no auth; htpasswd auth with
                              `USER`/`PASSWORD`), storage under the session's temporary directory
    addressbook, calendar     a fresh, empty collection on the no-auth server for each test
    radicale_fresh            a server of its own for one test, storage in its tmp_path (for a
                              test that needs an empty server or stops it)

Each collection path holds a unique name, so tests sharing a server never see each other's items.
"""

from __future__ import annotations

import base64
import http.client
import re
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

USER = "ana"
PASSWORD = "s3cret pass"
_LISTENING = re.compile(r"Listening on '127\.0\.0\.1:(\d+)'")
_START_TIMEOUT = 20.0
_DAV = "{DAV:}"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Radicale:
    """A running Radicale server on 127.0.0.1 (see `start_radicale`)."""

    port: int
    storage: Path
    process: subprocess.Popen
    user: str | None = None
    password: str | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> Response:
        """One HTTP request; `path` is absolute on the server ("/ana/book/x.vcf")."""
        headers = dict(headers or {})
        if self.user is not None:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            headers.setdefault("Authorization", f"Basic {token}")
        if isinstance(body, str):
            body = body.encode("utf-8")
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()},
                            reply.read())
        finally:
            connection.close()

    def addressbook(self, name: str | None = None) -> Collection:
        """Create an address book (extended MKCOL) and return it."""
        return self._make(name, "MKCOL", _MKCOL_ADDRESSBOOK, "text/vcard")

    def calendar(self, name: str | None = None, components: str = "VTODO VJOURNAL VEVENT"
                 ) -> Collection:
        """Create a calendar collection (MKCALENDAR) for the given component types."""
        comps = "".join(f'<C:comp name="{comp}"/>' for comp in components.split())
        return self._make(name, "MKCALENDAR", _MKCALENDAR.format(comps=comps), "text/calendar")

    def _make(self, name: str | None, method: str, body: str, media_type: str) -> Collection:
        owner = self.user or "tests"
        home = self.request("MKCOL", f"/{owner}/")  # the owner's home; 405 when it exists
        _expect(home, 201, "MKCOL", f"/{owner}/", 405)
        path = f"/{owner}/{name or uuid.uuid4().hex}/"
        response = self.request(method, path, body, {"Content-Type": "application/xml"})
        if response.status != 201:
            raise AssertionError(f"{method} {path}: {response.status} {response.text}")
        return Collection(self, path, media_type)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Collection:
    """An address book or calendar on a Radicale server, spoken to as a phone would."""

    server: Radicale
    path: str  # "/owner/name/"
    media_type: str  # of its items: text/vcard or text/calendar

    @property
    def url(self) -> str:
        return self.server.url.rstrip("/") + self.path

    def put(self, name: str, text: str, etag: str | None = None) -> Response:
        """PUT an item (`name` like "x.vcf"); with `etag`, only over that version. Returns the
        reply whatever its status, so a test can assert on a refusal."""
        headers = {"Content-Type": f"{self.media_type}; charset=utf-8"}
        if etag:
            headers["If-Match"] = etag
        return self.server.request("PUT", self.path + quote(name), text, headers)

    def get(self, name: str) -> str | None:
        """The item's text, or None when there is no such item."""
        reply = self.server.request("GET", self.path + quote(name))
        if reply.status == 404:
            return None
        _expect(reply, 200, "GET", name)
        return reply.text

    def delete(self, name: str) -> None:
        reply = self.server.request("DELETE", self.path + quote(name))
        _expect(reply, 200, "DELETE", name, 204)

    def list(self) -> dict[str, str]:
        """Every item's file name and etag (PROPFIND, depth 1)."""
        reply = self.server.request("PROPFIND", self.path, _PROPFIND_ETAG, {"Depth": "1"})
        _expect(reply, 207, "PROPFIND", self.path)
        items = {}
        for response in ElementTree.fromstring(reply.body).iter(f"{_DAV}response"):
            href = unquote(response.findtext(f"{_DAV}href") or "")
            etag = response.findtext(f".//{_DAV}getetag")
            name = href.rstrip("/").rsplit("/", 1)[-1]
            if etag and href.rstrip("/") != self.path.rstrip("/"):
                items[name] = etag
        return items

    def items(self) -> dict[str, str]:
        """Every item's file name and text."""
        return {name: self.get(name) or "" for name in self.list()}


def _expect(reply: Response, status: int, method: str, what: str, *also: int) -> None:
    if reply.status not in (status, *also):
        raise AssertionError(f"{method} {what}: {reply.status} {reply.text[:500]}")


def start_radicale(folder: Path, auth: bool = False) -> Radicale:
    """Start Radicale on 127.0.0.1 on a free port, storage in `folder`, and wait until it
    answers. With `auth`, htpasswd (plain) with USER and PASSWORD.

    Radicale refuses port 0, so the port is one the system just handed out; should another
    process take it first, Radicale exits and a new port is tried."""
    for _attempt in range(4):
        try:
            return _start(folder, auth, _free_port())
        except _PortTaken:
            continue
    raise RuntimeError("Radicale found no free port")


class _PortTaken(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(folder: Path, auth: bool, port: int) -> Radicale:
    folder.mkdir(parents=True, exist_ok=True)
    auth_section = "type = none"
    if auth:
        users = folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n", encoding="utf-8")
        auth_section = (f"type = htpasswd\nhtpasswd_filename = {users}\n"
                        "htpasswd_encryption = plain")
    config = folder / "config"
    config.write_text(_CONFIG.format(port=port, storage=folder / "collections", auth=auth_section),
                      encoding="utf-8")
    log = folder / "radicale.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(config)],
                                   stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
    _wait_for_listening(process, log)
    server = Radicale(port, folder, process,
                      USER if auth else None, PASSWORD if auth else None, log)
    _wait_until_answering(server)
    return server


def _wait_for_listening(process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if _LISTENING.search(text):
            return
        if process.poll() is not None:
            if "Address already in use" in text:
                raise _PortTaken
            break
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"Radicale did not start:\n{log.read_text(errors='replace')[-2000:]}")


def _wait_until_answering(server: Radicale) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        try:
            server.request("OPTIONS", "/")
            return
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.02)


# `radicale --config FILE`, with fsync off as in Radicale's own tests (an option files cannot set):
# the items are written all the same, each PUT just does not wait for the disk. The server ends
# with the test run that started it, even one that was killed.
_LAUNCHER = """\
import os, sys, threading, time
from radicale import __main__ as radicale_main, config
def end_with_parent(parent=os.getppid()):
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=end_with_parent, daemon=True).start()
load = config.load
def load_for_tests(*args, **kwargs):
    configuration = load(*args, **kwargs)
    configuration.update({"storage": {"_filesystem_fsync": "False"}}, "tests", privileged=True)
    return configuration
config.load = load_for_tests
sys.argv = ["radicale", "--config", sys.argv[1]]
radicale_main.run()
"""

_CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
delay_on_error = 0

[auth]
{auth}
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {storage}

[web]
type = none

[logging]
level = info
"""

_MKCOL_ADDRESSBOOK = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
  </D:prop></D:set>
</D:mkcol>"""

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <C:supported-calendar-component-set>{comps}</C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""

_PROPFIND_ETAG = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"""
