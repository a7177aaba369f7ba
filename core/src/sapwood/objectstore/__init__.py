"""The plain object client: put, get and delete objects by key in any store, with
per-usecase expiry and compression, after Sentry's objectstore client.

``sapwood.ObjectClient`` is the sync face; ``AsyncObjectClient`` is the implementation.
"""

from sapwood.objectstore.client import AsyncObjectClient, AsyncObjectSession, Usecase
from sapwood.objectstore.expiration import ExpirationPolicy, TimeToIdle, TimeToLive
from sapwood.objectstore.metadata import Compression, GetResult, Metadata
from sapwood.objectstore.sync import ObjectClient, ObjectSession

__all__ = [
    "AsyncObjectClient",
    "AsyncObjectSession",
    "Compression",
    "ExpirationPolicy",
    "GetResult",
    "Metadata",
    "ObjectClient",
    "ObjectSession",
    "TimeToIdle",
    "TimeToLive",
    "Usecase",
]
