"""``querylang demo``: the guide's three queries on the bundled sample data, with their SQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from querylang.api import connect

EXAMPLES = [
    (
        "Comments of one Post (Comment.Owner is a Pointer to Post)",
        "Comment",
        "where({ Owner: { pointsTo: Inputs.PostId } })\nsort(['-createdAt'])",
        {"PostId": "p015"},
    ),
    (
        "Groups that hold a Post in their many-to-many Relation `posts`",
        "Group",
        "where({ posts: { pointsTo: Inputs.PostId } })",
        {"PostId": "p020"},
    ),
    (
        "Posts in one Group (the inverse question)",
        "Post",
        "where({ relatedTo: { id: Inputs.GroupId, key: 'posts' } })\nsort(['-createdAt'])",
        {"GroupId": "g2"},
    ),
]


def sample_document() -> dict[str, Any]:
    """The bundled sample dataset (User, Post, Comment, Group)."""
    text = resources.files("querylang").joinpath("data/sample.json").read_text(encoding="utf-8")
    return json.loads(text)


def run_demo(echo: Callable[[str], None] = print) -> bool:
    """Load the sample into in-memory DuckDB, run the examples; True if both engines agree."""
    db = connect()
    counts = db.load(sample_document())
    echo("Loaded the sample dataset into in-memory DuckDB: "
         + ", ".join(f"{n} {c}" for c, n in counts.items()))
    agree = True
    for title, class_name, script, inputs in EXAMPLES:
        res = db.query(class_name, script, inputs=inputs)
        ref = db.reference(class_name, script, inputs=inputs)
        same = res.ids == ref.ids
        agree &= same
        echo("")
        echo(f"== {title}")
        echo(f"   class {class_name}, inputs {json.dumps(inputs)}")
        for line in script.splitlines():
            echo(f"   | {line}")
        plan = db.compile(class_name, script, inputs=inputs)
        echo(f"   SQL:    {plan.sql}")
        echo(f"   params: {plan.params!r}")
        echo(f"   {len(res.ids)} record(s): {', '.join(res.ids) or '(none)'}")
        for rec in res.records[:3]:
            shown = {k: v for k, v in rec.items() if k not in ("updatedAt",)}
            echo(f"     {json.dumps(shown, ensure_ascii=False)}")
        if len(res.records) > 3:
            echo(f"     ... {len(res.records) - 3} more")
        echo(f"   reference evaluator: {'same answer' if same else 'DIFFERENT: ' + ', '.join(ref.ids)}")
    return agree
