"""A Parse Dashboard export for the importer tests: records of Post, Group and _User as the
Dashboard's Export all rows writes them (shapes: PARSE-STORAGE.md B.4), and the files' writer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from querylang.importers import detect_target

USER = detect_target().class_name("_User")


POSTS = [
    {"createdAt": "2024-02-08T17:59:00.000Z", "updatedAt": "2024-02-08T17:59:00.000Z", "title": "relation naïve 3",
     "score": 3, "publishedAt": {"__type": "Date", "iso": "2024-04-22T03:09:00.000Z"}, "tags": ["ui"], "nums": [3, 2.5],
     "meta": {"lang": "fr", "views": 111}, "author": {"__type": "Pointer", "className": "_User", "objectId": "u04"},
     "location": {"__type": "GeoPoint", "latitude": 34.11, "longitude": -111.87},
     "area": {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]},
     "pic": {"__type": "File", "name": "abc_pic.png", "url": "http://localhost:1337/parse/files/app/abc_pic.png"},
     "raw": {"__type": "Bytes", "base64": "aGVsbG8="},
     "ACL": {"*": {"read": True}, "u02": {"read": True, "write": True}, "role:Admin": {"write": True}},
     "objectId": "p003", "className": "Post"},
    {"createdAt": "2024-02-09T08:00:00.000Z", "updatedAt": "2024-02-09T08:00:00.000Z", "title": "plain", "score": 7,
     "objectId": "p004", "className": "Post"},
]  # fmt: skip


GROUPS = [
    {"createdAt": "2024-03-01T00:00:00.000Z", "updatedAt": "2024-03-01T00:00:00.000Z", "name": "news",
     "posts": {"__type": "Relation", "className": "Post"}, "members": {"__type": "Relation", "className": "_User"},
     "objectId": "g1", "className": "Group"},
]  # fmt: skip


USERS = [
    {"createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "username": "dee",
     "authData": {"anonymous": {"id": "x"}}, "objectId": "u04", "className": "_User"},
]  # fmt: skip


def write(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def dashboard_dir(root: Path) -> Path:
    write(root / "Post.json", POSTS)
    write(root / "Group.json", GROUPS)
    write(root / "_User.json", USERS)
    return root
