"""The layers of DESIGN.md (rank table and checker in tests/layers.py), and the import rules,
checked by walking every module's AST; and proof that the checker reports what it should."""

from __future__ import annotations

import ast
import shutil
import textwrap
from pathlib import Path

import layers
import pytest

PACKAGE = layers.PACKAGE
MODULES = sorted(PACKAGE.rglob("*.py"))
HEAVY = ("phonenumbers", "vobject", "babel", "smtplib", "dateutil.rrule", "jinja2")


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Modules imported at run time (imports only for type checkers don't count)."""
    tree = ast.parse(path.read_text())
    nodes = (node for node in tree.body) if top_level_only else layers._runtime_nodes(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _uses(path: Path, root: str) -> bool:
    return any(name == root or name.startswith(root + ".") for name in _imports(path))


@pytest.fixture(scope="module")
def report() -> layers.Report:
    return layers.check()


def test_every_module_has_a_rank_and_every_rank_a_module(report):
    assert report.unranked == []
    modules = layers.module_names(PACKAGE)
    stale = [name for name in layers.RANKS
             if not any(module == name or module.startswith(name + ".") for module in modules)]
    assert stale == [], "the rank table names modules that no longer exist"


def test_imports_point_down(report):
    assert report.upward == []


def test_no_import_cycles(report):
    assert report.cycles == []


def test_only_the_output_layer_writes_to_stdout(report):
    assert report.stdout == []


def test_the_checker_script_prints_no_cycles(capsys):
    layers.main([str(PACKAGE)])
    assert "cycles: 0\n" in capsys.readouterr().out


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_import_rules(path):
    where = _relative(path)
    in_cli = where.startswith("cli/")
    in_views = where.startswith("views/") or where == "output.py"
    assert not _uses(path, "click"), "never import click (Typer ships its own)"
    if _uses(path, "typer"):
        assert in_cli, "only cli/ imports typer"
    if _uses(path, "rich"):
        assert in_cli or in_views, "only cli/, output and views/ use rich"
    if _uses(path, "sqlite_utils"):
        assert not in_cli and not in_views, "no SQL above the domain"
    if _uses(path, "vobject"):
        assert where.startswith("interchange/"), "only interchange/ imports vobject"
    if where in ("models.py", "errors.py"):
        assert not _uses(path, "crmcli"), f"{where} imports nothing from the package"
    if where == "dates.py":
        assert {n for n in _imports(path) if n.startswith("crmcli")} <= {
            "crmcli.errors", "crmcli.models"}
    heavy = [name for name in _imports(path, top_level_only=True)
             if any(name == root or name.startswith(root + ".") for root in HEAVY)]
    assert heavy == [], "heavy modules are imported inside the functions that need them"


# ------------------------------------------------------------- the checker can fail


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of the package to plant violations in."""
    target = tmp_path / "crmcli"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _plant(package: Path, module: str, code: str) -> int:
    """Append ``code`` to a module; the number of its last line that imports."""
    path = package / module
    text = path.read_text() + "\n\n" + textwrap.dedent(code)
    path.write_text(text)
    return max(number for number, line in enumerate(text.splitlines(), 1) if "import" in line)


@pytest.mark.parametrize(("module", "code", "expected"), [
    ("contacts.py", "def f():\n    from crmcli.cli import app\n",
     "contacts.py:{line}: contacts (rank 4) imports cli (rank 7)"),
    ("deals.py", "def f():\n    from .views import deals\n",
     "deals.py:{line}: deals (rank 4) imports views.deals (rank 6)"),
    ("interchange/exporter.py", "from .. import output\n",
     "interchange/exporter.py:{line}: interchange.exporter (rank 5) imports output (rank 6)"),
    ("money.py", "import importlib\n\ndef f():\n    importlib.import_module('crmcli.followups')\n",
     "money.py:{line}: money (rank 2) imports followups (rank 4)"),
    ("db.py", "import crmcli.interchange.importer\n",
     "db.py:{line}: db (rank 3) imports interchange.importer (rank 5)"),
], ids=["absolute", "relative", "relative-parent", "importlib", "import-statement"])
def test_an_upward_import_is_reported(copy, module, code, expected):
    line = _plant(copy, module, code)
    assert layers.check(copy).upward == [expected.format(line=line)]


def test_a_cycle_within_one_rank_is_reported(copy):
    _plant(copy, "activity.py", "def f():\n    from crmcli import contacts\n")
    report = layers.check(copy)
    assert report.upward == []
    assert report.cycles == ["activity, contacts (e.g. activity -> contacts -> activity)"]


def test_a_cycle_through_a_computed_import_is_reported(copy):
    _plant(copy, "cli/notes.py", "def f():\n    from crmcli.cli import main\n")
    assert layers.check(copy).cycles == [
        "cli, cli.notes (e.g. cli -> cli.notes -> cli)"]


@pytest.mark.parametrize("code", [
    "def shout():\n    print('hi')\n",
    "import sys\n\ndef shout():\n    sys.stdout.write('hi')\n",
    "def shout(text):\n    print(text, file=sys.stdout)\n",
    "import typer\n\ndef shout():\n    typer.echo('hi')\n",
])
def test_a_write_to_stdout_below_the_output_layer_is_reported(copy, code):
    _plant(copy, "followups.py", code)
    found = _in_followups(layers.check(copy).stdout)
    assert len(found) == 1 and found[0].endswith("writes to stdout outside the output layer")


def test_writes_to_stderr_and_questions_about_the_terminal_are_not_reported(copy):
    _plant(copy, "followups.py", """\
        import sys

        def warn(text):
            print(text, file=sys.stderr)
            return sys.stdout.isatty()
        """)
    assert _in_followups(layers.check(copy).stdout) == []


def _in_followups(problems: list[str]) -> list[str]:
    return [problem for problem in problems if problem.startswith("followups.py:")]


def test_an_unranked_module_is_reported(copy):
    (copy / "newsletters.py").write_text('"""Not in the table yet."""\n')
    (copy / "mailbox").mkdir()
    (copy / "mailbox" / "__init__.py").write_text("")
    report = layers.check(copy)
    assert report.unranked == ["mailbox", "newsletters"]
    assert "newsletters: not in the rank table" in report.problems()
