"""The layers of DESIGN.md: one table gives every module of crmcli its rank, and `check` reports
what breaks them by walking each module's syntax tree (nothing is imported).

An import may point to a lower or equal rank, never up, and the package has no import cycles.
Every import counts: at module level or inside a function, absolute or relative, and
`importlib.import_module` with a literal name (with an f-string such as f"crmcli.cli.{name}",
every module it could name). Only imports for type checkers
(`if TYPE_CHECKING:`) are left out, since they never run. Only the output layer (rank 6) writes
to stdout (`print` without `file=`, `sys.stdout`, `echo` without `err=True`).

    python tests/layers.py [PACKAGE_DIR]    prints the cycles and the violations; exit 1 if any
"""

from __future__ import annotations

import ast
import functools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "crmcli"

# A module's rank is its own entry, else its package's (`interchange` ranks interchange/*).
RANKS = {
    # 1 base: plain values and helpers that know nothing else of the package
    "__init__": 1, "models": 1, "errors": 1, "text": 1, "locations": 1,
    # 2 rules for values: dates, names, phones, money, settings, repetition
    "dates": 2, "normalize": 2, "money": 2, "config": 2, "recurrence": 2, "limits": 2,
    "contact_rules": 2, "form_lines": 2, "calling_codes": 2,
    # 3 storage
    "db": 3, "book_files": 3, "bulk": 3, "migrations": 3, "company_migration": 3, "schema": 3,
    # 4 domain: each owns the SQL of its own tables
    "contacts": 4, "companies": 4, "search": 4, "activity": 4, "followups": 4, "agenda": 4,
    "deals": 4, "stages": 4, "reports": 4, "duplicates": 4, "editform": 4, "demo": 4,
    "three_way": 4, "deal_copies": 4, "contact_refs": 4,
    "userdata": 4, "dump": 4, "profiles": 4, "journal": 4, "journal_summary": 4, "undo": 4,
    "forgetting": 4, "changed_objects": 4,
    "relationships": 4,
    "completion": 4, "fields": 4, "query": 4, "query_sql": 4, "segments": 4, "campaigns": 4,
    "important_dates": 4, "personal": 4, "gifts": 4, "privacy": 4, "cases": 4, "case_promises": 4,
    "case_reports": 4, "analytics": 4, "analytics_settings": 4, "customers": 4,
    "call_queue": 4,
    "job_changes": 4, "reminders_sent": 4,
    "meetings": 4, "occasions": 4,
    "company_profile": 4, "company_form": 4, "company_merge": 4, "handles": 4,
    # 5 adapters to other formats and tools
    "interchange": 5, "digest": 5, "mailer": 5, "campaign_mail": 5, "hooks": 5, "sync": 5,
    "mail": 5, "template_sandbox": 5,
    # 6 the output layer, the only writer to stdout
    "output": 6, "views": 6,
    # 7 commands
    "cli": 7, "__main__": 7, "entry": 7, "shell_completion": 7, "session": 7,
}
OUTPUT_RANK = 6


@dataclass(frozen=True)
class Import:
    target: str
    line: int


@dataclass
class Report:
    unranked: list[str] = field(default_factory=list)
    upward: list[str] = field(default_factory=list)
    cycles: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything that breaks the layers."""
        return [*(f"{name}: not in the rank table" for name in self.unranked), *self.upward,
                *(f"import cycle: {cycle}" for cycle in self.cycles),
                *self.stdout]


def module_names(package: Path) -> dict[str, Path]:
    """Dotted name inside the package ("interchange.vcard_read"; "__init__" for the package)."""
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def rank(name: str) -> int | None:
    parts = name.split(".")
    return next((RANKS[".".join(parts[:n])] for n in range(len(parts), 0, -1)
                 if ".".join(parts[:n]) in RANKS), None)


def imports(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The package modules that ``name`` imports when it runs."""
    found = []
    for dotted, line in _imported(name, path.name == "__init__.py", path.read_text()):
        if dotted.endswith(".*"):  # a computed name: every module it could be
            prefix = dotted[len("crmcli."):-1]
            targets = [module for module in modules if module.startswith(prefix)]
        else:
            targets = [_resolve(dotted, modules)]
        found += [Import(target, line) for target in targets if target and target != name]
    return found


