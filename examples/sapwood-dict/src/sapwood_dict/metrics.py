"""The ``collect`` metrics backend: keeps every measurement in a list."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CollectingMetrics"]


class CollectingMetrics:
    """Appends each measurement to ``records``: cheap and never blocking, as the hot path
    needs."""

    def __init__(self) -> None:
        self.records: list[tuple[str, float, dict[str, str]]] = []

    def record(self, name: str, value: float, tags: Mapping[str, str]) -> None:
        self.records.append((name, value, dict(tags)))
