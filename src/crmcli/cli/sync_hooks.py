"""The pre- hooks of a sync, run in bulk: each once with JSON Lines of every change the sync
would make to the book, before anything is written; a refused change is left out and named.
(The post- hooks run as for every command, once each, from the journal: see hooking.)"""

from __future__ import annotations

from crmcli.cli import hooking
from crmcli.cli.common import state

_PRE = {"add": "pre-add", "modify": "pre-modify", "delete": "pre-delete"}


def active():
    return hooking.active(*_PRE.values())


def screen(hook, collection, version: str) -> None:
    """Ask the pre- hooks about the contacts the steps would change. A refused addition or
    change is left for a later run and named as a problem; a refused deletion (made on the
    phone) keeps the contact and uploads it again."""
    from crmcli.contacts import to_record
    from crmcli.sync import apply

    plan = collection.plan
    if collection.name != "contacts" or not plan.steps:
        return
    applier = apply.Applier(state().db, plan, version, state().config.phone_region, state().now)
    asked: dict[str, list] = {name: [] for name in _PRE.values()}
    for step in plan.steps:
        proposal = applier.proposed(step)
        if proposal is not None:
            what, before, after = proposal
            payload = {"object": "contact",
                       "before": hooking.contact_json(before) if before else None,
                       "after": to_record(after) if after else None}
            asked[_PRE[what]].append((step, {key: value for key, value in payload.items()
                                             if value is not None}))
    refused = {}
    for name, items in asked.items():
        for index, reason in hooking.before_each(hook, name, [p for _, p in items]).items():
            refused[id(items[index][0])] = (name, reason)
    kept = []
    for step in plan.steps:
        if id(step) not in refused:
            kept.append(step)
            continue
        name, reason = refused[id(step)]
        if name == "pre-delete":
            step.kind = "keep"
            kept.append(step)
            plan.reports.append(f"{step.href}: kept and uploaded again (the pre-delete hook "
                                f"refused its deletion: {reason})")
        else:
            plan.problems.append((step.href, f"refused by the {name} hook: {reason}"))
    plan.steps = kept
