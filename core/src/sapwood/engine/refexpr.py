"""Ref expressions: ``main``, ``v1.0``, a commit id or a unique prefix of one, followed by
any of ``~N`` (N-th first-parent ancestor) and ``^N`` (N-th parent), as in git."""

from __future__ import annotations

import asyncio
import re
from typing import Final

from sapwood.engine.ids import ID_HEX_LENGTH, is_hex_prefix
from sapwood.engine.paths import validate_ref_name
from sapwood.engine.repo import Engine
from sapwood.errors import InvalidRefError, RefNotFoundError

__all__ = ["MIN_PREFIX", "parse_ref_expression", "resolve_base", "resolve_expression"]

MIN_PREFIX: Final = 4
_STEP: Final = re.compile(r"([~^])([0-9]*)")
MAX_STEP_DIGITS: Final = 9
"""More would step past any history (and int() refuses 4,300 digits)."""
SHOW_NAMES: Final = 10


def parse_ref_expression(expression: str) -> tuple[str, list[tuple[str, int]]]:
    """Split ``expression`` into its base name and its ``~``/``^`` steps."""
    if not isinstance(expression, str) or not expression:
        raise InvalidRefError("a ref expression must be a non-empty string")
    cut = min((i for i in (expression.find("~"), expression.find("^")) if i >= 0), default=-1)
    base = expression if cut < 0 else expression[:cut]
    rest = "" if cut < 0 else expression[cut:]
    if not base:
        raise InvalidRefError(
            f"{expression!r} has no branch, tag or commit before its '~'/'^' steps"
        )
    steps: list[tuple[str, int]] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            raise InvalidRefError(
                f"{expression!r} is not a ref expression: after the name only ~N and ^N "
                "steps may follow (e.g. main~2, v1^, main^2)"
            )
        op, digits = match.groups()
        if len(digits) > MAX_STEP_DIGITS:
            shown = expression if len(expression) <= 60 else f"{expression[:60]}..."
            raise InvalidRefError(
                f"{shown!r} has a step of {len(digits)} digits; a ~N or ^N step has at most "
                f"{MAX_STEP_DIGITS}"
            )
        steps.append((op, int(digits) if digits else 1))
        position = match.end()
    if not is_hex_prefix(base):
        validate_ref_name(base, "ref")
    return base, steps


def _listing(kind: str, names: list[str]) -> str:
    if not names:
        return f"no {kind}"
    if len(names) <= SHOW_NAMES:
        return f"{kind}: {', '.join(names)}"
    return f"{len(names)} {kind}"


async def resolve_base(engine: Engine, name: str) -> bytes:
    """The snapshot a branch, tag, commit id or unique id prefix names (branches first)."""
    if len(name) == ID_HEX_LENGTH and is_hex_prefix(name):
        raw = bytes.fromhex(name)
        if await engine.snapshots.exists(raw):
            return raw
    branch, tag = await asyncio.gather(engine.refs.find_branch(name), engine.refs.find_tag(name))
    if branch is not None:
        return branch.snapshot
    if tag is not None:
        return tag
    if is_hex_prefix(name) and len(name) >= MIN_PREFIX:
        deleted = await engine.refs.was_deleted(name)
        if deleted is not None:
            raise RefNotFoundError(
                f"{deleted} {name!r} was deleted; it is not read as a commit id prefix (that "
                f"would silently name some other commit): to name a commit, give its id "
                "with more characters"
            )
        matches = await engine.snapshots.ids_with_prefix(name, limit=2)
        if len(matches) == 1:
            return bytes.fromhex(matches[0])
        if len(matches) > 1:
            raise InvalidRefError(
                f"commit id prefix {name!r} is ambiguous (it matches {matches[0][:16]}... and "
                "others); give more characters"
            )
    branches, tags = await asyncio.gather(engine.refs.branch_names(), engine.refs.tag_names())
    raise RefNotFoundError(
        f"no branch, tag or commit named {name!r} ({_listing('branches', branches)}; "
        f"{_listing('tags', tags)}; commit ids need at least {MIN_PREFIX} hex characters)"
    )


async def apply_steps(
    engine: Engine, raw: bytes, steps: list[tuple[str, int]], expression: str
) -> bytes:
    """Follow ``~N``/``^N`` steps from ``raw`` (expired commits count as absent)."""
    expired = await engine.expired() if steps else set()

    async def parent(current: bytes, number: int) -> bytes:
        snapshot = await engine.snapshots.read(current)
        if len(snapshot.parents) < number or snapshot.parents[number - 1] in expired:
            raise RefNotFoundError(
                f"{expression!r} goes past the start of history: commit "
                f"{current.hex()[:12]} has no parent number {number}"
            )
        return snapshot.parents[number - 1]

    for op, count in steps:
        if op == "~":
            for _ in range(count):
                raw = await parent(raw, 1)
        elif count > 0:
            raw = await parent(raw, count)
    return raw


async def resolve_expression(engine: Engine, expression: str) -> bytes:
    """The snapshot a full ref expression names."""
    base, steps = parse_ref_expression(expression)
    raw = await resolve_base(engine, base)
    return await apply_steps(engine, raw, steps, expression)
