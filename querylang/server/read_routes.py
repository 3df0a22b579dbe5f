"""The reads of ``/classes``: a find and a get, trimmed to what the caller may see."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import querylang
from querylang.errors import ScriptError
from querylang.frontends import filters
from querylang.frontends.parse_rest import parse_order, where_to_filter
from querylang.script.values import to_string, truthy

from . import read_params as rp
from .acl import MASTER_ONLY, hide_protected, hide_unreadable, public, readable, readable_where
from .class_access import ALWAYS_THERE, PARSE_CLASSES, ClassAccess
from .codec import record_out
from .embedded import check_reached, drop_unfound
from .errors import INVALID_QUERY, OPERATION_FORBIDDEN, ParseError, not_found
from .keys import PERMISSION_DENIED, Access
from .read_params import FIND_PARAMS, GET_PARAMS
from .where import (
    check_clients_order,
    check_clients_where,
    check_where,
    in_parse_key_order,
    in_parse_order,
    read_in_no_class,
    read_where,
    readable_sub_queries,
    redirected_sub_queries,
    related_in_no_class,
    related_owners,
    sub_queries_in_no_class,
    where_json,
    where_object,
)


@dataclass(frozen=True)
class View:
    """How a read is fetched (``select``) and trimmed: ``included`` are the dotted paths where
    records are embedded (a client's answer leaves out those it may not read)."""

    select: list[str]
    included: set[str]


class ReadRoutes(ClassAccess):
    """``GET /classes/:class`` and ``GET /classes/:class/:id``."""

    def find(self, access: Access, class_name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - FIND_PARAMS)
        if unknown:
            raise ParseError(INVALID_QUERY, f"Invalid parameter for query: {unknown[0]}")
        if not access.master and truthy(params.get("explain")):
            # Parse Server 9 refuses a client's explain (its allowPublicExplain is off by
            # default) once the where's JSON is read, before the class or the where is looked at;
            # but after its refusal of a class only the master key reads, a join table too (but
            # _Session, which it refuses later), 119 "Permission denied".
            where_json(params.get("where"), self.config.max_depth)
            if class_name.startswith("_Join:"):
                raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)
            if class_name != "_Session":
                self._served(access, class_name)
            raise ParseError(INVALID_QUERY, "Using the explain query parameter requires the master key")
        if self.reads_nothing(access, class_name):
            # Parse Server 9 runs a client's sub-queries first: one into a class the client may
            # not read, or that is not there, is refused in a class holding no record too, and
            # before what is wrong in the where around it.
            where = read_where(params.get("where"), self.config.max_depth)
            self._check_sub_queries(access, where)
            if not access.master:
                check_clients_where(self.db.schema, class_name, where)
                check_clients_order(self.db.schema, class_name, _order_keys(params.get("order")))
            rp.check_sort_names(rp.order(params.get("order")), class_name)
            return _found_in_no_class(params, self.config.max_depth)
        redirect = rp.redirect_key(params.get("redirectClassNameForKey"))
        # Text that is no JSON is 107 first, as Parse Server 9's router reads it before it
        # refuses a class only the master key reads.
        raw_where = where_json(params.get("where"), self.config.max_depth)
        self._served(access, class_name)
        if redirect:
            class_name = self._redirected(class_name, redirect)
            self._served(access, class_name)  # the Relation's target, as the class it belongs to
        if not access.master and class_name not in ALWAYS_THERE and self.absent(class_name):
            # Before its sub-queries are run, as Parse Server 9 refuses a client's read of a
            # class that is not there (a class the schema holds is not read again).
            raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)
        where = redirected_sub_queries(where_object(raw_where), self._redirected)
        # Every sub-query checked first, as Parse runs them before it reads the where around
        # them: one inside a sub-query over no records too (a client's into a class that is not
        # there is refused, at any depth, before a key on the ACL beside it), and the where of
        # one over no records (the master key's into a class that is not there) read all the same.
        self._check_sub_queries(access, where)
        where = sub_queries_in_no_class(where, lambda cls: self.reads_nothing(access, cls))
        # A client's $relatedTo of a record in a class only the master key reads is refused
        # below, whether the class is there or not (which records relate to it tells of it).
        where = related_in_no_class(where, lambda cls: (access.master or cls not in MASTER_ONLY) and self.absent(cls))
        if not access.master:
            check_clients_where(self.db.schema, class_name, where)
            check_clients_order(self.db.schema, class_name, _order_keys(params.get("order")))
        # Parse Server 9 reads the sort's names before the where (its ACL, logic operators and
        # key names): the first error is the order's.
        order = rp.check_sort_names(rp.order(params.get("order")), class_name)
        in_parse_key_order(where, self._acl_of(class_name))
        check_where(self.db.schema, class_name, where, self._guard_field, access.master)
        if not access.master:
            for owner in related_owners(where):
                self._served(access, owner)  # which records relate to one of them tells of it
        where = self._sub_queries_for(access, where)
        limit = rp.page_number(params.get("limit"), "limit")
        if limit is None:
            limit = self.config.default_limit
        skip = rp.page_number(params.get("skip"), "skip") or None
        count = truthy(params.get("count"))
        # The list the ACL trimming reads is the one the library is given: a value each read
        # differently (an object, whose keys the library took) would embed records unchecked.
        include = rp.key_list(params.get("include"), "include")
        selected = self._selected(class_name, params.get("keys"))
        exclude = rp.key_list(params.get("excludeKeys"), "excludeKeys")
        if "*" in include:
            selected, exclude = rp.one_level(self.db.schema, class_name, selected, exclude)
        if truthy(params.get("includeAll")) or "*" in include:
            include, selected = rp.including_all(self.db.schema, class_name, _starred(include), selected)
        keys, include = rp.excluding(self.db.schema, class_name, selected, include, exclude)
        view = self._view(access, class_name, keys, include)
        acl = self.acl_field(class_name)
        if access.master or acl is None:
            res = self.db.find(class_name, where, order=order, limit=limit, skip=skip, count=count,
                               include=include or None, keys=view.select or None)
            records, total = res.records, res.count
        else:
            records, total = self._find_public(class_name, where, order, limit, skip, include, view.select, acl)
        results = self._render(access, class_name, records, view, rp.left_out(keys, exclude))
        if redirect:
            # Parse names the class on each result: the client asked another class for them.
            for r in results:
                r["className"] = class_name
        out: dict[str, Any] = {"results": results}
        if count:
            out["count"] = total
        return out

    def _guard_field(self, class_name: str) -> str | None:
        """What check_where guards in a class: its ACL field, and in a class served to the master
        key only, everything (a Pointer path into it is refused like one into a class with ACLs)."""
        return "ACL" if class_name in MASTER_ONLY else self.acl_field(class_name)

    def _acl_of(self, class_name: str) -> str | None:
        """The class's ACL field, if the class is there and has one."""
        return self.acl_field(class_name) if class_name in self.db.schema.classes else None

    def _redirected(self, class_name: str, key: Any) -> str:
        """Parse's ``redirectClassNameForKey``: the target class when ``key`` is a Relation field
        of the class (how the JS SDK queries a relation whose target it does not know). The key
        is looked up as JavaScript looks up a property, so ``["fans"]`` names ``fans`` (in a
        sub-query too, which Parse hands on as it came)."""
        if not truthy(key):
            return class_name
        try:
            name = key if isinstance(key, str) else to_string(key)
        except ScriptError:
            return class_name
        f = self.db.schema.get(class_name).fields.get(name)
        return f.target if f is not None and f.type == "Relation" and f.target else class_name

    def _check_sub_queries(self, access: Access, where: Any) -> None:
        """Every sub-query of ``where`` checked in the order Parse Server 9 runs them, each with
        its where, so that the first error is Parse's: a client's into a class it may not read,
        or that is not there, is 119; a key on the ACL in a sub-query's where 102."""
        def reach(class_name: str) -> None:
            if not access.master:
                self._served(access, class_name)
                if class_name not in ALWAYS_THERE and self.absent(class_name):
                    raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)

        def own(class_name: str, where: Any) -> None:
            if not access.master:
                check_clients_where(self.db.schema, class_name, where)
            in_parse_key_order(where, self._acl_of(class_name))
            if class_name in self.db.schema.classes:
                check_where(self.db.schema, class_name, where, self._guard_field, access.master)
                # Then read whole in its turn (a key no class may have: 105), as the library
                # reads it only with the where around it, in the order of its keys; after the
                # keys on the ACL, as Parse looks for those first, in an $or's too.
                if isinstance(where, Mapping):
                    where_to_filter(where)
            elif self.reads_nothing(access, class_name):
                # In its turn, as Parse runs each sub-query whole before the next: read after
                # the others' wheres, a key on the ACL in a later one was the answer.
                read_in_no_class(where, lambda cls: self.reads_nothing(access, cls))

        in_parse_order(where, reach, own)

    def _sub_queries_for(self, access: Access, where: Any) -> Any:
        """The where to run: without the master key, its sub-queries see only readable records."""
        if access.master:
            return where
        kept: dict[str, dict[str, Any] | None] = {}

        def narrow(class_name: str) -> dict[str, Any] | None:
            self._served(access, class_name)  # a sub-query there is refused, as Parse refuses it
            if class_name not in ALWAYS_THERE and self.absent(class_name):
                # As Parse Server 9 refuses a client's sub-query into a class that is not there
                # (whatever the field's Pointer names: here the library said that first, 107).
                raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)
            if class_name not in kept:
                kept[class_name] = self._readable(class_name)
            return kept[class_name]

        return readable_sub_queries(where, narrow)

    def _readable(self, class_name: str) -> dict[str, Any] | None:
        """The condition a record of this class needs for a client to read it, if any (a class
        served to the master key only is refused before: narrow)."""
        acl = self.acl_field(class_name) if class_name in self.db.schema.classes else None
        if acl is None:
            return None
        # Streamed: every record's ACL is needed, however many there are (max_rows does not cap it).
        with self._within_timeout() as cancel:
            return readable_where(self.db.stream(class_name, select=[acl], cancel=cancel), acl)

    @contextlib.contextmanager
    def _within_timeout(self) -> Iterator[threading.Event | None]:
        """A cancel event for the streams read inside, set once the database's query timeout
        has passed: a stream has no timeout of its own (its reader sets the pace), so a slow
        ACL read, or one waiting on a PostgreSQL lock, held the one database thread, and every
        request queued behind it, for good, where the master key's find of the same records
        stops at the timeout. Stopped, it is that find's error (QueryTimeout)."""
        timeout = self.db.timeout
        if timeout is None:
            yield None
            return
        cancel = threading.Event()
        # A timeout past what a thread may wait (1e12 s) would end the timer's thread at once
        # with an OverflowError, a traceback on stderr for every such request.
        timer = threading.Timer(min(timeout, threading.TIMEOUT_MAX), cancel.set)
        timer.daemon = True
        timer.start()
        try:
            yield cancel
        except querylang.QueryCancelled:
            raise querylang.QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
        finally:
            timer.cancel()

    def _selected(self, class_name: str, value: Any) -> list[str]:
        """``keys``, where a key naming ``ACL`` (also at the end of a dotted path) in a class
        without a field of that name is that class's ACL field, or, without one, nothing more
        than the keys always there: ACL is one of Parse's always-selected keys, and answers name
        a class's ACL ``ACL`` whatever field holds it (``--acl-field``)."""
        keys = []
        for key in rp.selected_keys(value):
            parent, _, last = key.rpartition(".")
            owner = rp.included(self.db.schema, class_name, [parent]).get(parent) if parent else class_name
            cls = self.db.schema.classes.get(owner) if owner else None
            if last == "ACL" and cls is not None and "ACL" not in cls.fields:
                key = ".".join(p for p in (parent, self.acl_field(cls.name) or "objectId") if p)
            keys.append(key)
        return keys

    def _view(self, access: Access, class_name: str, keys: list[str], include: list[str]) -> View:
        """What a read fetches and how its answer is trimmed for this caller."""
        acl = self.acl_field(class_name)
        select = [*keys, acl] if keys and acl else list(keys)
        included = rp.included(self.db.schema, class_name, [*include, *rp.key_parents(keys)])
        # ACL is one of Parse's always-selected keys, in an embedded record narrowed by keys
        # too (Parse answers it there); a client's read also needs it, to decide whether it shows.
        # Past an Array the embedded records' classes are not known before they are read: each
        # name an ACL field has in some class is selected there (a class without it has none).
        for path, target in included.items():
            if not any(k.startswith(path + ".") for k in keys):
                continue
            classes = self.db.schema.classes if target is None else [target]
            for target_acl in sorted({a for c in classes for a in [self.acl_field(c)] if a is not None}):
                if f"{path}.{target_acl}" not in keys:
                    select.append(f"{path}.{target_acl}")
        return View(select, set(included))

    def _find_public(
        self, class_name: str, where: Any, order: Any, limit: Any, skip: Any, include: list[str], select: list[str], acl: str
    ) -> tuple[list[dict[str, Any]], int]:
        """A find that leaves out records whose ACL denies public read, with exact paging and count.

        The ACL is read for every match first (one narrow query), then the page is fetched by id;
        only classes that have an ACL field pay for this.
        """
        lim, sk = self._paging(class_name, where, order, limit, skip)
        # Streamed, as _readable: every match's ACL is needed, however many there are (a find
        # capped at max_rows cut the count and left the pages past it empty).
        with self._within_timeout() as cancel:
            probe = self.db.stream(class_name, where_to_filter(where), sort=parse_order(order), select=[acl], cancel=cancel)
            visible = [r["objectId"] for r in probe if public(r.get(acl), "read")]
        page = visible[sk : sk + lim]
        if not page:
            return [], len(visible)
        cap = self.db.max_rows
        if cap is not None and len(page) > cap:  # as the master key's find of the same page
            raise querylang.LimitExceeded(f"the query returns more than {cap} records; add a limit or raise max_rows")
        # Fetched by id in pieces one containedIn list may hold: a limit past it failed with
        # "containedIn has N items (max ...)", the error of a query the client never wrote.
        by_id: dict[str, dict[str, Any]] = {}
        for start in range(0, len(page), filters.MAX_LIST):
            part = page[start : start + filters.MAX_LIST]
            res = self.db.find(class_name, {"objectId": {"$in": part}}, limit=len(part), include=include or None,
                               keys=select or None)
            by_id.update((r["objectId"], r) for r in res.records)
        # The probe's order is the answer's ($nearSphere's distance order cannot be asked for again).
        return [by_id[oid] for oid in page if oid in by_id], len(visible)

    def _paging(self, class_name: str, where: Any, order: Any, limit: Any, skip: Any) -> tuple[int, int]:
        """limit and skip as whole numbers. A value the library would refuse is handed to it with
        the rest of the query, so the client gets the error (code and message, and the same one
        first) that a master-key find gets."""
        lim, sk = rp.whole(limit), 0 if skip is None else rp.whole(skip)
        if lim is None or sk is None:
            self.db.find(class_name, where, order=order, limit=limit, skip=skip)
            raise ParseError(INVALID_QUERY, "limit and skip must be non-negative whole numbers")
        return lim, sk

    def _render(
        self, access: Access, class_name: str, records: list[dict[str, Any]], view: View, exclude: list[str]
    ) -> list[dict[str, Any]]:
        schema = self.db.schema
        acl = self.config.acl_field
        out = [record_out(schema, class_name, rec, acl) for rec in records]
        if not access.master:
            check_reached(out, view.included, readable, lambda cls: self._include_reaches(access, cls))
        for r in out:
            if not access.master:
                hide_protected(class_name, r)
                hide_unreadable(r, view.included)
            drop_unfound(r, view.included)
            for k in exclude:
                rp.leave_out(schema, class_name, r, k.split("."))
        return out

    def _include_reaches(self, access: Access, class_name: str) -> None:
        """A client's include reading records of ``class_name``, refused as Parse Server 9
        refuses it: _Session as a client's read there (209), a class Parse would not have and
        this database has not as a read in a class that is not there (119). Parse's other own
        classes answer the records a client may read (none: hide_unreadable leaves them out)."""
        if class_name == "_Session":
            self._served(access, class_name)
        if class_name not in PARSE_CLASSES and self.absent(class_name):
            _denied()

    def get(self, access: Access, class_name: str, oid: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if set(params) - GET_PARAMS:
            raise ParseError(INVALID_QUERY, "Improper encode of parameter")
        self._served(access, class_name)
        if self.reads_nothing(access, class_name):
            raise not_found()  # as Parse answers it
        if "\x00" in oid:
            raise not_found()  # no record can have it (strings hold no NUL), as PUT and DELETE answer
        exclude = rp.key_list(params.get("excludeKeys"), "excludeKeys")
        include, selected = rp.key_list(params.get("include"), "include"), self._selected(class_name, params.get("keys"))
        if "*" in include:
            selected, exclude = rp.one_level(self.db.schema, class_name, selected, exclude)
            include, selected = rp.including_all(self.db.schema, class_name, _starred(include), selected)
        keys, include = rp.excluding(self.db.schema, class_name, selected, include, exclude)
        view = self._view(access, class_name, keys, include)
        acl = self.acl_field(class_name)
        res = self.db.find(class_name, {"objectId": oid}, limit=1, include=include or None, keys=view.select or None)
        if not res.records or not (access.master or acl is None or public(res.records[0].get(acl), "read")):
            raise not_found()
        return self._render(access, class_name, res.records, view, rp.left_out(keys, exclude))[0]


def _starred(include: list[str]) -> list[str]:
    """``include`` holding ``*``: Parse Server 9 reads it as includeAll, the other paths given
    beside it dropped (one level only)."""
    return [] if "*" in include else include


def _denied() -> None:
    raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)


def _order_keys(order: Any) -> list[str]:
    """The keys of an ``order`` parameter as Parse Server 9 reads them for a client's hidden
    fields (``--email`` is the key ``-email``, no hidden field; ``\\x1femail`` no key email)."""
    return rp.sort_keys(rp.order(order))


def _found_in_no_class(params: Mapping[str, Any], max_depth: int) -> dict[str, Any]:
    """A find in a class that is not there, as Parse Server 9 answers the master key's (and a
    client's in _User or _Role, which every Parse app has): no records (and a count of 0),
    once the parameters are read as they are for any class (a where that is no JSON is 107,
    an unknown operator 102, an empty key in order 105)."""
    where = read_where(params.get("where"), max_depth)
    in_parse_key_order(where)
    where_to_filter(where)
    rp.order(params.get("order"))
    rp.page_number(params.get("limit"), "limit")
    rp.page_number(params.get("skip"), "skip")
    for name in ("keys", "include", "excludeKeys"):
        rp.key_list(params.get(name), name)
    out: dict[str, Any] = {"results": []}
    if truthy(params.get("count")):
        out["count"] = 0
    return out
