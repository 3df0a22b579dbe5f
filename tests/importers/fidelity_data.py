"""One Parse app holding every Parse type and the awkward values, written through a real Parse
Server 9 (test_fidelity.py), and the same data as the other sources hold it: a Parse Dashboard
export (PARSE-STORAGE.md B.4) and ``mongoexport`` files as Parse on MongoDB stores it (B.1-B.3),
both written from what the server answers with the master key.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from .dashboard_files import write
from .mongo_files import Oid, d, encode


def pointer(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def date(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


def geo(lat: float, lng: float) -> dict[str, Any]:
    return {"__type": "GeoPoint", "latitude": lat, "longitude": lng}


KIT_FIELDS = {
    "s": {"type": "String"}, "n": {"type": "Number"}, "b": {"type": "Boolean"}, "d": {"type": "Date"},
    "o": {"type": "Object"}, "a": {"type": "Array"}, "p": {"type": "Pointer", "targetClass": "_User"},
    "k": {"type": "Pointer", "targetClass": "Kit"}, "g": {"type": "GeoPoint"}, "poly": {"type": "Polygon"},
    "f": {"type": "File"}, "by": {"type": "Bytes"}, "rel": {"type": "Relation", "targetClass": "_User"},
    "req": {"type": "String", "required": True, "defaultValue": "dflt"},
    "cnt": {"type": "Number", "defaultValue": 5},
}  # fmt: skip

KIT_CLP = {"find": {"*": True}, "get": {"*": True}, "count": {"*": True}, "create": {"role:Admin": True},
           "update": {"role:Admin": True}, "delete": {}, "addField": {}, "protectedFields": {"*": ["s"]}}  # fmt: skip

KITS = [
    {"objectId": "k01", "s": "", "n": 0, "b": False, "d": date("0001-01-01T00:00:00.000Z"),
     "o": {"when": date("2024-01-01T00:00:00.123Z"), "deep": {"x": [1, {"y": None}]}, "": 1, "u": "é", "v": 3},
     "a": ["x", 1, 2.5, True, None, [1, [2]], {"k": "v"}, date("2024-05-06T07:08:09.123Z"), pointer("_User", "ua1")],
     "p": pointer("_User", "ua1"), "k": pointer("Kit", "k02"), "g": geo(90, 180),
     "poly": {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [1, 1], [1, 0]]},
     "f": {"__type": "File", "name": "abc_pic.png", "url": "http://x/abc_pic.png"},
     "by": {"__type": "Bytes", "base64": "aGVsbG8="}, "req": "given", "ACL": {"*": {"read": True}}},
    {"objectId": "k02", "s": "héllo 𝄞 wörld\t\u0001\u001f", "n": -0.0, "b": True, "d": date("9999-12-31T23:59:59.999Z"),
     "o": {"a": {"b": {"c": {"d": 1}}}, "n": 2**53 + 1, "v": 12},
     "a": [date("1970-01-01T00:00:00.001Z"), date("2000-02-29T12:00:00.000Z")],
     "p": pointer("_User", "nobody"), "g": geo(-90, -180),
     "ACL": {"ua1": {"read": True, "write": True}, "role:Admin": {"read": True}}},
    {"objectId": "k03", "s": "Zeta", "n": 2**53 + 1, "d": date("2024-02-29T23:59:59.999Z"),
     "a": [pointer("_User", "ua1"), pointer("_User", "ub2")], "k": pointer("Kit", "k99"),
     "g": geo(0.5, 179.999999), "cnt": 7},
    {"objectId": "k04", "s": "alpha", "n": 1e308, "b": False, "a": [], "o": {}, "g": geo(0.5, -179.999999),
     "k": pointer("Kit", "k$ö 8:x")},
    {"objectId": "k05", "n": -1.5, "s": "null later", "b": True},
    {"objectId": "k06", "n": 1.5e-300, "s": "🎉", "a": [[date("2024-01-01T00:00:00.000Z")]], "k": pointer("Kit", "k01"),
     "d": date("2024-02-29T23:59:59.998Z")},
    {"objectId": "k07", "o": {"0": "zero", "1": [10, 11], "sp ace": 1, "ключ": "v", "t": {"__type": "Weird", "x": 1},
                              "nul": None, "a": [{"b": 1}, {"b": 2}], "raw": {"__type": "Bytes", "base64": "AAE="}}},
    {"objectId": "k$ö 8:x", "s": "odd id", "k": pointer("Kit", "k01")},
    {"objectId": "k99", "s": "doomed"},
]  # fmt: skip


def build(server: Any) -> None:
    """The app, through Parse's REST API: users, a role, the class Kit with field options and
    class-level permissions, its records, relation edges, then updates to null, deletes (a
    pointer and an edge left dangling) and a record pointing to a deleted one."""
    r = server.request
    for uid, name in (("ua1", "ada"), ("ub2", "bob"), ("uc3", "cyd")):
        r("POST", "/users", {"objectId": uid, "username": name, "password": "pw-" + name, "email": f"{name}@x.org", "nick": name.upper()})
    # signed up through an auth provider: no password, a generated username, authData kept secret
    r("POST", "/users", {"objectId": "ud4", "authData": {"anonymous": {"id": "9f6e0b2c-anon"}}})
    r("POST", "/roles", {"objectId": "ro1", "name": "Admin", "ACL": {"*": {"read": True}},
                         "users": {"__op": "AddRelation", "objects": [pointer("_User", "ua1")]}})  # fmt: skip
    r("POST", "/schemas/Kit", {"className": "Kit", "fields": KIT_FIELDS, "classLevelPermissions": KIT_CLP})
    for kit in KITS:
        r("POST", "/classes/Kit", kit)
    r("PUT", "/classes/Kit/k05", {"b": None, "n": {"__op": "Delete"}})
    r("PUT", "/classes/Kit/k01", {"rel": {"__op": "AddRelation", "objects": [pointer("_User", u) for u in ("ua1", "ub2", "uc3")]}})
    r("PUT", "/classes/Kit/k02", {"rel": {"__op": "AddRelation", "objects": [pointer("_User", "ub2")]}})
    # Many edges: more than the importer reads in one request (1,000), on one owner.
    for i in range(0, MANY, 50):
        r("POST", "/batch", {"requests": [{"method": "POST", "path": "/parse/classes/Item", "body": {"objectId": f"i{j:04d}", "j": j}}
                                          for j in range(i, min(i + 50, MANY))]})  # fmt: skip
    r("POST", "/classes/Shelf", {"objectId": "s1", "items": {"__op": "AddRelation", "objects": [pointer("Item", f"i{j:04d}") for j in range(MANY)]}})
    r("POST", "/classes/Shelf", {"objectId": "s2", "items": {"__op": "AddRelation", "objects": [pointer("Item", "i0007")]}})
    r("PUT", "/classes/Shelf/s2", {"items": {"__op": "RemoveRelation", "objects": [pointer("Item", "i0007")]}})  # empty again
    r("PUT", "/config", {"params": CONFIG_PARAMS, "masterKeyOnly": {"limit": True}})
    r("DELETE", "/classes/Kit/k99")
    r("DELETE", "/classes/_User/uc3")


# Parse's config (Parse.Config): its parameters hold any REST value.
CONFIG_PARAMS = {"greeting": "héllo 𝄞", "when": date("0001-01-01T00:00:00.000Z"), "limit": 2**53,
                 "list": [1, date("2024-05-06T07:08:09.123Z"), pointer("Kit", "k01")], "nested": {"d": date("9999-12-31T23:59:59.999Z")}}  # fmt: skip
MANY = 1100
CLASSES = ("Kit", "_User", "_Role", "Item", "Shelf")
JOINS = ("_Join:rel:Kit", "_Join:users:_Role", "_Join:roles:_Role", "_Join:items:Shelf")


def read_back(server: Any) -> dict[str, Any]:
    """What the server holds, as the master key reads it: records, schemas and join rows."""
    out: dict[str, Any] = {c: server.request("GET", f"/classes/{c}?limit=5000&order=objectId")["results"] for c in CLASSES}
    out["schemas"] = {s["className"]: s for s in server.request("GET", "/schemas")["results"]}
    for j in JOINS:
        out[j] = server.request("GET", f"/classes/{j}?limit=5000")["results"]
    out["config"] = server.request("GET", "/config")
    return out


# --- a Parse Dashboard export ---------------------------------------------------------------


def write_dashboard(root: Path, back: dict[str, Any]) -> Path:
    """``<Class>.json``: one array of the records in REST form with ``className`` (B.4)."""
    for cls in CLASSES:
        write(root / f"{cls}.json", [{**rec, "className": cls} for rec in back[cls]])
    return root


def write_parse_com(root: Path, back: dict[str, Any]) -> Path:
    """parse.com's export: ``{"results": [...]}`` per class, the join classes as files of their own."""
    for cls in CLASSES:
        write(root / f"{cls}.json", {"results": back[cls]})
    for j in JOINS:
        write(root / f"{j}.json", {"results": back[j]})
    return root


