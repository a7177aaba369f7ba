"""``sapwood plugins``: each installed plugin, what it registers, and load errors."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table
from rich.text import Text

from sapwood.cli.context import Commands, Context, add_json
from sapwood.registry import registry

__all__ = ["register"]


def _plugins(ctx: Context) -> int:
    found = registry().plugins
    ordered = sorted(found.values(), key=lambda i: (i.dist != "sapwood", i.name, i.dist))
    broken = sorted(info.name for info in found.values() if info.error)
    if ctx.json:
        ctx.emit_json(
            [
                {
                    "name": info.name,
                    "dist": info.dist,
                    "version": info.version,
                    "registers": list(info.registers),
                    "disabled": info.disabled,
                    "error": info.error,
                }
                for info in ordered
            ]
        )
        return _status(ctx, broken)
    table = Table(title="sapwood plugins", show_lines=False)
    for column in ("name", "dist", "version", "registers", "error"):
        table.add_column(column, overflow="fold")
    for info in ordered:
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
    Console(width=max(Console().width, 120)).print(table)
    return _status(ctx, broken)


def _status(ctx: Context, broken: list[str]) -> int:
    if not broken:
        return 0
    return ctx.failed(
        f"{len(broken)} plugin(s) failed to load: {', '.join(broken)} (see the error column)"
    )


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Add ``plugins``."""
    parser = commands.add_parser(
        "plugins",
        parents=[common],
        help="list installed plugins, what they register, and errors",
        description="List installed plugins: name, dist, version, what they register, and "
        "load errors (exit status 1 if any plugin failed to load).",
    )
    add_json(parser)
    parser.set_defaults(handler=_plugins)
