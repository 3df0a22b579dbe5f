"""The writes of ``/classes``: a create, an update and a delete, each checked whole first."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import querylang
from querylang.api import new_object_id
from querylang.script.values import truthy

from .acl import public
from .class_access import ALWAYS_THERE, PARSE_TABLES, Answer, ClassAccess, parse_could_make
from .errors import (
    DUPLICATE_VALUE,
    EMAIL_TAKEN,
    INCORRECT_TYPE,
    INVALID_KEY_NAME,
    OBJECT_NOT_FOUND,
    OPERATION_FORBIDDEN,
    PASSWORD_MISSING,
    SESSION_MISSING,
    USERNAME_MISSING,
    USERNAME_TAKEN,
    ParseError,
    UnknownField,
    not_found,
    the_write,
)
from .fixed_classes import (
    FIXED,
    NO_OBJECT_ID,
    check_update_in_no_class,
    check_user_email,
    no_table_to_write,
)
from .keys import PERMISSION_DENIED, Access, require_write
from .writes import check_new_object_id, is_delete, plan_write

READING_OPS = {"Increment", "Add", "AddUnique", "Remove"}  # computed from the stored value
# The fields Parse Server 9 requires of a record of a class (its requiredColumns.write), from
# the master key too: a role without an ACL is one anyone may write, and so join.
REQUIRED = {"_Role": ("name", "ACL")}


class WriteRoutes(ClassAccess):
    """``POST /classes/:class``, ``PUT`` and ``DELETE /classes/:class/:id``."""

    def create(self, access: Access, class_name: str, body: Mapping[str, Any], base_url: str) -> Answer:
        self._served(access, class_name, "create")  # before the class-level permissions, as Parse
        check_new_object_id(body)  # in a class that is not there too
        require_write(access, "create", class_name)
        if class_name == "_User" and not access.master:
            _check_sign_up(body)  # where the database has no _User too, as Parse always has one
            _check_restricted(body)
        if class_name in REQUIRED and self.absent(class_name, remembered=not access.master):
            # Every Parse app has _Role: its body is read there, a role without a name or an
            # ACL refused (111), before the create is refused for the class (103, or 119).
            check_update_in_no_class(class_name, body)
            _check_required(class_name, body, update=False)
        self._know_deleted(class_name, body)
        self._no_password(class_name, body)
        acl = self.acl_field(class_name)
        plan = plan_write(self.db.schema, class_name, body, None, acl)
        _check_required(class_name, body, update=False, acl_field=acl)
        self._check_user(class_name, body, None)
        self._check_role_name(class_name, body, None)
        if class_name == "_User" and acl is not None:
            # As Parse Server 9 makes a user: its own entry beside the ACL given (none, with
            # enforcePrivateUsers on by default), so that no client reads a new user (it had
            # no ACL here, which every client passes).
            oid = plan.fields.get("objectId") or new_object_id()
            plan.fields["objectId"] = oid
            plan.fields[acl] = {**(plan.fields.get(acl) or {}), oid: {"read": True, "write": True}}
        # The server stamps the record, so the answer needs no second read.
        now = _now_iso()
        with the_write():
            oid = self.db.create(class_name, {**plan.fields, "createdAt": now, "updatedAt": now})
        location = f"{self.config.public_url or base_url}/classes/{quote(class_name, safe='')}/{quote(oid, safe='')}"
        return 201, {"objectId": oid, "createdAt": now, **plan.answers}, {"Location": location}

    def update(self, access: Access, class_name: str, oid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self._served(access, class_name, "update")  # before the class-level permissions, as Parse
        require_write(access, "update", class_name)
        if class_name == "_User" and not access.master:
            _check_restricted(body)  # before the body's other fields are read, as Parse
        # A client's in _User or _Role too, which every Parse app has (in another class that is
        # not there Parse refuses it, 119: rest.route).
        if (access.master or class_name in ALWAYS_THERE) and (parse_could_make(class_name) or class_name in FIXED) \
                and self.absent(class_name, remembered=False):
            check_update_in_no_class(class_name, body)
            _check_required(class_name, body, update=True)
            if class_name == "_User" and not access.master:
                # Parse Server 9 updates a user for that user's session only (its words: 206).
                raise ParseError(SESSION_MISSING, PERMISSION_DENIED)
            raise not_found()  # as Parse Server 9 answers it: no record there to update
        if body.get("objectId") == oid:
            # The record's own objectId, sent back with it: Parse leaves it as it is.
            body = {k: v for k, v in body.items() if k != "objectId"}
        self._know_deleted(class_name, body)
        self._no_password(class_name, body)
        acl = self.acl_field(class_name)
        # A null ACL leaves the record's ACL as it is, in every class that holds ACLs, as Parse
        # Server 9 reads it: here null is no ACL, so a client allowed to write a record could
        # open it to all (and a role without one is one anyone may write, and so join). A class
        # that holds none refuses it (119), as it refuses a create's.
        if acl is not None or class_name in REQUIRED:
            body = {k: v for k, v in body.items() if not (v is None and k in ("ACL", acl))}
        if class_name == "_User" and not access.master:
            # As above, whatever the record's ACL (Parse reads the body before: its errors first).
            plan_write(self.db.schema, class_name, body, {}, acl)
            raise ParseError(SESSION_MISSING, PERMISSION_DENIED)
        # The record's fields the change reads: the others (a Date column altered by hand among
        # them) are left as they are, as the library's save leaves them. An "__op" that is no
        # string (a list: unhashable) is left to plan_write's "unknown op".
        reads = {key for key, v in body.items()
                 if isinstance(v, Mapping) and isinstance(v.get("__op"), str) and v["__op"] in READING_OPS}
        if not access.master and acl is not None:
            reads.add(acl)
        # A body whose operations do not read the stored values is checked before anything is
        # read, as before (a bad body to a missing record is the body's error).
        checked = None if reads else plan_write(self.db.schema, class_name, body, {}, acl)
        # Only fields the record holds a value of are read (db.update refuses others): a field
        # this process has not heard of is looked up first, as _know_deleted does; one still
        # unknown, or a Relation, is the change's to refuse (plan_write), as before.
        if any(key not in self.db.schema.get(class_name).fields for key in reads):
            self.db.refresh_schema()
        fields = self.db.schema.get(class_name).fields
        reads = {key for key in reads if key in fields and fields[key].type != "Relation"}
        _check_required(class_name, body, update=True, acl_field=acl)  # before the record is looked up, as Parse
        if checked is not None:  # else once the change has read the body's types (plan_write)
            self._check_user(class_name, body, oid)
        answers: dict[str, Any] = {}

        def change(current: dict[str, Any]) -> querylang.Change:
            # Inside the write's transaction, on the record it holds: an Increment or an array
            # op computed from a value another request (or serve process) is changing was lost.
            if not access.master and acl is not None and not public(current.get(acl), "write"):
                raise not_found()
            try:
                plan = checked or plan_write(self.db.schema, class_name, body, current, acl)
            except UnknownField:  # another process's new field: read in this transaction (the_write)
                if not self.db.refresh_schema():
                    raise
                plan = plan_write(self.db.schema, class_name, body, current, acl)
            if checked is None:
                self._check_user(class_name, body, oid)
            self._check_role_name(class_name, body, oid)  # once the record is found, as Parse's index
            answers.update(plan.answers)
            # One save with the edges (also when only edges change: Parse moves updatedAt on every update).
            return querylang.Change(plan.fields, plan.add, plan.remove, plan.unset)

        with the_write():
            written = self.db.update(class_name, oid, change, reads=reads)
        return {"updatedAt": written["updatedAt"], **answers}

    def _check_user(self, class_name: str, body: Mapping[str, Any], oid: str | None) -> None:
        """A user's username and email are another user's, compared without case (202, 203),
        or the email is not of the form a@b (125, between the two), as Parse Server 9 answers
        them once the body's types are read: a second account of one name was made here. (The
        API's database calls take turns, so no other write of this process comes between the
        look and the write.)"""
        if class_name != "_User":
            return
        fields = self.db.schema.get(class_name).fields
        for key, code, words in (("username", USERNAME_TAKEN, "username"), ("email", EMAIL_TAKEN, "email address")):
            if key == "email":
                check_user_email(class_name, body)
            value = body.get(key)
            if not isinstance(value, str) or not value or key not in fields:
                continue
            # The value as a literal, as the JS SDK quotes one (\Q...\E), whole (\z: $ would
            # pass a final newline), case-blind.
            literal = "^\\Q" + value.replace("\\E", "\\E\\\\E\\Q") + "\\E\\z"
            where: dict[str, Any] = {key: {"$regex": literal, "$options": "i"}}
            if oid is not None:
                where["objectId"] = {"$ne": oid}
            if self.db.find(class_name, where, limit=1, keys=["objectId"]).records:
                raise ParseError(code, f"Account already exists for this {words}.")

    def _check_role_name(self, class_name: str, body: Mapping[str, Any], oid: str | None) -> None:
        """A role's name another role has (case and all) is 137, as Parse Server 9's unique
        index on it answers: two roles of one name were made here, both answering to
        "role:Name" in an ACL."""
        name = body.get("name")
        if class_name != "_Role" or not isinstance(name, str) or "name" not in self.db.schema.get(class_name).fields:
            return
        where: dict[str, Any] = {"name": name}
        if oid is not None:
            where["objectId"] = {"$ne": oid}
        if self.db.find(class_name, where, limit=1, keys=["objectId"]).records:
            raise ParseError(DUPLICATE_VALUE, "A duplicate value for a field with unique values was provided")

    def _no_password(self, class_name: str, body: Mapping[str, Any]) -> None:
        """A _User's password is never kept, from the master key too, where the database holds
        a field of that name: it would be kept as sent, where Parse keeps only a hash of it (with
        no such field it is refused as any field that is not there)."""
        if class_name == "_User" and "password" in body and class_name in self.db.schema.classes \
                and "password" in self.db.schema.get(class_name).fields:
            raise ParseError(INVALID_KEY_NAME, "_User.password: serve keeps no password (Parse keeps only a hash of it)")

    def _know_deleted(self, class_name: str, body: Mapping[str, Any]) -> None:
        """A Delete of a field the class lacks changes nothing (plan_write): first the schema is
        read again, so a field another process just added is unset, not left as it is."""
        fields = self.db.schema.get(class_name).fields
        if any(is_delete(value) and key not in fields for key, value in body.items()):
            self.db.refresh_schema()

    def delete(self, access: Access, class_name: str, oid: str) -> dict[str, Any]:
        self._served(access, class_name, "delete")  # before the class-level permissions, as Parse
        if class_name == "_User" and not access.master:
            # Parse Server 9 deletes a user for that user's session only; serve signs no one in.
            raise ParseError(SESSION_MISSING, "Insufficient auth to delete user")
        require_write(access, "delete", class_name)
        try:
            return self._delete(access, class_name, oid)
        except (ParseError, querylang.QueryError) as exc:
            if class_name == "_Session" and exc.code == OBJECT_NOT_FOUND:
                # Parse Server 9 looks a session up before deleting it, and says so.
                raise ParseError(OBJECT_NOT_FOUND, "Object not found for delete.") from None
            raise

    def _delete(self, access: Access, class_name: str, oid: str) -> dict[str, Any]:
        # A client's too (one allowed to write): Parse Server 9 answers it as the master key's,
        # where it refuses a client's read or update there (119). Read each time: a delete
        # answered done in a class another process had just made left the record there.
        if self.absent(class_name, remembered=False):
            if class_name in NO_OBJECT_ID:
                raise no_table_to_write(class_name)
            if class_name in PARSE_TABLES:
                raise not_found()  # a record its table lacks, on Parse Server 9
            return {}  # as Parse Server 9 answers it: nothing there, nothing left to delete
        acl = self.acl_field(class_name)
        if access.master or acl is None:
            self.db.delete(class_name, oid)
            return {}

        def writable(current: dict[str, Any]) -> None:
            # Inside the delete's transaction, on the record it holds: an ACL another serve
            # process changes between a separate check and the delete is not missed.
            if not public(current.get(acl), "write"):
                raise not_found()

        self.db.delete(class_name, oid, check=writable, reads=[acl])
        return {}


def _check_sign_up(body: Mapping[str, Any]) -> None:
    """A client's create in _User is Parse Server 9's sign-up, which needs a username and a
    password (text JavaScript takes as true) unless the body holds authData (which serve refuses
    as a field it keeps no value of, as it does a password). Without them a client made a user
    no one could sign in as, which Parse never makes."""
    if truthy(body.get("authData")):
        return
    if not isinstance(body.get("username"), str) or not body["username"]:
        raise ParseError(USERNAME_MISSING, "bad or missing username")
    if not isinstance(body.get("password"), str) or not body["password"]:
        raise ParseError(PASSWORD_MISSING, "password is required")


def _check_restricted(body: Mapping[str, Any]) -> None:
    """A client's write of a user's emailVerified, whatever its value, is 119 "Permission
    denied", as Parse Server 9 answers it (its words, sanitized: "Clients aren't allowed to
    manually update email verification.")."""
    if "emailVerified" in body:
        raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)


def _check_required(class_name: str, body: Mapping[str, Any], *, update: bool, acl_field: str | None = None) -> None:
    """A create without a field REQUIRED names (a value JavaScript takes as false), or an update
    that deletes one, is 111 "<field> is required.", as Parse Server 9 answers it. The ACL may
    be given under the class's ACL field's name too (``--acl-field``)."""
    for name in REQUIRED.get(class_name, ()):
        values = [body.get(k) for k in ((name, acl_field) if name == "ACL" and acl_field else (name,))]
        if any(is_delete(v) for v in values) if update else not any(truthy(v) for v in values):
            raise ParseError(INCORRECT_TYPE, f"{name} is required.")


def _now_iso() -> str:
    """Now, as Parse writes dates: UTC, milliseconds, Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

