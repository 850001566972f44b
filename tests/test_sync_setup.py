"""`crm sync setup`: the vdirsyncer config it writes, the discovery it runs through the real
vdirsyncer against a real Radicale, the [sync] table it sets, and where the password goes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import dav
import pytest

from crmcli.sync.setup import MARKER

BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def vdirsyncer_on_path(monkeypatch):
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def _folder(tmp_path: Path) -> Path:
    return tmp_path / "config" / "crmcli" / "vdirsyncer"


def _crm_config(tmp_path: Path) -> dict:
    return tomllib.loads((tmp_path / "config" / "crmcli" / "config.toml").read_text())


def test_setup_without_authentication_writes_a_config_vdirsyncer_syncs_with(
        crm, addressbook, tmp_path):
    addressbook.put("from-phone.vcf", _CARD)
    result = crm.ok("sync", "setup", addressbook.url)
    config = (_folder(tmp_path) / "config").read_text()
    assert config.startswith(MARKER)
    for line in ('conflict_resolution = "b wins"', 'fileext = ".vcf"', "collections = null",
                 f"url = {json.dumps(addressbook.url)}", 'type = "carddav"'):
        assert line in config
    assert "username" not in config and "password" not in config
    assert "crm_tasks" not in config and "crm_journal" not in config
    contacts = tmp_path / "data" / "crmcli" / "sync" / "contacts"
    assert _crm_config(tmp_path)["sync"] == {
        "command": f"{BIN / 'vdirsyncer'} -c {_folder(tmp_path) / 'config'} sync",
        "contacts": str(contacts)}
    assert str(contacts) in result.stderr and result.stdout == ""
    crm.ok("sync", "--no-command")  # the reconciler reads what setup wrote
    synced = subprocess.run([BIN / "vdirsyncer", "-c", _folder(tmp_path) / "config", "sync"],
                            capture_output=True, check=False)
    assert synced.returncode == 0  # discovered: vdirsyncer agrees to sync
    (pulled,) = contacts.iterdir()
    assert "FN:Ana Lima" in pulled.read_text()


def test_the_password_is_kept_in_a_private_file_never_in_the_config(crm, radicale_auth,
                                                                    tmp_path):
    book = radicale_auth.addressbook()
    result = crm.ok("sync", "setup", book.url, "--user", dav.USER, "--password-stdin",
                    input=f"{dav.PASSWORD}\n")
    folder = _folder(tmp_path)
    config = (folder / "config").read_text()
    password_file = folder / "password"
    assert f'username = "{dav.USER}"' in config
    assert f'password.fetch = ["command", "cat", "{password_file}"]' in config
    assert password_file.read_text() == dav.PASSWORD
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    written = config + (tmp_path / "config" / "crmcli" / "config.toml").read_text()
    assert dav.PASSWORD not in written + result.stdout + result.stderr


def test_a_password_command_is_run_by_vdirsyncer_and_nothing_is_stored(crm, radicale_auth,
                                                                       tmp_path):
    secret = tmp_path / "secret"
    secret.write_text(dav.PASSWORD)
    crm.ok("sync", "setup", radicale_auth.addressbook().url, "-u", dav.USER,
           "--password-command", f"cat '{secret}'")
    config = (_folder(tmp_path) / "config").read_text()
    assert f'password.fetch = ["command", "cat", "{secret}"]' in config
    assert not (_folder(tmp_path) / "password").exists()


@pytest.mark.parametrize(("command", "message"), [
    ("cat 'secret", "cannot be split into words like a shell would (No closing quotation)"),
    ("  ", "holds no command"),
])
def test_a_password_command_that_is_no_command_is_a_usage_error(crm, tmp_path, command,
                                                                 message):
    """An unbalanced quote was an internal error; blanks set a fetch of no command."""
    result = crm("sync", "setup", "https://dav.example.com/", "-u", dav.USER,
                 "--password-command", command)
    assert result.exit_code == 2
    assert f"--password-command {message}" in result.stderr
    assert not (_folder(tmp_path) / "config").exists()


def test_a_refused_login_is_one_line_without_the_password_and_sets_nothing(
        crm, radicale_auth, tmp_path):
    wrong = "not-the-pass-1234"
    result = crm("sync", "setup", radicale_auth.addressbook().url, "--user", dav.USER,
                 "--password-stdin", input=f"{wrong}\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("crm: error: vdirsyncer discover failed: ")
    assert "401" in result.stderr and wrong not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "config" / "crmcli" / "config.toml").exists()


def test_without_vdirsyncer_setup_says_how_to_install_it(crm, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = crm("sync", "setup", "https://dav.example.com/")
    assert result.exit_code == 1
    assert "vdirsyncer is not installed" in result.stderr


def test_calendars_are_paired_only_when_tasks_and_journal_are_configured(
        crm, radicale_fresh, tmp_path):
    book = radicale_fresh.addressbook("contacts")
    calendar = radicale_fresh.calendar("crm")
    crm_config = tmp_path / "config" / "crmcli" / "config.toml"
    crm_config.parent.mkdir(parents=True)
    crm_config.write_text(f'[sync]\ntasks = "{tmp_path / "tasks"}"\n'
                          f'journal = "{tmp_path / "journal"}"\n')
    crm.ok("sync", "setup", book.url)
    config = (_folder(tmp_path) / "config").read_text()
    for line in ('item_types = ["VTODO"]', 'item_types = ["VJOURNAL"]', 'fileext = ".ics"',
                 f"url = {json.dumps(calendar.url)}", f"url = {json.dumps(book.url)}"):
        assert line in config
    assert _crm_config(tmp_path)["sync"]["tasks"] == str(tmp_path / "tasks")
    assert (tmp_path / "tasks").is_dir() and (tmp_path / "journal").is_dir()


def test_two_address_books_and_the_url_of_neither_asks_which(crm, radicale_fresh):
    radicale_fresh.addressbook("work")
    radicale_fresh.addressbook("home")
    result = crm("sync", "setup", radicale_fresh.url + "tests/")
    assert result.exit_code == 1
    assert "2 address books found for contacts: home (" in result.stderr


def test_a_config_crm_did_not_write_is_kept_unless_forced(crm, tmp_path):
    config = _folder(tmp_path) / "config"
    config.parent.mkdir(parents=True)
    config.write_text("[general]\n")
    result = crm("sync", "setup", "https://dav.example.com/")
    assert result.exit_code == 1 and "--force" in result.stderr
    assert config.read_text() == "[general]\n"
    assert crm("sync", "setup", "dav.example.com").exit_code == 2


_CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ana-1\r\nFN:Ana Lima\r\nN:Lima;Ana;;;\r\nEND:VCARD\r\n"


def test_journal_and_deals_flags_pair_a_calendar_each_deals_one_of_their_own(
        crm, radicale_fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    book = radicale_fresh.addressbook("contacts")
    journal = radicale_fresh.calendar("journal", "VJOURNAL")
    refused = crm("sync", "setup", book.url, "--journal", "--deals")
    assert refused.exit_code == 1
    assert "no calendar named deals found" in refused.stderr
    deals = radicale_fresh.calendar("deals", "VTODO")
    crm.ok("sync", "setup", book.url, "--journal", "--deals")
    config = (_folder(tmp_path) / "config").read_text()
    for line in ('item_types = ["VJOURNAL"]', f"url = {json.dumps(journal.url)}",
                 f"url = {json.dumps(deals.url)}"):
        assert line in config
    table = _crm_config(tmp_path)["sync"]
    assert table["deals"] == str(tmp_path / "data" / "crmcli" / "sync" / "deals")
    assert "crm_tasks" not in config  # not asked for
