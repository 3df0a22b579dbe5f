"""What every route of ``/classes`` asks first: where a class keeps its ACLs, and whether the
caller may reach the class at all."""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import querylang

from .acl import MASTER_ONLY
from .config import ServerConfig
from .errors import INVALID_SESSION_TOKEN, OPERATION_FORBIDDEN, ParseError
from .keys import PERMISSION_DENIED, Access

Answer = tuple[int, Any, dict[str, str]]
# Parse's classes every app has, which clients may read: where the database has none, a
# client's read of one finds nothing, as on a Parse Server whose class holds no record.
ALWAYS_THERE = frozenset({"_User", "_Role"})
# The classes whose tables Parse Server 9 makes on PostgreSQL as it starts: a delete of a record
# one lacks is 101, where the master key's delete in a class with no table is done ({}).
PARSE_TABLES = ALWAYS_THERE | {
    "_Session", "_PushStatus", "_JobStatus", "_JobSchedule", "_Hooks", "_GlobalConfig", "_GraphQLConfig",
    "_Audience", "_Idempotency",
}
# The class names Parse Server 9 could make (its classNameIsValid): its own classes, its join
# tables, and a letter then letters, digits and _ (but "length" and "className"). In any other
# it makes no class, so an update there is no "Object not found." (Parse: 107), but refused as
# a create there is (103, naming the class meant).
PARSE_CLASSES = ALWAYS_THERE | {"_Installation", "_Session", "_Product", "_PushStatus", "_JobStatus", "_JobSchedule",
                                "_Audience", "_Idempotency"}
_MAKEABLE = re.compile(r"_Join:[A-Za-z0-9_]+:[A-Za-z0-9_]+.*|[A-Za-z][A-Za-z0-9_]*", re.DOTALL)
# How long the classes found missing in the stored schema are taken as missing without reading
# it again, as long as this process's schema is the same object: on PostgreSQL, each request
# to a class that is not there read the stored schema (another process may have just added
# it). Another process's new class is read after at most this (the master key writes in it
# at once: absent's ``remembered``); a schema change this process makes, or hears of,
# replaces the schema object, and every class is looked for again.
ABSENT_FOR = 1.0


class ClassAccess:
    """The database and configuration the routes share, and the checks each of them makes."""

    def __init__(self, db: querylang.Database, config: ServerConfig) -> None:
        self.db = db
        self.config = config
        self.public_path = urlsplit(config.public_url).path.rstrip("/") if config.public_url else ""
        # The classes found missing, the schema they were missing from and when the first was:
        # all forgotten together, so that names a client makes up are kept for ABSENT_FOR at most.
        self._missing: set[str] = set()
        self._missing_from: tuple[Any, float] = (None, 0.0)
        self._memory = threading.Lock()

    def acl_field(self, class_name: str) -> str | None:
        """The field holding ACLs in this class, if it has one: the ``--acl-field`` (an Object
        or an ACL field), else a field of the ACL type (always named ``ACL``). That type says
        what it holds whatever ``--acl-field`` names: a class imported from Parse keeps its
        ACLs there while older classes keep theirs in an Object field (``--acl-field acl``)."""
        fields = self.db.schema.get(class_name).fields
        f = fields.get(self.config.acl_field)
        if f is not None and f.type in ("Object", "ACL"):
            return self.config.acl_field
        typed = fields.get("ACL")
        return "ACL" if typed is not None and typed.type == "ACL" else None

    def _served(self, access: Access, class_name: str, action: str = "find") -> None:
        """Parse's session, installation, push and job classes answer the master key only, as
        Parse Server 9 refuses a client there: 119 "Permission denied" (its sanitized words),
        and for _Session 209, the code of a request without a session ("Session token
        required." for a create or an update, which would need one)."""
        if class_name in MASTER_ONLY and not access.master:
            if class_name == "_Session":
                needs = action in ("create", "update")
                raise ParseError(INVALID_SESSION_TOKEN, "Session token required." if needs else PERMISSION_DENIED)
            raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)

    def reads_nothing(self, access: Access, class_name: str) -> bool:
        """A read that finds no record, as Parse Server 9 answers it: the master key's in a class
        that is not there, anyone's in one of ALWAYS_THERE that is not (a client's read of
        another class that is not there is 119: rest.route)."""
        return (access.master or class_name in ALWAYS_THERE) and self.absent(class_name)

    def absent(self, class_name: str, *, remembered: bool = True) -> bool:
        """No class of that name, also once the stored schema is read again (another process
        may have just added it), which it is not when the class was found missing from this
        same schema less than ABSENT_FOR ago; not ``remembered``, always read again (the master
        key's writes: its delete in a class another process had just made was answered done,
        and left the record there)."""
        schema = self.db.schema
        if class_name in schema.classes:
            return False
        # The memory is shared by the API's thread and the browser's (app.py): each reads and
        # changes it whole. Not held while the stored schema is read, which may wait.
        with self._memory:
            then, since = self._missing_from
            if then is not schema or time.monotonic() - since >= ABSENT_FOR:
                self._missing.clear()
            elif remembered and class_name in self._missing:
                return True
        self.db.refresh_schema()
        if class_name in self.db.schema.classes:
            return False
        with self._memory:
            if not self._missing or self._missing_from[0] is not self.db.schema:
                self._missing.clear()
                self._missing_from = (self.db.schema, time.monotonic())
            self._missing.add(class_name)
        return True


def parse_could_make(class_name: str) -> bool:
    """Whether Parse Server 9 could make a class of that name (PARSE_CLASSES, _MAKEABLE)."""
    return class_name in PARSE_CLASSES or (
        _MAKEABLE.fullmatch(class_name) is not None and class_name not in ("length", "className"))
