"""The plain object client: put, get and delete objects by key in any store, with
per-usecase expiry and compression, after Sentry's objectstore client.

``sapwood.ObjectClient`` is the sync face; ``AsyncObjectClient`` is the implementation.
"""

from sapwood.objectstore.client import AsyncObjectClient, AsyncSession, Usecase
from sapwood.objectstore.expiration import ExpirationPolicy, TimeToIdle, TimeToLive
from sapwood.objectstore.metadata import Compression, GetResult, Metadata
from sapwood.objectstore.sync import ObjectClient, Session

__all__ = [
    "AsyncObjectClient",
    "AsyncSession",
    "Compression",
    "ExpirationPolicy",
    "GetResult",
    "Metadata",
    "ObjectClient",
    "Session",
    "TimeToIdle",
    "TimeToLive",
    "Usecase",
]
