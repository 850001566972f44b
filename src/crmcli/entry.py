"""The `crm` executable's first stop: answers shell completion without importing Typer or
Rich, and hands every other invocation to `crmcli.cli`."""

from __future__ import annotations

import os


def main() -> None:
    if os.environ.get("_CRM_COMPLETE", "").startswith("complete_"):
        from crmcli.shell_completion import complete_fast

        if complete_fast():
            return
    from crmcli.cli import main as run

    run()
