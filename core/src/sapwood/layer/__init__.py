"""The object layer: everything the engine reads or writes passes through here.

It wraps one :class:`~sapwood.storage.Storage` in small wrappers, each a Storage itself
(caching, compressing, single-flight, retrying, limiting, attempt timeouts, metrics),
composed in :mod:`sapwood.layer.stack`; :class:`ObjectLayer` is the facade the engine uses.
"""

from sapwood.layer.adapter import LayerStorage
from sapwood.layer.cache import LruCache, NoCache, RefCache
from sapwood.layer.caching import CachingStorage, RefCachingStorage
from sapwood.layer.chaos import ChaosStorage
from sapwood.layer.clock import SYSTEM_CLOCK, SystemClock
from sapwood.layer.compressing import CompressingStorage
from sapwood.layer.compression import ReservedMetadataError, ZstdCodec
from sapwood.layer.limiting import LimitedStorage
from sapwood.layer.limits import TokenBucket, TokenBucketLimiter
from sapwood.layer.metered import MeteredStorage
from sapwood.layer.metrics import METRIC_NAMES, LoggingMetrics, MemoryMetrics, NoopMetrics
from sapwood.layer.object_layer import ObjectLayer
from sapwood.layer.retries import OneShotBody, Retrier, RetryPolicy
from sapwood.layer.retrying import RetryingStorage
from sapwood.layer.single_flight import SingleFlight, SingleFlightStorage
from sapwood.layer.stack import LayerStacks
from sapwood.layer.timeouts import TimedStorage

__all__ = [
    "METRIC_NAMES",
    "SYSTEM_CLOCK",
    "CachingStorage",
    "ChaosStorage",
    "CompressingStorage",
    "LayerStacks",
    "LayerStorage",
    "LimitedStorage",
    "LoggingMetrics",
    "LruCache",
    "MemoryMetrics",
    "MeteredStorage",
    "NoCache",
    "NoopMetrics",
    "ObjectLayer",
    "OneShotBody",
    "RefCache",
    "RefCachingStorage",
    "ReservedMetadataError",
    "Retrier",
    "RetryPolicy",
    "RetryingStorage",
    "SingleFlight",
    "SingleFlightStorage",
    "SystemClock",
    "TimedStorage",
    "TokenBucket",
    "TokenBucketLimiter",
    "ZstdCodec",
]
