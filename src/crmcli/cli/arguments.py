"""Arguments that look like options, and numbers too large to store.

Click reads every token that starts with ``-`` as options, but crm's arguments often start
with one: dates (``crm follow-up ana -2d``) and query terms (``crm list -tag:lost``,
``-has:email``). Before Click parses a command, a token that is not one of that command's
options goes behind ``--``, as a positional argument; so does a negated query term
(``-tag:lost``, not ``-t ag:lost``). Where a real short option would otherwise swallow a
token (``-tvip``), that is a usage error rather than a guess: the user writes ``--tag vip``
or puts the argument after ``--``. Whole numbers are checked against
what SQLite stores (64 bits), so ``--limit 99999999999999999999999`` is a usage error too,
while an id that large (``RowId``) names nothing, like any unknown id. A number is written in
the digits 0-9: Python's ``int()``, which Click uses, also reads ``1_0`` as 10 and other
scripts' digits (``crm done 1_0`` closed follow-up 10). Click quotes a value it refuses: a long
one is cut short in the message. An empty path is refused (Click reads '' as
the current directory).
A yearless date (``--06-12``) is an argument too, though it starts with two dashes.
"""

from __future__ import annotations

import re

from typer._click.types import IntParamType, StringParamType  # Typer's own click

from crmcli.errors import LARGEST_ID as _LARGEST
from crmcli.errors import SHOWN, NotFound, cut

_YEARLESS_DATE = re.compile(r"--\d\d-?\d\d")
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def adapt(command):
    """``command`` with the rules above (a group's sub-commands are adapted as they are built:
    cli/lazy_groups.py). Typer builds commands with its own copy of Click, so they are
    recognised by what they have."""
    for param in command.params:
        if getattr(param.type, "name", "") in ("int", "int range", "integer", "integer range"):
            _bound(param.type)
        if getattr(param.type, "name", "") in ("path", "file", "directory"):  # click.Path
            _refuse_empty(param.type)
    if not hasattr(command, "commands") and not getattr(command, "_dash_arguments", False):
        parse = command.parse_args
        command.parse_args = lambda ctx, args: parse(ctx, _dashes_as_arguments(ctx, args))
        command._dash_arguments = True
    return command


class RowId(IntParamType):
    """The id of a ``what`` (``follow-up``): a number too large for SQLite is an unknown id,
    ``no follow-up with id ...`` (exit 3), as the domain says of any id no row has."""

    _bounded = True

    def __init__(self, what: str) -> None:
        self.what = what

    def convert(self, value, param, ctx):
        if isinstance(value, str) and _too_large(value):
            raise NotFound(f"no {self.what} with id {cut(value.strip())}")
        return super().convert(_decimal(_short(value, self, param, ctx), self, param, ctx),
                               param, ctx)


class NonEmpty(StringParamType):
    """Text that may not be empty: ``--tag ''`` selected nothing, or added nothing, silently.
    ``hint``, when given, ends the message: what to give instead."""

    def __init__(self, what: str, hint: str = "") -> None:
        self.what = what
        self.hint = f": {hint}" if hint else ""

    def convert(self, value, param, ctx):
        from crmcli.text import is_invisible

        if isinstance(value, str) and is_invisible(value):  # $'\x1b' is as empty as ''
            self.fail(f"the {self.what} is empty{self.hint}", param, ctx)
        return super().convert(value, param, ctx)


class Labelled(NonEmpty):
    """A value that may carry a label: ``-p work:`` is empty too (it was kept as text)."""

    def convert(self, value, param, ctx):
        from crmcli.normalize import is_label_only

        if isinstance(value, str) and value.strip() and is_label_only(value):
            self.fail(f"the {self.what} is empty after its label {value.strip()!r}{self.hint}",
                      param, ctx)
        return super().convert(value, param, ctx)


class TagName(NonEmpty):
    """A tag that is something once normalised: ``--tag '+'`` added no tag, silently."""

    def __init__(self, hint: str = "") -> None:
        super().__init__("tag", hint)

    def convert(self, value, param, ctx):
        from crmcli.contact_rules import normalize_tag

        if isinstance(value, str) and value.strip() and not normalize_tag(value).strip():
            self.fail(f"the tag {value!r} is empty once its leading + are dropped{self.hint}",
                      param, ctx)
        return super().convert(value, param, ctx)


class TagChange(TagName):
    """``+tag`` (or ``tag``) to add, ``-tag`` to remove (crm tag, crm company tag): a
    TagName once its sign is dropped; the change is returned as given."""

    def __init__(self) -> None:
        super().__init__("write +TAG to add one, -TAG to remove one")

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            super().convert(value[1:] if value.startswith("-") else value, param, ctx)
        return value


