"""``repo.verify()`` (fsck) finds every missing or damaged object and says what reaches it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.engine.format import Snapshot
from sapwood.engine.keys import blob_key, branch_pointer_key, manifest_key, snapshot_key
from sapwood.models import VerificationReport
from sapwood.storage import Storage

CONFIG = RepositoryConfig(chunking=ChunkingConfig(manifest_range_entries=16))
"""Tiny manifest ranges, so a commit of 600 files keeps its range table in an index."""


@pytest.fixture(params=["memory", "local"])
async def repo(
    request: pytest.FixtureRequest, memory_name: str, tmp_path: Path
) -> AsyncIterator[AsyncRepository]:
    """A repository with history on two branches and a tag."""
    url = f"memory://{memory_name}" if request.param == "memory" else (tmp_path / "r").as_uri()
    repository = await AsyncRepository.create(url, config=CONFIG)
    main = repository.branch("main")
    await main.upload(b"first version " * 100, "data/file.bin")
    await main.upload(b"tiny", "data/tiny.txt")
    first = await main.commit_changes("first")
    await repository.tag("v1").create(first.id)
    await main.upload(b"second version " * 100, "data/file.bin")
    await main.commit_changes("second")
    dev = await repository.branch("dev").create("main")
    for number in range(600):
        await dev.upload(f"row {number}\n".encode(), f"many/{number:04d}.txt")
    await dev.commit_changes("many")
    yield repository
    await repository.close()


def storage(repo: AsyncRepository) -> Storage:
    return repo.engine.layer.storage


async def flip(repo: AsyncRepository, key: str) -> None:
    """Change one byte of a stored object, keeping its metadata."""
    data, meta = await storage(repo).get_with_meta(key)
    damaged = data[:-1] + bytes([data[-1] ^ 0xFF])
    await storage(repo).put(key, damaged, metadata=meta.metadata, content_type=meta.content_type)


async def head_snapshot(repo: AsyncRepository, ref: str) -> tuple[bytes, Snapshot]:
    raw = bytes.fromhex((await repo.ref(ref).get_commit()).id)
    return raw, await repo.engine.snapshots.read(raw)


async def blob_of(repo: AsyncRepository, ref: str, path: str) -> bytes:
    raw = bytes.fromhex((await repo.ref(ref).get_commit()).id)
    entry = await (await repo.engine.tree(raw)).get(path)
    assert entry is not None
    assert entry.chunks
    return entry.chunks[0].id


async def fresh_report(repo: AsyncRepository, check_content: bool = True) -> VerificationReport:
    return await repo.verify(check_content=check_content)


async def test_a_healthy_repository_verifies(repo: AsyncRepository) -> None:
    report = await fresh_report(repo)
    assert report.ok, report.problems
    assert report.commits_checked == 4  # creation, first, second, many
    assert report.objects_checked >= 4 + 1 + 2  # snapshots, the index, two blobs, packs
    quick = await fresh_report(repo, check_content=False)
    assert quick.ok


async def test_a_missing_blob_is_reported_with_its_commits_and_refs(
    repo: AsyncRepository,
) -> None:
    blob = await blob_of(repo, "v1", "data/file.bin")
    await storage(repo).delete(blob_key(blob))
    for check_content in (True, False):
        report = await fresh_report(repo, check_content)
        [problem] = report.problems
        assert (problem.kind, problem.object_type, problem.key) == (
            "missing",
            "blob",
            blob_key(blob),
        )
        v1 = (await repo.tag("v1").get_commit()).id
        assert problem.commits == (v1,)
        assert problem.refs == ("branch dev", "branch main", "tag v1")


async def test_a_damaged_blob_is_reported(repo: AsyncRepository) -> None:
    blob = await blob_of(repo, "main", "data/file.bin")
    await flip(repo, blob_key(blob))
    [problem] = (await fresh_report(repo)).problems
    assert (problem.kind, problem.object_type) == ("damaged", "blob")
    assert "tag v1" not in problem.refs
    assert (await fresh_report(repo, check_content=False)).ok  # only presence was checked


async def test_a_missing_or_damaged_commit_is_reported(repo: AsyncRepository) -> None:
    raw, _ = await head_snapshot(repo, "main~1")
    await storage(repo).delete(snapshot_key(raw))
    problems = (await fresh_report(repo)).problems
    assert [(p.kind, p.object_type, p.key) for p in problems] == [
        ("missing", "snapshot", snapshot_key(raw))
    ]
    assert set(problems[0].refs) == {"branch main", "branch dev", "tag v1"}
    head, _ = await head_snapshot(repo, "main")
    await flip(repo, snapshot_key(head))
    kinds = {(p.kind, p.object_type) for p in (await fresh_report(repo)).problems}
    assert ("damaged", "snapshot") in kinds


async def test_a_missing_index_and_a_damaged_pack_are_reported(repo: AsyncRepository) -> None:
    raw, snapshot = await head_snapshot(repo, "dev")
    assert snapshot.index is not None
    await storage(repo).delete(manifest_key(snapshot.index))
    [problem] = (await fresh_report(repo)).problems
    assert (problem.kind, problem.object_type) == ("missing", "index")
    assert problem.commits == (raw.hex(),)
    assert problem.refs == ("branch dev",)


async def test_damaged_packs_and_ranges_are_reported(repo: AsyncRepository) -> None:
    _, snapshot = await head_snapshot(repo, "main")
    assert snapshot.ranges is not None
    pack = snapshot.ranges.packs[0]
    await flip(repo, manifest_key(pack))
    report = await fresh_report(repo)
    assert {(p.kind, p.object_type) for p in report.problems} <= {
        ("damaged", "pack"),
        ("damaged", "range"),
    }
    assert ("damaged", "pack") in {(p.kind, p.object_type) for p in report.problems}
    await storage(repo).delete(manifest_key(pack))
    missing = [p for p in (await fresh_report(repo)).problems if p.kind == "missing"]
    assert [(p.object_type, p.key) for p in missing] == [("pack", manifest_key(pack))]


async def test_a_damaged_ref_is_reported_and_the_rest_checked(repo: AsyncRepository) -> None:
    await storage(repo).put(branch_pointer_key("dev"), json.dumps({"snapshot": "zz"}).encode())
    report = await fresh_report(repo)
    [problem] = report.problems
    assert (problem.kind, problem.object_type, problem.key) == ("damaged", "ref", "branch dev")
    assert report.commits_checked == 3
