"""Diffs composed from the commits' change records against the tree diff.

Random histories (adds, modifies, deletes, re-adds, rewrites of the same content, merges,
reverts, cherry-picks, branch resets and commits rebased onto a head another session
moved, some commits written without a record) on small ranges; for every pair of their
commits, with prefixes, the composed changes equal what comparing the trees gives, on the
handle that wrote them and on a new one, and the public diff (with its delimiter, ``after``
and ``max_amount``) is the same with and without the records.
"""

from __future__ import annotations

import contextlib
import uuid

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sapwood.aio import AsyncRepository, AsyncSession
from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.engine import changelog, commits, history, operations
from sapwood.engine.changelog import composed_changes, decode_record
from sapwood.engine.diff import EntryChange, diff_trees
from sapwood.engine.format import (
    EMPTY_TABLE,
    KIND_SNAPSHOT,
    RangeTable,
    RecordedChange,
    Snapshot,
    decode_object,
    encode_object,
)
from sapwood.engine.manifests import Tree
from sapwood.engine.repo import Engine
from sapwood.errors import ConflictError, IntegrityError, NotFoundError, NothingToCommitError
from sapwood.models import Change
from sapwood_memory.storage import drop_bucket

PATHS = [f"{folder}/{name}" for folder in ("a", "b", "b/sub") for name in "0123456789xy"]
BRANCHES = ("main", "dev")
CONTENT = st.none() | st.integers(0, 2)  # None deletes; equal numbers are equal bytes
EDITS = st.dictionaries(st.sampled_from(PATHS), CONTENT, min_size=1, max_size=10)
BRANCH = st.sampled_from(BRANCHES)
OPERATION = st.one_of(
    st.tuples(st.just("write"), BRANCH, EDITS),
    st.tuples(st.just("concurrent"), BRANCH, EDITS, EDITS),
    st.tuples(st.just("merge"), BRANCH, BRANCH),
    st.tuples(st.just("revert"), BRANCH, st.integers(0, 30)),
    st.tuples(st.just("cherry-pick"), BRANCH, st.integers(0, 30)),
    st.tuples(st.just("reset"), BRANCH, st.integers(0, 30)),
)
PREFIXES = ("", "a/", "b/", "b/s", "zz")
LOG_PATHS = ("a", "a/1", "b/", "b/sub", "b/s")


def small_config() -> RepositoryConfig:
    return RepositoryConfig(chunking=ChunkingConfig(manifest_range_entries=16))


async def stage(repo: AsyncRepository, branch: str, edits: dict[str, int | None]) -> AsyncSession:
    session = await repo.writable_session(branch)
    for path, content in edits.items():
        if content is None:
            with contextlib.suppress(NotFoundError):
                await session.delete_objects(path)
        else:
            await session.upload(b"content %d" % content, path)
    return session


async def run(
    repo: AsyncRepository, operation: tuple[object, ...], commits_made: list[bytes]
) -> None:
    kind, branch = operation[0], str(operation[1])
    if kind == "write":
        edits = operation[2]
        assert isinstance(edits, dict)
        session = await stage(repo, branch, edits)
        made = await session.commit("write", allow_empty=True)
        commits_made.append(bytes.fromhex(made.id))
    elif kind == "concurrent":
        first, second = operation[2], operation[3]
        assert isinstance(first, dict)
        assert isinstance(second, dict)
        one = await stage(repo, branch, first)
        other = await stage(repo, branch, second)
        made = await one.commit("first", allow_empty=True)
        commits_made.append(bytes.fromhex(made.id))
        with contextlib.suppress(ConflictError):  # the second is rebased onto the first
            made = await other.commit("second", allow_empty=True)
            commits_made.append(bytes.fromhex(made.id))
    elif kind == "merge":
        source = str(operation[2])
        if source != branch:
            with contextlib.suppress(ConflictError):
                made = await repo.branch(source).merge_into(branch, strategy="source-wins")
                commits_made.append(bytes.fromhex(made.id))
    else:
        index = operation[2]
        assert isinstance(index, int)
        target = commits_made[index % len(commits_made)]
        if kind == "reset":
            await repo.branch(branch).reset_to(target.hex())
            return
        with contextlib.suppress(ConflictError, NothingToCommitError):
            if kind == "revert":
                made = await repo.branch(branch).revert(target.hex())
            else:
                made = await repo.branch(branch).cherry_pick(target.hex())
            commits_made.append(bytes.fromhex(made.id))


