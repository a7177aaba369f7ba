"""Refs on a backend without conditional writes (a third-party backend, say): create-only
sequence files when only conditional create exists; without either, refused unless
``unsafe_overwrite_refs`` is set, with a warning."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Mapping

import pytest

import sapwood
from sapwood.storage import Capabilities, ObjectMeta, PutMode, Update
from sapwood_memory.storage import MemoryStorage


class LimitedStorage(MemoryStorage):
    """A memory store that claims, and enforces, fewer conditional writes."""

    def __init__(self, name: str, *, create: bool, update: bool) -> None:
        super().__init__(name)
        self._limited = Capabilities(conditional_create=create, conditional_update=update)
        self.capabilities = self._limited

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        if isinstance(mode, Update) and not self._limited.conditional_update:
            raise AssertionError("conditional update used on a store without it")
        if mode == "create" and not self._limited.conditional_create:
            raise AssertionError("conditional create used on a store without it")
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)


def name() -> str:
    """A memory store name no other test uses."""
    return f"fallback-{uuid.uuid4().hex[:12]}"


def exercise(repo: sapwood.Repository) -> None:
    """Commit twice, branch, tag and merge, then check the result."""
    main = repo.branch("main")
    main.upload(b"1", "a")
    main.commit_changes("one")
    dev = repo.branch("dev").create("main")
    dev.upload(b"2", "b")
    dev.commit_changes("two")
    dev.merge_into(main)
    repo.tag("v1").create(main)
    assert main.download("b") == b"2"
    assert repo.tag("v1").get_commit().id == main.get_commit().id
    assert [c.message for c in main.log()][2:] == ["one", "Repository created"]


def test_create_only_backend_uses_sequence_files() -> None:
    store = LimitedStorage(name(), create=True, update=False)
    with sapwood.Repository.create(store) as repo:
        exercise(repo)


def test_backend_without_conditional_writes_is_refused() -> None:
    store = LimitedStorage(name(), create=False, update=False)
    with pytest.raises(sapwood.SapwoodError) as info:
        sapwood.Repository.create(store)
    assert "unsafe_overwrite_refs" in str(info.value)


def test_backend_without_conditional_writes_with_unsafe_flag_warns() -> None:
    store = LimitedStorage(name(), create=False, update=False)
    config = sapwood.RepositoryConfig(unsafe_overwrite_refs=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repo = sapwood.Repository.create(store, config=config)
    assert caught, "no warning about unsafe ref overwrites"
    with repo:
        exercise(repo)
