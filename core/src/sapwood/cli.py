"""The ``sapwood`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sapwood.registry import registry

__all__ = ["main"]


def _plugins(console: Console) -> int:
    table = Table(title="sapwood plugins", show_lines=False)
    for column in ("name", "dist", "version", "registers", "error"):
        table.add_column(column, overflow="fold")
    found = registry().plugins
    for info in sorted(found.values(), key=lambda i: (i.dist != "sapwood", i.name, i.dist)):
        # Text, not markup: an error message may hold "[...]" that rich would swallow.
        if info.error:
            error = Text(info.error, style="red")
        elif info.disabled:
            error = Text("disabled (SAPWOOD_DISABLE_PLUGINS / SAPWOOD_LOAD_PLUGINS)", style="dim")
        else:
            error = Text("")
        table.add_row(
            Text(info.name),
            Text(info.dist),
            Text(info.version),
            Text("\n".join(info.registers) or "-"),
            error,
        )
    console.print(table)
    return 1 if any(info.error for info in found.values()) else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed so docs and tests can inspect it."""
    parser = argparse.ArgumentParser(prog="sapwood", description="git for object storage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("plugins", help="list installed plugins, what they register, and errors")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    console = Console(width=max(Console().width, 120))
    if args.command == "plugins":
        return _plugins(console)
    return 2


if __name__ == "__main__":
    sys.exit(main())
