"""A Jinja2 sandbox that bounds the work of one rendering.

Jinja2's ``SandboxedEnvironment`` keeps a template from reaching Python internals and caps
``range()`` (``MAX_RANGE``), but ``"a" * 10**10``, ``"x"|center(10**9)`` or two nested loops
still exhaust memory or time. Here every operator, method and filter that can build a large
value checks the size first (``~``, which the sandbox does not see, as soon as it is built),
loops share a budget of iterations, and the text of one rendering is capped: a template over a
limit fails like any other template error.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from crmcli.errors import capped

MAX_TEXT = 100_000  # characters (or items) one expression may build
MAX_OUTPUT = 1_000_000  # characters of one rendered part of a message
MAX_STEPS = 1_000_000  # loop iterations in one rendering
MAX_POWER_BITS = 4_096
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WIDTH_FILTERS = ("center", "indent", "batch", "slice", "wordwrap", "truncate")
_FORMAT_SPEC = re.compile(r"%[-#0 +]*[\d*]*(?:\.[\d*]+)?|\{[^{}]*\}")


def too_big(what: str, limit: int = MAX_TEXT) -> Exception:
    from jinja2.sandbox import SecurityError

    return SecurityError(f"{what} would pass the limit of a template ({limit:,})")


def check_format(template: str, args: tuple) -> None:
    """A width or precision in a format string (``%9999999s``, ``{:>9999999}``, ``%*s``)."""
    for spec in _FORMAT_SPEC.findall(template):
        widths = [capped(digits, MAX_TEXT) for digits in re.findall(r"\d+", spec)]
        if "*" in spec and spec.startswith("%"):
            widths += [arg for arg in args if isinstance(arg, int)]
        if any(width > MAX_TEXT for width in widths):
            raise too_big("a width in a format")


def check_width(args: tuple, kwargs: dict) -> None:
    if any(isinstance(arg, int) and arg > MAX_TEXT for arg in (*args, *kwargs.values())):
        raise too_big("a width or count")


def check_join(separator: str, items: Any) -> None:
    strings = isinstance(items, (list, tuple)) and all(isinstance(i, str) for i in items)
    if strings and sum(map(len, items)) + len(separator) * len(items) > MAX_TEXT:
        raise too_big("a joined text")


def check_replace(text: str, old: str, new: str) -> None:
    if len(text) + (text.count(old) if old else len(text) + 1) * len(new) > MAX_TEXT:
        raise too_big("a replaced text")


def check_binop(operator: str, left: Any, right: Any) -> None:
    integers = isinstance(left, int) and isinstance(right, int)
    if operator == "**" and integers and right > 0 \
            and abs(left).bit_length() * right > MAX_POWER_BITS:
        raise too_big("a power")
    if operator == "*" and integers \
            and left.bit_length() + right.bit_length() > MAX_POWER_BITS:
        raise too_big("a product")
    sized, count = (left, right) if isinstance(right, int) else (right, left)
    if operator == "*" and isinstance(sized, (str, list, tuple)) and isinstance(count, int) \
            and len(sized) * count > MAX_TEXT:
        raise too_big("a repeated text or list")
    if operator == "%" and isinstance(left, str):
        check_format(left, right if isinstance(right, tuple) else (right,))


def _bounded_filter(original, check):
    """The filter, checking its value and arguments first (after any context Jinja passes)."""
    passed = 1 if getattr(original, "jinja_pass_arg", None) else 0

    @functools.wraps(original)
    def bounded(*args, **kwargs):
        check(args[passed:], kwargs)
        return original(*args, **kwargs)
    return bounded


@functools.cache
def environment_class():
    """The sandbox class (built on first use: jinja2 is imported only when a template runs)."""
    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment
    from jinja2.visitor import NodeTransformer

    class Concatenations(NodeTransformer):
        """Each ``a ~ b`` checked by the environment's ``concatenated`` (a Concat node is no
        binary operator: ``call_binop`` never sees it)."""

        def visit_Concat(self, node):
            self.generic_visit(node)
            return nodes.Call(nodes.EnvironmentAttribute("concatenated"), [node], [], None,
                              None, lineno=node.lineno)

    class BoundedEnvironment(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%", "+"})

        def __init__(self, **options):
            super().__init__(**options)
            self.steps = MAX_STEPS
            for name in _WIDTH_FILTERS:
                self.filters[name] = _bounded_filter(
                    self.filters[name], lambda args, kwargs: check_width(args[1:], kwargs))
            self.filters["join"] = _bounded_filter(
                self.filters["join"], lambda args, kwargs: check_join(
                    str(args[1] if len(args) > 1 else kwargs.get("d", "")), args[0]))
            self.filters["replace"] = _bounded_filter(
                self.filters["replace"], lambda args, kwargs: check_replace(
                    str(args[0]), str(args[1]), str(args[2])) if len(args) > 2 else None)
            self.filters["format"] = _bounded_filter(
                self.filters["format"], lambda args, kwargs: check_format(
                    str(args[0]), args[1:]))

        def call_binop(self, context, operator, left, right):
            check_binop(operator, left, right)
            result = super().call_binop(context, operator, left, right)
            if isinstance(result, (str, list, tuple)) and len(result) > MAX_TEXT:
                raise too_big("a text or list")
            return result

        def call(__self, __context, __obj, *args, **kwargs):
            method = getattr(__obj, "__name__", None)
            # str.format comes wrapped by the sandbox: the bound method is __wrapped__
            bound_to = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
            if isinstance(bound_to, str):
                if method in _WIDTH_METHODS:
                    check_width(args, kwargs)
                elif method in ("format", "format_map"):
                    check_format(bound_to, ())
                elif method == "join" and args:
                    check_join(bound_to, list(args[0]) if isinstance(args[0], (
                        list, tuple)) else args[0])
                elif method == "replace" and len(args) > 1:
                    check_replace(bound_to, str(args[0]), str(args[1]))
            return SandboxedEnvironment.call(__self, __context, __obj, *args, **kwargs)

        # concatenated and counted are called through the environment, not by a name a
        # template could define itself.
        def concatenated(self, text: str) -> str:
            """Every ``a ~ b`` of the template, checked as soon as it is built."""
            if len(text) > MAX_TEXT:
                raise too_big("a concatenated text")
            return text

        def counted(self, iterable):
            """Every loop of the template iterates through here: one budget for them all."""
            for item in iterable:
                self.steps -= 1
                if self.steps < 0:
                    raise too_big("the number of loop iterations", MAX_STEPS)
                yield item

        def _parse(self, source, name, filename):
            tree = Concatenations().visit(super()._parse(source, name, filename))
            for loop in tree.find_all(nodes.For):
                loop.iter = nodes.Call(nodes.EnvironmentAttribute("counted"), [loop.iter], [],
                                       None, None, lineno=loop.lineno)
            tree.set_environment(self)
            return tree

        def render_bounded(self, template, values: dict) -> str:
            """The rendered text, stopped as soon as it passes MAX_OUTPUT characters."""
            self.steps = MAX_STEPS
            parts, size = [], 0
            for part in template.generate(values):
                size += len(part)
                if size > MAX_OUTPUT:
                    raise too_big("the characters of the rendered text", MAX_OUTPUT)
                parts.append(part)
            return "".join(parts)

    return BoundedEnvironment
