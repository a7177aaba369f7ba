"""Refs in each mode: compare-and-swap, create-only sequence files, and refused or warned
unprotected overwrites; tags with tombstones."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import RepositoryConfig
from sapwood.engine.keys import BRANCHES, branch_pointer_key
from sapwood.engine.refs import RefStore, UnsafeRefsWarning, choose_ref_mode
from sapwood.errors import (
    ConfigError,
    PreconditionFailedError,
    RefExistsError,
    RefNotFoundError,
)
from sapwood.layer import ObjectLayer
from sapwood.storage import Capabilities
from sapwood_memory.storage import MemoryStorage

CAS = Capabilities(conditional_create=True, conditional_update=True)
CREATE_ONLY = Capabilities(conditional_create=True, conditional_update=False)
NEITHER = Capabilities(conditional_create=False, conditional_update=False)
A, B, C = b"\x0a" * 32, b"\x0b" * 32, b"\x0c" * 32


def test_the_mode_follows_the_capabilities() -> None:
    assert choose_ref_mode(CAS, False) == "cas"
    assert choose_ref_mode(CREATE_ONLY, False) == "sequence"
    with pytest.raises(ConfigError, match="unsafe_overwrite_refs") as caught:
        choose_ref_mode(NEITHER, False)
    assert caught.value.field == "unsafe_overwrite_refs"
    with pytest.warns(UnsafeRefsWarning, match="lose a commit"):
        assert choose_ref_mode(NEITHER, True) == "overwrite"


@pytest.mark.parametrize(
    ("capabilities", "mode"), [(CAS, "cas"), (CREATE_ONLY, "sequence"), (NEITHER, "overwrite")]
)
async def test_branches_move_only_from_the_state_read(
    memory_store: MemoryStorage,
    wrappers: dict[str, type],
    capabilities: Capabilities,
    mode: str,
) -> None:
    refs = RefStore(ObjectLayer(wrappers["masked"](memory_store, capabilities)), mode)  # type: ignore[arg-type]
    created = await refs.create_branch("main", A)
    with pytest.raises(RefExistsError, match="already exists"):
        await refs.create_branch("main", B)
    moved = await refs.update_branch(created, B)
    assert (await refs.read_branch("main")).snapshot == B
    if mode != "overwrite":
        with pytest.raises(PreconditionFailedError):
            await refs.update_branch(created, C)
        assert (await refs.read_branch("main")).snapshot == B
    await refs.update_branch(moved, C)
    await refs.create_branch("feature/x", A)
    assert await refs.branch_names() == ["feature/x", "main"]
    assert await refs.branch_names("feat") == ["feature/x"]
    assert await refs.branch_heads() == {"main": C, "feature/x": A}
    await refs.delete_branch("feature/x")
    assert await refs.branch_names() == ["main"]
    with pytest.raises(RefNotFoundError, match="existing branches: main"):
        await refs.read_branch("feature/x")
    assert await refs.was_deleted("feature/x") == "branch"
    assert await refs.was_deleted("main") is None
    await refs.create_branch("feature/x", B)
    assert (await refs.read_branch("feature/x")).snapshot == B
    assert await refs.was_deleted("feature/x") is None


async def test_sequence_files_list_newest_first(memory_store: MemoryStorage) -> None:
    refs = RefStore(ObjectLayer(memory_store), "sequence")
    state = await refs.create_branch("main", A)
    for snapshot in (B, C, A):
        state = await refs.update_branch(state, snapshot)
    keys = [meta.key async for meta in memory_store.list(BRANCHES)]  # type: ignore[union-attr]
    assert len(keys) == 4
    assert state.token == 3
    assert (await refs.read_branch("main")).snapshot == A


@pytest.mark.parametrize("mode", ["cas", "sequence", "overwrite"])
async def test_a_deleted_tag_can_never_be_recreated(memory_store: MemoryStorage, mode: str) -> None:
    refs = RefStore(ObjectLayer(memory_store), mode)  # type: ignore[arg-type]
    await refs.create_tag("v1", A)
    with pytest.raises(RefExistsError, match="already exists"):
        await refs.create_tag("v1", B)
    assert await refs.read_tag("v1") == A
    await refs.create_tag("v2", B)
    assert await refs.tag_names() == ["v1", "v2"]
    await refs.delete_tag("v1")
    assert await refs.tag_names() == ["v2"]
    with pytest.raises(RefNotFoundError, match="existing tags: v2"):
        await refs.read_tag("v1")
    with pytest.raises(RefExistsError, match="never reused"):
        await refs.create_tag("v1", C)
    with pytest.raises(RefNotFoundError):
        await refs.delete_tag("v1")


async def test_a_store_without_conditional_writes_is_refused(
    memory_name: str, wrappers: dict[str, type]
) -> None:
    store = wrappers["masked"](MemoryStorage(memory_name), NEITHER)
    with pytest.raises(ConfigError, match="unsafe_overwrite_refs"):
        await AsyncRepository.create(store)


async def test_unsafe_overwrite_refs_works_with_a_warning(
    memory_name: str, wrappers: dict[str, type]
) -> None:
    store = wrappers["masked"](MemoryStorage(memory_name), NEITHER)
    config = RepositoryConfig(unsafe_overwrite_refs=True)
    with pytest.warns(UnsafeRefsWarning):
        repo = await AsyncRepository.create(store, config=config)
    branch = repo.branch("main")
    await branch.upload(b"x", "x")
    await branch.commit_changes("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = await AsyncRepository.open(store)
    assert any(issubclass(w.category, UnsafeRefsWarning) for w in caught)
    assert await again.branch("main").download("x") == b"x"
    assert (await again.metadata())["ref_mode"] == "overwrite"


async def test_create_only_stores_commit_through_sequence_files(
    memory_name: str, wrappers: dict[str, type], small_config: Callable[[int], RepositoryConfig]
) -> None:
    store = wrappers["masked"](MemoryStorage(memory_name), CREATE_ONLY)
    repo = await AsyncRepository.create(store)
    assert (await repo.metadata())["ref_mode"] == "sequence"
    first = await repo.writable_session("main")
    second = await repo.writable_session("main")
    await first.upload(b"1", "one")
    await second.upload(b"2", "two")
    await first.commit("one")
    await second.commit("two")
    log = [c.message async for c in repo.branch("main").log()]
    assert log == ["two", "one", "Repository created"]
    await repo.tag("t").create("main")
    await repo.branch("dev").create("t")
    assert [b.id async for b in repo.list_branches()] == ["dev", "main"]


async def test_a_repository_made_for_cas_refuses_a_store_that_lost_it(
    memory_name: str, wrappers: dict[str, type]
) -> None:
    await AsyncRepository.create(f"memory://{memory_name}")
    weaker = wrappers["masked"](MemoryStorage(memory_name), CREATE_ONLY)
    with pytest.raises(ConfigError, match="unsafe_overwrite_refs"):
        await AsyncRepository.open(weaker)


async def test_a_remembered_head_is_dropped_once_any_handle_of_the_process_moves_a_branch(
    memory_store: MemoryStorage,
) -> None:
    # Two handles on one store, both reusing heads for a minute (a clock that never moves):
    # without the process-wide count of moves, the reader would see the old head.
    frozen = 100.0
    reader = RefStore(ObjectLayer(memory_store), "cas", head_max_age=60, clock=lambda: frozen)
    writer = RefStore(ObjectLayer(memory_store), "cas", head_max_age=60, clock=lambda: frozen)
    state = await writer.create_branch("main", A)
    assert (await reader.recent_branch("main")).snapshot == A
    await writer.update_branch(state, B)
    assert (await reader.recent_branch("main")).snapshot == B
    # Moves that do not come from this process are seen only once the head is read again.
    await ObjectLayer(memory_store).delete(branch_pointer_key("main"))
    assert (await reader.recent_branch("main")).snapshot == B
    with pytest.raises(RefNotFoundError):
        await reader.read_branch("main")


async def test_a_handle_keeps_trusting_the_head_it_moved_itself(
    memory_store: MemoryStorage,
) -> None:
    refs = RefStore(ObjectLayer(memory_store), "cas", head_max_age=60, clock=lambda: 100.0)
    state = await refs.create_branch("main", A)
    await refs.update_branch(state, B)
    # Rewritten behind its back, outside sapwood: the remembered head still answers.
    await ObjectLayer(memory_store).delete(branch_pointer_key("main"))
    assert (await refs.recent_branch("main")).snapshot == B
