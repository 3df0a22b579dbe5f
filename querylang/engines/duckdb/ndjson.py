"""The SQL that reads an interchange directory's NDJSON files with DuckDB's own reader.

Each line is parsed by DuckDB (``read_ndjson_objects``, on every core); querylang's checks run
in SQL over what it read, for the usual shapes of each field type: a String, Pointer or
objectId as a JSON string, a Number as a finite JSON number, a Boolean, a Date as an ISO
string of Parse's form (``2024-05-01T12:00:00.000Z``), an Array of plain strings, an Object
of plain scalars, a GeoPoint ``{latitude, longitude}``. A record in any other shape (a Pointer
or a Date as an object, a nested Array, a Relation list, an unknown field, a key given twice,
a bad value) is not vouched for: its row comes out with a NULL objectId and the record's text
as its nulls list, and the loader reads it again with the checks of interchange/document.py,
which either accept it (and give its cells) or name what is wrong. So the checks and their
messages are those of a document load; SQL only decides which records need them.

"Plain" text needs no escape in JSON (no quote, backslash or control character), so the JSON
texts and canonical keys of Arrays and Objects (cells.py) are the text DuckDB read, minified.
DuckDB's JSON reader is more lenient than the JSON standard (NaN, Infinity, trailing commas):
a line holding those is never vouched for either (a non-finite number fails its field's check,
a trailing comma is looked for in the text), so the record reader meets it and refuses it as
a document load does.
"""

from __future__ import annotations

from pathlib import Path

from querylang.engines.duckdb.layout import field_columns, load_columns, quote_ident
from querylang.model.schema import ClassDef, Field

NUMBER = "('BIGINT', 'UBIGINT', 'DOUBLE')"
# A JSON number beyond this is checked by the record reader (its bounds are ±2**63 exactly).
NUMBER_BOUND = "9.0e18"
# Keys of the edges a relations.ndjson line holds (read_edge); any other shape goes to it.
EDGE_KEYS = ("class", "objectId", "key", "targetId")


def _iso_ms(x: str, ts: str) -> str:
    """SQL true when the text ``x`` is a time in Parse's ISO form (``2024-05-01T12:00:00.000Z``)
    that exists, not in year 0: ``ts``, DuckDB's cast of it, written back in that form gives it
    again. Cheaper than a regular expression; the cast alone is lenient (a blank for the T, an
    hour 24, a year of any length: a text so read is not its time written back). The length
    and first digit leave out what the writing gives for other times (``infinity``, years
    before 1 or past 9999)."""
    return (
        f"strlen({x}) = 24 AND {x} >= '0' AND {x} < ':' AND NOT starts_with({x}, '0000')"
        f" AND strftime({ts}, '%Y-%m-%dT%H:%M:%S.%gZ') = {x}"
    )


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _path(name: str) -> str:
    return literal('$."' + name + '"')


def _transform_type(f: Field) -> str | None:
    """The type json_transform reads a field's value as (JSON: kept as text for later)."""
    if f.type in ("String", "Pointer", "Date"):
        return "VARCHAR"
    if f.type == "Number":
        return "DOUBLE"
    if f.type == "Boolean":
        return "BOOLEAN"
    if f.type in ("Array", "Object", "GeoPoint"):
        return "JSON"
    return None  # any value of the other types is left to the record reader


def _plain(sql: str) -> str:
    """A text that needs no JSON escape: no backslash once DuckDB minified it."""
    return f"NOT contains({sql}, '\\')"


