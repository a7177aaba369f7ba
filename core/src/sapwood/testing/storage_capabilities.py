"""Conformance: what ``capabilities`` declares matches what the backend does."""

from __future__ import annotations

import asyncio
import urllib.request

from sapwood.storage import Storage
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import assert_refused

__all__ = ["CapabilityTests"]


class CapabilityTests(ConformanceSuite):
    """Declared capabilities work; undeclared ones are refused with a StorageError."""

    async def test_presigned_url(self, store: Storage) -> None:
        await store.put("shared.txt", b"presigned content")
        if not store.capabilities.presigned_urls:
            await assert_refused(store.presign_get("shared.txt"), "presigned URLs")
            return
        url = await store.presign_get("shared.txt", expires_in_seconds=300)
        assert url.startswith(("http://", "https://"))
        body = await asyncio.to_thread(_fetch, url)
        assert body == b"presigned content"


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
        return body
