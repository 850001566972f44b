"""Queries (see ``query``) compiled to one SQL condition on ``contacts c`` with bound
parameters: SQLite does the filtering, with the indexes of each table. Every term compiles to
a condition that is never NULL, so that ``NOT`` means "the others"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from sqlite3 import Connection

from crmcli import fields, relationships, segments
from crmcli import search as search_index
from crmcli.activity import last_contact_sql
from crmcli.contact_rules import normalize_tag
from crmcli.errors import CrmError, cut, shown
from crmcli.normalize import email_key, fold
from crmcli.query import MAX_LEAVES, And, Node, Not, Or, SegmentRef, Term, Text, fail, parse

_WORD = re.compile(r"\w+")
_MONEY = re.compile(r"([<>])\s*([0-9][0-9.,' _]*?)\s*([A-Za-z]{3})?")
_COMPARED = re.compile(r"([<>])\s*(\S.*)")
HAS = {"email": "email", "phone": "phone", "address": "address", "url": "url"}
BIRTHDAY_PERIODS = ("today", "this-week", "this-month", "next-month")
DEAL_STATES = ("open", "won", "lost")
CASE_STATES = ("open", "overdue", "waiting", "resolved", "closed", "any")
Sql = tuple[str, list]


@dataclass(frozen=True)
class Context:
    """What terms are read against: the command's moment (aware, in the configured zone), the
    default currency and decimal mark, the date order and the pipeline's stages."""
    now: dt.datetime
    currency: str = "EUR"
    decimal: str = "."
    date_order: str = "DMY"
    stages: tuple[str, ...] = ()


def compile_query(db: Connection, text: str, context: Context,
                  saving: tuple[str, str] | None = None) -> Sql | None:
    """The SQL condition (and its parameters) of ``text``, or None when it selects everyone.
    ``saving`` (a segment's name and query) is read as if saved: a segment about to be saved
    is checked, cycles included, before it is."""
    node = parse(text)
    if node is None:
        return None
    _register_functions(db)
    return _Compiler(db, context, saving).compile(text, node, ())


class _Compiler:
    def __init__(self, db: Connection, context: Context, saving: tuple[str, str] | None):
        self.db, self.context, self.saving, self.leaves = db, context, saving, 0

    def compile(self, text: str, node: Node, stack: tuple[str, ...]) -> Sql:
        if isinstance(node, Or):
            return self._join(text, node.nodes, " OR ", stack)
        if isinstance(node, And):
            return self._join(text, node.nodes, " AND ", stack)
        if isinstance(node, Not):
            sql, params = self.compile(text, node.node, stack)
            return f"NOT ({sql})", params
        self.leaves += 1
        if self.leaves > MAX_LEAVES:
            raise fail(text, f"too many terms once segments are expanded (the limit is "
                       f"{MAX_LEAVES})")
        if isinstance(node, Text):
            return _free_text(text, [node])
        if isinstance(node, SegmentRef):
            return self._segment(text, node, stack)
        return self._term(text, node)

    def _join(self, text: str, nodes: tuple[Node, ...], operator: str,
              stack: tuple[str, ...]) -> Sql:
        """Free words side by side are searched together, as before terms existed: a phone
        number typed in groups stays one number."""
        parts, params = [], []
        words = [node for node in nodes if isinstance(node, Text)] if operator == " AND " else []
        if words:
            sql, values = _free_text(text, words)
            parts.append(f"({sql})")
            params += values
        for node in nodes:
            if node in words:
                continue
            sql, values = self.compile(text, node, stack)
            parts.append(f"({sql})")
            params += values
        return operator.join(parts), params

    def _segment(self, text: str, node: SegmentRef, stack: tuple[str, ...]) -> Sql:
        name = node.name.lower()
        if name in stack:
            chain = " -> ".join(f"@{each}" for each in (*stack, name))
            raise fail(text, f"segments refer to each other in a cycle: {chain}", node.column)
        saved = segments.find(self.db, name)
        if self.saving and self.saving[0] == name:
            saved = segments.Segment(name, self.saving[1])
        if saved is None:
            known = ", ".join(f"@{s.name}" for s in segments.all_segments(self.db)) or "none"
            raise fail(text, f"no segment @{name} (saved segments: {known})", node.column)
        inner = parse(saved.query)
        if inner is None:
            return "1", []
        try:
            return self.compile(saved.query, inner, (*stack, name))
        except CrmError as exc:
            if str(exc).startswith("in segment @"):
                raise
            raise type(exc)(f"in segment @{name}: {exc}") from None

    def _term(self, text: str, term: Term) -> Sql:
        key = term.key.lower()
        compiler = TERMS.get(key)
        if compiler is None and key.startswith("field."):
            compiler = _field
        if compiler is None:
            known = ", ".join(f"{name}:" for name in TERMS)
            raise fail(text, f"unknown term '{cut(term.key)}:'", term.column,
                       f"; the terms are {known}, field.NAME:, @segment")
        try:
            return compiler(self, term)
        except CrmError as exc:
            raise fail(text, f"{cut(term.key)}: {exc}", term.value_column) from None


