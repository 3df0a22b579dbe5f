"""Parameter types shared by the ``querylang`` commands and the ``import`` group, and the
reading of the query commands' inputs and sort keys."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from querylang.api import other_scheme, typed_sources
from querylang.app.commands import field_keys, is_blank, is_url, parse_pairs, read_text, sort_keys
from querylang.errors import DataError, cannot_read, empty_where, json_refused, os_reason
from querylang.importers import jsontext


class HomePath(click.Path):
    """click.Path with a leading ~ read as the home folder: no shell expands the ~ of
    `--db=~/blog.duckdb` or `--data=~/x.json` (after an '='), and it named a folder '~' in the
    current one ("no such database file: ~/blog.duckdb"). A path the system refuses (a name
    too long for it, a loop of links) is said here, in words: the commands' first look at it
    (``is_dir``, ``exists``) raised Python's OSError, an internal error.

    ``missing``: what the "Missing argument" error adds, one such path (click named only the
    argument), as ``Example`` does for a text argument."""

    def __init__(self, *args: Any, missing: str | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.missing = missing

    def get_missing_message(self, param: Any, ctx: Any) -> str | None:
        return self.missing

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                # Path('') is the current folder: the error named '.', a path nobody gave
                # (". is a folder, not a database file"), or a load read the folder.
                self.fail("is empty: give a file or folder name", param, ctx)
            given, value = value, os.path.expanduser(value)
            try:
                os.stat(value)
            except FileNotFoundError:  # said by the command, in its words
                if self.exists:  # click said "Invalid value for '--data': Path 'x' does not exist."
                    raise DataError(f"no such data file: {given}") from None
            except OSError as exc:
                # A file on the way, as a missing one, is said by the command (--db: "there is
                # no folder to make it in").
                # A file named with a trailing '/' is refused as the system refuses it: Path
                # drops the '/', and `load ./x.json/` loaded the file.
                if os_reason(exc) is not None and (self.exists or not isinstance(exc, NotADirectoryError)
                                                   or value.endswith("/")):
                    raise refused(given, exc, param) from None
            if ctx is not None:
                # The load's messages name '~/d/Post.ndjson', as the look above names '~/d', while
                # the command runs: one path, one name (it read '/home/me/d/Post.ndjson'); and
                # --db=./w/x.duckdb is './w/x.duckdb', which the Path it becomes writes 'w/x.duckdb'
                # (typed_sources keeps no name a Path writes as typed).
                ctx.with_resource(typed_sources([given]))
        return super().convert(value, param, ctx)


def refused(path: str, exc: OSError, param: Any) -> DataError:
    """A path given to a command that the system refuses, named as a file that cannot be read
    is, or as a database that cannot be opened (--db)."""
    if getattr(param, "name", None) in ("db_path", "db"):
        return DataError(f"cannot open database {path}: {os_reason(exc)}")
    return cannot_read(path, exc)


class DbParam(click.ParamType):
    """--db: a DuckDB file (a Path) or a PostgreSQL URL (kept as text: a Path folds its //)."""

    name = "FILE|URL"

    def get_missing_message(self, param: Any, ctx: Any) -> str:
        # Where --db is required (load, import): click said only "Missing option '--db'".
        return "Give the database to write into, e.g. --db blog.duckdb."

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, Path) or is_url(value):
            return value
        if not value.strip():  # HomePath's "give a file or folder name": --db takes no folder
            self.fail("is empty: give a DuckDB file or a postgresql:// URL", param, ctx)
        scheme = other_scheme(value)
        if scheme is not None:
            # Read as a file name it became "mysql:/host/db" (a Path folds its //), and the
            # error then named a file nobody gave.
            self.fail(f"{scheme}:// is not a database querylang opens: give a DuckDB "
                      "file or a postgresql:// URL", param, ctx)
        # A folder reaches the open, which names it as the @FILE reader does ("DIR is a folder,
        # not a database file"; click said "File 'DIR' is a directory.").
        return HomePath(path_type=Path).convert(value, param, ctx)


class Example(click.types.StringParamType):
    """A text argument whose "Missing argument" error shows what one looks like (click asks a
    parameter's type for that message's rest): click named only the argument."""

    def __init__(self, what: str) -> None:
        self.what = what

    def get_missing_message(self, param: Any, ctx: Any) -> str:
        return self.what


