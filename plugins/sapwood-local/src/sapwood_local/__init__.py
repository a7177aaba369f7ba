"""sapwood-local: a storage backend over a local folder.

Objects are plain files; writes are atomic; conditional creates and compare-and-swap
updates hold across threads and processes; nothing is read or written outside the folder.
"""

from __future__ import annotations

from sapwood_local.config import LocalExtra
from sapwood_local.storage import LocalStorage

__all__ = ["LocalExtra", "LocalStorage"]
