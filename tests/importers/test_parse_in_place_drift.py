"""Parse Server's own PostgreSQL tables queried in place (connect(url, layout="parse")), on the
importer tests' live server (conftest.py): drift between _SCHEMA and the tables (a
column of another type, a class left out, a class or field deleted since connecting, what the
role may not read) is left out and noted, never an error of every query."""

from __future__ import annotations

import psycopg
import pytest

import querylang
from querylang.errors import QueryError

from .conftest import LiveParse
from .in_place_setup import BUILTIN_COLUMNS, BUILTIN_ROW, parse_like


def test_columns_of_another_type_are_left_out(live_parse: LiveParse) -> None:
    """A column whose type is not the one Parse Server makes for the field (altered by hand)
    is left out with a note naming both types; it was read as something else: a text column
    of a Number field crashed every query, a Date without time zone came out as a Python
    datetime, a text Array answered 'the database rejected the query'."""
    fields = {"s": "String", "n": "Number", "d": "Date", "a": "Array", "o": "Object", "ok": "Boolean", "g": "GeoPoint"}
    spec = {"fields": {**{k: {"type": t} for k, t in fields.items()},
                       "p": {"type": "Pointer", "targetClass": "Drift"}, "r": {"type": "Relation", "targetClass": "Drift"}}}  # fmt: skip
    url = parse_like(live_parse, "drift_types", {"Drift": spec}, [
        f'CREATE TABLE "Drift" ({BUILTIN_COLUMNS}, s varchar(20), n text, d timestamp, a json, o text, ok int, g text, p int)',
        f"INSERT INTO \"Drift\" VALUES ({BUILTIN_ROW}, 'x', '1', '2024-01-01', '[1]', '{{}}', 1, '(1,2)', 7)",
        'CREATE TABLE "_Join:r:Drift" ("relatedId" varchar(120), "owner" varchar(120))',
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert {f.name for f in db.schema.get("Drift").user_fields} == {"s"}
        notes = "\n".join(db.notes)
        for name, kind, want in [("n", "text", "double precision"), ("d", "timestamp without time zone", "timestamp with time zone"),
                                 ("a", "json", "jsonb"), ("o", "text", "jsonb"), ("ok", "integer", "boolean"), ("g", "text", "point"),
                                 ("p", "integer", "text or character varying")]:  # fmt: skip
            assert f"class Drift, field {name}: its column {name} is {kind}, where Parse Server makes {want}: left out" in notes
        assert "class Drift, field r: its edge table _Join:r:Drift has no column owningId: left out" in notes
        assert db.query("Drift", {}).records == [
            {"objectId": "d1", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "s": "x"}]
        assert db.reference("Drift", {"s": {"equalTo": "x"}}).ids == ["d1"]
    finally:
        db.close()


def test_a_class_left_out_takes_the_fields_pointing_to_it(live_parse: LiveParse) -> None:
    """A class left out (its table lacks updatedAt, its createdAt is text, its name is not
    querylang's) takes the Pointers and Relations to it along, with a note; connecting failed
    with 'targetClass ... is not a class'. Malformed _SCHEMA entries (fields not an object, a
    field's entry a bare string, a type that is a list) are notes too, not an AttributeError."""
    ptr = {"type": "Pointer", "targetClass": ""}
    spec = {"fields": {"s": {"type": "String"}, "toA": {**ptr, "targetClass": "NoUpdated"}, "toB": {**ptr, "targetClass": "TextCreated"},
                       "toC": {**ptr, "targetClass": "Bad-Name"}, "rel": {"type": "Relation", "targetClass": "NoUpdated"},
                       "bare": "String", "listed": {"type": ["String"]}, "odd": {"type": "Pointer", "targetClass": ["Keep"]}}}  # fmt: skip
    url = parse_like(live_parse, "drift_classes", {
        "Keep": spec, "NoUpdated": {"fields": {}}, "TextCreated": {"fields": {}}, "Bad-Name": {"fields": {}},
        "ListFields": {"fields": [1, 2]}, "NotAnObject": ["x"],
    }, [
        f'CREATE TABLE "Keep" ({BUILTIN_COLUMNS}, s text, "toA" text, "toB" text, "toC" text, bare text, listed text, odd text)',
        f"INSERT INTO \"Keep\" VALUES ({BUILTIN_ROW}, 'x', 'a', 'b', 'c', 'y', 'z', 'w')",
        'CREATE TABLE "NoUpdated" ("objectId" text, "createdAt" timestamptz)',
        'CREATE TABLE "TextCreated" ("objectId" text, "createdAt" text, "updatedAt" timestamptz)',
        f'CREATE TABLE "Bad-Name" ({BUILTIN_COLUMNS})', f'CREATE TABLE "ListFields" ({BUILTIN_COLUMNS})', f'CREATE TABLE "NotAnObject" ({BUILTIN_COLUMNS})',
        'CREATE TABLE "_Join:rel:Keep" ("relatedId" varchar(120), "owningId" varchar(120))',
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert set(db.schema.classes) == {"Keep"}
        assert [f.name for f in db.schema.get("Keep").user_fields] == ["s"]
        notes = "\n".join(db.notes)
        for line in ["class NoUpdated: its table lacks updatedAt: left out",
                     "class TextCreated: its column createdAt is text, where Parse Server makes timestamp with time zone: left out",
                     "class Bad-Name: a name querylang's schema does not accept: left out",
                     "class ListFields: its _SCHEMA entry is not an object with an object of fields: left out",
                     "class NotAnObject: its _SCHEMA entry is not an object with an object of fields: left out",
                     "class Keep, field toA: its target class NoUpdated is not read: left out",
                     "class Keep, field toB: its target class TextCreated is not read: left out",
                     "class Keep, field toC: its target class Bad-Name is not read: left out",
                     "class Keep, field rel: its target class NoUpdated is not read: left out",
                     "class Keep, field bare: its _SCHEMA entry 'String' is not an object: left out",
                     "class Keep, field listed: type ['String'] is not queryable in place yet: left out",
                     "class Keep, field odd: its target class ['Keep'] is not in the database: left out"]:  # fmt: skip
            assert line in notes
        assert db.query("Keep", {"s": {"equalTo": "x"}}).ids == ["d1"]
    finally:
        db.close()


def test_numbers_are_exact_whatever_extra_float_digits_says(live_parse: LiveParse) -> None:
    """Parse's rows are read as text; a database (or role) with extra_float_digits = 0 has
    PostgreSQL write doubles with 15 digits: Numbers and GeoPoints came out rounded (0.3 for
    0.30000000000000004), unlike the value that equalTo matched in SQL."""
    spec = {"fields": {"v": {"type": "Number"}, "g": {"type": "GeoPoint"}}}
    url = parse_like(live_parse, "float_digits", {"Num": spec}, [
        f'CREATE TABLE "Num" ({BUILTIN_COLUMNS}, v double precision, g point)',
        f"INSERT INTO \"Num\" VALUES ({BUILTIN_ROW}, 0.30000000000000004, point(-73.98765432109876, 40.123456789012344))",
        "ALTER DATABASE float_digits SET extra_float_digits = 0",
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        (rec,) = db.query("Num", {}).records
        assert rec["v"] == 0.1 + 0.2 and rec["g"] == {"latitude": 40.123456789012344, "longitude": -73.98765432109876}
        assert db.reference("Num", {"v": {"equalTo": 0.1 + 0.2}}).ids == ["d1"]
    finally:
        db.close()


def test_a_class_or_field_deleted_since_connecting_says_so(live_parse: LiveParse) -> None:
    """A field or class deleted through Parse since _SCHEMA was read answered only PostgreSQL's
    'column t.b does not exist' (and the reference evaluator's read of the data a bare psycopg
    UndefinedTable): the error now says what happened, and the next query reads _SCHEMA again."""
    spec = {"fields": {"a": {"type": "String"}, "b": {"type": "Number"}}}
    url = parse_like(live_parse, "deleted_since", {"Temp": spec}, [
        f'CREATE TABLE "Temp" ({BUILTIN_COLUMNS}, a text, b double precision)', f"INSERT INTO \"Temp\" VALUES ({BUILTIN_ROW}, 'x', 1)",
    ])  # fmt: skip
    runs = {"query": lambda db: db.query("Temp", {"a": {"equalTo": "x"}}), "count": lambda db: db.query("Temp", {}, count=True),
            "stream": lambda db: list(db.stream("Temp", {})), "reference": lambda db: db.reference("Temp", {})}  # fmt: skip
    dbs = {name: querylang.connect(url, layout="parse") for name in runs}  # each meets the change first
    try:
        for db in dbs.values():
            db.store.schema_ttl = 3600  # the read that meets it, not the TTL's
            assert db.query("Temp", {"b": {"equalTo": 1}}).ids == ["d1"]
        since = r"deleted from the Parse database since this connection read its _SCHEMA: the next query reads the schema"
        with psycopg.connect(url, autocommit=True) as con:
            con.execute('ALTER TABLE "Temp" DROP COLUMN b')
        with pytest.raises(QueryError, match=r'column t\.b does not exist \(' + since):
            runs["query"](dbs["query"])
        for name in ("count", "stream"):
            with pytest.raises(QueryError, match=since):
                runs[name](dbs[name])
        assert dbs["query"].query("Temp", {}).records[0].keys() == {"objectId", "createdAt", "updatedAt", "a"}
        assert "class Temp, field b: no such column in the table: left out" in dbs["query"].notes
        with psycopg.connect(url, autocommit=True) as con:
            con.execute('DROP TABLE "Temp"')
        with pytest.raises(QueryError, match=r'relation "Temp" does not exist \(' + since):
            runs["reference"](dbs["reference"])
        with pytest.raises(QueryError, match=r"Temp is in Parse's _SCHEMA but left out in place: in _SCHEMA but its table is missing"):
            dbs["count"].query("Temp", {})
    finally:
        for db in dbs.values():
            db.close()
    fresh = querylang.connect(url, layout="parse")
    try:
        assert "class Temp: in _SCHEMA but its table is missing: left out" in fresh.notes
    finally:
        fresh.close()


def test_what_the_role_may_not_read_is_noted_as_such(live_parse: LiveParse) -> None:
    """Tables and columns the connecting role may not SELECT were noted as missing ('its
    table is missing', 'no such column in the table': information_schema lists only what a
    role may read); they are noted as not readable, with what to grant. A class whose ACL
    columns alone are hidden is still read (its rows are then not read whole: SELECT of the
    hidden _rperm would be refused)."""
    spec = {"fields": {"s": {"type": "String"}, "n": {"type": "Number"}, "to": {"type": "Pointer", "targetClass": "Hidden"}}}
    url = parse_like(live_parse, "partial_grants", {"Open": spec, "Hidden": {"fields": {}}, "NoAcl": {"fields": {"s": {"type": "String"}}}}, [
        f'CREATE TABLE "Open" ({BUILTIN_COLUMNS}, s text, n double precision, "to" text, _rperm text[], _wperm text[])',
        f"INSERT INTO \"Open\" VALUES ({BUILTIN_ROW}, 'x', 1, 'h1', '{{*}}', '{{}}')",
        f'CREATE TABLE "Hidden" ({BUILTIN_COLUMNS})',
        f'CREATE TABLE "NoAcl" ({BUILTIN_COLUMNS}, s text, _rperm text[], _wperm text[])',
        f"INSERT INTO \"NoAcl\" VALUES ({BUILTIN_ROW}, 'y', '{{*}}', '{{}}')",
        "DROP ROLE IF EXISTS ql_partial_reader", "CREATE ROLE ql_partial_reader LOGIN",
        'GRANT SELECT ("objectId", "createdAt", "updatedAt", s) ON "NoAcl" TO ql_partial_reader',
        'GRANT SELECT ("objectId", "createdAt", "updatedAt", s, "to") ON "Open" TO ql_partial_reader',
        'GRANT SELECT ON "_SCHEMA" TO ql_partial_reader',
    ])  # fmt: skip
    db = querylang.connect(url.replace("postgres@", "ql_partial_reader@"), layout="parse")
    try:
        grant = "GRANT SELECT on it, or pg_read_all_data, to the role querylang connects as"
        assert f"class Hidden: this role may not read its table's objectId, createdAt, updatedAt ({grant}): left out" in db.notes
        assert f"class Open, field n: this role may not read its column n ({grant}): left out" in db.notes
        assert "class Open, field to: its target class Hidden is not read: left out" in db.notes
        assert db.query("Open", {}).records == [
            {"objectId": "d1", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "s": "x"}]
        assert db.query("NoAcl", {}).records == [
            {"objectId": "d1", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "s": "y"}]
    finally:
        db.close()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP OWNED BY ql_partial_reader")
            con.execute("DROP ROLE ql_partial_reader")


def test_a_role_with_a_schema_of_its_own(live_parse: LiveParse) -> None:
    """A reader role with a schema named as itself (PostgreSQL's secure schema pattern: the
    default search_path "$user", public finds it first) found _SCHEMA through the search_path
    but looked for the tables in current_schema(), its own empty schema: every class was
    'in _SCHEMA but its table is missing', and doctor proposed indexes that exist."""
    spec = {"fields": {"s": {"type": "String"}, "to": {"type": "Pointer", "targetClass": "Own"}}}
    url = parse_like(live_parse, "own_schema", {"Own": spec}, [
        f'CREATE TABLE "Own" ({BUILTIN_COLUMNS}, s text, "to" text)', f"INSERT INTO \"Own\" VALUES ({BUILTIN_ROW}, 'x', 'd1')",
        'CREATE INDEX "by_to" ON "Own" ("to")',
        "DROP ROLE IF EXISTS ql_own_schema", "CREATE ROLE ql_own_schema LOGIN", "GRANT pg_read_all_data TO ql_own_schema",
        "CREATE SCHEMA ql_own_schema AUTHORIZATION ql_own_schema",
    ])  # fmt: skip
    db = querylang.connect(url.replace("postgres@", "ql_own_schema@"), layout="parse")
    try:
        assert db.store.execute("SELECT current_schema()", []) == [("ql_own_schema",)]
        assert db.notes == [] and set(db.schema.classes) == {"Own"}
        assert db.query("Own", {"to": {"pointsTo": "d1"}}).ids == ["d1"]
        assert db.missing_indexes() == []
    finally:
        db.close()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP SCHEMA ql_own_schema")
            con.execute("DROP OWNED BY ql_own_schema")
            con.execute("DROP ROLE ql_own_schema")