def _bound(param_type) -> None:
    """Make an integer type refuse what does not fit SQLite's 64-bit INTEGER."""
    if getattr(param_type, "_bounded", False):
        return
    convert = param_type.convert

    def checked(value, param, ctx):
        if isinstance(value, str) and _too_large(value):
            param_type.fail(f"{cut(value.strip())} is too large a number", param, ctx)
        return convert(_decimal(_short(value, param_type, param, ctx), param_type, param, ctx),
                       param, ctx)

    param_type.convert = checked
    param_type._bounded = True


def _refuse_empty(param_type) -> None:
    """Make a path type refuse '' (read as '.': crm export --vdir '' wrote into the current
    directory)."""
    if getattr(param_type, "_refuses_empty", False):
        return
    convert = param_type.convert

    def checked(value, param, ctx):
        if isinstance(value, str) and not value.strip():
            param_type.fail("the path is empty", param, ctx)
        return convert(value, param, ctx)

    param_type.convert = checked
    param_type._refuses_empty = True


def _too_large(text: str) -> bool:
    """Whether ``text`` is a whole number outside SQLite's 64-bit INTEGER."""
    text = text.strip()
    return bool(_DECIMAL.fullmatch(text)) and (
        len(text) > len(str(_LARGEST)) + 1 or not -_LARGEST - 1 <= int(text) <= _LARGEST)


def _short(value, param_type, param, ctx):
    """``value``, unless it is too long to be a number (Click would quote it whole)."""
    if isinstance(value, str) and len(value) > SHOWN:
        param_type.fail(f"{cut(value)!r} is not a valid {param_type.name}.", param, ctx)
    return value


def _decimal(value, param_type, param, ctx):
    """``value``, unless it is text that is not a whole number in the digits 0-9."""
    if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
        param_type.fail(f"{cut(value)!r} is not a whole number in the digits 0-9", param, ctx)
    return value


def _options(ctx) -> dict[str, bool]:
    """Every option name of the command, and whether it takes a value."""
    return {name: not (param.is_flag or param.count)
            for param in ctx.command.get_params(ctx) if param.param_type_name == "option"
            for name in (*param.opts, *param.secondary_opts)}


def _dashes_as_arguments(ctx, args: list[str]) -> list[str]:
    """``args`` with the tokens that only look like options moved behind ``--``."""
    options = _options(ctx)
    before, after, moved = [], [], False
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            after.extend(tokens)
            break
        kind = _kind(token, options, ctx)
        if kind == "argument":
            moved = moved or token.startswith("-")
            after.append(token)
            continue
        before.append(token)
        if kind == "option taking the next token":
            before.extend(_next(tokens))
    return [*before, "--", *after] if moved else args


def _next(tokens) -> list[str]:
    value = next(tokens, None)
    return [] if value is None else [value]


def _kind(token: str, options: dict[str, bool], ctx) -> str:
    """``argument``, ``option`` or ``option taking the next token``."""
    if len(token) < 2 or not token.startswith("-"):
        return "argument"
    name = token.split("=", 1)[0] if token.startswith("--") else token
    if name in options:
        return "option taking the next token" if options[name] and "=" not in token else "option"
    if _YEARLESS_DATE.fullmatch(token):
        return "argument"  # a date without a year: --06-12
    if token.startswith("--"):
        return "option"  # an unknown long option: Click says so
    if _is_query_term(token):
        return "argument"
    short = token[:2]
    if options.get(short):
        ctx.fail(f"{token!r} reads as {short} {token[2:]!r}; write {_long_name(short, ctx)} "
                 f"{token[2:]} for that option, or put '--' before {token} to mean the "
                 "argument")
    if all(options.get(f"-{letter}") is False for letter in token[1:]):
        return "option"  # grouped flags such as -yv
    if len(token) == 2 and token[1].isalpha():
        return "option"  # a mistyped option: Click says there is no such option
    return "argument"


def _is_query_term(token: str) -> bool:
    """``-tag:lost``, ``-has:email``, ``-field.budget:>10``: a negated query term."""
    from crmcli.query import TERM_NAMES

    key = token[1:].partition(":")[0].lower()
    return ":" in token and (key in TERM_NAMES or key.startswith("field."))


def _long_name(short: str, ctx) -> str:
    for param in ctx.command.get_params(ctx):
        if param.param_type_name == "option" and short in param.opts:
            return max(param.opts, key=len)
    return short
