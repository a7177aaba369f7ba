"""The object layer: everything the engine reads or writes passes through here.

It wraps one :class:`~sapwood.storage.Storage` and adds caching, single-flight
de-duplication, flow control, retries, timeouts, compression, integrity checks and metrics.
"""

from sapwood.layer.adapter import LayerStorage
from sapwood.layer.cache import LruCache, NoCache, RefCache
from sapwood.layer.chaos import ChaosStorage
from sapwood.layer.clock import SYSTEM_CLOCK, SystemClock
from sapwood.layer.compression import ReservedMetadataError, ZstdCodec
from sapwood.layer.limits import TokenBucket, TokenBucketLimiter
from sapwood.layer.metrics import METRIC_NAMES, LoggingMetrics, MemoryMetrics, NoopMetrics
from sapwood.layer.object_layer import ObjectLayer
from sapwood.layer.retries import OneShotBody, Retrier, RetryPolicy
from sapwood.layer.single_flight import SingleFlight

__all__ = [
    "METRIC_NAMES",
    "SYSTEM_CLOCK",
    "ChaosStorage",
    "LayerStorage",
    "LoggingMetrics",
    "LruCache",
    "MemoryMetrics",
    "NoCache",
    "NoopMetrics",
    "ObjectLayer",
    "OneShotBody",
    "RefCache",
    "ReservedMetadataError",
    "Retrier",
    "RetryPolicy",
    "SingleFlight",
    "SystemClock",
    "TokenBucket",
    "TokenBucketLimiter",
    "ZstdCodec",
]
