"""The query parser: any text parses or fails with a positioned error, never an exception, in
time linear in its length; whatever parses compiles to SQL that SQLite runs."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from work import counted

from crmcli import db as storage
from crmcli.errors import CrmError
from crmcli.query import MAX_QUERY, TERM_NAMES, And, Not, Or, QueryError, Term, Text, parse
from crmcli.query_sql import TERMS, Context, birthday_days, compile_query

CONTEXT = Context(now=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC),
                  stages=("lead", "proposal", "won", "lost"))
PIECES = st.sampled_from([
    "tag:", "vip", "-", "(", ")", " ", "OR", "AND", '"', ":", "@", "x", "company:acme",
    "last:>30d", "field.budget:>1", "pipeline:>5EUR", "has:email", "é", "\t", "--", "((",
    "won:<3", "birthday:today", "created:>2026-01-01", "related:spouse", "stage:lead",
])
QUERIES = st.one_of(st.text(max_size=80), st.lists(PIECES, max_size=30).map("".join),
                    st.lists(PIECES, max_size=30).map(" ".join))


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    connection = storage.connect(tmp_path_factory.mktemp("parser") / "crm.db")
    connection.execute("INSERT INTO custom_fields (entity, name, type, created_at)"
                       " VALUES ('contacts', 'budget', 'number', '2026-01-01T00:00:00Z')")
    yield connection
    connection.close()


@settings(max_examples=400, deadline=None)
@given(QUERIES)
def test_any_text_parses_or_fails_with_a_position(text):
    try:
        parse(text)
    except QueryError as exc:
        assert " at column " in str(exc) or "too many terms" in str(exc), str(exc)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_whatever_parses_compiles_to_sql_that_runs(conn, text):
    try:
        compiled = compile_query(conn, text, CONTEXT)
    except CrmError:
        return
    if compiled is not None:
        conn.execute(f"SELECT c.id FROM contacts c WHERE {compiled[0]}", compiled[1]).fetchall()


def test_the_tree_follows_the_precedence():
    tree = parse("a tag:x OR -(b c)")
    assert isinstance(tree, Or)
    left, right = tree.nodes
    assert left == And((Text("a", 1), Term("tag", "x", 3, 7)))
    assert isinstance(right, Not) and isinstance(right.node, And)
    assert parse("  ") is None
    assert parse("--tag:x") == Term("tag", "x", 3, 7)  # two negations cancel


def test_values_are_bound_never_written_into_the_sql(conn):
    sql, params = compile_query(conn, "tag:\"x') OR 1=1 --\" company:'; DROP", CONTEXT)
    assert "DROP" not in sql and "1=1" not in sql
    assert "x') or 1=1 --" in params


WORST = ["(" * 32 + "a" + ")" * 32, "-" * (MAX_QUERY - 1) + "a", '"' * MAX_QUERY,
         "a " * (MAX_QUERY // 2), "tag:" + "x" * (MAX_QUERY - 4), "a:" * (MAX_QUERY // 2),
         "(" * MAX_QUERY, "@" + "s" * (MAX_QUERY - 1), ("a OR " * 1000)[:MAX_QUERY]]


def _steps(text: str) -> int:
    """Function calls (Python and C) made while parsing: a measure of work that, unlike a
    stopwatch, does not depend on how busy the machine is."""
    with counted(lines=False) as work, contextlib.suppress(QueryError):
        parse(text)
    return work.calls


@pytest.mark.parametrize("text", WORST, ids=range(len(WORST)))
def test_the_longest_queries_are_read_in_linear_time(text):
    quarter = text[:len(text) // 4]
    assert _steps(text) <= 6 * _steps(quarter) + 200  # quadratic work would be 16 times more


def test_limits_on_size_depth_and_terms():
    with pytest.raises(QueryError, match="too long"):
        parse("a" * (MAX_QUERY + 1))
    with pytest.raises(QueryError, match="nested deeper than 32 at column 33"):
        parse("(" * 40 + "a" + ")" * 40)
    with pytest.raises(QueryError, match="too many terms"):
        parse("a " * 201)


def test_segment_expansion_is_bounded(conn):
    conn.execute("INSERT INTO segments (name, query, created_at, updated_at) VALUES"
                 " ('s0', 'tag:a tag:b', '', '')")
    for level in range(1, 10):
        conn.execute("INSERT INTO segments (name, query, created_at, updated_at) VALUES"
                     " (?, ?, '', '')", [f"s{level}", f"@s{level - 1} @s{level - 1}"])
    with pytest.raises(QueryError, match="too many terms once segments are expanded"):
        compile_query(conn, "@s9", CONTEXT)


def test_every_term_the_command_line_knows_compiles():
    assert set(TERMS) == set(TERM_NAMES)


def test_birthday_periods():
    friday = dt.date(2026, 11, 20)
    assert birthday_days("this-week", friday) == [f"11-{day}" for day in range(16, 23)]
    assert len(birthday_days("next-month", friday)) == 31
    assert "02-29" in birthday_days("this-week", dt.date(2027, 2, 24))  # no 29 Feb in 2027
