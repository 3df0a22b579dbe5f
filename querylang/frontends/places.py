"""Where in a filter object an error is, said by one name: the field's key, or the dot path
of keys through matchesQuery (and Parse's $inQuery), as the dotted key that means the same
names it; inside the where of a matchesKeyInQuery (Parse's $select), whose fields are another
class's, the path there and the path to the operator's field."""

from __future__ import annotations

from dataclasses import dataclass

from querylang.errors import QueryError, cut_name

# The keys of a filter object that name no field: their errors say which operator they are about.
NOT_FIELDS = frozenset({"and", "or", "nor", "idEqualTo", "idContainedIn", "relatedTo"})


@dataclass
class _Place:
    """Where in a filter object an error is: the dot path of keys from the outermost filter
    named so far, the message after it, and the ``where`` of each matchesKeyInQuery the path
    went into (that where's fields are another class's: the path starts again there)."""

    path: str
    rest: str
    scopes: list[tuple[str, str]]  # (operator, path to its field), innermost first
    shown: bool  # the message names the path (False: it names the key in its own words)

    def message(self) -> str:
        within = ", ".join(f"in the where of {op} on '{at}'" if at else f"in the where of {op}" for op, at in self.scopes)
        head = f"'{self.path}'{f' ({within})' if within else ''}"
        own = self.rest[1:].partition("' ")[0] if self.rest.startswith("'") else None
        if own and (self.path == own or self.path.endswith(f".{own}")):
            # The message opens with the field the path ends at ("'score' is a Number; ..."):
            # the path takes its place, one name in one sentence (was "'owner.score': 'score' is").
            return f"{head}{self.rest[len(own) + 2 :]}"
        return f"{head}: {self.rest}"


# The attribute of a QueryError that holds its _Place, while the keys around it name it.
_PLACE = "filter_place"
# The attribute of a script's QueryError (placed by its position) once its key has named it.
_KEYED = "filter_keyed"


def _placed(exc: QueryError, place: _Place) -> QueryError:
    setattr(exc, _PLACE, place)
    if place.shown:
        exc.message = place.message()
        exc.args = (exc.message,)
    return exc


def naming(exc: QueryError, key: str) -> QueryError:
    """``exc``, raised for the key ``key`` of a filter object, naming the field first unless it
    has a place already: a position in a script, or the field's name in its words ("all needs
    an array, got number" left an object of many keys without one). An error a key inside a
    matchesQuery named is named by one dot path, as a dotted key is: ``'owner.tags': ...``
    (was ``'owner': 'tags': ...``)."""
    if key in NOT_FIELDS:
        return exc
    shown = cut_name(key)
    if exc.line is not None:
        # The position names the place; the words name the field by the key as written: a
        # dotted key's later steps alone ("'name' is a String" of 'owner.name') are no key the
        # script holds. Only the key the error was raised for: an outer one ('owner.boss' around
        # a matchesQuery's 'boss') merely ends with the same name.
        if getattr(exc, _KEYED, False):
            return exc
        setattr(exc, _KEYED, True)
        tail = exc.message[1:].partition("'")[0] if exc.message.startswith("'") else ""
        if tail and key.endswith(f".{tail}"):
            exc.message = f"'{shown}'{exc.message[len(tail) + 2 :]}"
            exc.args = (exc.message,)
        return exc
    place: _Place | None = getattr(exc, _PLACE, None)
    if place is not None:  # named by a key inside this one's value
        return _under(exc, place, shown)
    own = exc.message.partition("': ")[0][1:] if exc.message.startswith("'") else None
    if own is not None and (own == shown or key.endswith(f".{own}")):
        # Named so by its own words, or by the steps after this dotted key's first (a path's
        # error on the class a Pointer reaches): the whole key names it.
        return _placed(exc, _Place(shown, exc.message[len(own) + 4 :], [], True))
    if f"'{key}'" in exc.message or f"'{shown}'" in exc.message:
        # Named in its words ("'name' is a String ..."): an outer key names the path before them.
        return _placed(exc, _Place(shown, exc.message, [], False))
    return _placed(exc, _Place(shown, exc.message, [], True))


def _under(exc: QueryError, place: _Place, step: str) -> QueryError:
    """``exc``'s place one step further out: ``step`` before its path (or, past the where of a
    matchesKeyInQuery, before the path to that operator's field)."""
    if place.scopes:
        op, at = place.scopes[-1]
        place.scopes[-1] = (op, f"{step}.{at}" if at else step)
    else:
        place.path = f"{step}.{place.path}"
    place.shown = True
    return _placed(exc, place)


def in_where_of(exc: QueryError, op: str) -> QueryError:
    """``exc``, raised inside the ``where`` of ``op`` (matchesKeyInQuery or Parse's $select):
    its path, of the other class's fields, is said apart from the path to ``op``'s field, which
    the keys around it name next."""
    place: _Place | None = getattr(exc, _PLACE, None)
    if place is None or exc.line is not None:
        return exc
    place.scopes.append((op, ""))
    place.shown = True
    return _placed(exc, place)
