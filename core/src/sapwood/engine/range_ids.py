"""Which ranges of two range tables differ, from their id columns alone.

A range's id is the SHA-256 of its encoded entries, so two tables that share most of their
ranges are compared by their ``ids`` columns (32 bytes per range): equally long spans
position by position, others after trimming their equal leading and trailing runs. None of
this takes a Python step per range; large runs are compared in place at memcmp speed.
"""

from __future__ import annotations

from typing import Final

from sapwood.engine.format import RangeRef, RangeTable

__all__ = ["differing_positions", "differing_ranges"]

_NONZERO: Final = bytes([0] + [1] * 255)
"""A translation table marking every non-zero byte with 1."""
_PROBED_BYTES: Final = 2
"""Leading bytes of each id compared column-wise to find the ids that differ."""


def _same(x: bytes, y: bytes, start: int, stop: int) -> bool:
    """Whether ``x[start:stop] == y[start:stop]`` (both at least ``stop`` long), compared
    in place: slicing large bytes would copy them, and fresh large buffers are slow to
    allocate; memoryview comparisons go element by element."""
    return x.startswith(memoryview(y)[start:stop], start)


def _common_prefix(x: bytes, y: bytes) -> int:
    """How many leading 32-byte ids ``x`` and ``y`` share (a binary search over byte
    comparisons, which run at memcmp speed)."""
    low, high = 0, min(len(x), len(y)) // 32
    if not high or not _same(x, y, 0, 32):
        return 0
    while low < high:
        middle = (low + high + 1) // 2
        if _same(x, y, 0, 32 * middle):
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(x: bytes, y: bytes, limit: int) -> int:
    """How many trailing ids ``x`` and ``y`` share, at most ``limit``."""
    if not limit or x[-32:] != y[-32:]:
        return 0
    shift = len(x) - len(y)
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        start = len(y) - 32 * middle
        if x.startswith(memoryview(y)[start:], start + shift):
            low = middle
        else:
            high = middle - 1
    return low


def _mismatches(x: bytes, y: bytes) -> list[int]:
    """Positions where two equally long id sequences differ, in order.

    Ids are SHA-256 digests, so two different ids almost surely differ in their first few
    bytes: those bytes are taken column-wise (a strided slice per byte) and compared as
    big integers, which flags the differing positions without a Python step per id.
    Comparing the runs between flagged positions in place proves that nothing else
    differs; if something does, the ids are compared block by block.
    """
    count = len(x) // 32
    flags = 0
    for column in range(_PROBED_BYTES):
        flags |= int.from_bytes(x[column::32], "little") ^ int.from_bytes(y[column::32], "little")
    marks = flags.to_bytes(count, "little").translate(_NONZERO)
    found: list[int] = []
    start = 0
    at = marks.find(1)
    while at >= 0:
        if not _same(x, y, 32 * start, 32 * at):
            return _bisected_mismatches(x, y)
        found.append(at)
        start = at + 1
        at = marks.find(1, start)
    if not _same(x, y, 32 * start, len(x)):
        return _bisected_mismatches(x, y)
    return found


def _bisected_mismatches(x: bytes, y: bytes) -> list[int]:
    """Positions where two equally long id sequences differ, found by bisecting blocks."""
    found: list[int] = []
    stack = [(0, len(x) // 32)]
    while stack:
        low, high = stack.pop()
        if _same(x, y, 32 * low, 32 * high):
            continue
        if high - low <= 4:
            found.extend(
                k for k in range(low, high) if x[32 * k : 32 * k + 32] != y[32 * k : 32 * k + 32]
            )
            continue
        middle = (low + high) // 2
        stack.append((middle, high))
        stack.append((low, middle))
    found.sort()
    return found


def differing_ranges(
    old: RangeTable, old_span: range, new: RangeTable, new_span: range
) -> tuple[list[RangeRef], list[RangeRef]]:
    """The ranges of each side (within the spans) whose ids the other side lacks."""
    left, right = differing_positions(old, old_span, new, new_span)
    return [old.ref(k) for k in left], [new.ref(k) for k in right]


def differing_positions(
    old: RangeTable, old_span: range, new: RangeTable, new_span: range
) -> tuple[list[int], list[int]]:
    """The indexes of the ranges of each side (within the spans) whose ids the other side
    lacks, in order.

    Equally long spans are compared position by position (see :func:`_mismatches`);
    otherwise equal leading and trailing runs are found by comparing id bytes first. Either
    way unchanged parts of large tables cost a few memory operations, not a Python step per
    range.
    """
    a_low, a_high = old_span.start, old_span.stop
    b_low, b_high = new_span.start, new_span.stop
    if a_high - a_low != b_high - b_low:
        x = old.ids[32 * a_low : 32 * a_high]
        y = new.ids[32 * b_low : 32 * b_high]
        head = _common_prefix(x, y)
        tail = _common_suffix(x, y, min(len(x), len(y)) // 32 - head)
        a_low, a_high = a_low + head, a_high - tail
        b_low, b_high = b_low + head, b_high - tail
    ids_x, ids_y = old.ids, new.ids
    if a_high - a_low == b_high - b_low:
        positions = _mismatches(ids_x[32 * a_low : 32 * a_high], ids_y[32 * b_low : 32 * b_high])
        left = [a_low + k for k in positions]
        right = [b_low + k for k in positions]
    else:
        left = list(range(a_low, a_high))
        right = list(range(b_low, b_high))
    left_ids = [ids_x[32 * k : 32 * k + 32] for k in left]
    right_ids = [ids_y[32 * k : 32 * k + 32] for k in right]
    common = set(left_ids).intersection(right_ids)
    if not common:  # the usual case: no range merely moved
        return left, right
    return (
        [k for k, raw in zip(left, left_ids, strict=True) if raw not in common],
        [k for k, raw in zip(right, right_ids, strict=True) if raw not in common],
    )
