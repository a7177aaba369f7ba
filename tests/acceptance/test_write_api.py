"""The branch write API: upload (bytes, str, binary and text files), open("wb"/"w"),
delete_objects, copy_object, list_uncommitted, commit_changes and reset."""

from __future__ import annotations

import contextlib
import io
import os
from datetime import datetime
from pathlib import Path

import pytest

import sapwood


def uncommitted(branch: sapwood.Branch) -> dict[str, str]:
    """``{path: change type}`` of the branch's staged changes."""
    return {c.path: c.type for c in branch.list_uncommitted()}


def test_upload_bytes_returns_object_info(repo: sapwood.Repository) -> None:
    info = repo.branch("main").upload(b"hello", "h.txt")
    assert isinstance(info, sapwood.ObjectInfo)
    assert info.path == "h.txt"
    assert info.size_bytes == 5
    assert info.checksum


def test_upload_str_is_utf8(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    info = main.upload("héllo", "s.txt")
    assert info.size_bytes == len("héllo".encode())
    assert main.download("s.txt") == "héllo".encode()


def test_upload_binary_file_objects(repo: sapwood.Repository, tmp_path: Path) -> None:
    main = repo.branch("main")
    main.upload(io.BytesIO(b"from bytesio"), "bio")
    disk = tmp_path / "f.bin"
    payload = os.urandom(1_500_000)
    disk.write_bytes(payload)
    with disk.open("rb") as handle:
        main.upload(handle, "disk.bin")
    main.commit_changes("files")
    assert main.download("bio") == b"from bytesio"
    assert main.download("disk.bin") == payload


def test_upload_text_file_objects(repo: sapwood.Repository, tmp_path: Path) -> None:
    main = repo.branch("main")
    main.upload(io.StringIO("from stringio ✓"), "sio")
    disk = tmp_path / "f.txt"
    disk.write_text("text file ✓\n", encoding="utf-8")
    with disk.open("r", encoding="utf-8") as handle:
        main.upload(handle, "disk.txt")
    main.commit_changes("text")
    assert main.download("sio") == "from stringio ✓".encode()
    assert main.download("disk.txt") == "text file ✓\n".encode()


def test_upload_content_type_and_metadata(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    info = main.upload(b"<p/>", "p.html", content_type="text/html", metadata={"a": "1"})
    assert info.content_type == "text/html"
    assert info.metadata == {"a": "1"}
    main.commit_changes("html")
    stat = main.stat_object("p.html")
    assert stat.content_type == "text/html"
    assert stat.metadata == {"a": "1"}


def test_staged_changes_are_visible_on_the_branch(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"staged", "s")
    assert main.download("s") == b"staged"
    assert main.exists("s")
    assert [i.path for i in main.list_objects()] == ["s"]
    assert main.stat_object("s").size_bytes == 6


def test_staged_changes_are_not_committed(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    main.upload(b"staged", "s")
    assert main.get_commit().id == before.id
    assert not repo.commit(before.id).exists("s")


def test_list_uncommitted_and_commit(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"1", "keep")
    main.upload(b"1", "change")
    main.upload(b"1", "remove")
    main.commit_changes("base")
    assert list(main.list_uncommitted()) == []
    main.upload(b"2", "change")
    main.upload(b"new", "add")
    main.delete_objects(["remove"])
    changes = list(main.list_uncommitted())
    assert all(isinstance(c, sapwood.Change) for c in changes)
    assert {c.path: c.type for c in changes} == {
        "add": "added",
        "change": "changed",
        "remove": "removed",
    }
    commit = main.commit_changes("edit", metadata={"ticket": "42"})
    assert isinstance(commit, sapwood.Commit)
    assert commit.message == "edit"
    assert commit.metadata == {"ticket": "42"}
    assert isinstance(commit.committed_at, datetime)
    assert list(main.list_uncommitted()) == []
    assert main.get_commit().id == commit.id
    assert sorted(i.path for i in main.list_objects()) == ["add", "change", "keep"]


def test_upload_then_delete_of_a_new_file_leaves_nothing(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"x", "tmp")
    main.delete_objects("tmp")
    assert uncommitted(main) == {}
    assert not main.exists("tmp")


def test_reupload_same_content_is_not_a_change(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"same", "s")
    main.commit_changes("s")
    main.upload(b"same", "s")
    assert uncommitted(main) == {}


def test_commit_is_visible_to_another_repository_handle(memory_url: str) -> None:
    first = sapwood.repository(memory_url)
    first.branch("main").upload(b"v", "v")
    second = sapwood.repository(memory_url)
    assert not second.branch("main").exists("v")
    commit = first.branch("main").commit_changes("v")
    assert second.branch("main").get_commit().id == commit.id
    assert second.branch("main").download("v") == b"v"


def test_delete_objects_list_and_str(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    for path in ["a", "b", "c"]:
        main.upload(path.encode(), path)
    main.commit_changes("abc")
    main.delete_objects(["a", "b"])
    main.delete_objects("c")
    main.commit_changes("delete")
    assert list(main.list_objects()) == []


def test_delete_missing_object_stages_nothing(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    with contextlib.suppress(sapwood.ObjectNotFoundError):
        main.delete_objects(["missing"])
    assert uncommitted(main) == {}


def test_open_wb_streams_and_stages_on_close(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    parts = [os.urandom(700_000) for _ in range(4)]
    with main.open("stream.bin", "wb") as writer:
        assert writer.writable()
        for part in parts:
            assert writer.write(part) == len(part)
    assert uncommitted(main) == {"stream.bin": "added"}
    main.commit_changes("stream")
    assert main.download("stream.bin") == b"".join(parts)


def test_open_w_text(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    with main.open("t.txt", "w") as writer:
        writer.write("first ✓\n")
        writer.writelines(["second\n", "third\n"])
    main.commit_changes("text")
    assert main.download("t.txt") == "first ✓\nsecond\nthird\n".encode()


def test_open_writer_not_staged_when_block_raises(repo: sapwood.Repository) -> None:
    main = repo.branch("main")

    def write_then_fail() -> None:
        with main.open("broken.bin", "wb") as writer:
            writer.write(b"half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not main.exists("broken.bin")
    assert uncommitted(main) == {}


def test_copy_object_from_another_ref(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"original", "src.txt", content_type="text/plain", metadata={"m": "1"})
    c1 = main.commit_changes("src")
    main.upload(b"newer", "src.txt")
    main.commit_changes("newer")
    dev = repo.branch("dev").create("main")
    info = dev.copy_object(c1, "src.txt", "copy.txt")
    assert isinstance(info, sapwood.ObjectInfo)
    dev.copy_object("main~1", "src.txt", "copy2.txt")
    dev.copy_object(repo.ref("main"), "src.txt", "copy3.txt")
    dev.commit_changes("copies")
    assert dev.download("copy.txt") == b"original"
    assert dev.download("copy2.txt") == b"original"
    assert dev.download("copy3.txt") == b"newer"
    assert dev.stat_object("copy.txt").metadata == {"m": "1"}
    assert dev.stat_object("copy.txt").content_type == "text/plain"


def test_copy_object_default_to_path_is_same_path(repo: sapwood.Repository) -> None:
    dev = repo.branch("dev").create("main")
    dev.upload(b"from dev", "shared/file.txt")
    dev.commit_changes("dev")
    main = repo.branch("main")
    main.copy_object("dev", "shared/file.txt")
    assert uncommitted(main) == {"shared/file.txt": "added"}
    assert main.download("shared/file.txt") == b"from dev"


def test_copy_missing_object_raises(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.ObjectNotFoundError):
        repo.branch("main").copy_object("main", "missing", "to")


def test_reset_one_path_and_all(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"1", "a")
    main.commit_changes("a")
    main.upload(b"2", "a")
    main.upload(b"b", "b")
    main.upload(b"c", "c")
    main.reset("b")
    assert uncommitted(main) == {"a": "changed", "c": "added"}
    main.reset()
    assert uncommitted(main) == {}
    assert main.download("a") == b"1"
    assert not main.exists("c")


def test_large_upload_round_trips_and_shares_chunks(file_repo: sapwood.Repository) -> None:
    main = file_repo.branch("main")
    payload = bytearray(os.urandom(8 * 1024 * 1024))
    main.upload(bytes(payload), "big")
    main.commit_changes("big")
    payload[4_000_000:4_000_010] = b"0123456789"
    main.upload(bytes(payload), "big")
    main.commit_changes("small edit")
    assert main.download("big") == bytes(payload)
    assert file_repo.ref("main~1").download("big")[4_000_000:4_000_010] != b"0123456789"


def test_thousand_small_files_then_a_hundred_changes(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    for number in range(1000):
        main.upload(number.to_bytes(2, "big") * 2048, f"files/{number:04}.bin")
    main.commit_changes("1000 files")
    assert sum(1 for _ in main.list_objects(prefix="files/")) == 1000
    for number in range(0, 1000, 10):
        main.upload(b"changed", f"files/{number:04}.bin")
    main.commit_changes("100 changes")
    changes = list(repo.ref("main~1").diff("main"))
    assert len(changes) == 100
    assert {c.type for c in changes} == {"changed"}
    assert main.download("files/0010.bin") == b"changed"
    assert main.download("files/0011.bin") == (11).to_bytes(2, "big") * 2048