@functools.cache  # the planted-violation tests check copies of the same text
def _imported(name: str, is_package: bool, text: str) -> tuple[tuple[str, int], ...]:
    return tuple(imported for node in _runtime_nodes(ast.parse(text))
                 for imported in _imported_names(node, name, is_package))


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _last_name(node.test) == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def _imported_names(node: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Absolute dotted names a node imports; for `from X import y`, both `X.y` and `X`."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, node.lineno
    elif isinstance(node, ast.ImportFrom):
        base = _absolute(node.module or "", node.level, name, is_package)
        for alias in node.names:
            yield f"{base}.{alias.name}", node.lineno
    elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
        literal = node.args[0]
        package = node.args[1] if len(node.args) > 1 else None
        if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
            text = literal.value
            if text.startswith(".") and isinstance(package, ast.Constant):
                level = len(text) - len(text.lstrip("."))
                text = _absolute(text.lstrip("."), level, f"{package.value}.x", False, True)
            yield text, node.lineno
        elif isinstance(literal, ast.JoinedStr) and literal.values and isinstance(
                literal.values[0], ast.Constant) and literal.values[0].value.endswith("."):
            yield f"{literal.values[0].value}*", node.lineno


def _is_import_module(func: ast.expr) -> bool:
    return _last_name(func) in ("import_module", "__import__")


def _last_name(node: ast.expr) -> str:
    """``echo`` for ``typer.echo`` or ``echo``; "" for anything else."""
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _absolute(module: str, level: int, name: str, is_package: bool, dotted: bool = False
              ) -> str:
    if not level:
        return module
    if dotted:
        package = name.split(".")[:-1]
    else:
        package = ["crmcli", *name.split(".")]
        if not is_package or name == "__init__":
            package = package[:-1]
    package = package[: len(package) - (level - 1)]
    return ".".join([*package, module] if module else package)


def _resolve(dotted: str, modules: dict[str, Path]) -> str | None:
    """The package module a dotted name refers to: itself, else the module holding it."""
    parts = dotted.split(".")
    if parts[0] != "crmcli":
        return None
    parts = parts[1:]
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts = parts[:-1]
    return "__init__"


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each group of modules that import each other (Tarjan), with one cycle through it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = {stack.pop()}
            while node not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [f"{', '.join(sorted(group))} (e.g. {' -> '.join(_path_through(group, graph))})"
            for group in groups]


def _path_through(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    start = min(group)
    paths = {start: [start]}
    pending = [start]
    while pending:
        node = pending.pop(0)
        for target in sorted(graph[node] & group):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                pending.append(target)
    return sorted(group)


def stdout_writes(path: Path) -> Iterator[tuple[int, str]]:
    """Where a module writes to stdout: print without file=, sys.stdout, echo without err=True.

    Asking about the terminal (`sys.stdout.isatty()`, `.encoding`) is not a write."""
    return iter(_sorted_stdout_writes(path.read_text()))


@functools.cache
def _sorted_stdout_writes(text: str) -> tuple[tuple[int, str], ...]:
    return tuple(sorted(_stdout_writes(ast.parse(text))))


def _stdout_writes(tree: ast.AST) -> Iterator[tuple[int, str]]:
    queries = {id(node.value) for node in ast.walk(tree)
               if isinstance(node, ast.Attribute) and node.attr in ("isatty", "encoding")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (getattr(node.func, "id", "") == "print"
                                           or _last_name(node.func) == "echo"):
            called = ast.unparse(node.func)
            keywords = {keyword.arg: ast.unparse(keyword.value) for keyword in node.keywords}
            if called == "print" and keywords.get("file", "None") == "None":
                yield node.lineno, "print"
            elif called != "print" and keywords.get("err") != "True":
                yield node.lineno, called
        elif isinstance(node, ast.Attribute) and node.attr in ("stdout", "__stdout__") and \
                id(node) not in queries and ast.unparse(node) in ("sys.stdout", "sys.__stdout__"):
            yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and any(
                alias.name in ("stdout", "__stdout__") for alias in node.names):
            yield node.lineno, "from sys import stdout"


def check(package: Path = PACKAGE) -> Report:
    modules = module_names(package)
    report = Report(unranked=[name for name in modules if rank(name) is None])
    graph = {name: set() for name in modules}
    for name, path in modules.items():
        where = path.relative_to(package).as_posix()
        for found in imports(name, path, modules):
            graph[name].add(found.target)
            own, theirs = rank(name), rank(found.target)
            if own is not None and theirs is not None and theirs > own:
                report.upward.append(f"{where}:{found.line}: {name} (rank {own}) imports"
                                     f" {found.target} (rank {theirs})")
        if rank(name) != OUTPUT_RANK:
            report.stdout += [f"{where}:{line}: {what} writes to stdout outside the output layer"
                              for line, what in stdout_writes(path)]
    report.cycles = cycles(graph)
    return report


def main(argv: list[str]) -> int:
    package = Path(argv[0]) if argv else PACKAGE
    report = check(package)
    modules = module_names(package)
    edges = sum(len({found.target for found in imports(name, path, modules)})
                for name, path in modules.items())
    print(f"{len(modules)} modules, {edges} import edges")
    print(f"cycles: {len(report.cycles)}")
    for cycle in report.cycles:
        print("  " + cycle)
    violations = [problem for problem in report.problems()
                  if not problem.startswith("import cycle")]
    print(f"layer violations: {len(violations)}")
    for problem in violations:
        print("  " + problem)
    return 1 if report.problems() else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # `| head`: end quietly, as crm does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
