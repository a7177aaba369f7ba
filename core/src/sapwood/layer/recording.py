"""What one object-layer call has to report, gathered while it runs down the stack.

The metrics wrapper at the top of a stack opens a :class:`CallRecord` for each call and
puts it in a context variable; wrappers further down (cache, single-flight, compression,
retries) add what only they know: hits and misses, shared reads, stored bytes, retries.
When metrics are off no record is opened and those wrappers do nothing beyond one
context-variable lookup, so the common path allocates nothing for metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token

from sapwood.extensions import MetricsBackend

__all__ = ["CallRecord", "current_call"]

_CURRENT: ContextVar[CallRecord | None] = ContextVar("sapwood_layer_call", default=None)


class CallRecord:
    """The measurements of one layer call that the metrics wrapper records on exit."""

    __slots__ = ("backend", "operation", "retries", "stored_bytes", "tags")

    def __init__(self, backend: MetricsBackend, operation: str, tags: Mapping[str, str]) -> None:
        self.backend = backend
        self.operation = operation
        self.tags: dict[str, str] = {**tags, "operation": operation}
        self.retries = 0
        self.stored_bytes: int | None = None

    def open(self) -> Token[CallRecord | None]:
        """Make this the record of the running call (and of tasks it starts)."""
        return _CURRENT.set(self)

    @staticmethod
    def close(token: Token[CallRecord | None]) -> None:
        """Restore the record that was current before :meth:`open`."""
        _CURRENT.reset(token)

    def event(self, name: str, value: float = 1) -> None:
        """A counter such as ``cache.hits``, tagged with this call's operation."""
        self.backend.record(name, value, self.tags)

    def add_stored(self, size: int) -> None:
        """Bytes that crossed to or from the backend for this call."""
        self.stored_bytes = (self.stored_bytes or 0) + size

    def compression_ratio(self, ratio: float) -> None:
        """Stored size over original size of a write whose compression was tried."""
        self.backend.record(f"storage.{self.operation}.compression_ratio", ratio, self.tags)


def current_call() -> CallRecord | None:
    """The record of the layer call running now, or None when metrics are off."""
    return _CURRENT.get()
