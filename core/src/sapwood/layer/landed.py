"""Telling whether an ambiguous conditional write took effect.

A conditional write (``create`` or ``Update``) whose attempt failed without an answer may
have landed anyway; its retry then loses its own condition. Each conditional write
carries a random :data:`~sapwood.layer.compression.WRITE_ID_KEY`, so the retry wrapper can
read the object back and recognise this very write (identical content from another writer
does not count).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import msgspec

from sapwood.errors import NotFoundError, PreconditionFailedError
from sapwood.layer.compression import WRITE_ID_KEY
from sapwood.storage import ObjectMeta, PutMode, Storage

__all__ = ["landed_earlier", "with_write_id", "without_write_id"]


def with_write_id(metadata: Mapping[str, str] | None, mode: PutMode) -> Mapping[str, str] | None:
    """``metadata`` plus a fresh write id if ``mode`` is conditional, else unchanged."""
    if mode == "overwrite":
        return metadata
    return {**(metadata or {}), WRITE_ID_KEY: uuid.uuid4().hex}


async def landed_earlier(
    storage: Storage,
    key: str,
    payload: bytes,
    metadata: Mapping[str, str],
    lost: PreconditionFailedError,
) -> ObjectMeta:
    """The stored meta if ``key`` now holds this very write (its write id, bytes and
    metadata): an earlier, failed-looking attempt took effect. Otherwise re-raise ``lost``."""
    try:
        current, meta = await storage.get_with_meta(key)
    except NotFoundError:
        raise lost from None
    same_metadata = all(meta.metadata.get(k) == v for k, v in metadata.items())
    if current == payload and same_metadata:
        return meta
    lost.add_note(
        "an earlier attempt of this write failed in a way that may have hidden its "
        "success, and the object has changed since; re-read it to see whether this "
        "write took effect"
    )
    raise lost


def without_write_id(meta: ObjectMeta) -> ObjectMeta:
    """``meta`` as the caller wrote it: without the write id this module added."""
    if WRITE_ID_KEY not in meta.metadata:
        return meta
    mine = {k: v for k, v in meta.metadata.items() if k != WRITE_ID_KEY}
    return msgspec.structs.replace(meta, metadata=mine)
