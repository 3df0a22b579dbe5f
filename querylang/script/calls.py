"""Chains: `head.a[b](c)?.d`, and calling what they name -- where/filter/sort, a global, a
method of a value or a namespace, an arrow function.

The mixin :class:`Chains` is part of the interpreter's run (``querylang.script.interpreter``):
it reads the names, evaluates the arguments and records where()/sort() through the run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from querylang.errors import LimitExceeded, QueryError, ScriptError
from querylang.model.jsvalues import UNDEFINED, JSDate, type_name
from querylang.script import ast
from querylang.script.access import get_property, property_is_nullish
from querylang.script.array_edits import CHANGING
from querylang.script.methods import methods_for
from querylang.script.namespaces import FORBIDDEN_KEYS
from querylang.script.values import Builtin, Function, property_key, to_string

__all__ = ["RECORDERS", "Chains"]

RECORDERS = frozenset({"where", "filter", "sort"})  # they record their argument
# array methods that change the array
_ARRAY_WRITERS = frozenset({"push", "sort", "reverse", *CHANGING})
# methods that return one of the array's elements or a callback's value, not what they built
_PASSING = frozenset({"at", "find", "findLast", "pop", "shift", "reduce", "reduceRight"})

# Elements and characters of the large arrays and strings (more than LARGE of them) one run may
# build in all: each is capped alone, and a callback copying a large array at each call must
# not take gigabytes before the time limit comes. Counted as built, not as still held.
MAX_BUILT = 50_000_000
LARGE = 1000  # smaller values are not counted: the everyday path pays one comparison

At = ast.Node  # whatever an error points at


class Chains:
    """Evaluating chains and calls: a mixin of the interpreter's run."""

    # What where()/filter() and sort() last received, and where they were called.
    # `recorded`: where()/sort() ran since the last property write, which must not change
    # what they received (the interpreter copies it first).
    # `built`: what is left of `max_built` (MAX_BUILT unless the caller says).
    __slots__ = ("where", "where_pos", "sort", "sort_pos", "recorded", "built", "max_built")
    where: object
    where_pos: tuple[int, int] | None
    sort: object
    sort_pos: tuple[int, int] | None
    recorded: bool
    built: int
    max_built: int

    if TYPE_CHECKING:
        text: str

        def fail(self, node: At, message: str, cls: type[QueryError] = ScriptError) -> QueryError: ...
        def eval(self, node: ast.Expr) -> object: ...
        def resolve(self, node: ast.Name) -> object: ...
        def args(self, nodes: tuple[ast.Expr | ast.Spread, ...]) -> list[object]: ...
        def check_clock(self, node: At) -> None: ...
        def before_write(self, obj: object = None, what: str = "") -> None: ...

    def ev_chain(self, node: ast.Chain) -> object:
        """`head.a[b](c)?.d`: links left to right; `x.m(...)` is a method call."""
        head = node.head
        value = self.resolve(head) if type(head) is ast.Name else self.eval(head)
        links = node.links
        i, n = 0, len(links)
        while i < n:
            link = links[i]
            if link.optional and (value is None or value is UNDEFINED):
                return UNDEFINED  # `?.` short-circuits the rest of the chain
            if type(link) is ast.Call:
                value = self.call_value(value, self.args(link.args), node, link)
                i += 1
                continue
            key_node: At
            if type(link) is ast.Member:
                key, key_node = link.key, link
            else:
                assert isinstance(link, ast.Index)
                key_node = link.key
                key = property_key(self.eval(link.key))
            nxt = links[i + 1] if i + 1 < n else None
            if type(nxt) is ast.Call:
                if nxt.optional and property_is_nullish(value, key):
                    return UNDEFINED  # `x.m?.()` with no m
                value = self.call_method(value, key, self.args(nxt.args), key_node, node, nxt)
                i += 2
            else:
                try:
                    value = get_property(value, key)
                except QueryError as err:
                    raise err.at(key_node.line, key_node.column) from None
                i += 1
        if isinstance(value, Builtin):
            raise self.fail(
                node, f"'{self.source_of(node)}' must be called, e.g. {value.name}(...)"
            )
        return value

    def charge(self, value: object, at: At, size: int = 0) -> None:
        """Count a large array or string the script built (or ``size`` elements it added)."""
        if not size:
            if type(value) is not list and type(value) is not str and not isinstance(value, dict):
                return
            size = len(value)  # type: ignore[arg-type]
        if size > LARGE:
            self.built -= size
            if self.built < 0:
                raise self.fail(
                    at,
                    f"script used too much memory (more than {self.max_built:,} elements and "
                    "characters in the large arrays, objects and strings it built)",
                    LimitExceeded,
                )

    def source_of(self, node: ast.Node) -> str:
        text = self.text[node.start : node.end]
        return text if len(text) <= 40 else text[:37] + "..."

    def call_value(
        self, callee: object, args: list[object], chain: ast.Chain, call: ast.Call
    ) -> object:
        """Calling something that is not a method: where/filter/sort, a global, an arrow."""
        if type(callee) is Function:
            return self.apply(callee.invoke, args, chain)
        if isinstance(callee, Builtin) and callee.call is not None:
            name = callee.name
            if name in ("where", "filter"):
                if any(isinstance(a, Builtin) for a in args):
                    raise self.fail(chain, f"a function cannot be passed to {name}()")
                self.where = args[0] if args else UNDEFINED
                self.where_pos = (chain.line, chain.column)
                self.recorded = True
                return UNDEFINED
            if name == "sort":
                if any(isinstance(a, Builtin) for a in args):
                    raise self.fail(chain, "a function cannot be passed to sort()")
                self.sort = args[0] if args else UNDEFINED
                self.sort_pos = (chain.line, chain.column)
                self.recorded = True
                return UNDEFINED
            result = self.apply(callee.call, args, chain)
            self.charge(result, chain)
            return result
        # without the line break before '(' (`a\n(b)` calls a, and says "a is not a function")
        what = self.text[chain.start : call.start].rstrip()
        if isinstance(callee, Builtin):
            if callee.name == "Date":
                raise self.fail(chain, "Date(...) must be called with new: new Date(...)")
            raise self.fail(chain, f"{what} is not a function")
        raise self.fail(chain, f"{what} is not a function ({type_name(callee)})")

    def call_method(
        self,
        obj: object,
        key: str,
        args: list[object],
        key_node: At,
        chain: ast.Chain,
        call: ast.Call,
    ) -> object:
        """`obj.key(args)`: only the listed methods of strings, arrays, dates and namespaces."""
        if key in FORBIDDEN_KEYS:
            raise self.fail(key_node, f"'{key}' is not supported in filter scripts")
        if isinstance(obj, Builtin):
            fn = obj.members.get(key)
            if fn is None:
                raise self.fail(key_node, f"'{obj.name}.{key}' is not supported in filter scripts")
            if obj.name == "Object" and key == "assign" and args and isinstance(args[0], dict):
                try:
                    self.before_write(args[0], self.source_of(call.args[0]))
                except QueryError as err:
                    raise err.at(call.args[0].line, call.args[0].column) from None
            result = self.apply(fn, args, key_node)
            self.charge(result, key_node)
            return result
        if obj is None or obj is UNDEFINED:
            raise self.fail(
                key_node, f"Cannot read properties of {to_string(obj)} (reading '{key}')"
            )
        if isinstance(obj, dict) and type(obj.get(key)) is Function:
            return self.apply(obj[key].invoke, args, key_node)  # `o.f()` with f an arrow
        method = methods_for(obj).get(key)
        if method is None:
            if isinstance(obj, dict):
                if key in obj:
                    what = self.text[chain.start : call.start].rstrip()
                    raise self.fail(key_node, f"{what} is not a function ({type_name(obj[key])})")
                raise self.fail(key_node, f"Unknown method '{key}' on object")
            if key == "length" and isinstance(obj, str | list):
                # A property, not a method: JavaScript's own words for calling it.
                raise self.fail(key_node, f"{self.text[chain.start : call.start].rstrip()} is not a function (number)")
            hint = ""
            if key in ("test", "exec", "match", "matchAll", "search"):
                hint = " (regular expressions only work as matchesRegex values)"
            raise self.fail(key_node, f"Unknown method '{key}' on {type_name(obj)}{hint}")
        if (type(obj) is list and key in _ARRAY_WRITERS) or (isinstance(obj, JSDate) and key[:3] == "set"):
            # They change the value in place: never one the script was given (a Date is given
            # as a copy of its own, so its setters may run), nor what where() received.
            # the array as the script wrote it: `a.pop`, `a?.pop`, `a['pop']`, `a?.['pop']`
            what = self.text[chain.start : key_node.start].rstrip().removesuffix("[").rstrip()
            what = what.removesuffix("?.").removesuffix(".").rstrip()
            try:
                self.before_write(obj if type(obj) is list else None, what)
            except QueryError as err:
                raise err.at(key_node.line, key_node.column) from None
            if type(obj) is list:
                n = len(obj)
                result = self.apply(method, args, key_node, obj)
                if len(obj) - n > LARGE:  # push(...big), unshift, splice: what it added
                    self.charge(None, key_node, len(obj) - n)
                if type(result) is list and result is not obj:  # splice's removed elements
                    self.charge(result, key_node)
                return result
        result = self.apply(method, args, key_node, obj)
        if result is not obj and key not in _PASSING:
            self.charge(result, key_node)
        return result

    def apply(self, fn: Callable[..., object], args: list[object], at: At, *this: object) -> object:
        """Call a built-in; its errors point at the method name rather than the chain."""
        try:
            result = fn(*this, args)
        except QueryError as err:
            raise err.at(at.line, at.column) from None
        self.check_clock(at)
        return result
