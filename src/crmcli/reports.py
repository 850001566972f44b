"""The figures of ``crm pipeline``, ``crm forecast`` and ``crm report``, computed in SQL.

Money stays integer minor units per currency: every total is a list with one amount per
currency, and amounts in different currencies are never added. Weighted values are rounded
down per deal (``amount_minor * probability // 100``) before they are summed; averages of
money are rounded half up to a whole minor unit. The meaning of each figure is documented
in docs/deals.md.
"""

from __future__ import annotations

import datetime as dt
import json
from sqlite3 import Connection

from crmcli import money
from crmcli.dates import parse_stamp, stamp
from crmcli.deals import COLUMNS, FROM, Filter, from_row, search
from crmcli.models import Deal
from crmcli.stages import WON, Pipeline

OVERDUE, UNDATED = "overdue", "undated"


def _money_list(amounts: dict[str, int]) -> list[dict]:
    return [money.to_json(amount, currency) for currency, amount in sorted(amounts.items())]


# ---------------------------------------------------------------------------------- pipeline


def stage_totals(db: Connection, pipeline: Pipeline, filters: Filter | None = None
                 ) -> list[dict]:
    """Per open stage, in pipeline order (then any stage config.toml no longer lists):
    ``stage``, ``probability``, ``in_config``, ``count``, ``totals`` and ``weighted_totals``
    (one money dict per currency)."""
    where, params = (filters or Filter()).where()
    probability, probability_params = pipeline.probability_sql()
    rows = db.execute(
        f"SELECT d.stage, d.currency, count(*), sum(d.amount_minor),"
        f" sum(d.amount_minor * {probability} / 100) FROM deals d WHERE {where}"
        " GROUP BY d.stage, d.currency", [*probability_params, *params]).fetchall()
    found: dict[str, dict] = {}
    for stage, currency, count, total, weighted in rows:
        entry = found.setdefault(stage, {"count": 0, "totals": {}, "weighted": {}})
        entry["count"] += count
        if total is not None:
            entry["totals"][currency] = total
            entry["weighted"][currency] = weighted
    configured = [(s.name, s.probability, True) for s in pipeline.open]
    orphaned = [(name, None, False) for name in sorted(found) if pipeline.get(name) is None]
    return [_stage_record(name, probability, in_config, found.get(name))
            for name, probability, in_config in configured + orphaned]


def _stage_record(name: str, probability: int | None, in_config: bool, entry: dict | None
                  ) -> dict:
    entry = entry or {"count": 0, "totals": {}, "weighted": {}}
    return {"stage": name, "probability": probability, "in_config": in_config,
            "count": entry["count"], "totals": _money_list(entry["totals"]),
            "weighted_totals": _money_list(entry["weighted"])}


def board(db: Connection, pipeline: Pipeline, filters: Filter | None = None,
          cards: int | None = None) -> list[tuple[dict, list[Deal]]]:
    """Each stage's totals with its deals, soonest expected close first; at most ``cards``
    deals per stage when given."""
    filters = filters or Filter()
    if cards is None:
        found = search(db, filters)
    else:
        where, params = filters.where()
        found = [from_row(row) for row in db.execute(
            f"SELECT {COLUMNS}{FROM} JOIN (SELECT d.id AS pick, row_number() OVER (PARTITION BY"
            f" d.stage ORDER BY d.close_on IS NULL, d.close_on, d.id) AS n FROM deals d"
            f" WHERE {where}) ON pick = d.id WHERE n <= ? ORDER BY n", [*params, cards])]
    by_stage: dict[str, list[Deal]] = {}
    for deal in found:
        by_stage.setdefault(deal.stage, []).append(deal)
    return [(totals, by_stage.get(totals["stage"], []))
            for totals in stage_totals(db, pipeline, filters)]


# ---------------------------------------------------------------------------------- forecast


def forecast(db: Connection, pipeline: Pipeline, today: dt.date, by: str = "month"
             ) -> list[dict]:
    """Open deals by expected close period and currency: ``period`` (``2026-05``,
    ``2026-Q2``, ``overdue`` for close dates before today, ``undated``), ``currency``,
    ``count``, ``weighted`` and ``best_case`` (every deal won)."""
    period = ("substr(d.close_on, 1, 7)" if by == "month" else
              "substr(d.close_on, 1, 4) || '-Q' || ((substr(d.close_on, 6, 2) + 2) / 3)")
    probability, probability_params = pipeline.probability_sql()
    where, params = Filter().where()
    rows = db.execute(
        f"SELECT CASE WHEN d.close_on IS NULL THEN '{UNDATED}' WHEN d.close_on < ?"
        f" THEN '{OVERDUE}' ELSE {period} END AS period, d.currency, count(*),"
        f" coalesce(sum(d.amount_minor * {probability} / 100), 0),"
        f" coalesce(sum(d.amount_minor), 0) FROM deals d WHERE {where}"
        " GROUP BY period, d.currency",
        [today.isoformat(), *probability_params, *params]).fetchall()
    order = {OVERDUE: "0", UNDATED: "9"}
    rows.sort(key=lambda row: (order.get(row[0], "1" + row[0]), row[1]))
    return [{"period": period_, "currency": currency, "count": count,
             "weighted": money.to_json(weighted, currency),
             "best_case": money.to_json(best, currency)}
            for period_, currency, count, weighted, best in rows]