# ---------------------------------------------------------------------------------- terms


def _free_text(text: str, nodes: list[Text]) -> Sql:
    """One full-text match for the words (a quoted phrase matches its words in order). Text
    with no word to search (``*``, ``""``, an emoji) is an error: it selected every contact,
    and a campaign's recipients were then the whole book."""
    expressions = []
    loose = " ".join(node.text for node in nodes if not node.phrase)
    if loose and (expression := search_index.match_expression(loose)):
        expressions.append(expression)
    for node in nodes:
        words = _WORD.findall(fold(node.text)) if node.phrase else []
        if words:
            expressions.append('"' + " ".join(words) + '"*')
    if not expressions:
        raise fail(text, "expected letters or digits to search for", nodes[0].column)
    return (search_index.matching("c.id"),
            [" AND ".join(f"({expression})" for expression in expressions)])


def _prefilter(value: str) -> tuple[str, list]:
    """A full-text condition that every contact holding ``value``'s words meets (the exact
    test then runs only on those)."""
    expression = search_index.match_expression(value)
    if not expression:
        raise CrmError("expected letters or digits")
    return search_index.matching("c.id"), [expression]


def _tag(compiler: _Compiler, term: Term) -> Sql:
    return ("c.id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)",
            [normalize_tag(term.value)])


def _company(compiler: _Compiler, term: Term) -> Sql:
    """Companies whose name, or a word of it, starts with the value (folded)."""
    prefix = _like_escape(fold(term.value))
    return ("c.company_id IS NOT NULL AND c.company_id IN (SELECT id FROM companies WHERE"
            " name_folded LIKE ? ESCAPE '\\' OR name_folded LIKE ? ESCAPE '\\')",
            [f"{prefix}%", f"% {prefix}%"])


def _title(compiler: _Compiler, term: Term) -> Sql:
    sql, params = _prefilter(term.value)
    return (f"{sql} AND crm_words_in(c.title, ?)", [*params, fold(term.value)])


def _city(compiler: _Compiler, term: Term) -> Sql:
    sql, params = _prefilter(term.value)
    return (f"{sql} AND c.id IN (SELECT contact_id FROM contact_details WHERE kind = 'address'"
            " AND crm_words_in(value, ?))", [*params, fold(term.value)])


def _email(compiler: _Compiler, term: Term) -> Sql:
    """``@acme.com``: the domain (and its subdomains); a whole address; else a prefix."""
    value = _like_escape(email_key(term.value))
    if value.startswith("@"):
        patterns = [f"%{value}", f"%@%.{value[1:]}"]
    elif "@" in value:
        patterns = [value, value]
    else:
        patterns = [f"{value}%", f"{value}%"]
    return ("c.id IN (SELECT contact_id FROM contact_details WHERE kind = 'email' AND"
            " (norm LIKE ? ESCAPE '\\' OR norm LIKE ? ESCAPE '\\'))", patterns)


