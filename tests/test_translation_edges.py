"""Edges of the translations between front ends: Noodl's visual filter objects
(querylang/frontends/visual.py), filter objects → Parse ``where`` (to_parse.py) and back
(parse_rest.py, unparse.py). Malformed input is a QueryError that names the place, never a
Python exception; a round trip keeps the meaning.
"""

from __future__ import annotations

import pytest

from querylang.errors import QueryError
from querylang.frontends.visual import visual_to_filter


def rule(prop, op, **kw):
    return {"property": prop, "operator": op, **kw}


@pytest.mark.parametrize(
    ("visual", "message"),
    [
        # An operator or an input that is a list or an object ended in Python's TypeError
        # ("unhashable type") from the lookup, not in a QueryError.
        (rule("title", ["equal to"], value="x"), "unknown visual filter operator"),
        (rule("title", {"op": "equal to"}, value="x"), "unknown visual filter operator"),
        (rule("title", "equal to", input=["Title"]), "'equal to' rule's input must be an input name, got array"),
        (rule("score", "greater than", input={"name": "Min"}), "input must be an input name, got object"),
        ({"operator": "related to", "relatedTo": "Group", "relationProperty": "posts", "input": ["G"]},
         "'related to' rule's input must be an input name, got array"),
    ],
)
def test_malformed_visual_rules_are_query_errors(visual, message):
    with pytest.raises(QueryError, match=message):
        visual_to_filter({"combinator": "and", "rules": [visual]}, {"Title": "x", "G": "g1"})
