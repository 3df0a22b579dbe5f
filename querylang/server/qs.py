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
ARRAY_LIMIT = 20  # a list's indexes stay below it, and a repeated name gives at most so many values
# The keys qs reads as a list's indexes: written as JavaScript writes the number, below the
# limit (so "a[²]", "a[01]" or a key of 5000 digits is an object's key, never int()'s error).
INDEXES = frozenset(str(i) for i in range(ARRAY_LIMIT))
PARAMETERS = 1000  # the query string's parameters read; the rest are ignored


def parse_form(text: str, utf8: bool) -> dict[str, Any]:
    """A form body, as Parse Server's form parser (body-parser's ``extended: false``, the qs
    library at depth 0) reads it: each value text, a name given more than once a list of its
    values in order, ``a[b]`` a name like any other (but ``[a]`` is ``a``), ``+`` a space, an
    escape that is no character left as sent; an empty name and ``__proto__`` are dropped. Its
    own limits hold: 100 KiB (body.parse_body) and 1000 fields (413), charset UTF-8 or else
    ISO-8859-1 (``utf8``; another is 415 before)."""
    if not text:
        return {}
    if text.count("&") >= FORM_FIELDS:
        raise BadBody("too many parameters", status=413)
    out: dict[str, Any] = {}
    for name, value in _js_order(_pairs(text, utf8)):
        # qs keeps the whole name as one key but for one pair of brackets around it, which it
        # takes off ("[a]" is "a", given with "a" both are its values; "[]" a list by index).
        items: list[tuple[str, Any]]
        if name == "[]":
            values = _array(value) if isinstance(value, _List) else [value]
            items = [(str(i), v) for i, v in enumerate(values)]
        else:
            key = name[1:-1] if len(name) > 1 and name[0] == "[" and name[-1] == "]" else name
            items = [] if key == "__proto__" else [(key, _array(value))]
        for key, item in items:
            if key not in out:
                out[key] = item
            elif item != "":  # qs's merge keeps what it has for an empty value
                before = out[key] if isinstance(out[key], list) else [out[key]]
                out[key] = before + (item if isinstance(item, list) else [item])
    return out


def _js_order(pairs: dict[str, Any]) -> list[tuple[str, Any]]:
    """The names and values in the order JavaScript walks an object's keys, which qs merges
    them in: the names that are array indexes ("0", "7") first, by number, then the others in
    the order given."""
    indexed = sorted((int(n), n) for n in pairs if _array_index(n))
    return [(n, pairs[n]) for _, n in indexed] + [(n, v) for n, v in pairs.items() if not _array_index(n)]


def _array_index(name: str) -> bool:
    """Whether JavaScript reads ``name`` as an array index: a whole number below 2**32 - 1,
    written as it writes the number (no sign, no leading zero, ASCII digits)."""
    return (0 < len(name) <= 10 and name.isascii() and name.isdigit() and (name == "0" or name[0] != "0")
            and int(name) < 2**32 - 1)


ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
ESCAPED_BRACKET = re.compile(r"%5[bBdD]")


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
    # qs reads an escaped bracket as a bracket before it splits the text ("a%5Bb%5D=1" is a[b]).
    text = ESCAPED_BRACKET.sub(lambda m: "[" if m.group(0)[2] in "bB" else "]", text)
    # Split no further than the limit: the parameters past it are never looked at.
    for part in (text.split("&", limit) if limit else text.split("&"))[:limit]:
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
    for name, value in _js_order(_pairs(text, True, PARAMETERS, ARRAY_LIMIT)):
        keys = _keys(name)
        if keys:
            out = _merge(out, _nested(keys, value))
    return _compact(out)


def _keys(name: str) -> list[str]:
    """The chain of keys of a name: ``a[b][]`` is ``a``, ``[b]``, ``[]``; a key's brackets are
    balanced (``a[b[c]]`` is ``a``, ``[b[c]]``), one never closed is the rest of the name as
    written, and after DEPTH brackets the rest is one more key, as qs 6.17 splits a name."""
    first = name.find("[")
    parent = name if first < 0 else name[:first]
    keys = [parent] if parent else []
    start, found = first, 0
    while start >= 0 and found < DEPTH:
        level, end = 0, -1
        for i in range(start, len(name)):
            level += 1 if name[i] == "[" else -1 if name[i] == "]" else 0
            if level == 0:
                end = i
                break
        if end < 0:
            return [*keys, "[" + name[start:] + "]"]
        keys.append(name[start:end + 1])
        found += 1
        start = name.find("[", end + 1)
    if start >= 0:
        keys.append("[" + name[start:] + "]")
    return keys


def _nested(keys: list[str], leaf: Any) -> Any:
    """The value a chain of keys builds around ``leaf`` (qs's parseObject)."""
    for key in reversed(keys):
        if key == "[]":
            leaf = leaf if isinstance(leaf, _List) else _List({0: leaf})
            continue
        bare = key[1:-1] if key.startswith("[") and key.endswith("]") else key
        if bare != key and bare in INDEXES:
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
