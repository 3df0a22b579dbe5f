"""Record ACLs: which records a request without the master key may see and change.

There are no users or sessions here, so only the public entry ``"*"`` can grant anything to a
client; a record with no ACL is public, as in Parse. The master key ignores ACLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def public(acl: Any, permission: str) -> bool:
    """May anyone ``read``/``write`` a record with this stored ACL?"""
    if acl is None:
        return True
    if not isinstance(acl, Mapping):
        return False  # a malformed ACL grants nothing: fail closed
    entry = acl.get("*")
    return isinstance(entry, Mapping) and entry.get(permission) is True
