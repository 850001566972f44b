"""The query language of every selection of contacts: free text mixed with terms.

    tag:vip -tag:lost company:acme title:"head of" (city:madrid OR city:lisboa) last:>30d

Terms AND by default; ``OR`` binds looser than AND; parentheses group; ``-`` negates a term or
a group; ``@name`` is a saved segment's query. :func:`parse` turns the text into a tree in one
pass over bounded input (linear time, a bounded depth); ``query_sql.compile_query`` turns the
tree into SQL with bound parameters. Errors quote the query and name the column they are at:
``query 'tag::': unexpected ':' at column 5``.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmcli.errors import InvalidInput

MAX_QUERY = 4_000  # characters of a query
MAX_DEPTH = 32  # nested parentheses
MAX_LEAVES = 200  # terms, words and segment references, once segments are expanded
# The terms query_sql knows (and field.NAME): a token "-tag:x" on a command line is one.
TERM_NAMES = ("tag", "company", "title", "city", "email", "has", "last", "created", "birthday",
              "deal", "stage", "pipeline", "won", "related", "case")
_STOPS = frozenset(" \t\r\n\f\v()\":")


@dataclass(frozen=True)
class Text:
    """Free text: words searched as today (``phrase``: a quoted run of words, in order)."""
    text: str
    column: int
    phrase: bool = False


@dataclass(frozen=True)
class Term:
    """``key:value``; ``value_column`` is where the value starts."""
    key: str
    value: str
    column: int
    value_column: int


@dataclass(frozen=True)
class SegmentRef:
    name: str
    column: int


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = Text | Term | SegmentRef | Not | And | Or


@dataclass(frozen=True)
class _Token:
    kind: str  # ( ) - OR AND text phrase term segment
    column: int
    text: str = ""
    value: str = ""
    value_column: int = 0


class QueryError(InvalidInput):
    """A query that cannot be read: the message says what and at which column."""


def fail(query: str, message: str, column: int | None = None, hint: str = "") -> QueryError:
    """The error for ``query``: what, at which column, then any hint."""
    where = f" at column {column}" if column else ""
    quoted = repr(query) if len(query) <= 60 else f"{query[:60]!r}..."
    return QueryError(f"query {quoted}: {message}{where}{hint}")


def parse(query: str) -> Node | None:
    """The tree of ``query``, or None when it holds nothing (every contact matches)."""
    if len(query) > MAX_QUERY:
        raise QueryError(f"the query is too long: {len(query):,} characters, the limit is "
                         f"{MAX_QUERY:,}")
    tokens = _tokens(query)
    if not tokens:
        return None
    parser = _Parser(query, tokens)
    node = parser.either(0)
    if parser.position < len(tokens):
        token = tokens[parser.position]
        raise fail(query, f"unexpected {_describe(token)}", token.column)
    if parser.leaves > MAX_LEAVES:
        raise fail(query, f"too many terms ({parser.leaves}; the limit is {MAX_LEAVES})")
    return node


# ---------------------------------------------------------------------------------- lexing


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        column = i + 1
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char, column))
            i += 1
        elif char == "-":
            if i + 1 >= n or query[i + 1].isspace() or query[i + 1] in ")":
                raise fail(query, "expected a term after '-'", column)
            tokens.append(_Token("-", column))
            i += 1
        elif char == '"':
            end = _closing_quote(query, i)
            tokens.append(_Token("phrase", column, query[i + 1:end]))
            i = end + 1
        elif char == "@":
            end = _word_end(query, i + 1)
            if end == i + 1:
                raise fail(query, "expected a segment name after '@'", column)
            tokens.append(_Token("segment", column, query[i + 1:end]))
            i = end
        elif char == ":":
            raise fail(query, "unexpected ':'", column)
        else:
            token, i = _word(query, i)
            tokens.append(token)
    return tokens


def _closing_quote(query: str, start: int) -> int:
    end = query.find('"', start + 1)
    if end < 0:
        raise fail(query, "unclosed '\"'", start + 1)
    return end


def _word_end(query: str, start: int) -> int:
    end = start
    while end < len(query) and query[end] not in _STOPS and not query[end].isspace():
        end += 1
    return end


def _word(query: str, start: int) -> tuple[_Token, int]:
    """A bare word (``OR`` and ``AND`` are operators) or a ``key:value`` term."""
    end = _word_end(query, start)
    word = query[start:end]
    if end >= len(query) or query[end] != ":":
        kind = word if word in ("OR", "AND") else "text"
        return _Token(kind, start + 1, word), end
    value_start = end + 1
    if value_start < len(query) and query[value_start] == '"':
        close = _closing_quote(query, value_start)
        value, after = query[value_start + 1:close], close + 1
    else:
        after = value_start
        while after < len(query) and not query[after].isspace() and query[after] not in "()":
            if query[after] in ':"':
                raise fail(query, f"unexpected {query[after]!r}", after + 1)
            after += 1
        value = query[value_start:after]
    if not value.strip():
        raise fail(query, f"expected a value after '{word}:'", value_start + 1)
    return _Token("term", start + 1, word, value, value_start + 1), after


def _describe(token: _Token) -> str:
    if token.kind in ("(", ")", "-"):
        return repr(token.kind)
    return f"'{token.kind}'" if token.kind in ("OR", "AND") else repr(token.text)


# ---------------------------------------------------------------------------------- parsing


class _Parser:
    """Recursive descent over the tokens, each read once; parentheses bound the depth."""

    def __init__(self, query: str, tokens: list[_Token]):
        self.query, self.tokens, self.position, self.leaves = query, tokens, 0, 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def either(self, depth: int) -> Node:
        nodes = [self.every(depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.position += 1
            nodes.append(self.every(depth, after=token))
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def every(self, depth: int, after: _Token | None = None) -> Node:
        nodes: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                if not nodes:
                    raise fail(self.query, "unexpected 'AND'", token.column)
                self.position += 1
                after = token
                continue
            nodes.append(self.unary(depth))
            after = None
        if not nodes or after is not None:
            token = self.peek()
            if token is not None:
                raise fail(self.query, f"unexpected {_describe(token)}", token.column)
            if after is not None:
                raise fail(self.query, f"expected a term after '{after.kind}'", after.column)
            raise fail(self.query, "expected a term", len(self.query) + 1)
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def unary(self, depth: int) -> Node:
        negations = 0
        while (token := self.peek()) is not None and token.kind == "-":
            negations += 1
            self.position += 1
        node = self.primary(depth)
        return Not(node) if negations % 2 else node

    def primary(self, depth: int) -> Node:
        token = self.tokens[self.position]
        if token.kind == "(":
            if depth >= MAX_DEPTH:
                raise fail(self.query, f"parentheses nested deeper than {MAX_DEPTH}",
                           token.column)
            self.position += 1
            node = self.either(depth + 1)
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise fail(self.query, "missing ')' for the '('", token.column)
            self.position += 1
            return node
        if token.kind in ("OR", "AND", ")"):
            raise fail(self.query, f"unexpected {_describe(token)}", token.column)
        self.position += 1
        self.leaves += 1
        if token.kind == "term":
            return Term(token.text, token.value, token.column, token.value_column)
        if token.kind == "segment":
            return SegmentRef(token.text, token.column)
        return Text(token.text, token.column, phrase=token.kind == "phrase")
