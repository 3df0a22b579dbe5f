"""Python values into a script: a caller's inputs and values as JavaScript values (a dict as a
JSObject, a datetime as a JSDate), copied, so that nothing the script changes is the caller's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from querylang.errors import OUT_OF_RANGE, QueryError, QueryTypeError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSObject, JSRegex, described, type_name
from querylang.model.values import native
from querylang.script.lexer import MAX_DEPTH
from querylang.script.values import num, order_keys


def to_js(value: object, _depth: int = 0) -> object:
    """A Python input value as a JavaScript value (dict -> JSObject, datetime -> JSDate...).

    Containers are copied, so nothing the script builds aliases the caller's data.
    """
    if value is None or value is UNDEFINED:
        return value
    t = type(value)
    if t is str or t is bool or t is float or t is JSRegex:
        return value
    if type(value) is int:
        return num(value)
    if type(value) is JSDate:
        return JSDate(value.ms)  # a copy: the script's date setters change their Date
    if t is dict or isinstance(value, Mapping):  # before the scalar checks: inputs are dicts
        if _depth >= MAX_DEPTH:
            raise QueryTypeError(f"input value nests too deeply (max {MAX_DEPTH})")
        obj = JSObject(pos=value.pos if isinstance(value, JSObject) else None)
        for k, v in value.items():  # type: ignore[attr-defined]
            if type(k) is not str:
                raise QueryTypeError(f"object keys must be strings, not {type_name(k)}")
            obj[k] = to_js(v, _depth + 1)
        if isinstance(value, JSObject):
            obj.positions.update(value.positions)
        elif any(k[:1].isdigit() for k in obj):
            order_keys(obj)  # a JavaScript object lists its integer keys first, as JSON.parse's
        return obj
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return num(int(value))
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return JSDate.from_datetime(value)
    if isinstance(value, date):
        return JSDate.from_datetime(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if _depth >= MAX_DEPTH:
        raise QueryTypeError(f"input value nests too deeply (max {MAX_DEPTH})")
    if isinstance(value, list | tuple):
        return [to_js(v, _depth + 1) for v in value]
    if (plain := native(value)) is not value:  # numpy's int64, bool, float32
        return to_js(plain, _depth)
    raise QueryTypeError(f"a {type(value).__name__} cannot be used as a script value")


def inputs_object(inputs: Mapping[str, object] | None) -> JSObject:
    """The script's `Inputs`: the node's inputs as one JavaScript object (none: empty)."""
    if inputs is None:
        return JSObject()
    if not isinstance(inputs, Mapping):
        raise QueryTypeError(
            f"inputs must be a mapping of names to values, not {type_name(inputs)}"
        )
    if isinstance(inputs, JSObject):
        obj = to_js(inputs)
        assert isinstance(obj, JSObject)
        return obj
    obj = JSObject()
    for name, value in inputs.items():
        if type(name) is not str:
            raise QueryTypeError(f"input names must be strings, not {described(name, 60)}")
        # Named: "a Decimal cannot be used as a script value" left the caller to find which
        # of the inputs held it.
        try:
            obj[name] = to_js(value, 1)
        except QueryError as exc:
            exc.message = f"input '{name}': {exc.message}"
            exc.args = (exc.message,)
            raise
        except OverflowError:  # an integer past a double's range
            raise QueryTypeError(f"input '{name}': {OUT_OF_RANGE}") from None
    if any(k[:1].isdigit() for k in obj):
        order_keys(obj)  # a JavaScript object lists its integer keys first, as JSON.parse's
    return obj
