"""Byte requests of Zarr's store API as absolute spans, and spans coalesced into reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from zarr.abc.store import ByteRequest, OffsetByteRequest, RangeByteRequest, SuffixByteRequest

__all__ = ["COALESCE_GAP_BYTES", "coalesce", "span_of"]

COALESCE_GAP_BYTES: Final = 1024 * 1024
"""Requests of one object closer than this are served by one read: fetching the gap costs
less than another round trip to the store."""


def span_of(request: ByteRequest | None, size: int) -> tuple[int, int]:
    """The ``[start, stop)`` bytes of an object of ``size`` bytes that ``request`` asks for
    (clipped to the object, as a ranged GET is)."""
    if request is None:
        return 0, size
    if isinstance(request, RangeByteRequest):
        if request.start < 0 or request.end < request.start:
            raise ValueError(f"a byte range needs 0 <= start <= end; got {request!r}")
        return min(request.start, size), min(request.end, size)
    if isinstance(request, OffsetByteRequest):
        if request.offset < 0:
            raise ValueError(f"a byte offset must be >= 0; got {request!r}")
        return min(request.offset, size), size
    if isinstance(request, SuffixByteRequest):
        if request.suffix < 0:
            raise ValueError(f"a byte suffix must be >= 0; got {request!r}")
        return max(0, size - request.suffix), size
    raise TypeError(
        f"Unexpected byte_range, got {request!r}; pass None, RangeByteRequest, "
        "OffsetByteRequest or SuffixByteRequest"
    )


def check_request(request: object) -> None:
    """Refuse anything that is not one of Zarr's byte requests (before any I/O)."""
    if request is not None and not isinstance(
        request, RangeByteRequest | OffsetByteRequest | SuffixByteRequest
    ):
        raise TypeError(
            f"Unexpected byte_range, got {request!r}; pass None, RangeByteRequest, "
            "OffsetByteRequest or SuffixByteRequest"
        )


def coalesce(
    spans: Sequence[tuple[int, int]], gap: int = COALESCE_GAP_BYTES
) -> list[tuple[int, int]]:
    """The fewest reads covering ``spans``, merging any two whose gap is at most ``gap``."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged
