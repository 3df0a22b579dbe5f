"""Every error class, with a real message: its code, its class and the caret under the place."""

from __future__ import annotations

import pytest

from querylang import (
    DataError,
    LimitExceeded,
    QueryError,
    QuerySyntaxError,
    QueryTimeout,
    QueryTypeError,
    SchemaError,
    ScriptError,
)

from . import hostile
from .hostile import check_error

db = hostile.db


# --- every error class, with a real message ---------------------------------------------------

ERROR_EXAMPLES = [
    (QuerySyntaxError, 102, "Post", "where({ score: { greaterThan: 3 } )", None),
    (QuerySyntaxError, 102, "Post", "while (true) {}", None),
    (ScriptError, 102, "Post", "where({ score: Inputs.x.y })", None),
    (SchemaError, 105, "Post", "where({ scroe: { greaterThan: 3 } })", None),
    (SchemaError, 103, "Posts", None, None),
    (QueryTypeError, 111, "Post", "where({ score: { greaterThan: '3' } })", None),
    (QueryTypeError, 107, "Post", "where({ title: { containedIn: 'x' } })", None),
    (QueryError, 102, "Post", "where({ score: { greaterThen: 3 } })", None),
    (LimitExceeded, 102, "Post", "(" * 300, None),
]


@pytest.mark.parametrize("etype,code,cls,script,inputs", ERROR_EXAMPLES, ids=[f"{e.__name__}-{i}" for i, (e, *_rest) in enumerate(ERROR_EXAMPLES)])
def test_error_classes_codes_and_caret(db, etype, code, cls, script, inputs):
    with pytest.raises(etype) as info:
        db.query(cls, script, inputs=inputs)
    err = info.value
    assert type(err) is etype or etype is QueryError
    assert err.code == code
    check_error(err, script)
    if script is not None and err.line is not None:
        assert "^" in str(err).splitlines()[-1]  # the caret line


def test_every_error_is_a_query_error():
    for cls in (QuerySyntaxError, ScriptError, SchemaError, QueryTypeError, DataError, QueryTimeout, LimitExceeded):
        assert issubclass(cls, QueryError)
    assert issubclass(QueryError, Exception) and not issubclass(QueryError, (ValueError, TypeError))



def test_a_long_script_is_parsed_each_time_not_kept():
    """Found by a review: parsed scripts were kept by their text, 512 of them, whatever their
    length, so 600 distinct scripts each holding a literal list of 3,000 ids kept about 360 MB
    alive after their queries (even with the plan cache off). A script past a few kilobytes is
    parsed each time; a short one is still kept."""
    from querylang.script.parser import KEEP_PARSED_UP_TO, parse_script

    ids = ", ".join(f"'x{i:05d}'" for i in range(KEEP_PARSED_UP_TO // 8))
    long = f"where({{ objectId: {{ containedIn: [{ids}] }} }})"
    assert len(long) > KEEP_PARSED_UP_TO
    assert parse_script(long) is not parse_script(long)
    assert parse_script(long) == parse_script(long)
    short = "where({ a: { equalTo: 1 } })"
    assert parse_script(short) is parse_script(short)
