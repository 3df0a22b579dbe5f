"""DuckDB's spelling of what the generic compiler leaves to the engine, and the DuckDB 2.0.1
index-scan workarounds (tests/test_regressions.py)."""

from __future__ import annotations

from querylang.engines.duckdb.layout import LAYOUT
from querylang.engines.sql.dialect import Dialect
from querylang.features.regex import Regex

# Lists up to this size use an OR of list_contains (measured faster than list_has_any).
SMALL_LIST = 16


class DuckDBDialect(Dialect):
    name = "DuckDB"
    layout = LAYOUT
    small_list = SMALL_LIST

    def list_contains(self, col: str) -> str:
        return f"list_contains({col}, ?)"

    def list_has_any(self, col: str, n: int) -> str:
        return f"list_has_any({col}, list_value({', '.join('?' * n)}))"

    def list_within(self, col: str, n: int) -> str:
        return f"list_has_all(list_value({', '.join('?' * n)}), {col})"

    def list_empty(self, col: str) -> str:
        return f"len({col}) = 0"

    def list_extreme(self, col: str, kind: str, largest: bool) -> str:
        return f"{'list_max' if largest else 'list_min'}({col})"

    def regex_pattern(self, rx: Regex) -> str:
        return rx.re2

    def regex_match(self, expr: str) -> str:
        return f"regexp_matches({expr}, ?)"

    def list_any_regex(self, col: str) -> str:
        return f"len(list_filter({col}, lambda x: regexp_matches(x, ?))) > 0"

    def contains_text(self, col: str) -> str:
        return f"contains({col}, ?)"

    def path_value(self, col: str, kind: str | None) -> str:
        return f"{col}[?]"

    def ring_edge(self, lng: str, lat: str) -> tuple[str, str, str, str]:
        return f"{lng}[k]", f"{lat}[k]", f"{lng}[k + 1]", f"{lat}[k + 1]"

    def ring_any(self, lat: str, cond: str) -> str:
        return f"len(list_filter(range(1, len({lat})), lambda k: {cond})) > 0"

    def ring_count(self, lat: str, cond: str) -> str:
        return f"len(list_filter(range(1, len({lat})), lambda k: {cond}))"

    def hide_in_list(self, listed: str) -> str:
        """On an ART-indexed column DuckDB 2.0.1 answers ``x = 'a' OR (x = 'b' AND x IN
        ('c'))`` with the union of all the values, dropping the AND; ``coalesce(.., FALSE)``
        (the same two-valued answer) keeps the list out of that index scan."""
        return f"coalesce({listed}, FALSE)"

    def absent_or_listed(self, absent: str, listed: str) -> str:
        """Not "IN (..) OR IS NULL": with an ART index on the column DuckDB 2.0 drops that
        disjunction when an equality on the same column is ANDed to it."""
        return f"(CASE WHEN {absent} THEN TRUE ELSE {listed} END)"


DUCKDB = DuckDBDialect()