def class_select(cls: ClassDef, file: Path) -> tuple[str, list[str]]:
    """(SELECT, column names) giving a row of the class table (layout.load_columns) for each
    record of ``file``, in file order; one parameter: the load's time as TIMESTAMP (records
    without dates get it). A row not vouched for has a NULL objectId and ``[record text]``
    as its nulls list."""
    fields = list(cls.fields.values())
    types = {f.name: f"t[{i}]" for i, f in enumerate(fields, 1)}
    struct = ", ".join(f'"{f.name}": "{t}"' for f in fields if (t := _transform_type(f)) is not None)
    v = {f.name: f"v.{quote_ident(f.name)}" for f in fields}
    # What a field's checks and cells both need (a date's time, a nested value's parts) is
    # computed once, in a layer below them, for the rows whose value has the right JSON type:
    # written into each check and cell, it was parsed or cast again for every use. A part
    # made of other parts sits a layer above them.
    parts: tuple[dict[str, str], dict[str, str]] = ({}, {})

    def part(expr: str, layer: int = 0) -> str:
        name = f"p{len(parts[0]) + len(parts[1])}"
        parts[layer][name] = expr
        return name

    checks = [f"{types['objectId']} = 'VARCHAR'", f"{v['objectId']} <> ''"]
    cells: dict[str, str] = {}
    nulls = []
    for f in fields:
        t, x = types[f.name], v[f.name]
        absent = f"({t} IS NULL OR {t} = 'NULL')"
        if f.name == "objectId":
            cells[f.name] = f"CASE WHEN ok THEN {x} END"
            continue
        if not f.builtin and f.type != "Relation":
            nulls.append(f"CASE WHEN {t} = 'NULL' THEN {literal(f.name)} END")
        if f.type in ("String", "Pointer"):
            ok = f"{t} = 'VARCHAR'" + (f" AND {x} <> ''" if f.type == "Pointer" else "")
            cells[f.name] = x
        elif f.type == "Number":
            ok = f"{t} IN {NUMBER} AND isfinite({x}) AND abs({x}) < {NUMBER_BOUND}"
            cells[f.name] = x
        elif f.type == "Boolean":
            ok = f"{t} = 'BOOLEAN'"
            cells[f.name] = x
        elif f.type == "Date":
            ts = part(f"CASE WHEN {t} = 'VARCHAR' THEN try_cast({x} AS TIMESTAMP) END")
            ok = f"{t} = 'VARCHAR' AND {_iso_ms(x, ts)}"
            if f.builtin:
                cells[f.name + ":ts"] = ts
            else:
                cells[f.name] = f"CASE WHEN ok THEN {ts} END"
        elif f.type == "Array":
            held = f"{t} = 'ARRAY'"
            kinds = part(f"CASE WHEN {held} THEN list_distinct(json_type({x}, '$[*]')) END")
            ok = f"{held} AND {_plain(x)} AND {kinds} IN ([], ['VARCHAR'])"
            cells.update(_array_cells(f, x, f"ok AND {held}"))
        elif f.type == "Object":
            held = f"{t} = 'OBJECT'"
            keys = part(f"CASE WHEN {held} THEN json_keys({x}) END")
            kinds = part(f"CASE WHEN {held} THEN json_type({x}, '$.*') END")
            texts = part(f"CASE WHEN {held} THEN CAST(json_extract({x}, '$.*') AS VARCHAR[]) END")
            ok = (
                f"{held} AND {_plain(x)} AND NOT regexp_matches({x}, '[0-9]{{16}}')"
                f" AND list_has_all(['VARCHAR', 'BIGINT', 'UBIGINT', 'BOOLEAN', 'NULL'], {kinds})"
                f" AND NOT list_contains({keys}, '__type')"
                f" AND len(list_filter({keys}, lambda k: contains(k, '.'))) = 0"  # the record reader refuses those
                f" AND len(list_distinct({keys})) = len({keys})"
            )
            pairs = part(f"CASE WHEN {held} THEN list_zip({keys}, {texts}, {kinds}) END", 1)
            cells.update(_object_cells(f, keys, texts, pairs, f"ok AND {held}"))
        elif f.type == "GeoPoint":
            held = f"{t} = 'OBJECT'"
            lat, lng = (part(f"CASE WHEN {held} THEN json_extract({x}, '$.{k}') END") for k in ("latitude", "longitude"))
            lat_n, lng_n = (part(f"TRY_CAST({c} AS DOUBLE)", 1) for c in (lat, lng))
            ok = (
                f"{held} AND len(json_keys({x})) = 2"
                f" AND json_type({lat}) IN {NUMBER} AND json_type({lng}) IN {NUMBER}"
                f" AND {lat_n} BETWEEN -90 AND 90 AND {lng_n} BETWEEN -180 AND 180"
            )
            cells[f.name + ":lat"] = f"CASE WHEN ok AND {held} THEN {lat_n} END"
            cells[f.name + ":lng"] = f"CASE WHEN ok AND {held} THEN {lng_n} END"
        else:  # Relation lists, and Parse's Polygon, File, Bytes, ACL: the record reader
            ok = "false"
            for c, _ in field_columns(f):
                cells[c] = "NULL"
        checks.append(f"({absent} OR ({ok}))")
    # A key the class does not have, or one given twice, leaves the count of keys higher than
    # the count of fields found. A NUL (only ever written \u0000) and trailing commas go to the
    # record reader, which refuses them. A minified line tells all three by its length (_bare).
    found = " + ".join(f"({t} IS NOT NULL)::INTEGER" for t in types.values())
    keys = f"len(json_keys(j)) = {found} AND NOT contains(j, '\\u0000') AND NOT regexp_matches(j, ',\\s*[\\]}}]')"
    bare = _bare(fields, types, v)
    checks.append(f"CASE WHEN {bare} THEN true ELSE {keys} END" if bare else keys)
    created, updated = (f"CASE WHEN ok THEN {cells.pop(n + ':ts')} END" for n in ("createdAt", "updatedAt"))
    cells["createdAt"] = f"coalesce({created}, {updated}, $1::TIMESTAMP)"
    cells["updatedAt"] = f"coalesce({updated}, {created}, $1::TIMESTAMP)"
    listed = ", ".join(nulls)
    # Few records hold an explicit null: the list is built for those only.
    null_cell = (
        f"CASE WHEN list_contains(t, 'NULL') THEN nullif(list_filter([{listed}], lambda x: x IS NOT NULL), []) END"
        if nulls else "NULL::VARCHAR[]"
    )
    cells[":nulls"] = f"CASE WHEN ok THEN {null_cell} ELSE [j::VARCHAR] END"
    names = [c for c, _ in load_columns(cls)]
    paths = "[" + ", ".join(_path(f.name) for f in fields) + "]"
    below, above = ("".join(f", {e} AS {n}" for n, e in layer.items()) for layer in parts)
    sql = (
        f"SELECT {', '.join(cells[c] for c in names)} FROM ("
        f"SELECT *, coalesce({' AND '.join(checks)}, false) AS ok FROM ("
        f"SELECT *{above} FROM ("
        f"SELECT j, t, v{below} FROM ("
        f"SELECT json AS j, json_type(json, {paths}) AS t, "
        f"json_transform(json, {literal('{' + struct + '}')}) AS v "
        f"FROM read_ndjson_objects({literal(str(file))})))))"
    )
    return sql, names