def _has(compiler: _Compiler, term: Term) -> Sql:
    what = term.value.lower()
    if what == "birthday":
        return "c.birthday IS NOT NULL", []
    if what == "company":
        return "c.company_id IS NOT NULL", []
    if what not in HAS:
        raise CrmError(f"expected one of {', '.join([*HAS, 'birthday', 'company'])}")
    # A probe per contact (contact_details_contact): listing every phone's owner first reads
    # the whole table when nearly everyone has one.
    return ("EXISTS (SELECT 1 FROM contact_details d WHERE d.contact_id = c.id AND d.kind = ?)",
            [HAS[what]])


def _last(compiler: _Compiler, term: Term) -> Sql:
    """``>30d``: last contact more than 30 days ago, or never; ``<7d``: within 7 days.
    With a date, ``>`` is after it and ``<`` before it (or never)."""
    older, moment = _moment(compiler.context, term.value)
    if older:
        return f"coalesce({last_contact_sql(compiler.db)}, '') < ?", [moment]
    return f"coalesce({last_contact_sql(compiler.db)}, '') >= ?", [moment]


def _created(compiler: _Compiler, term: Term) -> Sql:
    older, moment = _moment(compiler.context, term.value)
    return (f"c.created_at {'<' if older else '>='} ?", [moment])


def _moment(context: Context, value: str) -> tuple[bool, str]:
    """Whether a ``>``/``<`` value asks for times before the moment it names, and the moment
    as stored UTC text. A length of time (``30d``) is an age; a date is a day."""
    from crmcli.dates import parse_days, parse_when, stamp

    match = _COMPARED.fullmatch(value.strip())
    if not match:
        raise CrmError("expected > or < then a length of time (30d) or a date (2026-01-31)")
    operator, when = match.groups()
    try:
        parse_days(when)
        age = True
    except CrmError:
        age = False
    moment = parse_when(when, context.now, context.date_order, past=True).moment
    if not age and operator == ">":
        moment += dt.timedelta(days=1)  # after the day: from the next one on
    return (operator == ">") == age, stamp(moment)


def _birthday(compiler: _Compiler, term: Term) -> Sql:
    days = birthday_days(term.value.lower(), compiler.context.now.date())
    return ("c.birthday IS NOT NULL AND substr(c.birthday, -5) IN"
            " (SELECT value FROM json_each(?))", [_json(days)])


def birthday_days(period: str, today: dt.date) -> list[str]:
    """The ``MM-DD`` of every day of the period; 29 February counts on 28 February in a year
    without it."""
    if period == "today":
        first, last = today, today
    elif period == "this-week":
        first = today - dt.timedelta(days=today.weekday())
        last = first + dt.timedelta(days=6)
    elif period in ("this-month", "next-month"):
        first = today.replace(day=1)
        if period == "next-month":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    else:
        raise CrmError(f"expected one of {', '.join(BIRTHDAY_PERIODS)}")
    days = [(first + dt.timedelta(days=n)) for n in range((last - first).days + 1)]
    found = [day.strftime("%m-%d") for day in days]
    if "02-28" in found and "02-29" not in found:
        found.append("02-29")
    return found


def _deal(compiler: _Compiler, term: Term) -> Sql:
    state = term.value.lower()
    if state not in DEAL_STATES:
        raise CrmError(f"expected one of {', '.join(DEAL_STATES)}")
    condition = "stage NOT IN ('won', 'lost')" if state == "open" else "stage = ?"
    return (f"c.id IN (SELECT contact_id FROM deals WHERE deleted_at IS NULL AND {condition})",
            [] if state == "open" else [state])


def _case(compiler: _Compiler, term: Term) -> Sql:
    """Contacts with a service case: ``open`` (not yet resolved: open or waiting),
    ``overdue``, ``waiting``, ``resolved``, ``closed`` or ``any``."""
    from crmcli.cases import effective_sql, overdue_sql

    state = term.value.lower()
    if state not in CASE_STATES:
        raise CrmError(f"expected one of {', '.join(CASE_STATES)}")
    status, _ = effective_sql(compiler.context.now)
    condition = {"open": f"({status}) IN ('open', 'waiting')",
                 "overdue": overdue_sql(compiler.context.now), "any": "1"}.get(
        state, f"({status}) = '{state}'")
    return ("c.id IN (SELECT k.contact_id FROM cases k WHERE k.contact_id IS NOT NULL"
            f" AND {condition})", [])


