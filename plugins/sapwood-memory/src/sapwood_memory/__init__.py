"""sapwood-memory: a storage backend in the memory of the Python process.

``memory://NAME`` names one store per process; every thread and task that opens the same
name sees the same objects. Nothing survives the process.
"""

from __future__ import annotations

from sapwood_memory.storage import MemoryBucket, MemoryStorage, bucket_names, drop_bucket

__all__ = ["MemoryBucket", "MemoryStorage", "bucket_names", "drop_bucket"]