def _bare(fields: list[Field], types: dict[str, str], v: dict[str, str]) -> str | None:
    """SQL true when the line is exactly its fields found, minified: no backslash (so no
    escape, and no NUL, which is only ever written \\u0000) and as many bytes as those
    fields' keys, values, quotes, colons, commas and braces. Every value's length is counted
    from what was read (a string's bytes, a boolean's word), a number's only when it is an
    integer below 10**15, written in digits (its JSON type says so), which has no shorter
    text; else NULL, and the caller counts keys instead. Any other key adds bytes (at least
    ``,"":0``), as do a trailing comma and a blank: a line holding them never has that length.
    None when a field's values that SQL vouches for (Arrays, Objects, GeoPoints) are not
    counted this way."""
    if any(f.type in ("Array", "Object", "GeoPoint") for f in fields):
        return None
    sizes = []
    for f in fields:
        t, x = types[f.name], v[f.name]
        # Only a value of its field's JSON type is counted: a line holding another is refused
        # by that field's check anyway. Its value read is NULL when it is written null.
        if _transform_type(f) is None:  # any value goes to the record reader
            value = f"CASE WHEN {t} = 'NULL' THEN 4 END"
        elif f.type == "Number":
            value = f"CASE WHEN {t} IN ('BIGINT', 'UBIGINT') AND abs({x}) < 1e15 THEN strlen(CAST(CAST({x} AS BIGINT) AS VARCHAR)) WHEN {t} = 'NULL' THEN 4 END"
        elif f.type == "Boolean":
            value = f"coalesce(5 - {x}::INTEGER, 4)"
        else:
            value = f"coalesce(strlen({x}) + 2, 4)"
        key = len(f.name.encode()) + 4  # its quotes, colon and comma (one too many, counted below)
        sizes.append(f"CASE WHEN {t} IS NULL THEN 0 ELSE {value} + {key} END")
    return f"NOT contains(j, '\\') AND strlen(j) = 1 + {' + '.join(sizes)}"


def _array_cells(f: Field, x: str, held: str) -> dict[str, str]:
    """An Array of plain strings (layout.ARRAY_PARTS): its minified text is its key.
    ``held``: the row is vouched for and holds an array."""
    n = f.name
    strings = f"CAST({x} AS VARCHAR[])"
    return {
        n: f"CASE WHEN {held} THEN replace({x}, '\",\"', '\", \"') END",
        n + ":k": f"CASE WHEN {held} THEN {x}::VARCHAR END",
        n + ":e": f"CASE WHEN {held} THEN CAST(json_extract({x}, '$[*]') AS VARCHAR[]) END",  # a plain string's JSON text
        n + ":n": f"CASE WHEN {held} THEN []::DOUBLE[] END",
        n + ":s": f"CASE WHEN {held} THEN {strings} END",
        n + ":d": f"CASE WHEN {held} THEN []::TIMESTAMP[] END",
        n + ":b": f"CASE WHEN {held} THEN []::BOOLEAN[] END",
    }


