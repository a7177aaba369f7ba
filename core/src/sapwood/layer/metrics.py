"""Metrics: what the object layer measures, and the built-in backends that receive it.

Every measurement goes through :meth:`MetricsBackend.record` with a name and tags; the
names the layer uses are listed in :data:`METRIC_NAMES` (and in docs/object-layer.md).
Built-ins, registered through ``sapwood_register_metrics_backends``: ``noop`` (the default),
``memory`` (an in-memory recorder tests can inspect) and ``logging``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType

from sapwood.extensions import MetricsBackend

__all__ = [
    "METRIC_NAMES",
    "LoggingMetrics",
    "MemoryMetrics",
    "MetricRecord",
    "NoopMetrics",
    "OperationMetrics",
]

METRIC_NAMES: Mapping[str, str] = {
    "storage.<op>.latency_ms": "time of one layer call, retries and waits included",
    "storage.<op>.bytes": "bytes the caller gave or got (uncompressed)",
    "storage.<op>.stored_bytes": "bytes sent to or received from the backend",
    "storage.<op>.retries": "attempts beyond the first (recorded when there were any)",
    "storage.<op>.errors": "calls that failed after all retries (tag: error)",
    "storage.put.compression_ratio": "stored / original size when compression was tried",
    "cache.hits": "reads answered by the cache (tag: operation)",
    "cache.misses": "cacheable reads the cache did not have (tag: operation)",
    "singleflight.shared": "reads that joined an identical read already in flight",
    "readahead.issued": "blobs fetched ahead of a sequential download loop",
    "readahead.used": "downloads answered by a blob fetched ahead",
    "readahead.dropped": "blobs fetched ahead and dropped unread (another path read, close)",
    "readahead.failed": "fetches ahead that failed (the download then reads the blob itself)",
}
"""Every metric name the object layer records, with what it means. ``<op>`` is ``get``,
``get_with_meta``, ``head``, ``put``, ``delete``, ``delete_many`` or ``list``; each record
is tagged with ``operation`` and, where it applies, ``outcome`` (``ok`` or ``error``)."""


class NoopMetrics:
    """Drops every measurement (the default)."""

    def record(self, name: str, value: float, tags: Mapping[str, str]) -> None:
        """Ignore the measurement."""


@dataclass(frozen=True)
class MetricRecord:
    """One measurement kept by :class:`MemoryMetrics`."""

    name: str
    value: float
    tags: Mapping[str, str] = field(default_factory=dict)


class MemoryMetrics:
    """Keeps every measurement in a list, for tests and for inspection in a notebook."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[MetricRecord] = []

    def record(self, name: str, value: float, tags: Mapping[str, str]) -> None:
        """Append one measurement."""
        with self._lock:
            self._records.append(MetricRecord(name, value, dict(tags)))

    @property
    def records(self) -> list[MetricRecord]:
        """A copy of everything recorded so far, oldest first."""
        with self._lock:
            return list(self._records)

    def values(self, name: str, **tags: str) -> list[float]:
        """The values recorded under ``name`` whose tags include ``tags``."""
        return [
            r.value
            for r in self.records
            if r.name == name and all(r.tags.get(k) == v for k, v in tags.items())
        ]

    def total(self, name: str, **tags: str) -> float:
        """The sum of :meth:`values`."""
        return sum(self.values(name, **tags))

    def count(self, name: str, **tags: str) -> int:
        """How many values :meth:`values` finds."""
        return len(self.values(name, **tags))

    def names(self) -> set[str]:
        """Every name recorded so far."""
        return {r.name for r in self.records}

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self._records.clear()


class LoggingMetrics:
    """Logs each measurement at INFO on the ``sapwood.metrics`` logger."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("sapwood.metrics")

    def record(self, name: str, value: float, tags: Mapping[str, str]) -> None:
        """Log ``name value tag=value ...``."""
        if self.logger.isEnabledFor(logging.INFO):
            shown = " ".join(f"{k}={v}" for k, v in sorted(tags.items()))
            self.logger.info("%s %g %s", name, value, shown)


class OperationMetrics:
    """Measures one layer call: ``with OperationMetrics(backend, "get") as op: ...``.

    Latency and outcome are recorded on exit; byte counts, retries and the compression
    ratio are recorded when the call reports them.
    """

    __slots__ = ("_start", "backend", "operation", "tags")

    def __init__(
        self, backend: MetricsBackend, operation: str, tags: Mapping[str, str] | None = None
    ) -> None:
        self.backend = backend
        self.operation = operation
        self.tags: dict[str, str] = {**(tags or {}), "operation": operation}
        self._start = 0.0

    def __enter__(self) -> OperationMetrics:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed_ms = (time.perf_counter() - self._start) * 1000.0
        failed = exc is not None and not isinstance(exc, GeneratorExit)
        outcome = "error" if failed else "ok"
        prefix = f"storage.{self.operation}"
        self.backend.record(f"{prefix}.latency_ms", elapsed_ms, {**self.tags, "outcome": outcome})
        if failed:
            assert exc is not None
            self.backend.record(f"{prefix}.errors", 1, {**self.tags, "error": type(exc).__name__})

    def bytes(self, caller_bytes: int, stored_bytes: int | None = None) -> None:
        """Bytes seen by the caller and, if different, by the backend."""
        prefix = f"storage.{self.operation}"
        self.backend.record(f"{prefix}.bytes", caller_bytes, self.tags)
        self.backend.record(
            f"{prefix}.stored_bytes",
            caller_bytes if stored_bytes is None else stored_bytes,
            self.tags,
        )

    def retries(self, count: int) -> None:
        """Attempts beyond the first, if any."""
        if count:
            self.backend.record(f"storage.{self.operation}.retries", count, self.tags)

    def compression_ratio(self, ratio: float) -> None:
        """Stored size over original size of a write whose compression was tried."""
        self.backend.record(f"storage.{self.operation}.compression_ratio", ratio, self.tags)

    def event(self, name: str, value: float = 1) -> None:
        """A counter not tied to this operation's prefix (``cache.hits``...)."""
        self.backend.record(name, value, self.tags)
