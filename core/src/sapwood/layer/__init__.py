"""The object layer: everything the engine reads or writes passes through here.

It wraps one :class:`~sapwood.storage.Storage` and adds caching, single-flight
de-duplication, flow control, retries, timeouts, compression, integrity checks and metrics.
"""

from sapwood.layer.object_layer import ObjectLayer

__all__ = ["ObjectLayer"]
