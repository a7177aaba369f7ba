"""Three-way merges: combine what two lines of history changed since their merge base.

For every path that differs between the destination and the source, the merge base
decides: changed only on the source side, the source's version is taken; changed only on
the destination side, it stays; changed on both sides differently, it is a conflict that the
strategy settles (``None`` refuses with ConflictError listing the paths, ``"source-wins"``,
``"dest-wins"``). Cherry-pick and revert are the same computation with another base.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from sapwood.engine.diff import changed_paths
from sapwood.engine.format import Entry
from sapwood.engine.repo import Engine
from sapwood.errors import ConfigError, ConflictError

__all__ = ["MergeStrategy", "check_strategy", "same", "three_way_changes"]

MergeStrategy: TypeAlias = Literal["source-wins", "dest-wins"] | None
SHOW_CONFLICTS = 10


def check_strategy(strategy: object) -> MergeStrategy:
    """``strategy`` if it is a known merge strategy; ConfigError otherwise."""
    if strategy is None or strategy == "source-wins" or strategy == "dest-wins":
        return strategy
    raise ConfigError(
        f"unknown merge strategy {strategy!r}; use None (refuse conflicts), 'source-wins' or "
        "'dest-wins'",
        field="strategy",
    )


def same(left: Entry | None, right: Entry | None) -> bool:
    """True when both are absent or hold the same content."""
    if left is None or right is None:
        return left is right
    return left.same_content(right)


MERGE_REMEDY = "pick a strategy ('source-wins' or 'dest-wins') or change those paths so they agree"
"""How to settle a merge's conflicts (the only operation that takes a strategy)."""


def conflict_error(what: str, conflicts: list[str], remedy: str = MERGE_REMEDY) -> ConflictError:
    """A ConflictError naming the first few conflicting paths, and ``remedy``."""
    shown = ", ".join(conflicts[:SHOW_CONFLICTS])
    more = f" and {len(conflicts) - SHOW_CONFLICTS} more" if len(conflicts) > SHOW_CONFLICTS else ""
    return ConflictError(
        f"{what}: {len(conflicts)} path(s) changed on both sides: {shown}{more}; {remedy}",
        conflicts,
    )


async def three_way_changes(
    engine: Engine,
    base: bytes | None,
    source: bytes | None,
    dest: bytes,
    strategy: MergeStrategy,
    what: str,
    remedy: str = MERGE_REMEDY,
) -> dict[str, Entry | None]:
    """The changes that bring the source side's edits (since ``base``) onto ``dest``."""
    dest_tree = await engine.tree(dest)
    source_tree = await engine.tree(source)
    base_tree = await engine.tree(base)
    differences = await changed_paths(dest_tree, source_tree)
    base_entries = await base_tree.get_many(differences)
    changes: dict[str, Entry | None] = {}
    conflicts: list[str] = []
    for path, (_, in_dest, in_source) in differences.items():
        in_base = base_entries.get(path)
        if same(in_base, in_dest):
            changes[path] = in_source
        elif same(in_base, in_source):
            continue
        elif strategy == "source-wins":
            changes[path] = in_source
        elif strategy is None:
            conflicts.append(path)
    if conflicts:
        raise conflict_error(what, conflicts, remedy)
    return changes
