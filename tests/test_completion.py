"""Shell completion from the book: what each kind offers, the fast path that answers without
Typer, the same answers through Typer, and a table that covers every such option."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from crmcli import completion, config, db, shell_completion
from crmcli.cli import app


@pytest.fixture
def book(crm, db_path):
    crm.add("José Núñez", "-c", "Iberia Logistics", "-t", "vip", "-t", "lead")
    crm.add("Jonas Weber", "-c", "Nordlys AS", "-t", "vip")
    crm.add("Ana Lima", "-c", "Atlântico Foods")
    gone = crm.add("Joan Gone")
    crm.ok("rm", str(gone), "--yes")
    crm.ok("deal", "add", "José", "Fleet renewal", "--value", "1000", "--stage", "proposal")
    crm.ok("deal", "add", "Ana", "Pilot")
    crm.ok("follow-up", "José", "2030-01-10", "Send the quote")
    done = crm.ok("follow-up", "Ana", "2030-01-05", "Call").stdout.strip()
    crm.ok("done", done)
    return db_path


def _complete(monkeypatch, capsys, shell: str, line: str) -> tuple[bool, str]:
    """Ask the fast path as the shell would, for the cursor at the end of ``line``."""
    monkeypatch.setenv(shell_completion.ENV, f"complete_{shell}")
    if shell == "bash":
        words = line.split(" ")
        monkeypatch.setenv("COMP_WORDS", line)
        monkeypatch.setenv("COMP_CWORD", str(len(words) - 1))
    else:
        monkeypatch.setenv("_TYPER_COMPLETE_ARGS", line)
        monkeypatch.setenv("_TYPER_COMPLETE_FISH_ACTION", "get-args")
    answered = shell_completion.complete_fast()
    return answered, capsys.readouterr().out


def test_each_kind_offers_what_the_book_holds(book):
    conn = db.connect(book)
    assert completion.contacts(conn, "jo") == [("Jonas Weber", "Nordlys AS"),
                                               ("José Núñez", "Iberia Logistics")]
    assert completion.contacts(conn, "JOSÉ N") == [("José Núñez", "Iberia Logistics")]
    assert completion.contacts(conn, "1") == [("1", "José Núñez")]
    assert completion.tags(conn, "") == [("lead", "1 contact"), ("vip", "2 contacts")]
    assert completion.companies(conn, "n") == [("Nordlys AS", "")]
    assert completion.companies(conn, "atla") == [("Atlântico Foods", "")]
    assert [name for name, _ in completion.stages(conn, "", config.load())] == [
        "lead", "qualified", "proposal", "negotiation", "won", "lost"]
    assert completion.stages(conn, "P", None) == [("proposal", "")]
    assert completion.deals(conn, "") == [("2", "Pilot"), ("1", "Fleet renewal")]
    assert completion.deals(conn, "1") == [("1", "Fleet renewal")]
    assert completion.followups(conn, "") == [("1", "Send the quote")]
    assert completion.followups(conn, "x") == completion.followups(conn, "0") == []


def test_ids_are_found_by_prefix_through_the_primary_key(crm, db_path):
    for number in range(12):
        crm.add(f"Person {number}")
    conn = db.connect(db_path)
    assert [value for value, _ in completion.contacts(conn, "1")] == ["1", "10", "11", "12"]
    assert completion.contacts(conn, "1" * 5000) == completion.deals(conn, "9" * 20) == []
    assert completion.contacts(conn, "\u0661") == []  # other scripts' digits are no id


def test_the_fast_path_answers_each_shell(book, monkeypatch, capsys):
    monkeypatch.setenv("CRM_DB", str(book))
    assert _complete(monkeypatch, capsys, "bash", "crm show jo") == (
        True, "Jonas\\ Weber\nJosé\\ Núñez")
    assert _complete(monkeypatch, capsys, "zsh", "crm deal list --tag ") == (
        True, "_arguments '*: :((\"lead\":\"1 contact\"\n\"vip\":\"2 contacts\"))'")
    assert _complete(monkeypatch, capsys, "fish", "crm deal move 1 neg") == (
        True, "negotiation")
    assert _complete(monkeypatch, capsys, "bash", "crm done 1 ") == (True, "1")
    assert _complete(monkeypatch, capsys, "bash", "crm add Bo -t vip -c at") == (
        True, "Atlântico\\ Foods")


def test_a_control_character_is_dropped_without_leaving_its_escape(crm, db_path, monkeypatch,
                                                                    capsys):
    crm.add("Ana\x07 Lima\x1b[2J")
    crm.add("Bo\x1b Chen")
    monkeypatch.setenv("CRM_DB", str(db_path))
    assert _complete(monkeypatch, capsys, "bash", "crm show a") == (True, "Ana\\ Lima\\[2J")
    assert _complete(monkeypatch, capsys, "bash", "crm show b") == (True, "Bo\\ Chen")
    env = {shell_completion.ENV: "complete_bash", "COMP_WORDS": "crm show -f json b",
           "COMP_CWORD": "4"}
    result = typer.testing.CliRunner().invoke(app, [], env=env, prog_name="crm")
    assert result.stdout == "Bo\\ Chen\n"  # through Typer


def test_the_book_comes_from_db_before_the_command(book, monkeypatch, capsys):
    monkeypatch.delenv("CRM_DB", raising=False)
    assert _complete(monkeypatch, capsys, "bash", f"crm --db {book} show an") == (
        True, "Ana\\ Lima")


@pytest.mark.parametrize("line", [
    "crm sh",  # a command name
    "crm show -",  # an option name
    "crm show -f json jo",  # an option the table does not know
    "crm config set ",  # a command without completions
])
def test_the_fast_path_hands_on_what_it_cannot_answer_for_sure(book, monkeypatch, capsys, line):
    monkeypatch.setenv("CRM_DB", str(book))
    assert _complete(monkeypatch, capsys, "bash", line) == (False, "")


def test_no_book_no_candidates_and_none_created(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "none.db"
    monkeypatch.setenv("CRM_DB", str(missing))
    assert _complete(monkeypatch, capsys, "bash", "crm show jo") == (True, "")
    assert not missing.exists()


def test_a_book_to_migrate_goes_to_typer_which_migrates_it(tmp_path, monkeypatch, capsys):
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.executescript((Path(__file__).parent / "fixtures" / "releases" / "v12.sql"
                            ).read_text())
    monkeypatch.setenv("CRM_DB", str(old))
    assert _complete(monkeypatch, capsys, "bash", "crm show jo") == (False, "")
    env = {shell_completion.ENV: "complete_bash", "COMP_WORDS": "crm show jo",
           "COMP_CWORD": "2", "CRM_DB": str(old)}
    result = typer.testing.CliRunner().invoke(app, [], env=env, prog_name="crm")
    assert result.stdout.split() == ["Jonas\\", "Weber", "José\\", "Núñez"]
    assert _complete(monkeypatch, capsys, "bash", "crm show jo") == (
        True, "Jonas\\ Weber\nJosé\\ Núñez")


def test_typer_gives_the_same_candidates_when_the_fast_path_hands_on(book):
    env = {shell_completion.ENV: "complete_bash", "COMP_WORDS": "crm show -f json jo",
           "COMP_CWORD": "4", "CRM_DB": str(book)}
    result = typer.testing.CliRunner().invoke(app, [], env=env, prog_name="crm")
    assert result.stdout.split() == ["Jonas\\", "Weber", "José\\", "Núñez"]


def test_completion_imports_neither_typer_nor_rich(book):
    code = ("import sys\nfrom crmcli.entry import main\nmain()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'click',"
            " 'dateutil', 'sqlite_utils'}), file=sys.stderr)")
    env = {**os.environ, shell_completion.ENV: "complete_bash", "COMP_WORDS": "crm show jo",
           "COMP_CWORD": "2", "CRM_DB": str(book)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert run.stdout == "Jonas\\ Weber\nJosé\\ Núñez" and run.stderr == "[]\n"


COMPLETED_OPTIONS = {"--tag", "--untag", "--company", "--contact", "--stage", "--deal", "--to"}


def _commands(command, path=()):
    from typer._click.core import Context

    yield path, command
    for name in getattr(command, "list_commands", lambda ctx: [])(Context(command)):
        yield from _commands(command.get_command(Context(command), name), (*path, name))


def test_the_table_names_real_commands_arguments_and_options():
    commands = dict(_commands(typer.main.get_command(app)))
    for name, text in shell_completion.TABLE.items():
        command = commands[tuple(name.split())]
        spec = shell_completion.Spec(text)
        arguments = [param for param in command.params if param.param_type_name == "argument"]
        assert len(spec.arguments) <= len(arguments), name
        options = {flag: param.opts for param in command.params for flag in param.opts}
        for flag in spec.options:
            assert flag in options, f"crm {name} has no {flag}"
            assert set(options[flag]) <= set(spec.options), f"crm {name}: {options[flag]}"


def test_every_option_naming_a_contact_tag_company_stage_or_deal_completes():
    missing = [f"crm {' '.join(path)} {param.opts[0]}"
               for path, command in _commands(typer.main.get_command(app))
               for param in command.params
               if param.param_type_name == "option" and param.opts[0] in COMPLETED_OPTIONS
               and param.opts[0] not in shell_completion.Spec(
                   shell_completion.TABLE.get(" ".join(path), "")).options
               # remind --to is an email address, campaign new --to a query
               and path not in (("remind",), ("campaign", "new"))]
    assert missing == []


@pytest.mark.skipif(not shutil.which("bash"), reason="needs bash")
def test_the_installed_bash_script_completes_from_the_book(book, tmp_path):
    """`crm --install-completion bash` as a user runs it, then a Tab in a real bash."""
    crm_bin = str(Path(sys.executable).parent)
    env = {"HOME": str(tmp_path), "PATH": f"{crm_bin}:{os.environ['PATH']}", "CRM_DB": str(book),
           "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # the shell named, not guessed
    subprocess.run(["crm", "--install-completion", "bash"], env=env, check=True,
                   capture_output=True)
    script = tmp_path / ".bash_completions" / "crm.sh"
    assert "_CRM_COMPLETE=complete_bash" in script.read_text()
    tab = (f"source {script}; COMP_WORDS=(crm show Jo); COMP_CWORD=2; _crm_completion crm; "
           'printf "%s\\n" "${COMPREPLY[@]}"')
    run = subprocess.run(["bash", "--norc", "-c", tab], env=env, capture_output=True, text=True,
                         check=True)
    assert run.stdout.splitlines() == ["Jonas\\ Weber", "José\\ Núñez"]