# --- mongoexport files, as Parse on MongoDB stores the same data --------------------------------


_MONGO_TYPES = {"String": "string", "Number": "number", "Boolean": "boolean", "Date": "date", "Object": "object",
                "Array": "array", "GeoPoint": "geopoint", "File": "file", "Bytes": "bytes", "Polygon": "polygon"}  # fmt: skip


def _mongo_type(spec: dict[str, Any]) -> str:
    if spec["type"] == "Pointer":
        return "*" + spec["targetClass"]
    if spec["type"] == "Relation":
        return f"relation<{spec['targetClass']}>"
    return _MONGO_TYPES[spec["type"]]


def mongo_schema(cls: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The class's ``_SCHEMA`` document (B.2): types in Mongo's words, no ACL, options in _metadata."""
    doc: dict[str, Any] = {"_id": cls, "objectId": "string", "updatedAt": "date", "createdAt": "date"}
    options = {}
    for name, spec in schema["fields"].items():
        if name in ("objectId", "createdAt", "updatedAt", "ACL"):
            continue
        doc[name] = _mongo_type(spec)
        opts = {k: v for k, v in spec.items() if k in ("required", "defaultValue")}
        if opts:
            options[name] = opts
    doc["_metadata"] = {"class_permissions": schema["classLevelPermissions"]} | ({"fields_options": options} if options else {})
    return doc


def _interior(value: Any) -> Any:
    """Inside an Object or Array a Date is a BSON date, Bytes a BSON binary; a Pointer stays a
    sub-document (MongoTransform's transformInteriorAtom)."""
    if isinstance(value, dict):
        if value.get("__type") == "Date":
            return d(value["iso"])
        if value.get("__type") == "Bytes":
            return base64.b64decode(value["base64"])
        return {k: _interior(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interior(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        return float(value)  # the Node driver writes a whole number past int32 as a double
    return value


def mongo_document(fields: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any]:
    """A REST record as Parse's Mongo adapter stores it (B.1)."""
    doc: dict[str, Any] = {"_id": rec["objectId"], "_created_at": d(rec["createdAt"]), "_updated_at": d(rec["updatedAt"])}
    for key, value in rec.items():
        if key in ("objectId", "createdAt", "updatedAt"):
            continue
        if key == "ACL":
            doc["_rperm"] = [who for who, can in value.items() if can.get("read")]
            doc["_wperm"] = [who for who, can in value.items() if can.get("write")]
            doc["_acl"] = {who: {k[0]: True for k in ("read", "write") if can.get(k)} for who, can in value.items()}
            continue
        ftype = fields[key]["type"]
        if ftype == "Relation":
            continue
        if value is None:  # REST on MongoDB answers an explicit null (a null Pointer: created so)
            doc[key] = None
        elif ftype == "Pointer":
            doc["_p_" + key] = f"{value['className']}${value['objectId']}"
        elif ftype == "Date":
            doc[key] = d(value["iso"])
        elif ftype == "GeoPoint":
            doc[key] = [value["longitude"], value["latitude"]]
        elif ftype == "Polygon":
            doc[key] = {"type": "Polygon", "coordinates": [[[lng, lat] for lat, lng in value["coordinates"]]]}
        elif ftype == "File":
            doc[key] = value["name"]
        elif ftype == "Bytes":
            doc[key] = base64.b64decode(value["base64"])
        else:
            doc[key] = _interior(value)
    return doc


def write_mongo(root: Path, back: dict[str, Any], form: str = "relaxed") -> Path:
    """One file per collection, one Extended JSON document per line (B.3)."""
    import json

    root.mkdir(parents=True, exist_ok=True)
    collections: dict[str, list[Any]] = {"_SCHEMA": [mongo_schema(c, back["schemas"][c]) for c in CLASSES]}
    for cls in CLASSES:
        docs = [mongo_document(back["schemas"][cls]["fields"], rec) for rec in back[cls]]
        if cls == "_User":  # the secrets Parse keeps beside a user: never imported
            docs = [doc | {"_hashed_password": "$2b$10$x", "_email_verify_token": "t", "_auth_data_anonymous": {"id": "a"}} for doc in docs]
        collections[cls] = docs
    for j in JOINS:
        collections[j] = [{"_id": Oid(f"65f00000000000000000{i:04x}"), **row} for i, row in enumerate(back[j])]
    # Parse's config document: _id 1, Dates inside as BSON dates
    collections["_GlobalConfig"] = [{"_id": 1, "params": _interior(back["config"]["params"]),
                                     "masterKeyOnly": back["config"]["masterKeyOnly"]}]  # fmt: skip
    for name, rows in collections.items():
        lines = [json.dumps(encode(doc, form), ensure_ascii=False) for doc in rows]
        (root / f"{name}.json").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return root