# The query commands' SCRIPT, as the group's help shows one; an empty script lists every record.
SCRIPT_EXAMPLE = Example("A filter script, e.g. 'where({ score: { greaterThan: 5 } })', or '' for every record.")
CLASS_EXAMPLE = Example("A class name, e.g. Post ('querylang schema' lists the classes).")
# show's and relation's: a record and a Relation field the bundled sample holds, so that the
# command shown runs as written, with neither --db nor --data.
SHOW_ID_EXAMPLE = Example("A record's objectId, e.g. querylang show Comment c001 (a record of the bundled sample).")
RELATION_ID_EXAMPLE = Example("The objectId of the record that holds the Relation, e.g. querylang relation Group g2 "
                              "posts (a record of the bundled sample).")
RELATION_KEY_EXAMPLE = Example("The Relation field, e.g. querylang relation Group g2 posts ('querylang schema' "
                               "lists the fields).")
URL_EXAMPLE = Example("The Parse Server's URL, e.g. http://localhost:1337/parse.")


def cli_pairs(pairs: Sequence[str]) -> dict[str, Any]:
    try:
        return parse_pairs(pairs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-i/--input") from None


def cli_sort(values: Sequence[str]) -> list[str] | None:
    try:
        return sort_keys(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--sort") from None


def cli_keys(values: Sequence[str], option: str) -> list[str] | None:
    """A comma list of field names (--select, --include, find's --keys), refused with an empty
    key as --sort is: dropped, `--select title,,body` answered a question nobody asked."""
    try:
        return field_keys(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def cli_order(ctx: Any, param: Any, order: str | None) -> str | None:
    """find's --order (a click callback: checked as it is parsed, before anything is read),
    refused with an empty key as query's --sort is (Parse would sort by a field named '')."""
    if order is not None:
        try:
            sort_keys([order])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--order") from None
    return order


def at_file(example: str) -> Any:
    """A click callback for an argument that may be @FILE: an @ with no name after it is a usage
    error, where read as Path('') it was '.', and the error named a directory nobody gave
    (".: cannot read: [Errno 21] Is a directory: '.'")."""

    def check(ctx: Any, param: Any, value: str | None) -> str | None:
        if value is not None and value.startswith("@") and not value[1:].strip():
            # An optional argument's metavar is in brackets for the usage line: named without.
            named = f"'{param.metavar.strip('[]')}'" if isinstance(param, click.Argument) and param.metavar else None
            raise click.BadParameter(f"{value!r} names no file: write its name after the @, e.g. @{example}",
                                     param_hint=named)
        return value

    return check


def json_object(text: str, named: str, empty: str, must_be: str) -> dict[str, Any]:
    """The JSON object an argument or a file gives (find's WHERE_JSON, --inputs), each way it
    can be wrong said as the others' are, after ``named``, its place. ``empty``: what a blank
    argument, file or standard input should have held."""
    if is_blank(text):  # was "not valid JSON at line 1"
        raise DataError(f"{named}: {empty_where(empty)}")
    try:
        doc = jsontext.loads(text, named)
    except json.JSONDecodeError as exc:
        raise json_refused(named, exc) from None
    if not isinstance(doc, dict):
        # --inputs' was click's "Invalid value for --inputs: ..." with its usage lines, and a
        # file of find's named "WHERE_JSON".
        raise DataError(f"{named}: must be {must_be}")
    return doc


def parse_inputs(inputs_json: str | None, pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if inputs_json is not None:
        from_file = inputs_json.startswith("@")
        text = read_text(Path(inputs_json[1:]), "inputs") if from_file else inputs_json
        # Named as find's WHERE_JSON and load's file are (was click's "Invalid value for
        # --inputs: not valid JSON: Expecting value: line 1 column 1 (char 0)" and its usage).
        named = inputs_json[1:] if from_file else "--inputs"
        out.update(json_object(
            text, named, "a JSON object of input values is expected",
            "a JSON object of input values, e.g. '{\"Min\": 5}'",
        ))  # fmt: skip
    out.update(cli_pairs(pairs))
    return out


def check_acl_field(schema: Any, name: str) -> None:
    """serve's ``--acl-field NAME``, when given, names the Object or ACL field some class holds
    its records' ACLs in. A name no class has (a typo), or only as a field of another type, was
    served as no ACL anywhere: every record public. A class whose field of that name is of
    another type, beside one where it holds ACLs, is served as docs/serve.md says (its field
    keeps its name, and the class its ACL-typed field if any)."""
    holders = [(cls.name, cls.fields[name].type) for cls in schema.classes.values() if name in cls.fields]
    if any(ftype in ("Object", "ACL") for _, ftype in holders):
        return
    if holders:
        class_name, ftype = holders[0]
        raise DataError(f"--acl-field {name}: field {name} of class {class_name} is a {ftype}, where the field "
                        "holding each record's ACL is an Object or an ACL")
    raise DataError(f"--acl-field {name}: no class has a field {name}: give the Object or ACL field that holds "
                    "each record's ACL")
