"""Locks that hold across threads and processes: ``flock`` on striped lock files.

Keys hash onto a fixed number of lock files, so the lock folder never grows with the
number of keys. Each acquisition opens its own file description, which is what makes
``flock`` exclude other threads of the same process as well as other processes. The
kernel releases the lock when a holder dies, so a killed writer never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["STRIPES", "key_lock", "stripe_of"]

STRIPES = 256


def stripe_of(key_hash: str) -> str:
    """The lock file name for a key's hash (two hex digits)."""
    return f"{int(key_hash[:8], 16) % STRIPES:02x}"


@contextmanager
def key_lock(lock_folder: str, key_hash: str, *, exclusive: bool = True) -> Iterator[None]:
    """Hold the lock of the stripe ``key_hash`` falls in."""
    path = os.path.join(lock_folder, stripe_of(key_hash))
    # O_NOFOLLOW: a lock file replaced by a link must not create a file where it points.
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        os.mkdir(lock_folder)
        fd = os.open(path, flags, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