# ------------------------------------------------------------------------------------ report


def report(db: Connection, pipeline: Pipeline, since: dt.datetime, now: dt.datetime,
           stuck_days: int = 30, top: int = 10) -> dict:
    """Sales figures over the window from ``since`` to ``now``; see docs/deals.md."""
    start = stamp(since)
    won, lost = _closed_counts(db, start)
    figures = {"since": start, "until": stamp(now), "won": won, "lost": lost,
               "win_rate": round(100 * won / (won + lost), 1) if won + lost else None}
    figures.update(_won_money(db, start))
    figures["average_cycle_days"] = _average_cycle(db, start)
    figures["conversion"] = _conversion(db, pipeline, start)
    figures["stuck_days"] = stuck_days
    figures["stuck_count"], figures["stuck"] = _stuck(db, now - dt.timedelta(days=stuck_days),
                                                      now, top)
    figures["top_customers"] = _top_customers(db, start, top)
    return figures


_WON_SINCE = "d.deleted_at IS NULL AND d.stage = 'won' AND d.closed_at >= ?"


def _closed_counts(db: Connection, start: str) -> tuple[int, int]:
    counts = dict(db.execute(
        "SELECT stage, count(*) FROM deals WHERE deleted_at IS NULL AND closed_at >= ?"
        " AND stage IN ('won', 'lost') GROUP BY stage", [start]).fetchall())
    return counts.get("won", 0), counts.get("lost", 0)


def _won_money(db: Connection, start: str) -> dict:
    """Won value and average won deal size per currency (deals without a value left out)."""
    totals, averages = {}, {}
    for currency, count, total in db.execute(
        f"SELECT d.currency, count(*), sum(d.amount_minor) FROM deals d WHERE {_WON_SINCE}"
        " AND d.amount_minor IS NOT NULL GROUP BY d.currency", [start]):
        totals[currency] = total
        averages[currency] = (2 * total + count) // (2 * count)  # half up
    return {"won_value": _money_list(totals), "average_deal_size": _money_list(averages)}


def _average_cycle(db: Connection, start: str) -> float | None:
    """Mean days from creation to won, over deals won in the window."""
    days = db.execute(f"SELECT avg(julianday(d.closed_at) - julianday(d.created_at))"
                      f" FROM deals d WHERE {_WON_SINCE}", [start]).fetchone()[0]
    return None if days is None else round(days, 1)


def _conversion(db: Connection, pipeline: Pipeline, start: str) -> list[dict]:
    """For deals created in the window: how many reached each open stage (or a later one,
    won included) and what share of them went on past it."""
    ladder = [*pipeline.open, pipeline.require(WON)]
    whens = " ".join(f"WHEN :s{index} THEN {index}" for index in range(len(ladder)))
    reached_counts = dict(db.execute(
        f"SELECT furthest, count(*) FROM (SELECT max(CASE h.to_stage {whens} END) AS furthest"
        " FROM deal_stage_changes h WHERE h.deal_id IN (SELECT id FROM deals"
        " WHERE deleted_at IS NULL AND created_at >= :start) AND h.changed_at >= :start"
        " GROUP BY h.deal_id) WHERE furthest IS NOT NULL GROUP BY furthest",
        {**{f"s{i}": stage.name for i, stage in enumerate(ladder)}, "start": start}).fetchall())
    reached = [sum(n for index, n in reached_counts.items() if index >= step)
               for step in range(len(ladder))]
    return [{"from_stage": ladder[i].name, "to_stage": ladder[i + 1].name,
             "reached": reached[i], "advanced": reached[i + 1],
             "rate": round(100 * reached[i + 1] / reached[i], 1) if reached[i] else None}
            for i in range(len(ladder) - 1)]