def _stage(compiler: _Compiler, term: Term) -> Sql:
    stage = term.value.strip().lower()
    if compiler.context.stages and stage not in compiler.context.stages:
        raise CrmError(f"no such stage; the stages are {', '.join(compiler.context.stages)}")
    return ("c.id IN (SELECT contact_id FROM deals WHERE deleted_at IS NULL AND stage = ?)",
            [stage])


def _money_term(stages: str) -> Callable[[_Compiler, Term], Sql]:
    def compile_(compiler: _Compiler, term: Term) -> Sql:
        """Contacts whose deals (open ones, or won ones) in one currency add up to more, or
        less, than the amount. Currencies are never added together."""
        from crmcli.money import check_currency, parse_amount

        match = _MONEY.fullmatch(term.value.strip())
        if not match:
            raise CrmError("expected > or < then an amount and a currency: >5000EUR")
        operator, amount, code = match.groups()
        currency = check_currency(code) if code else compiler.context.currency
        minor = parse_amount(amount, currency, compiler.context.decimal)
        totals = ("SELECT contact_id FROM deals WHERE deleted_at IS NULL AND contact_id IS NOT"
                  f" NULL AND {stages} AND currency = ? GROUP BY contact_id"
                  " HAVING sum(coalesce(amount_minor, 0))")
        if operator == ">":
            return f"c.id IN ({totals} > ?)", [currency, minor]
        return f"c.id NOT IN ({totals} >= ?)", [currency, minor]
    return compile_


def _field(compiler: _Compiler, term: Term) -> Sql:
    name = term.key[len("field."):].lower()
    if fields.find(compiler.db, name) is None:
        known = ", ".join(f.name for f in fields.definitions(compiler.db)) or "none yet"
        raise CrmError(f"no custom field {shown(name)} (the fields are: {known})")
    value = term.value.strip()
    condition = value if value[:1] in "<>" else f"={value}"
    return fields.where_clause(compiler.db, f"{name}{condition}")


def _related(compiler: _Compiler, term: Term) -> Sql:
    """Contacts who have someone of that type: their own edges, and the other end of edges
    whose inverse is that type (Bo is Ana's spouse, so Bo has a spouse too)."""
    kind = relationships.clean_kind(term.value)
    inverse_of = [each for each, inverse in relationships.INVERSES.items() if inverse == kind]
    live = "(related_id IS NULL OR related_id IN (SELECT id FROM contacts WHERE" \
           " deleted_at IS NULL))"
    return (f"c.id IN (SELECT contact_id FROM relationships WHERE kind = ? AND {live}"
            " UNION SELECT related_id FROM relationships WHERE related_id IS NOT NULL"
            " AND kind IN (SELECT value FROM json_each(?)))", [kind, _json(inverse_of)])


TERMS: dict[str, Callable[[_Compiler, Term], Sql]] = {
    "tag": _tag, "company": _company, "title": _title, "city": _city, "email": _email,
    "has": _has, "last": _last, "created": _created, "birthday": _birthday, "deal": _deal,
    "stage": _stage, "pipeline": _money_term("stage NOT IN ('won', 'lost')"),
    "won": _money_term("stage = 'won'"), "related": _related, "case": _case,
}


# ---------------------------------------------------------------------------------- helpers


def _json(values: list) -> str:
    import json

    return json.dumps(values)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _register_functions(db: Connection) -> None:
    db.create_function("crm_words_in", 2, words_in, deterministic=True)


def words_in(text: str | None, wanted: str) -> int:
    """1 when the folded words of ``wanted`` start consecutive words of ``text``."""
    if not text:
        return 0
    have = _WORD.findall(fold(text))
    words = _WORD.findall(wanted)
    if not words:
        return 0
    for start in range(len(have) - len(words) + 1):
        if all(have[start + k].startswith(word) for k, word in enumerate(words)):
            return 1
    return 0