def _object_cells(f: Field, keys: str, texts: str, pairs: str, held: str) -> dict[str, str]:
    """An Object of plain scalars (layout.OBJECT_PATH_PARTS): each pair's JSON is its text.
    ``keys``, ``texts``, ``pairs``: its keys, their values' JSON texts, and (key, text, JSON
    type) of each, computed once below."""
    n = f.name

    def typed(kinds: str, value: str, sql_type: str) -> str:
        chosen = f"list_filter({pairs}, lambda p: p[3] IN {kinds})"
        return (
            f"CASE WHEN {held} THEN map_from_entries(list_transform({chosen}, "
            f"lambda p: {{'k': p[1], 'v': CAST({value} AS {sql_type})}})) END"
        )

    def joined(sep: str, between: str, order: str) -> str:
        listed = f"list_transform({order}, lambda p: '\"' || p[1] || '\"' || {literal(sep)} || p[2])"
        return f"CASE WHEN {held} THEN '{{' || array_to_string({listed}, {literal(between)}) || '}}' END"

    return {
        n: joined(": ", ", ", pairs),
        n + ":k": joined(":", ",", f"list_sort({pairs})"),
        n + ":p": f"CASE WHEN {held} THEN MAP({keys}, {texts}) END",
        n + ":pn": typed("('BIGINT', 'UBIGINT')", "p[2]", "DOUBLE"),
        n + ":ps": typed("('VARCHAR')", "p[2][2:-2]", "VARCHAR"),
        n + ":pb": typed("('BOOLEAN')", "p[2]", "BOOLEAN"),
        n + ":pd": f"CASE WHEN {held} THEN MAP([]::VARCHAR[], []::TIMESTAMP[]) END",
    }


def _edge_keys() -> str:
    """The edge has the four keys, and targetClass if ``t[5]`` found it, and no other (checked
    once its values are known to be strings). json_keys parses the line once more; a line
    without a backslash, written minified, has no escape and no blank, so its length (bytes)
    is that of its pairs' keys and values, quotes, colons, commas and braces: any other key
    would add at least five bytes (``,"":0``), and a trailing comma one, and a NUL is only
    ever written ``\\u0000``. Other lines are counted by json_keys and looked through for
    those."""
    pairs = [(i, len(k.encode()) + 5) for i, k in enumerate((*EDGE_KEYS, "targetClass"), 1)]
    required = " + ".join(f"strlen(e[{i}])" for i, _ in pairs[:4])
    fixed = 2 + 3 + sum(n for _, n in pairs[:4])  # braces, commas between the four, quotes, colons
    extra = f"CASE WHEN t[5] IS NULL THEN 0 ELSE strlen(e[5]) + {pairs[4][1] + 1} END"
    return (
        f"CASE WHEN NOT contains(j, '\\') AND strlen(j) = {fixed} + {required} + {extra} THEN true"
        " ELSE len(json_keys(j)) = 4 + (t[5] IS NOT NULL)::INTEGER"
        " AND NOT contains(j, '\\u0000') AND NOT regexp_matches(j, ',\\s*[\\]}]') END"
    )


def relation_select(file: Path, relations: list[tuple[str, str, str]], owner: str, key: str) -> str:
    """SELECT DISTINCT (owning_id, related_id) of the edges of ``owner.key`` in ``file``;
    ``relations``: (class, key, target class) of every Relation field the load writes. An
    edge not vouched for comes out as (chr(0), ''): then relations.ndjson needs the edge
    reader (an objectId never holds a NUL)."""
    names = "[" + ", ".join(literal("$." + k) for k in (*EDGE_KEYS, "targetClass")) + "]"
    known = " OR ".join(
        f"(e[1] = {literal(c)} AND e[3] = {literal(k)} AND (t[5] IS NULL OR e[5] = {literal(tc)}))"
        for c, k, tc in relations
    )
    ok = (
        "coalesce(t[1] = 'VARCHAR' AND t[2] = 'VARCHAR' AND t[3] = 'VARCHAR' AND t[4] = 'VARCHAR'"
        " AND e[2] <> '' AND e[4] <> '' AND (t[5] IS NULL OR t[5] = 'VARCHAR')"
        f" AND {_edge_keys()}"
        f" AND ({known or 'false'}), false)"
    )
    return (
        f"SELECT DISTINCT CASE WHEN ok THEN e[2] ELSE chr(0) END, CASE WHEN ok THEN e[4] ELSE '' END FROM ("
        f"SELECT e, ({ok}) AS ok FROM ("
        f"SELECT json AS j, json_type(json, {names}) AS t, json_extract_string(json, {names}) AS e "
        f"FROM read_ndjson_objects({literal(str(file))}))) "
        f"WHERE NOT ok OR (e[1] = {literal(owner)} AND e[3] = {literal(key)})"
    )
