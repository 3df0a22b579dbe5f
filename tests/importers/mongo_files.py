"""A small Parse app as ``mongoexport`` files, in each Extended JSON form mongoexport has written.

Documents are written as Parse Server's Mongo adapter stores them (PARSE-STORAGE.md B.1/B.2):
``_id``, ``_created_at``, ``_p_<field>: "Class$id"``, ``_rperm``/``_wperm``/``_acl``, GeoPoints
``[lng, lat]``, Polygons as GeoJSON, Files by name, Bytes as BSON binary, relation rows in
``_Join:<key>:<Class>``; then encoded as Extended JSON v2 relaxed, v2 canonical or v1.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class Oid(str):
    """An ObjectId (hex string) to encode as {"$oid": ...}."""


class Long(int):
    """An int64 (canonical {"$numberLong"}; v1 {"$numberLong"} too)."""


def d(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


SCHEMA = [
    {"_id": "_User", "objectId": "string", "createdAt": "date", "updatedAt": "date",
     "username": "string", "email": "string", "emailVerified": "boolean", "authData": "object", "password": "string"},
    {"_id": "Post", "objectId": "string", "createdAt": "date", "updatedAt": "date",
     "_metadata": {"fields_options": {"n": {"required": True, "defaultValue": 0}},
                   "class_permissions": {"find": {"*": True}}},
     "title": "string", "score": "number", "published": "boolean", "publishedAt": "date", "tags": "array",
     "meta": "object", "author": "*_User", "owner": "*_User", "location": "geopoint", "area": "polygon",
     "pic": "file", "raw": "bytes", "views": "number"},
    {"_id": "Group", "objectId": "string", "createdAt": "date", "updatedAt": "date",
     "name": "string", "posts": "relation<Post>", "members": "relation<_User>"},
]

USERS = [
    {"_id": "u01", "username": "ada", "email": "ada@example.com", "_hashed_password": "$2b$10$secret",
     "_email_verify_token": "tok", "_auth_data_facebook": {"id": "1"}, "emailVerified": True,
     "_rperm": ["*", "u01"], "_wperm": ["u01"], "_acl": {"*": {"r": True}, "u01": {"r": True, "w": True}},
     "_created_at": d("2024-01-01T10:00:00Z"), "_updated_at": d("2024-01-02T10:00:00.123Z")},
    {"_id": "u02", "username": "bob", "_created_at": d("2024-01-03T10:00:00Z"), "_updated_at": d("2024-01-03T10:00:00Z")},
]

POSTS = [
    {"_id": "p001", "title": "relation naïve 3", "score": 3, "published": None,
     "publishedAt": d("2024-04-22T03:09:00Z"),
     "tags": ["ui", {"__type": "Pointer", "className": "_User", "objectId": "u01"}, d("2024-01-01T00:00:00Z")],
     "meta": {"lang": "fr", "views": Long(111), "when": d("2024-01-01T00:00:00Z")},
     "_p_author": "_User$u01", "owner": None, "location": [-111.87, 34.11],
     "area": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "pic": "abc_pic.png",
     "raw": b"hello", "views": 2.5,
     "_rperm": ["*", "u02"], "_wperm": ["u02", "role:Admin"],
     "_acl": {"u02": {"w": True, "r": True}, "role:Admin": {"w": True}, "*": {"r": True}},
     "_created_at": d("2024-02-08T17:59:00Z"), "_updated_at": d("2024-02-08T17:59:00Z")},
    # Updated: the author was unset with "$set _p_author: null" (Parse reads it back as missing).
    {"_id": "p002", "title": "second", "score": 7, "published": True, "_p_author": None,
     "_p_owner": "_User$u02", "publishedAt": d("1969-07-20T20:17:40Z"), "tags": [], "meta": {},
     "_created_at": d("2024-02-09T08:00:00Z"), "_updated_at": d("2024-02-10T08:00:00Z")},
    {"_id": "p003", "title": "third", "_created_at": d("2024-02-10T08:00:00Z"), "_updated_at": d("2024-02-10T08:00:00Z")},
]

GROUPS = [
    {"_id": "g1", "name": "news", "_created_at": d("2024-03-01T00:00:00Z"), "_updated_at": d("2024-03-01T00:00:00Z")},
    {"_id": "g2", "name": "empty", "_created_at": d("2024-03-02T00:00:00Z"), "_updated_at": d("2024-03-02T00:00:00Z")},
]

JOINS = {
    # p999 was deleted after it was added: a dangling edge, kept by the import.
    "_Join:posts:Group": [("p001", "g1"), ("p003", "g1"), ("p999", "g1")],
    "_Join:members:Group": [("u01", "g1"), ("u02", "g1"), ("u02", "g2")],
}


def _ms(dt: datetime) -> int:
    return int((dt - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


def encode(value: Any, form: str) -> Any:
    """A Python value in Extended JSON: form is 'relaxed', 'canonical' or 'v1'."""
    if isinstance(value, datetime):
        if form == "canonical":
            return {"$date": {"$numberLong": str(_ms(value))}}
        if form == "v1":
            return {"$date": _ms(value)} if value.year >= 2000 else {"$date": {"$numberLong": str(_ms(value))}}
        if value.year < 1970:
            return {"$date": {"$numberLong": str(_ms(value))}}
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        ms = value.microsecond // 1000
        return {"$date": text + (f".{ms:03d}Z" if ms else "Z")}  # as the Node bson library prints it
    if isinstance(value, bytes):
        b64 = base64.b64encode(value).decode()
        return {"$binary": b64, "$type": "00"} if form == "v1" else {"$binary": {"base64": b64, "subType": "00"}}
    if isinstance(value, Oid):
        return {"$oid": str(value)}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Long):
        return {"$numberLong": str(int(value))} if form in ("canonical", "v1") else int(value)
    if isinstance(value, int):
        return {"$numberInt": str(value)} if form == "canonical" else value
    if isinstance(value, float):
        return {"$numberDouble": repr(value)} if form == "canonical" else value
    if isinstance(value, list):
        return [encode(v, form) for v in value]
    return {k: encode(v, form) for k, v in value.items()}


def write_export(root: Path, form: str = "relaxed") -> Path:
    """The app as a mongoexport directory (one file per collection, one document per line)."""
    root.mkdir(parents=True, exist_ok=True)
    collections: dict[str, list[Any]] = {"_SCHEMA": SCHEMA, "_User": USERS, "Post": POSTS, "Group": GROUPS}
    for name, rows in JOINS.items():
        collections[name] = [{"_id": Oid(f"65f0000000000000000000{i:02x}"), "relatedId": r, "owningId": o}
                             for i, (r, o) in enumerate(rows)]
    collections["_GlobalConfig"] = [{"_id": 1, "params": {}}]  # volatile: no _SCHEMA entry, skipped
    for name, rows in collections.items():
        lines = [json.dumps(encode(doc, form), ensure_ascii=False) for doc in rows]
        (root / f"{name}.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
