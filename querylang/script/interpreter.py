"""Run a filter script: the JavaScript subset Noodl filter scripts use, interpreted safely.

A script calls ``where(...)`` (alias ``filter``) and ``sort(...)``; the last call of each wins
(docs/semantics.md#scripts). :func:`run_script` walks the syntax tree from
:func:`querylang.script.parser.parse_script` with a dispatch table on the node's class -- no
``eval``/``exec``, and no Python attribute is ever looked up by a user-provided name: member
access reads a JSObject's own keys or one of the listed string/array/date methods, nothing
else.

>>> r = run_script("where({ Owner: { pointsTo: Inputs.PostId } })\\nsort(['-createdAt'])",
...                {"PostId": "p1"})
>>> dict(r.where["Owner"]), r.sort, r.where_pos
({'pointsTo': 'p1'}, ['-createdAt'], (1, 1))

Chains and calls are evaluated by :mod:`~querylang.script.calls`. The value rules live in
:mod:`~querylang.script.values`, the methods of values in
:mod:`~querylang.script.methods` and the globals in :mod:`~querylang.script.namespaces`.
Two deliberate differences from a browser, because the server has no local timezone:
``new Date(y, m, d, ...)`` and ISO date-times without an offset are read as UTC, and
``getHours()`` and friends answer in UTC.

Arrow functions are values (:class:`~querylang.script.values.Function`) that callbacks such
as ``map`` and ``filter`` call; every node they evaluate counts against the same step
budget, and calls nest at most :data:`MAX_CALL_DEPTH` deep, so neither a loop through a
callback nor recursion can run away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from time import monotonic
from typing import Any

from querylang.errors import (
    OUT_OF_RANGE,
    LimitExceeded,
    NotDefined,
    QueryError,
    QuerySyntaxError,
    QueryTypeError,
    ScriptError,
)
from querylang.model.jsvalues import UNDEFINED, JSObject, type_name
from querylang.script import ast
from querylang.script.access import get_property
from querylang.script.assign import check_made, input_values, set_property, snapshot
from querylang.script.calls import LARGE, MAX_BUILT, RECORDERS, Chains
from querylang.script.inputs import inputs_object, to_js
from querylang.script.lexer import LINE_BREAK
from querylang.script.methods import new_date
from querylang.script.namespaces import BUILTINS, FORBIDDEN, FORBIDDEN_KEYS, GLOBAL_VALUES, RESERVED
from querylang.script.operators import binary, negate
from querylang.script.parser import MAX_DEPTH, MAX_SCRIPT_SIZE, parse_script
from querylang.script.scopes import UNINITIALIZED, declare_lexical, var_declarators
from querylang.script.values import (
    MAX_ARRAY_LENGTH,
    MAX_STRING_LENGTH,
    Builtin,
    Function,
    check_list,
    check_result_size,
    concat,
    from_u16,
    order_keys,
    property_key,
    to_number,
    to_string,
    truthy,
    typeof,
    u16,
)

__all__ = [
    "MAX_ARRAY_LENGTH",
    "MAX_BUILT",
    "MAX_CALL_DEPTH",
    "MAX_STEPS",
    "MAX_STRING_LENGTH",
    "ScriptResult",
    "run_script",
    "to_js",
]

MAX_STEPS = 100_000  # evaluated nodes per run, callbacks included
MAX_CALL_DEPTH = 100  # arrow functions calling arrow functions (recursion) at once
# Steps count nodes, not a built-in's work: includes() on a 500,000-element array is one step
# and tens of ms, so a budget of such calls would run for hours. The clock is the backstop.
MAX_SECONDS = 10.0

Binding = list[Any]  # [value, kind] with kind 'var', 'let', 'const' or 'param'
Scope = dict[str, Binding]
At = ast.Node  # whatever an error points at


@dataclass
class ScriptResult:
    """What a script asked for: the last ``where``/``filter`` and ``sort`` arguments."""

    where: object  # the JS value last passed to where()/filter(); UNDEFINED if never called
    where_pos: tuple[int, int] | None  # (line, column) of that call
    sort: object  # the JS value last passed to sort(); UNDEFINED if never called
    sort_pos: tuple[int, int] | None


class _Return(Exception):
    """Unwinds a `return` statement to the top of the script or of an arrow function."""

    def __init__(self, value: object) -> None:
        self.value = value


class _Run(Chains):
    """One execution of one script: variables, inputs, the step budget and the results."""

    __slots__ = (
        "text", "inputs", "scopes", "fscope", "steps", "depth", "deadline", "given", "passed",
    )

    def __init__(
        self, text: str, inputs: JSObject, max_steps: int, max_seconds: float, max_built: int
    ) -> None:
        self.text = text
        self.inputs = inputs
        # The scopes in reach, innermost last. `fscope` is the function scope (the script
        # body, or the running arrow function's) where `var` lives; blocks push their own
        # for let/const.
        self.fscope: Scope = {}
        self.scopes: list[Scope] = [self.fscope]
        self.steps = max_steps
        self.built = self.max_built = max_built
        self.deadline = monotonic() + max_seconds
        self.depth = 0
        self.given: set[int] | None = None  # ids of the values handed in (assign.input_values)
        self.passed: dict[str, Builtin] = {}  # the globals passed as functions (counted)
        self.where: object = UNDEFINED
        self.where_pos: tuple[int, int] | None = None
        self.sort: object = UNDEFINED
        self.sort_pos: tuple[int, int] | None = None
        self.recorded = False

    # ------------------------------------------------------------------ plumbing

    def fail(self, node: At, message: str, cls: type[QueryError] = ScriptError) -> QueryError:
        """An error pointing at ``node``, with the script attached for the caret view."""
        return cls(message, line=node.line, column=node.column, source=self.text)

    def eval(self, node: ast.Expr) -> object:
        """Evaluate an expression node; errors without a position get this node's."""
        self.steps -= 1
        if self.steps < 0:
            raise self.fail(node, "script ran too long (step limit reached)", LimitExceeded)
        if not self.steps & 63:
            self.check_clock(node)
        try:
            return _EVAL[type(node)](self, node)
        except QueryError as err:
            if err.line is None:
                err.at(node.line, node.column)
            raise
        except RecursionError:  # a value thousands deep, or calls nesting through callbacks
            raise self.fail(node, "script nests too deeply for the stack", LimitExceeded) from None
        except MemoryError:
            # Each array and string is capped, not all of them together (a callback that keeps
            # a copy of a large array each time): where the process's memory is limited, the
            # script ends with an error of its own rather than Python's.
            raise self.fail(node, "script used too much memory", LimitExceeded) from None

    def check_clock(self, node: At) -> None:
        if monotonic() > self.deadline:
            raise self.fail(node, "script ran too long (time limit reached)", LimitExceeded)

    def run(self, program: ast.Program) -> None:
        if "var" in self.text:  # cheap test before walking for hoisted declarations
            self.hoist(program.body)
        declare_lexical(self.fscope, program.body)
        try:
            for stmt in program.body:
                self.exec(stmt)
        except _Return:
            pass

    def hoist(self, body: tuple[ast.Stmt, ...]) -> None:
        """`var` names exist (as undefined) from the top of their function, as in JavaScript."""
        top = self.fscope is self.scopes[0]
        for decl in var_declarators(body):
            name = decl.name
            self.check_declarable(decl, name, "var")
            if top and is_parameter(name):
                # The script's own parameter: `var filter` names it again and keeps its value.
                self.fscope.setdefault(name, [self.parameter(name), "param"])
            self.fscope.setdefault(name, [UNDEFINED, "var"])

    def parameter(self, name: str) -> object:
        """What Noodl passes the script as ``name`` (where, filter, sort, Inputs, $X)."""
        if name == "Inputs":
            return self.inputs
        return self.inputs.get(name[1:], UNDEFINED) if name[0] == "$" else BUILTINS[name]

    def exec(self, node: ast.Stmt) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise self.fail(node, "script ran too long (step limit reached)", LimitExceeded)
        _EXEC[type(node)](self, node)

    # ------------------------------------------------------------------ statements

    def exec_expr(self, node: ast.ExprStmt) -> None:
        self.eval(node.expr)

    def exec_empty(self, node: ast.Empty) -> None:
        pass

    def exec_block(self, node: ast.Block) -> None:
        self.scopes.append(declare_lexical({}, node.body))
        try:
            for stmt in node.body:
                self.exec(stmt)
        finally:
            self.scopes.pop()

    def exec_if(self, node: ast.If) -> None:
        # An else-if chain is walked in a loop, so a long chain does not recurse.
        while True:
            if truthy(self.eval(node.test)):
                branch = node.then
            elif node.otherwise is not None:
                branch = node.otherwise
            else:
                return
            if not isinstance(branch, ast.If):
                self.exec(branch)
                return
            node = branch

    def exec_return(self, node: ast.Return) -> None:
        # `return` then a line break returns nothing (ASI), so the next line never runs.
        # Any line terminator counts (a lone \r too), not just the \n that numbers lines.
        value: object = UNDEFINED
        if node.value is not None and not LINE_BREAK.search(self.text, node.start, node.value.start):
            value = self.eval(node.value)
        raise _Return(value)

    def exec_var_decl(self, node: ast.VarDecl) -> None:
        kind = node.kind
        for decl in node.decls:
            name = decl.name
            self.check_declarable(decl, name, kind)
            if decl.init is not None:
                value = self.eval(decl.init)
            elif kind == "const":
                raise self.fail(decl, "Missing initializer in const declaration", QuerySyntaxError)
            else:
                value = UNDEFINED
            scope = self.fscope if kind == "var" else self.scopes[-1]
            existing = scope.get(name)
            if existing is not None and existing[0] is not UNINITIALIZED:
                if kind != "var" or existing[1] == "let" or existing[1] == "const":  # var may repeat a param
                    raise self.fail(decl, f"Identifier '{name}' has already been declared", QuerySyntaxError)
                if decl.init is None:
                    continue  # `var x;` again keeps the value
            scope[name] = [value, kind]

    def check_declarable(self, at: At, name: str, kind: str = "param") -> None:
        if name in FORBIDDEN:
            raise self.fail(at, f"'{name}' is not supported in filter scripts")
        if kind == "var" and is_parameter(name):
            return  # Noodl's parameters: `var` may name them again, as JavaScript allows
        top = self.scopes[-1] is self.scopes[0]
        if (kind == "let" or kind == "const") and top and is_parameter(name):
            raise self.fail(
                at, f"Identifier '{name}' has already been declared: it is a parameter of the "
                f"script (var {name} = ... names it again)", QuerySyntaxError,
            )
        if name in RESERVED:
            raise self.fail(at, f"'{name}' is built in and cannot be declared")
        if name.startswith("$"):
            raise self.fail(at, f"'{name}' is an input and cannot be declared")

    def exec_assign(self, node: ast.Assign) -> None:
        name = node.name
        binding = self.lookup(name)
        if binding is None and is_parameter(name):
            binding = self.scopes[0][name] = [self.parameter(name), "param"]  # assigning a parameter
        if binding is None:
            if name in FORBIDDEN:
                raise self.fail(node, f"'{name}' is not supported in filter scripts")
            if name in RESERVED or name.startswith("$"):
                raise self.fail(node, f"'{name}' is read-only")
            raise NotDefined(name, line=node.line, column=node.column, source=self.text)
        if binding[0] is UNINITIALIZED:
            raise self.fail(node, f"Cannot access '{name}' before initialization")
        if binding[1] == "const":
            raise self.fail(node, f"Assignment to constant variable '{name}'")
        # `x += f()` reads x before it calls f, as JavaScript does: f may assign x itself.
        old = binding[0]
        value = self.eval(node.value)
        if node.op != "=":
            value = binary(node.op[0], old, value)
            if type(value) is str and len(value) > LARGE:
                self.charge(value, node)
        binding[0] = value

    def exec_set_property(self, node: ast.SetProperty) -> None:
        # JavaScript's order: the object, the key, the old value (compound forms), the value.
        target, link = node.target, node.key
        obj = self.resolve(target) if type(target) is ast.Name else self.eval(target)
        at: At
        if type(link) is ast.Member:
            key, at = link.key, link
        else:
            assert isinstance(link, ast.Index)
            key, at = property_key(self.eval(link.key)), link.key
        try:
            if node.op == "=":
                value = self.eval(node.value)
            else:
                if isinstance(obj, Builtin):
                    raise ScriptError(f"'{obj.name}' is built in and cannot be changed")
                old = get_property(obj, key)
                value = binary(node.op[0], old, self.eval(node.value))
                if type(value) is str and len(value) > LARGE:
                    self.charge(value, at)
            self.before_write()
            assert self.given is not None
            set_property(obj, key, value, self.given, self.source_of(target), (at.line, at.column))
        except QueryError as err:
            if err.line is None:
                err.at(at.line, at.column)
            raise

    def before_write(self, obj: object = None, what: str = "") -> None:
        """Before the script changes a value: the values it was given are found (once), and
        what where()/sort() received is kept as it is (Noodl's where() converted it at once).
        With ``obj``, refuse to change it if it was given (a method that changes its array)."""
        if self.given is None:
            self.given = input_values(self.inputs)
        if self.recorded:
            self.where, self.sort, self.recorded = snapshot(self.where), snapshot(self.sort), False
        if obj is not None:
            check_made(obj, self.given, what)

    def lookup(self, name: str) -> Binding | None:
        for scope in reversed(self.scopes):
            b = scope.get(name)
            if b is not None:
                return b
        return None

    # ------------------------------------------------------------------ names

    def resolve(self, node: ast.Name) -> object:
        """A name's value, or the Builtin it names (for the chain evaluator to call)."""
        name = node.name
        for scope in reversed(self.scopes):
            b = scope.get(name)
            if b is not None:
                if b[0] is UNINITIALIZED:  # JavaScript's temporal dead zone
                    raise self.fail(node, f"Cannot access '{name}' before initialization")
                return b[0]
        if name[0] == "$" and len(name) > 1:
            if name[1:] in FORBIDDEN_KEYS:
                raise self.fail(node, f"'{name[1:]}' is not supported in filter scripts")
            return self.inputs.get(name[1:], UNDEFINED)
        if name == "Inputs":
            return self.inputs
        if name in GLOBAL_VALUES:
            return GLOBAL_VALUES[name]
        builtin = BUILTINS.get(name)
        if builtin is not None:
            return builtin
        if name in FORBIDDEN:
            raise self.fail(node, f"'{name}' is not supported in filter scripts")
        raise NotDefined(name, line=node.line, column=node.column, source=self.text)

    def ev_name(self, node: ast.Name) -> object:
        v = self.resolve(node)
        if isinstance(v, Builtin):
            raise self.fail(node, f"'{v.name}' cannot be used as a value")
        return v

    # ------------------------------------------------------------------ expressions

    def ev_literal(self, node: ast.Literal) -> object:
        return node.value

    def ev_template(self, node: ast.Template) -> object:
        parts = []
        for c in node.parts:
            parts.append(c if type(c) is str else to_string(self.eval(c)))  # type: ignore[arg-type]
        text = concat(parts)
        if len(text) > LARGE:
            self.charge(text, node)
        return text

    def spread(self, node: ast.Spread) -> list[object]:
        """The elements `...x` stands for: an array's, a string's characters."""
        value = self.eval(node.value)
        if type(value) is list:
            return value
        if type(value) is str:
            return list(value)  # whole code points, as JavaScript iterates a string
        raise self.fail(node.value, f"{type_name(value)} is not iterable (cannot spread it)")

    def items(self, nodes: tuple[ast.Expr | ast.Spread, ...]) -> list[object]:
        # A loop, not a comprehension: a comprehension is one more stack frame per nesting
        # level, and nesting depth is what the stack limits.
        out: list[object] = []
        for c in nodes:
            if type(c) is ast.Spread:
                out += self.spread(c)
                check_list(out)
            else:
                out.append(self.eval(c))  # type: ignore[arg-type]
        return out

    def args(self, nodes: tuple[ast.Expr | ast.Spread, ...]) -> list[object]:
        """A call's arguments; a global function may be one (`xs.filter(Boolean)`)."""
        out: list[object] = []
        for c in nodes:
            if type(c) is ast.Name:
                v = self.resolve(c)
                if isinstance(v, Builtin):
                    if v.call is None or v.name in RECORDERS:
                        raise self.fail(c, f"'{v.name}' cannot be used as a value")
                    v = self.counted(v)
                out.append(v)
            else:
                out += self.items((c,))
        return out

    def counted(self, fn: Builtin) -> Builtin:
        """A global passed as a function (`xs.map(String)`), which watches the run's clock:
        a method calling it a million times, each call long (String of a large array), stops
        at the time limit rather than long after it. Its calls take no steps (the method that
        calls it is one, as before). One per name: the same global passed twice is the same."""
        kept = self.passed.get(fn.name)
        if kept is None:
            call = fn.call
            assert call is not None

            def timed(args: list[object]) -> object:
                # every call: one may be long, and the clock is cheap beside any of them
                if monotonic() > self.deadline:
                    raise LimitExceeded("script ran too long (time limit reached)")
                return call(args)

            kept = self.passed[fn.name] = Builtin(fn.name, call=timed, members=fn.members, constants=fn.constants)
        return kept

    def ev_array(self, node: ast.Array) -> object:
        items = self.items(node.items)
        if len(items) > LARGE:
            self.charge(items, node)
        return items

    def ev_object(self, node: ast.Object) -> object:
        obj = JSObject(pos=(node.line, node.column))
        positions = obj.positions
        index_keys = False
        for prop in node.props:
            if type(prop) is ast.Prop:
                key = prop.key
                value = self.eval(prop.value)
            elif type(prop) is ast.ComputedProp:
                key = property_key(self.eval(prop.key))
                value = self.eval(prop.value)
            else:
                assert isinstance(prop, ast.Spread)
                index_keys = self.spread_into(obj, prop) or index_keys
                if len(obj) > LARGE:  # a long copy, timed like a built-in's
                    self.check_clock(prop)
                continue
            if key in FORBIDDEN_KEYS:
                raise self.fail(prop, f"'{key}' is not supported in filter scripts")
            obj[key] = value
            positions[key] = (prop.line, prop.column)
            index_keys = index_keys or key[:1].isdigit()
        if index_keys:
            order_keys(obj)
        return obj

    def spread_into(self, obj: JSObject, node: ast.Spread) -> bool:
        """`{...o}`: copy own keys (an array's indexes, a string's characters); True if any
        key is an index, so the caller puts them first as JavaScript does."""
        value = self.eval(node.value)
        if isinstance(value, dict | list | str) and len(value) > LARGE:
            self.charge(value, node)  # before the copy: a second for a million keys
        if isinstance(value, dict):
            for k, v in value.items():
                obj[k] = v
                obj.positions[k] = (node.line, node.column)
            return any(k[:1].isdigit() for k in value)
        if isinstance(value, list | str):
            elems: list[object] = (
                value if isinstance(value, list) else [from_u16(u) for u in u16(value)]
            )
            for i, v in enumerate(elems):
                obj[str(i)] = v
                obj.positions[str(i)] = (node.line, node.column)
            return bool(elems)
        return False  # null, undefined, numbers, booleans and Dates add nothing

    def ev_new(self, node: ast.New) -> object:
        name = node.name.name
        if name != "Date":
            if name in FORBIDDEN:
                raise self.fail(node.name, f"'{name}' is not supported in filter scripts")
            raise self.fail(
                node.name, f"'new {name}' is not supported in filter scripts (only new Date)"
            )
        return new_date(self.items(node.args) if node.args is not None else [])

    def ev_unary(self, node: ast.Unary) -> object:
        ops = []
        operand: ast.Expr = node
        while type(operand) is ast.Unary:  # `!!x` and `- -x` are walked, not recursed
            ops.append(operand.op)
            operand = operand.operand
        if ops[-1] == "typeof" and type(operand) is ast.Name:
            value: object = self.typeof_name(operand)
            ops.pop()
        else:
            value = self.eval(operand)
        for op in reversed(ops):
            if op == "!":
                value = not truthy(value)
            elif op == "-":
                value = negate(value)
            elif op == "+":
                value = to_number(value)
            else:
                value = typeof(value)
        return value

    def typeof_name(self, node: ast.Name) -> str:
        """`typeof x` of an undeclared x is 'undefined', not a ReferenceError."""
        name = node.name
        if (
            self.lookup(name) is None
            and not name.startswith("$")
            and name not in RESERVED
            and name not in FORBIDDEN
        ):
            return "undefined"
        return typeof(self.resolve(node))

    def ev_binary(self, node: ast.Binary) -> object:
        operands = node.operands
        value = self.eval(operands[0])
        for i, op in enumerate(node.ops):
            value = binary(op, value, self.eval(operands[i + 1]))
        if type(value) is str and len(value) > LARGE:
            self.charge(value, node)
        return value

    def ev_logical(self, node: ast.Logical) -> object:
        operands = node.operands
        value = self.eval(operands[0])
        op = node.op
        for operand in operands[1:]:
            if op == "&&":
                if not truthy(value):
                    return value
            elif op == "||":
                if truthy(value):
                    return value
            elif value is not None and value is not UNDEFINED:
                return value
            value = self.eval(operand)
        return value

    def ev_cond(self, node: ast.Cond) -> object:
        expr: ast.Expr = node
        while type(expr) is ast.Cond:  # `a ? b : c ? d : e` is walked, not recursed
            expr = expr.then if truthy(self.eval(expr.test)) else expr.otherwise
        return self.eval(expr)

    def ev_arrow(self, node: ast.Arrow) -> object:
        for p in node.params:
            self.check_declarable(p, p.name)
        return Function(self.closure(node), self.text[node.start : node.end])

    # ------------------------------------------------------------------ arrow functions

    def closure(self, node: ast.Arrow) -> Callable[[list[object]], object]:
        """The Python callable behind an arrow function: its scopes are those in reach now."""
        captured = list(self.scopes)
        params = node.params
        body = node.body

        def invoke(args: list[object]) -> object:
            if self.depth >= MAX_CALL_DEPTH:
                raise self.fail(
                    node, f"too much recursion (functions nest more than {MAX_CALL_DEPTH} deep)",
                    LimitExceeded,
                )
            scope: Scope = {}
            for i, p in enumerate(params):
                scope[p.name] = [args[i] if i < len(args) else UNDEFINED, "param"]
            saved = self.scopes, self.fscope
            self.scopes, self.fscope = [*captured, scope], scope
            self.depth += 1
            try:
                if not isinstance(body, ast.Block):
                    return self.eval(body)
                if "var" in self.text:
                    self.hoist(body.body)
                declare_lexical(scope, body.body)
                try:
                    for stmt in body.body:
                        self.exec(stmt)
                except _Return as ret:
                    return ret.value
                return UNDEFINED
            finally:
                self.depth -= 1
                self.scopes, self.fscope = saved

        return invoke