async def tree_changes(engine: Engine, old: bytes, new: bytes, prefix: str) -> list[EntryChange]:
    old_tree, new_tree = await engine.snapshots.trees(old, new)
    return [change async for change in diff_trees(old_tree, new_tree, prefix)]


async def public_diff(
    repo: AsyncRepository, old: bytes, new: bytes, prefix: str, options: tuple[str, str, int]
) -> list[Change]:
    delimiter, after, max_amount = options
    return [
        change
        async for change in repo.commit(old.hex()).diff(
            new.hex(), prefix=prefix, delimiter=delimiter, after=after, max_amount=max_amount
        )
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    operations_done=st.lists(OPERATION, min_size=1, max_size=8),
    unrecorded=st.sets(st.integers(0, 7), max_size=2),
    hops=st.sampled_from([1, 2, changelog.MAX_HOPS]),
    options=st.tuples(
        st.sampled_from(["", "/"]), st.sampled_from(["", "a/1", "b/"]), st.integers(1, 20)
    ),
)
async def test_composed_changes_equal_the_tree_diff(
    monkeypatch: pytest.MonkeyPatch,
    operations_done: list[tuple[object, ...]],
    unrecorded: set[int],
    hops: int,
    options: tuple[str, str, int],
) -> None:
    monkeypatch.setattr(changelog, "MAX_HOPS", hops)
    name = f"records-{uuid.uuid4().hex[:10]}"
    repo = await AsyncRepository.create(f"memory://{name}", config=small_config())
    fresh: AsyncRepository | None = None
    try:
        await repo.branch("dev").create("main")
        made = [await repo.branch("main").resolve()]
        recorded = {made[0]: False}
        for number, operation in enumerate(operations_done):
            before = len(made)
            with monkeypatch.context() as patch:
                if number in unrecorded:

                    async def unknown(tree: Tree, changes: object) -> None:
                        return None

                    patch.setattr(commits, "record_of", unknown)
                await run(repo, operation, made)
            for raw in made[before:]:  # a merge already up to date returns an older head
                recorded.setdefault(raw, number not in unrecorded)
        engine = repo.engine
        fresh = await AsyncRepository.open(f"memory://{name}")
        for raw in made:
            snapshot = await engine.snapshots.read(raw)
            if recorded[raw] and snapshot.parents:
                # every commit written with a record composes with its first parent
                assert await composed_changes(engine.snapshots, snapshot.parents[0], raw, "") == (
                    await tree_changes(engine, snapshot.parents[0], raw, "")
                )
        for raw in made:  # log's path filter reads the records of single-parent commits
            snapshot = await engine.snapshots.read(raw)
            if len(snapshot.parents) != 1:
                continue
            for path in LOG_PATHS:
                changes = await tree_changes(engine, snapshot.parents[0], raw, path)
                expected_touch = any(
                    changed == path or changed.startswith(path.rstrip("/") + "/")
                    for changed, _, _ in changes
                )
                assert await history.touches(engine, raw, snapshot, [path], set()) == (
                    expected_touch
                )
        parent_of = {
            raw: next(iter((await engine.snapshots.read(raw)).parents), None) for raw in made
        }
        for old in made:
            for new in made:
                for prefix in PREFIXES:
                    expected = await tree_changes(engine, old, new, prefix)
                    warm = await composed_changes(engine.snapshots, old, new, prefix)
                    assert warm is None or warm == expected
                    if warm is not None and old != new and prefix == "":
                        far = parent_of[new] != old and parent_of[old] != new
                        event("composed over several commits" if far else "composed over one")
                    cold = await composed_changes(fresh.engine.snapshots, old, new, prefix)
                    assert cold == warm
                with_records = await public_diff(repo, old, new, "b/", options)
                with monkeypatch.context() as patch:
                    patch.setattr(operations, "composed_changes", no_records)
                    without = await public_diff(repo, old, new, "b/", options)
                assert with_records == without
        assert (await repo.verify()).ok
    finally:
        if fresh is not None:
            await fresh.close()
        await repo.close()
        drop_bucket(name)


async def no_records(*args: object) -> None:
    return None


