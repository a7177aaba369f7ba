"""Metrics backends (noop, memory, logging), their registration, and what the layer records."""

from __future__ import annotations

import logging

import pytest

from sapwood.errors import ConfigError
from sapwood.extensions import MetricsBackend
from sapwood.layer import ObjectLayer
from sapwood.layer.metrics import (
    LoggingMetrics,
    MemoryMetrics,
    NoopMetrics,
    OperationMetrics,
)
from sapwood.registry import registry
from sapwood.storage import Storage


def test_the_three_builtins_are_registered() -> None:
    for name, cls in (
        ("noop", NoopMetrics),
        ("memory", MemoryMetrics),
        ("logging", LoggingMetrics),
    ):
        backend = registry().metrics_backend(name).factory()
        assert isinstance(backend, cls)
        assert isinstance(backend, MetricsBackend)


def test_the_layer_takes_a_backend_instance_and_defaults_to_noop(memory: Storage) -> None:
    mine = MemoryMetrics()
    assert ObjectLayer(memory, metrics=mine).metrics is mine
    assert isinstance(ObjectLayer(memory).metrics, NoopMetrics)
    with pytest.raises(ConfigError, match="MetricsBackend instance"):
        ObjectLayer(memory, metrics="memory")  # type: ignore[arg-type]


def test_memory_metrics_filters_by_name_and_tags() -> None:
    metrics = MemoryMetrics()
    metrics.record("storage.get.bytes", 10, {"operation": "get"})
    metrics.record("storage.get.bytes", 5, {"operation": "get", "store": "b"})
    metrics.record("storage.put.bytes", 7, {"operation": "put"})
    assert metrics.total("storage.get.bytes") == 15
    assert metrics.values("storage.get.bytes", store="b") == [5]
    assert metrics.count("storage.put.bytes") == 1
    assert metrics.names() == {"storage.get.bytes", "storage.put.bytes"}
    metrics.clear()
    assert metrics.records == []


def test_logging_metrics_logs_name_value_and_tags(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sapwood.metrics"):
        LoggingMetrics().record("cache.hits", 1, {"operation": "get"})
    assert "cache.hits 1 operation=get" in caplog.text


def test_operation_metrics_records_latency_and_errors() -> None:
    metrics = MemoryMetrics()
    with OperationMetrics(metrics, "head"):
        pass
    with pytest.raises(KeyError), OperationMetrics(metrics, "head"):
        raise KeyError("x")
    assert metrics.count("storage.head.latency_ms", outcome="ok") == 1
    assert metrics.count("storage.head.latency_ms", outcome="error") == 1
    assert metrics.values("storage.head.errors", error="KeyError") == [1]


async def test_the_layer_reports_every_kind_of_measurement(memory: Storage) -> None:
    metrics = MemoryMetrics()
    layer = ObjectLayer(memory, metrics=metrics, metrics_tags={"store": "test"})
    text = b"compressible " * 1000
    await layer.put("blob", text, immutable=True)
    await layer.get("blob", immutable=True)  # a hit: put filled the cache
    await layer.cache.clear()
    await layer.get("blob", immutable=True)  # a miss
    await layer.head("blob")
    await layer.delete("blob")
    assert [e async for e in layer.list()] == []

    assert metrics.count("storage.put.latency_ms", outcome="ok", store="test") == 1
    assert metrics.total("storage.put.bytes") == len(text)
    assert 0 < metrics.total("storage.put.stored_bytes") < len(text) / 10
    ratio = metrics.values("storage.put.compression_ratio")
    assert len(ratio) == 1
    assert 0 < ratio[0] < 0.1
    assert metrics.count("cache.hits", operation="get") == 1
    assert metrics.count("cache.misses", operation="get") == 1
    assert metrics.total("storage.get.bytes") == 2 * len(text)
    for op in ("get", "head", "delete", "list"):
        assert metrics.count(f"storage.{op}.latency_ms") >= 1, op
