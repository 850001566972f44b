"""The whole vCard corpus, imported and exported as 3.0 and 4.0: a real Radicale accepts every
card (each PUT on its own) and khard lists and shows every contact of the vdir."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import vcard_check
from conftest import CORPUS


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")
def test_every_corpus_card_goes_to_radicale_and_reads_in_khard(crm, radicale, tmp_path):
    crm("import", str(CORPUS))  # files with unreadable cards report them and go on
    count = len(crm.ok("list", "-f", "json").json())
    assert count > 100
    for version in ("3.0", "4.0"):
        vdir = tmp_path / f"contacts-{version}"
        crm.ok("export", "--vcard-version", version, "--vdir", str(vdir))  # each card checked
        files = sorted(vdir.glob("*.vcf"))
        companies = [path for path in files if "X-ABSHOWAS:COMPANY" in path.read_text().upper()]
        assert len(files) - len(companies) == count and len(companies) >= 2
        assert refused_by(radicale.addressbook(), files) == {}, version
        uids = read_by_khard(vdir, tmp_path / f"khard-{version}.conf")
        assert len(uids) == len(files), version


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no vCard corpus at {CORPUS}")
@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_every_card_sync_writes_from_the_corpus_goes_to_radicale_and_reads_in_khard(
        crm, radicale, tmp_path, version):
    """The contacts vdir as crm sync writes it (over each contact's or company's stored
    card)."""
    crm("import", str(CORPUS))
    count = len(crm.ok("export", "-f", "json").json())  # contacts and company cards
    assert count > len(crm.ok("list", "-f", "json").json())
    vdir = tmp_path / "contacts"
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{vdir}"\n'
                      f'vcard_version = "{version}"\n')
    assert crm.ok("sync").stderr == f"crm sync: contacts: pushed {count} new\n"
    assert vcard_check.check_vdir(vdir, version) == count  # the strict check, every card
    files = sorted(vdir.glob("*.vcf"))
    assert refused_by(radicale.addressbook(), files) == {}
    assert len(read_by_khard(vdir, tmp_path / "khard.conf")) == count
    assert crm.ok("sync").stderr == ""


def refused_by(book, files: list[Path]) -> dict[str, tuple[int, str]]:
    """PUT each card as a phone would; the cards the server refused, with its reply."""
    refused = {}
    for path in files:
        reply = book.put(path.name, path.read_bytes().decode("utf-8"))
        if reply.status != 201:
            refused[path.name] = (reply.status, reply.text[:200])
    assert sorted(book.list()) == sorted(set(path.name for path in files) - set(refused))
    return refused


def read_by_khard(vdir: Path, config: Path) -> set[str]:
    """The UIDs `khard list` prints, after checking that it and `khard show` (every contact,
    in-process, and one through the command) read them without a word on stderr."""
    from khard.address_book import VdirAddressBook

    config.write_text(f"[addressbooks]\n[[crm]]\npath = {vdir}\n")
    listed = khard(config, "list", "--parsable")
    assert (listed.returncode, listed.stderr) == (0, "")
    uids = {line.split("\t")[0] for line in listed.stdout.splitlines()}
    shown = khard(config, "show", "--format", "yaml", f"uid:{min(uids)}")
    assert (shown.returncode, shown.stderr) == (0, "")
    book = VdirAddressBook("crm", str(vdir))
    book.load()
    assert set(book.contacts) == uids
    for contact in book.contacts.values():
        assert contact.pretty() and contact.to_yaml()
    return uids


def khard(config: Path, *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("khard")), "-c", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
