"""The import rules of DESIGN.md, checked by walking every module's AST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "crmcli"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Modules imported at run time (imports only for type checkers don't count)."""
    names = set()
    pending = list(ast.parse(path.read_text()).body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        pending.extend(ast.iter_child_nodes(node))
    return names


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _uses(path: Path, root: str) -> bool:
    return any(name == root or name.startswith(root + ".") for name in _imports(path))


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


def test_domain_modules_do_not_print():
    for path in MODULES:
        where = _relative(path)
        if where.startswith(("cli/", "views/")) or where == "output.py":
            continue
        calls = [node for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print"]
        assert not calls, f"{where} prints"
