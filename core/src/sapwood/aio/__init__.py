"""sapwood's async API: the implementation behind the sync classes in :mod:`sapwood`.

Start with :meth:`AsyncRepository.open_or_create`::

    repo = await AsyncRepository.open_or_create("file:///data/repo")
    main = repo.branch("main")
    await main.upload(b"hello", "greeting.txt")
    await main.commit_changes("Say hello")
"""

from sapwood.aio.branch import AsyncBranch
from sapwood.aio.files import AsyncObjectReader, AsyncObjectWriter, AsyncTextReader
from sapwood.aio.importer import AsyncImportManager
from sapwood.aio.reference import AsyncReference
from sapwood.aio.repository import AsyncRepository
from sapwood.aio.session import AsyncSession
from sapwood.aio.tag import AsyncTag
from sapwood.aio.transaction import AsyncTransaction
from sapwood.objectstore.client import AsyncObjectClient

__all__ = [
    "AsyncBranch",
    "AsyncImportManager",
    "AsyncObjectClient",
    "AsyncObjectReader",
    "AsyncObjectWriter",
    "AsyncReference",
    "AsyncRepository",
    "AsyncSession",
    "AsyncTag",
    "AsyncTextReader",
    "AsyncTransaction",
]
