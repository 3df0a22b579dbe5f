"""Record ACLs: which records a request without the master key may see and change.

There are no users or sessions here, so only the public entry ``"*"`` can grant anything to a
client; a record with no ACL is public, as in Parse. The master key ignores ACLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from querylang.frontends import filters
from querylang.frontends.selection import embedded

# Parse's own classes that Parse Server shows clients only through a session (which this server
# does not have) or not at all: device tokens, sessions, push and job records, server settings.
# Imported from Parse with the rest, they are served with the master key only, directly, as a
# sub-query's class, embedded by include, or through a Pointer path.
MASTER_ONLY = frozenset({
    "_Installation", "_Session", "_PushStatus", "_JobStatus", "_JobSchedule", "_Hooks", "_GlobalConfig",
    "_GraphQLConfig", "_Audience", "_Idempotency",
    # Parse's _GlobalConfig as this schema names it (server/global_config.py): /config shows
    # clients its parameters but those marked master-only.
    "Parse_GlobalConfig",
})  # fmt: skip
# Fields Parse hides from every client (its default protectedFields): dropped from answers.
# And a _User's password, which Parse never answers (it keeps only a hash of it), should a
# database hold one as a field.
PROTECTED = {"_User": ("email", "password")}


def hide_protected(class_name: Any, rec: dict[str, Any]) -> None:
    for name in PROTECTED.get(class_name, ()):
        rec.pop(name, None)


def public(acl: Any, permission: str) -> bool:
    """May anyone ``read``/``write`` a record with this stored ACL?"""
    if acl is None:
        return True
    if not isinstance(acl, Mapping):
        return False  # a malformed ACL grants nothing: fail closed
    entry = acl.get("*")
    return isinstance(entry, Mapping) and entry.get(permission) is True


def readable_where(records: Iterable[Mapping[str, Any]], acl_field: str) -> dict[str, Any] | None:
    """A where condition that holds for exactly those of ``records`` (every record of a class,
    with their ACLs) that anyone may read; None when all of them may be read.

    A dot path cannot say it (``acl.*.read``: ``*`` is not a valid key segment, and a field of
    the ACL type cannot be queried at all), so the records ``public`` refuses are named by id:
    ``public`` stays the one definition of who may read.
    """
    hidden = [r["objectId"] for r in records if not public(r.get(acl_field), "read")]
    # In lists one $nin may hold: one list of every hidden id failed past MAX_LIST with
    # "notContainedIn has N items", the error of a condition the client never wrote.
    parts = [{"objectId": {"$nin": hidden[i : i + filters.MAX_LIST]}} for i in range(0, len(hidden), filters.MAX_LIST)]
    return None if not parts else parts[0] if len(parts) == 1 else {"$and": parts}


def hide_unreadable(rec: dict[str, Any], included: set[str], prefix: str = "") -> None:
    """Drop the embedded records of ``rec`` (at the dotted ``included`` paths) that a client may
    not read: the key goes, and so does such an element of an array, as Parse's
    ``replacePointers`` answers."""
    for key in list(rec):
        path = prefix + key
        if path not in included:
            continue
        value = rec[key]
        if isinstance(value, list):
            rec[key] = _readable_in(value, included, path)
        elif embedded(value) and not _tidy(value, included, path):
            del rec[key]


def _readable_in(value: list[Any], included: set[str], path: str) -> list[Any]:
    """An Array's elements but the embedded records a client may not read (in an Array inside
    it too, as Parse's include walks it)."""
    return [_readable_in(v, included, path) if isinstance(v, list) else v
            for v in value if not embedded(v) or _tidy(v, included, path)]  # fmt: skip



def readable(obj: dict[str, Any]) -> bool:
    """May a client read this embedded record (Parse's shape)?"""
    return obj.get("className") not in MASTER_ONLY and public(obj.get("ACL"), "read")


def _tidy(obj: dict[str, Any], included: set[str], path: str) -> bool:
    """False for an embedded record a client may not read; one it may read is tidied in turn."""
    if not readable(obj):
        return False
    hide_protected(obj.get("className"), obj)
    hide_unreadable(obj, included, path + ".")
    return True
