"""Tab completion through Typer: the parameters that `crmcli.shell_completion.TABLE` names get
their candidates from the book, for the requests its fast path hands on."""

from __future__ import annotations

from typer._click.shell_completion import CompletionItem

from crmcli.shell_completion import TABLE, Spec, candidates, requested_shell, shell_value


def attach(command, path: list[str]) -> None:
    """Give the parameters of ``command`` (a click command built by Typer) and of its
    sub-commands the completions of TABLE."""
    spec = Spec(TABLE[" ".join(path)]) if " ".join(path) in TABLE else None
    if spec:
        arguments = [param for param in command.params if param.param_type_name == "argument"]
        for index, param in enumerate(arguments):
            _give(param, spec.argument(index))
        for param in command.params:
            if param.param_type_name == "option":
                _give(param, next((spec.options[flag] for flag in param.opts
                                   if flag in spec.options), None))
    for name, sub in getattr(command, "commands", {}).items():
        attach(sub, [*path, name])


def _give(param, kind: str | None) -> None:
    if kind:
        param._custom_shell_complete = lambda ctx, _param, incomplete: _items(
            kind, incomplete, ctx.find_root().params.get("db"))


def _items(kind: str, incomplete: str, db_override: str | None) -> list[CompletionItem]:
    shell = requested_shell()
    return [CompletionItem(shell_value(value, shell), help=text or None)
            for value, text in candidates(kind, incomplete, db_override)]