def _stuck(db: Connection, cutoff: dt.datetime, now: dt.datetime, top: int
           ) -> tuple[int, list[dict]]:
    """Open deals that entered their stage before ``cutoff``: how many, and the ``top``
    longest-waiting with the days they have waited."""
    where, params = Filter().where()
    waiting = db.execute(
        "WITH open_deals AS MATERIALIZED (SELECT d.id, (SELECT max(h.changed_at) FROM"
        f" deal_stage_changes h WHERE h.deal_id = d.id) AS entered FROM deals d WHERE {where})"
        " SELECT id, entered FROM open_deals WHERE entered < ? ORDER BY entered, id",
        [*params, stamp(cutoff)]).fetchall()
    entered = dict(waiting[:top])
    found = search(db, Filter(status="all", ids=tuple(entered)))
    found.sort(key=lambda deal: (entered[deal.id], deal.id))
    return len(waiting), [{"deal": deal, "entered_at": entered[deal.id],
                           "days": (now - parse_stamp(entered[deal.id])).days}
                          for deal in found]


def _top_customers(db: Connection, start: str, top: int) -> list[dict]:
    """Per currency, the ``top`` customers (the deal's company, else its contact) by won
    value in the window."""
    rows = db.execute(
        "SELECT d.company_id, CASE WHEN d.company_id IS NULL THEN d.contact_id END AS person,"
        " coalesce(co.name, c.name), d.currency, count(*), sum(d.amount_minor) AS total"
        f"{FROM} WHERE {_WON_SINCE} AND d.amount_minor IS NOT NULL"
        " GROUP BY d.company_id, person, d.currency ORDER BY d.currency, total DESC",
        [start]).fetchall()
    ranked: dict[str, list[dict]] = {}
    for company_id, contact_id, name, currency, count, total in rows:
        ranked.setdefault(currency, [])
        if len(ranked[currency]) < top:
            ranked[currency].append({"customer": name, "company_id": company_id,
                                     "contact_id": contact_id, "deals": count,
                                     "won_value": money.to_json(total, currency)})
    return [entry for entries in ranked.values() for entry in entries]


def report_record(figures: dict) -> dict:
    """The report's figures as JSON: each stuck deal as a small record."""
    return figures | {"stuck": [
        {"id": s["deal"].id, "title": s["deal"].title, "contact": s["deal"].contact_name,
         "stage": s["deal"].stage, "entered_at": s["entered_at"], "days": s["days"],
         "value": money.to_json(s["deal"].amount_minor, s["deal"].currency)}
        for s in figures["stuck"]]}


def report_lines(record: dict) -> list[dict]:
    """The report record as section/item/value lines, for TSV and CSV."""
    lines = [{"section": "summary", "item": key, "value": record[key]}
             for key in ("since", "until", "won", "lost", "win_rate", "average_cycle_days",
                         "stuck_days", "stuck_count")]
    for section in ("won_value", "average_deal_size"):
        lines += [{"section": section, "item": v["currency"], "value": v["amount"]}
                  for v in record[section]]
    lines += [{"section": "conversion", "item": f"{s['from_stage']}->{s['to_stage']}",
               "value": s["rate"]} for s in record["conversion"]]
    lines += [{"section": "stuck", "item": s["id"], "value": s["days"]}
              for s in record["stuck"]]
    lines += [{"section": "top_customers", "item": c["customer"], "value": c["won_value"]}
              for c in record["top_customers"]]
    return lines


# --------------------------------------------------------------------------------- referrals

_REFERRED = """
SELECT coalesce(r.related_id, -1), coalesce(o.name, r.related_name), r.contact_id
  FROM relationships r JOIN contacts c ON c.id = r.contact_id
  LEFT JOIN contacts o ON o.id = r.related_id
 WHERE r.kind = 'referred-by' AND c.deleted_at IS NULL
   AND (r.related_id IS NULL OR o.deleted_at IS NULL)
"""


def referrals(db: Connection) -> list[dict]:
    """Who brought whom: each referrer (a contact, or a name not in the book), how many
    people they referred, and the won value of those people's deals per currency."""
    referrers: dict[tuple, dict] = {}
    for referrer_id, name, referred_id in db.execute(_REFERRED):
        key = (referrer_id, name if referrer_id < 0 else "")
        entry = referrers.setdefault(key, {"id": referrer_id if referrer_id > 0 else None,
                                           "name": name, "referred": set(), "won": {}})
        entry["referred"].add(referred_id)
    for entry in referrers.values():
        for currency, total in db.execute(
                "SELECT currency, sum(amount_minor) FROM deals WHERE stage = 'won'"
                " AND deleted_at IS NULL AND amount_minor IS NOT NULL AND contact_id IN"
                " (SELECT value FROM json_each(?)) GROUP BY currency",
                [json.dumps(sorted(entry["referred"]))]):
            entry["won"][currency] = total
    rows = [{"id": e["id"], "name": e["name"], "referred": len(e["referred"]),
             "won_value": _money_list(e["won"])} for e in referrers.values()]
    return sorted(rows, key=lambda row: (-row["referred"], row["name"].lower()))
