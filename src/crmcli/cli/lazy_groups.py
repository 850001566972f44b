"""Command groups built one sub-command at a time.

Typer builds a Click group by building every sub-command in it (signatures, annotations,
parameters): `crm deal list` would pay for all eleven `deal` commands, 2-4 ms a group. Here a
group knows its sub-commands' names and has Typer build each the first time it is asked for;
help and completion, which ask for every one, get every one, built exactly as Typer builds them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import typer
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo

from crmcli.cli.arguments import adapt


class LazyCommands(dict):
    """A group's sub-commands by name (in Typer's order), each built on first use."""

    def __init__(self, builders: dict[str, Callable[[], object]]):
        super().__init__(dict.fromkeys(builders))
        self._builders = builders

    def __getitem__(self, name: str):
        command = super().__getitem__(name)
        if command is None:
            command = self._builders[name]()
            self[name] = command
        return command

    def get(self, name: str, default=None):
        return self[name] if name in self else default  # noqa: SIM401 - self.get is this

    def values(self) -> list:
        return [self[name] for name in self]

    def items(self) -> list:
        return [(name, self[name]) for name in self]


def command(info: CommandInfo, pretty_exceptions_short: bool, rich_markup_mode):
    """One command, as Typer builds it, with crm's argument rules (cli/arguments.py)."""
    return adapt(typer.main.get_command_from_info(
        info, pretty_exceptions_short=pretty_exceptions_short,
        rich_markup_mode=rich_markup_mode))


def group(info: TyperInfo, settings: typer.Typer) -> TyperGroup:
    """The group of ``info`` as ``typer.main.get_group_from_info`` makes it, with Typer's
    options from ``settings`` (the sub-app), its sub-commands built when first asked for."""
    options = {"pretty_exceptions_short": settings.pretty_exceptions_short,
               "rich_markup_mode": settings.rich_markup_mode}
    instance = info.typer_instance
    builders: dict[str, Callable[[], object]] = {}
    for command_info in instance.registered_commands:
        name = command_info.name or typer.main.get_command_name(command_info.callback.__name__)
        builders[name] = lambda found=command_info: command(found, **options)
    for group_info in instance.registered_groups:
        name = typer.main.solve_typer_info_defaults(group_info).name
        if not name:  # Typer would merge its commands into this group's
            raise TypeError(f"a group of {info.name!r} has no name (add_typer(name=...))")
        builders[name] = lambda found=group_info: group(found, settings)
    bare = copy.copy(info)
    bare.typer_instance = copy.copy(instance)
    bare.typer_instance.registered_commands, bare.typer_instance.registered_groups = [], []
    built = typer.main.get_group_from_info(bare, suggest_commands=settings.suggest_commands,
                                           **options)
    built.commands = LazyCommands(builders)
    return adapt(built)
