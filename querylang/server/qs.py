"""Text in URL encoding as Parse Server reads it, with the qs library: a form body (its form
parser: names as sent) and the query string (Express's extended parser: ``a[b]=1`` is
``{"a": {"b": "1"}}``, ``a[]=1&a[]=2`` and ``a=1&a=2`` lists).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from .errors import BadBody

FORM_FIELDS = 1000  # the most fields Parse's form parser reads (more are 413)
# qs's defaults, which Express's extended query parser keeps.
DEPTH = 5  # bracket levels read in a name; what follows is one more key, as written
ARRAY_LIMIT = 20  # the highest index, and the most values a repeated name gives, of a list
PARAMETERS = 1000  # the query string's parameters read; the rest are ignored


def parse_form(text: str, utf8: bool) -> dict[str, Any]:
    """A form body, as Parse Server's form parser (body-parser's ``extended: false``, the qs
    library at depth 0) reads it: each value text, a name given more than once a list of its
    values in order, ``a[b]`` a name like any other, ``+`` a space, an escape that is no
    character left as sent; an empty name and ``__proto__`` are dropped. Its own limits hold:
    100 KiB (body.parse_body) and 1000 fields (413), charset UTF-8 or else ISO-8859-1
    (``utf8``; another is 415 before)."""
    if not text:
        return {}
    if text.count("&") >= FORM_FIELDS:
        raise BadBody("too many parameters", status=413)
    return {name: _array(value) for name, value in _pairs(text, utf8).items() if name != "__proto__"}


ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _unescaped(text: str, utf8: bool = True) -> str:
    """One name or value of a form, unescaped as qs does: ``+`` is a space; in UTF-8 the whole
    text as JavaScript's decodeURIComponent reads it, left as sent (``+`` a space still) when
    it holds a ``%`` that is no escape or escapes that are no UTF-8; in ISO-8859-1 each
    ``%XX`` one character."""
    text = text.replace("+", " ")
    if not utf8:
        return ESCAPE.sub(lambda m: chr(int(m.group(0)[1:], 16)), text)
    if "%" not in text:
        return text
    if text.count("%") != len(ESCAPE.findall(text)):
        return text
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return text


class _List(dict[int, Any]):
    """A JavaScript array while it is built: indexes to values, with holes (``a[2]=x``); a
    list once the holes are closed up (_compact), as qs answers it."""

    def push(self, value: Any) -> None:
        self[max(self, default=-1) + 1] = value


def _pairs(text: str, utf8: bool, limit: int | None = None, array_limit: int | None = None) -> dict[str, Any]:
    """Each name and its value (a _List of its values when given more than once: more than
    ``array_limit``, an object of them by index, as qs gives), in order; an empty name is
    dropped. The form parser reads every field (no ``limit``) and sets no array limit."""
    out: dict[str, Any] = {}
    for part in text.split("&")[:limit]:
        # qs splits at the first "]=" when there is one, else at the first "=".
        at = part.find("]=")
        at = part.find("=") if at == -1 else at + 1
        name, value = (part, "") if at == -1 else (part[:at], part[at + 1:])
        name, value = _unescaped(name, utf8), _unescaped(value, utf8)
        if not name:
            continue
        if name in out:
            before = out[name]
            if not isinstance(before, _List):
                before = out[name] = _List({0: before})
            before.push(value)
        else:
            out[name] = value
    if array_limit is None:
        return out
    return {k: {str(i): x for i, x in v.items()} if isinstance(v, _List) and len(v) > array_limit else v
            for k, v in out.items()}


def _array(value: Any) -> Any:
    return [_array(value[i]) for i in sorted(value)] if isinstance(value, _List) else value


def parse_query(text: str) -> dict[str, Any]:
    """The query string as Express's extended parser (qs) reads it for Parse Server."""
    out: dict[str, Any] = {}
    for name, value in _pairs(text, True, PARAMETERS, ARRAY_LIMIT).items():
        keys = _keys(name)
        if keys:
            out = _merge(out, _nested(keys, value))
    return _compact(out)


BRACKETS = re.compile(r"\[[^[\]]*\]")


def _keys(name: str) -> list[str]:
    """The chain of keys of a name: ``a[b][]`` is ``a``, ``[b]``, ``[]`` (DEPTH brackets at
    most, the rest one key as written); text between brackets is dropped, as qs drops it."""
    first = BRACKETS.search(name)
    parent = name[:first.start()] if first else name
    keys = [parent] if parent else []
    found = list(BRACKETS.finditer(name))
    keys += [m.group(0) for m in found[:DEPTH]]
    if len(found) > DEPTH:
        keys.append("[" + name[found[DEPTH].start():] + "]")
    return keys


def _nested(keys: list[str], leaf: Any) -> Any:
    """The value a chain of keys builds around ``leaf`` (qs's parseObject)."""
    for key in reversed(keys):
        if key == "[]":
            leaf = leaf if isinstance(leaf, _List) else _List({0: leaf})
            continue
        bare = key[1:-1] if key.startswith("[") and key.endswith("]") else key
        if bare != key and bare.isdigit() and str(int(bare)) == bare and int(bare) <= ARRAY_LIMIT:
            leaf = _List({int(bare): leaf})
        elif bare == "__proto__":
            leaf = {}
        else:
            leaf = {bare: leaf}
    return leaf


def _merge(target: Any, source: Any) -> Any:
    """``source`` merged into ``target`` as qs merges the values of two names."""
    if source == "" or source is None:
        return target
    if isinstance(source, str):
        if isinstance(target, _List):
            target.push(source)
            return target
        return _List({0: target, 1: source})  # an object and text: both, as qs's strict merge
    if not isinstance(target, dict):  # a string: [target].concat(source)
        joined = _List({0: target})
        for i in sorted(source) if isinstance(source, _List) else ():
            joined.push(source[i])
        if not isinstance(source, _List):
            joined.push(source)
        return joined
    if isinstance(target, _List) and isinstance(source, _List):
        for i, item in source.items():
            if i not in target:
                target[i] = item
            elif isinstance(target[i], dict) and isinstance(item, dict):
                target[i] = _merge(target[i], item)
            else:
                target.push(item)
        return target
    if isinstance(target, _List):
        target = {str(i): v for i, v in target.items()}
    for key, value in source.items():
        key = str(key)
        target[key] = _merge(target[key], value) if key in target else value
    return target


def _compact(value: Any) -> Any:
    if isinstance(value, _List):
        return [_compact(value[i]) for i in sorted(value)]
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    return value
