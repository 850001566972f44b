"""crm's own X- properties survive a CalDAV server: a weekly rule on two days (``mon,thu``), an
outcome and a stage history with commas and semicolons, PUT to a real Radicale and read back
as a second computer would. Written raw, Radicale cut each at its first comma."""

from __future__ import annotations

import icalendar

from crmcli.sync import ical, xprops


def test_text_with_commas_semicolons_and_lines_comes_back_from_radicale(radicale):
    calendar = radicale.calendar("xprops", "VJOURNAL VTODO")
    item = ical.new("VJOURNAL", "xprops-1")
    values = {"X-CRMCLI-RULE": "mon,thu", "X-CRMCLI-OUTCOME": "keen, wants a quote; by Fri\\day",
              "X-CRMCLI-STAGE-HISTORY": '[["2026-11-25T12:00:00Z",null,"lead"]]',
              "X-CRMCLI-NOTE": "two\nlines"}
    for name, value in values.items():
        xprops.write(item, name, value)
    reply = calendar.put("xprops-1.ics", ical.serialize(item).decode())
    assert reply.status == 201, reply.text
    (stored,) = icalendar.Calendar.from_ical(calendar.get("xprops-1.ics")).walk("VJOURNAL")
    back = ical.Item(None, stored, "xprops-1")
    assert {name: xprops.read(back, name) for name in values} == values


def test_a_task_on_two_weekdays_keeps_its_rule_through_the_server(crm, tmp_path, monkeypatch,
                                                                    radicale):
    from crmcli.sync.tasks import X_RULE

    monkeypatch.setenv("CRM_NOW", "2026-11-25T12:00:00Z")
    config = tmp_path / "config" / "crmcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[sync]\ncommand = ""\ncontacts = "{tmp_path / "contacts"}"\n'
                      f'tasks = "{tmp_path / "tasks"}"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    crm.add("Ana Lima")
    crm.ok("follow-up", "ana", "2026-11-26", "Check the stock", "--every", "mon,thu")
    crm.ok("sync")
    (path,) = (tmp_path / "tasks").glob("*.ics")
    calendar = radicale.calendar("xprops-tasks", "VTODO")
    assert calendar.put(path.name, path.read_text()).status == 201
    (todo,) = icalendar.Calendar.from_ical(calendar.get(path.name)).walk("VTODO")
    assert xprops.read(ical.Item(None, todo, None), X_RULE) == "mon,thu"