async def test_a_commit_records_what_it_changed_against_its_first_parent(
    repo: AsyncRepository,
) -> None:
    main = repo.branch("main")
    await main.upload(b"1", "a")
    await main.upload(b"2", "b")
    first = await main.commit_changes("first")
    await main.upload(b"1", "a")  # the same content again: not a change
    await main.upload(b"3", "b")
    await main.upload(b"4", "c")
    second = await main.commit_changes("second")
    snapshot = await repo.engine.snapshots.read(bytes.fromhex(second.id))
    assert snapshot.record is not None
    record = decode_record(snapshot.record, "the commit")
    assert [(c.path, c.old is None, c.new is None) for c in record] == [
        ("b", False, False),
        ("c", True, False),
    ]
    assert [c async for c in repo.commit(first.id).diff(second.id)] == [
        Change(type="changed", path="b", size_bytes=1),
        Change(type="added", path="c", size_bytes=1),
    ]
    assert [c async for c in repo.commit(second.id).diff(first.id)] == [
        Change(type="changed", path="b", size_bytes=1),
        Change(type="removed", path="c", size_bytes=1),
    ]


@pytest.mark.parametrize("bound", ["MAX_RECORDED", "MAX_RECORD_BYTES"])
async def test_a_commit_of_too_many_changes_records_nothing_and_diffs_by_tree(
    repo: AsyncRepository, monkeypatch: pytest.MonkeyPatch, bound: str
) -> None:
    monkeypatch.setattr(changelog, bound, 2 if bound == "MAX_RECORDED" else 40)
    main = repo.branch("main")
    before = await main.resolve()
    for k in range(3):
        await main.upload(b"x", f"f{k}")
    after = bytes.fromhex((await main.commit_changes("three")).id)
    assert (await repo.engine.snapshots.read(after)).record is None
    assert await composed_changes(repo.engine.snapshots, before, after, "") is None
    assert len([c async for c in repo.commit(before.hex()).diff(after.hex())]) == 3


class SnapshotBeforeRecords(msgspec.Struct, array_like=True, frozen=True):
    """A snapshot as written before commits kept a change record."""

    parents: tuple[bytes, ...]
    message: str
    author: str
    committed_at_us: int
    metadata: dict[str, str]
    count: int
    ranges: RangeTable | None = None
    index: bytes | None = None


def test_a_snapshot_written_before_records_decodes_as_unknown() -> None:
    old = SnapshotBeforeRecords((b"\x01" * 32,), "m", "a", 5, {"k": "v"}, 0, EMPTY_TABLE)
    data = encode_object(KIND_SNAPSHOT, old)  # type: ignore[arg-type]
    decoded = decode_object(KIND_SNAPSHOT, data, "an old snapshot")
    assert isinstance(decoded, Snapshot)
    assert decoded.record is None
    assert (decoded.parents, decoded.message, decoded.ranges) == (old.parents, "m", EMPTY_TABLE)


@pytest.mark.parametrize("damaged", [b"\x91\xc0", b"\x91\x92\xc0\xc0"])
def test_a_damaged_record_is_an_integrity_error(damaged: bytes) -> None:
    with pytest.raises(IntegrityError, match="change record of commit x"):
        decode_record(msgspec.Raw(damaged), "commit x")


@pytest.mark.parametrize("forgery", ["left out", "reversed"])
async def test_verify_reports_a_record_that_disagrees_with_the_trees(
    repo: AsyncRepository, forgery: str
) -> None:
    main = repo.branch("main")
    await main.upload(b"1", "a")
    await main.upload(b"2", "b")
    good = await main.commit_changes("good")
    assert (await repo.verify()).ok
    engine = repo.engine
    snapshot = await engine.snapshots.read(bytes.fromhex(good.id))
    record = snapshot.record
    assert record is not None
    changes = decode_record(record, "the commit")
    if forgery == "left out":
        lie = changes[1:]
    else:
        lie = tuple(RecordedChange(change.new, change.old) for change in changes)
    forged, _ = await engine.snapshots.write(
        parents=snapshot.parents,
        message="forged",
        author="x",
        committed_at_us=snapshot.committed_at_us,
        metadata={},
        ranges=await engine.snapshots.ranges_of(snapshot),
        changes=msgspec.Raw(msgspec.msgpack.encode(lie)),
    )
    await main.reset_to(forged.hex())
    report = await repo.verify()
    assert [(p.object_type, p.commits) for p in report.problems] == [("snapshot", ())]
    assert "record of what it changed" in report.problems[0].detail
    assert report.problems[0].key.endswith(forged.hex())
