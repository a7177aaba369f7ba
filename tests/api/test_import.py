"""``branch.import_from(uri, destination, message)``: objects already in a store come into
a branch as one commit, copied in, or by reference under a virtual chunk container."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import sapwood
import sapwood.aio
from sapwood import ObjectStoreConfig, RepositoryConfig, VirtualChunkContainer
from sapwood.stores import open_storage


def fill_folder(root: Path) -> None:
    (root / "raw" / "2024").mkdir(parents=True)
    (root / "raw" / "2024" / "a.csv").write_text("a,1\n")
    (root / "raw" / "2024" / "b.csv").write_text("b,2\n")
    (root / "raw" / "notes.txt").write_text("notes\n")


def test_a_folder_is_imported_as_one_commit(repo: sapwood.Repository, tmp_path: Path) -> None:
    fill_folder(tmp_path)
    main = repo.branch("main")
    main.upload(b"staged on the handle", "staged.txt")
    manager = main.import_from((tmp_path / "raw").as_uri(), "imported/", "Import raw data")
    status = manager.run()
    assert status.completed
    assert status.ingested_objects == 3
    assert status.error is None
    assert status.commit is not None
    assert status.commit.message == "Import raw data"
    assert [o.path for o in main.head().list_objects()] == [
        "imported/2024/a.csv",
        "imported/2024/b.csv",
        "imported/notes.txt",
    ]
    assert main.head().download("imported/2024/b.csv") == b"b,2\n"
    assert [c.path for c in main.list_uncommitted()] == ["staged.txt"]  # not swept in


def test_several_sources_run_in_the_background(repo: sapwood.Repository, tmp_path: Path) -> None:
    fill_folder(tmp_path)
    other = f"memory://import-{uuid.uuid4().hex[:8]}/exports"
    store = open_storage(other)
    sapwood._loop.run(store.put("x.json", b"{}"))
    manager = repo.branch("main").import_from((tmp_path / "raw" / "2024").as_uri(), "", "both")
    manager.prefix(other, "json")
    assert manager.sources[1] == (other, "json")
    manager.start()
    status = manager.wait()
    assert status.ingested_objects == 3
    assert repo.branch("main").download("json/x.json") == b"{}"
    assert repo.branch("main").exists("a.csv")


def test_an_empty_source_completes_with_nothing_committed(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    status = main.import_from((tmp_path / "missing").as_uri(), "x/", "never").run()
    assert status.completed
    assert status.ingested_objects == 0
    assert status.commit is None
    assert main.get_commit() == before
    with pytest.raises(sapwood.PluginError, match="importer"):
        main.import_from("hdfs://repo/main/", "x/", "needs a plugin")


def test_objects_under_a_virtual_container_are_imported_by_reference(tmp_path: Path) -> None:
    fill_folder(tmp_path)
    source = (tmp_path / "raw").as_uri()
    container = VirtualChunkContainer(
        name="raw",
        prefix=source + "/",
        store=ObjectStoreConfig(object_store="local", prefix=str(tmp_path / "raw")),
    )
    config = RepositoryConfig(virtual_chunk_containers={"raw": container})
    with sapwood.repository(tmp_path / "repo", config=config) as repository:
        main = repository.branch("main")
        main.import_from(source, "", "by reference").run()
        info = main.stat_object("notes.txt")
        assert info.physical_address == f"{source}/notes.txt"
        assert main.download("notes.txt") == b"notes\n"


def test_sources_chain_and_single_objects_are_imported(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    fill_folder(tmp_path)
    main = repo.branch("main")
    manager = (
        main.import_from((tmp_path / "raw" / "2024").as_uri(), "csv/", "chained")
        .object((tmp_path / "raw" / "notes.txt").as_uri(), "docs/README.txt")
        .prefix((tmp_path / "raw" / "2024").as_uri(), "again/")
    )
    status = manager.run()
    assert status.ingested_objects == 5
    assert [o.path for o in main.list_objects()] == [
        "again/a.csv",
        "again/b.csv",
        "csv/a.csv",
        "csv/b.csv",
        "docs/README.txt",
    ]
    assert main.download("docs/README.txt") == b"notes\n"
    with pytest.raises(sapwood.ObjectNotFoundError, match=r"nope\.txt"):
        main.import_from((tmp_path / "raw").as_uri(), "x/", "m").object(
            (tmp_path / "raw" / "nope.txt").as_uri(), "nope.txt"
        ).run()
    with pytest.raises(sapwood.InvalidPathError):
        main.import_from((tmp_path / "raw").as_uri(), "x/", "m").object(
            (tmp_path / "raw" / "notes.txt").as_uri(), "folder/"
        )


def test_message_and_metadata_are_settable_until_start(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    fill_folder(tmp_path)
    manager = repo.branch("main").import_from((tmp_path / "raw").as_uri(), "", "first")
    manager.commit_message = "second thoughts"
    manager.metadata = {"source": "lab"}
    assert manager.commit_message == "second thoughts"
    import_id = manager.start()
    assert import_id == manager.id
    assert len(import_id) == 32
    with pytest.raises(sapwood.SapwoodError, match="has started"):
        manager.commit_message = "too late"
    with pytest.raises(sapwood.SapwoodError, match="has started"):
        manager.metadata = {"too": "late"}
    with pytest.raises(sapwood.SapwoodError, match="has started"):
        manager.prefix((tmp_path / "raw").as_uri(), "more/")
    status = manager.wait()
    assert status.commit is not None
    assert status.commit.message == "second thoughts"
    assert status.commit.metadata == {"source": "lab"}
    with pytest.raises(TypeError, match="metadata maps str to str"):
        repo.branch("main").import_from((tmp_path / "raw").as_uri(), "", "m").metadata = {
            "n": 1  # type: ignore[dict-item]
        }


def test_cancel_refuses_unless_running(repo: sapwood.Repository, tmp_path: Path) -> None:
    fill_folder(tmp_path)
    manager = repo.branch("main").import_from((tmp_path / "raw").as_uri(), "", "m")
    with pytest.raises(sapwood.SapwoodError, match="has not started"):
        manager.cancel()
    manager.run()
    with pytest.raises(sapwood.SapwoodError, match="completed already"):
        manager.cancel()


async def test_async_import_manager(tmp_path: Path) -> None:
    fill_folder(tmp_path)
    async with await sapwood.aio.AsyncRepository.create(tmp_path / "repo") as repository:
        manager = repository.branch("main").import_from((tmp_path / "raw").as_uri(), "", "m")
        manager.commit_message = "async import"
        started = await manager.start()
        assert started == manager.id
        status = await manager.wait()
        assert status.commit is not None
        assert status.commit.message == "async import"
        with pytest.raises(sapwood.SapwoodError, match="completed already"):
            await manager.cancel()


def test_a_single_object_from_a_memory_store(repo: sapwood.Repository) -> None:
    other = f"memory://import-{uuid.uuid4().hex[:8]}/exports"
    store = open_storage(other)
    sapwood._loop.run(store.put("deep/x.json", b"{}", content_type="application/json"))
    main = repo.branch("main")
    status = (
        main.import_from(other + "/deep", "all/", "m")
        .object(other + "/deep/x.json", "one.json")
        .run()
    )
    assert status.ingested_objects == 2
    assert main.download("one.json") == b"{}"
    assert main.stat_object("one.json").content_type == "application/json"


def test_a_plain_folder_path_is_refused_saying_how_to_write_it(
    repo: sapwood.Repository, tmp_path: Path
) -> None:
    with pytest.raises(sapwood.ConfigError, match="file:///absolute/path") as raised:
        repo.branch("main").import_from(str(tmp_path), "raw/", "import")
    assert raised.value.field == "uri"
