"""Shared fixtures: every test gets its own real SQLite file and a clean environment."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dav
import pytest
import vcard_check
from typer.testing import CliRunner

from crmcli.cli import app

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "vcards"


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    """No test reads the developer's real config or database."""
    for variable in ("CRM_DB", "CRM_CONFIG", "VISUAL", "EDITOR", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)

    def rows(self) -> list[dict[str, str]]:
        """Parse tab-separated output into dicts keyed by the header line."""
        header, *lines = self.stdout.splitlines()
        keys = header.split("\t")
        return [dict(zip(keys, line.split("\t"), strict=True)) for line in lines]


class Crm:
    """Runs ``crm`` in-process against one database file."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None) -> Result:
        result = self.runner.invoke(app, ["--db", str(self.db_path), *args], input=input,
                                    env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if result.exit_code == 0:
            vcard_check.check_export(list(args), result.stdout)  # every card written is valid
        return Result(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, **kwargs) -> Result:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, result.stderr
        return result

    def add(self, name: str, *args: str) -> int:
        return int(self.ok("add", name, *args).stdout.strip())


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "crm.db"


@pytest.fixture
def crm(db_path) -> Crm:
    return Crm(db_path)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory) -> Iterator[dav.Radicale]:
    """A Radicale server without authentication, shared by the session (see tests/dav.py)."""
    server = dav.start_radicale(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def radicale_auth(tmp_path_factory) -> Iterator[dav.Radicale]:
    """A Radicale server with htpasswd authentication (dav.USER, dav.PASSWORD)."""
    server = dav.start_radicale(tmp_path_factory.mktemp("radicale-auth"), auth=True)
    yield server
    server.stop()


@pytest.fixture
def radicale_fresh(tmp_path) -> Iterator[dav.Radicale]:
    """A Radicale server of this test's own, storage in its tmp_path."""
    server = dav.start_radicale(tmp_path / "radicale")
    yield server
    server.stop()


@pytest.fixture
def addressbook(radicale) -> dav.Collection:
    """A new, empty address book on the shared server."""
    return radicale.addressbook()


@pytest.fixture
def calendar(radicale) -> dav.Collection:
    """A new, empty calendar collection (VTODO, VJOURNAL, VEVENT) on the shared server."""
    return radicale.calendar()
