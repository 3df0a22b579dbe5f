"""The text-search node in SQL (docs/semantics.md#text): the words of features/text.py tested
in the word columns every layout keeps, phrases in the text itself. A part of the Compiler
(compiler.py), which inherits it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from querylang.engines.sql.dialect import Dialect
from querylang.engines.sql.fragments import FALSE, Sql, join_sql, not_sql
from querylang.features import text
from querylang.model import nodes as n


class TextTerms:
    """fullText / $text."""

    # The Compiler's, which inherits these: named here for the type checker only.
    d: Dialect
    if TYPE_CHECKING:

        def col(self, name: str, part: str = "") -> str: ...

        def conjunction(self, parts: list[Sql]) -> Sql: ...

    def text(self, node: n.Text) -> Sql:
        """Words as ``" w1 w2 "`` text: a word is a substring test (text.py), or with one
        sensitivity flag a pattern over the words as written; a phrase is a pattern over the
        text, tested where the folded words hold the phrase's."""
        cs, ds = node.case_sensitive, node.diacritic_sensitive
        english = node.language.lower() in ("english", "en")
        part = ":wx" if cs or ds else ":tx" if english else ":fx"
        col = self.col(node.field, part)
        s = text.parse_search(node.term, node.language, cs, ds)

        def has(word: str) -> Sql:
            if cs != ds:  # one flag: its own folding of the words as written
                return Sql(*self.d.folded_words_hold(col, self.col(node.field, ":fx"), word, cs, ds))
            return Sql(*self.d.words_hold(col, part, word))

        def has_excluded(word: str) -> Sql:
            # The stored stems leave the stop words out, as MongoDB's text index does; an
            # excluded word is found among all the words (MongoDB's matcher reads them all):
            # '-thé' excludes 'the fox'. A stop word folds to itself.
            stops = text.STOP_STEMS.get(word, ()) if part == ":tx" else ()
            fx = self.col(node.field, ":fx") if stops else ""
            return join_sql(" OR ", [has(word), *(Sql(*self.d.words_hold(fx, ":fx", w)) for w in stops)], FALSE)

        def candidate(p: text.Phrase) -> Sql | None:
            got = self.d.phrase_candidate(self.col(node.field, ":fx"), p)
            return None if got is None else Sql(*got)

        def holds(p: text.Phrase) -> Sql:
            test = Sql(*self.d.phrase_in(self.col(node.field), p, cs, ds))
            return test if (c := candidate(p)) is None else guarded(c, test)

        parts: list[Sql] = [not_sql(has_excluded(w)) for w in s.negated]
        parts.append(join_sql(" OR ", [has(w) for w in (*s.words, *s.phrase_words)], FALSE))
        if s.indexed:  # with a flag, and a stop word's stem among the words (text.Search)
            tx = self.col(node.field, ":tx")
            parts.append(join_sql(" OR ", [Sql(*self.d.words_hold(tx, ":tx", w)) for w in s.indexed], FALSE))
        parts += [not_sql(holds(p)) for p in s.negated_phrases]
        first = candidate(s.phrases[0]) if s.phrases else None
        if first is None:
            parts += [holds(p) for p in s.phrases]
            return self.conjunction([Sql(f"{col} IS NOT NULL"), *parts])
        # Everything else only where the first phrase's words are: DuckDB tests every part of
        # an AND on every row, and the tests of a common phrase's words cost more than the rest.
        rest = self.conjunction([Sql(*self.d.phrase_in(self.col(node.field), s.phrases[0], cs, ds)), *parts,
                                 *(holds(p) for p in s.phrases[1:])])
        return self.conjunction([Sql(f"{col} IS NOT NULL"), guarded(first, rest)])


def guarded(condition: Sql, then: Sql) -> Sql:
    """``then`` where ``condition`` holds, tested only there (an AND may test both on every row)."""
    return Sql(f"(CASE WHEN {condition.text} THEN {then.text} ELSE FALSE END)", [*condition.params, *then.params])