# The parameters Noodl's Query Records node calls a script with (besides one per `$X`):
# `Function('filter', 'where', 'sort', 'Inputs', $A, ..., code)`.
PARAMETERS = frozenset({"filter", "where", "sort", "Inputs"})


def is_parameter(name: str) -> bool:
    return name in PARAMETERS or (name[:1] == "$" and len(name) > 1 and name[1:] not in FORBIDDEN_KEYS)

_EVAL: dict[type, Callable[[_Run, Any], object]] = {
    ast.Name: _Run.ev_name,
    ast.Literal: _Run.ev_literal,
    ast.Template: _Run.ev_template,
    ast.Array: _Run.ev_array,
    ast.Object: _Run.ev_object,
    ast.New: _Run.ev_new,
    ast.Unary: _Run.ev_unary,
    ast.Chain: _Run.ev_chain,
    ast.Binary: _Run.ev_binary,
    ast.Logical: _Run.ev_logical,
    ast.Cond: _Run.ev_cond,
    ast.Arrow: _Run.ev_arrow,
}

_EXEC: dict[type, Callable[[_Run, Any], None]] = {
    ast.ExprStmt: _Run.exec_expr,
    ast.Empty: _Run.exec_empty,
    ast.Block: _Run.exec_block,
    ast.If: _Run.exec_if,
    ast.Return: _Run.exec_return,
    ast.VarDecl: _Run.exec_var_decl,
    ast.Assign: _Run.exec_assign,
    ast.SetProperty: _Run.exec_set_property,
}


