"""The ``querylang`` command (a first cut: ``demo``; the full CLI comes with its issue)."""

from __future__ import annotations

import sys

import click

from .demo import run_demo


@click.group()
def main() -> None:
    """querylang: Noodl / Parse record queries over DuckDB."""


@main.command()
def demo() -> None:
    """Load the bundled sample data and run the guide's three queries, showing their SQL."""
    ok = run_demo(click.echo)
    sys.exit(0 if ok else 1)