def run_script(
    text: str,
    inputs: Mapping[str, object] | None = None,
    *,
    max_steps: int = MAX_STEPS,
    max_seconds: float = MAX_SECONDS,
    max_size: int = MAX_SCRIPT_SIZE,
    max_depth: int = MAX_DEPTH,
    max_built: int = MAX_BUILT,
) -> ScriptResult:
    """Run a filter script and report its last where()/filter() and sort() arguments.

    ``inputs`` are the node's inputs (``Inputs.Name`` and ``$Name``); one that is not given
    reads as ``undefined``. Every failure is a :class:`QueryError`: :class:`QuerySyntaxError`
    for text outside the subset, :class:`ScriptError` for a runtime error (with the line and
    column of the offending node), :class:`LimitExceeded` for the size, nesting, step and
    call-depth limits, :class:`QueryTypeError` for an input Python value with no JavaScript
    meaning.
    """
    try:
        program = parse_script(text, max_size=max_size, max_depth=max_depth)
        run = _Run(text, inputs_object(inputs), max_steps, max_seconds, max_built)
        run.run(program)
        check_result_size(run.where, run.where_pos, "where")
        check_result_size(run.sort, run.sort_pos, "sort")
    except QueryError as err:
        raise err.with_source(text) from None
    except RecursionError:
        # The parser caps bracket nesting, calls are capped by MAX_CALL_DEPTH, and everything
        # else (else-if chains, ternaries, unary chains, operator lists) is walked in loops;
        # this is the last line, for a caller that is itself already deep in the stack.
        raise LimitExceeded("script nests too deeply for the stack", source=text) from None
    except OverflowError:
        raise QueryTypeError(OUT_OF_RANGE, source=text) from None
    return ScriptResult(run.where, run.where_pos, run.sort, run.sort_pos)
