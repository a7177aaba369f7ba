"""The read API on any reference: download, open ("rb"/"r"), list_objects, stat_object and
exists, on branches, tags, commits and ref expressions."""

from __future__ import annotations

import csv
import io
import os
import shutil
import zipfile
from datetime import datetime

import pytest

import sapwood

BIG = os.urandom(3 * 1024 * 1024 + 17)


@pytest.fixture
def populated(repo: sapwood.Repository) -> sapwood.Repository:
    """A repository whose main holds a small tree and one multi-MiB file."""
    main = repo.branch("main")
    for path in ["a.txt", "b/1.txt", "b/2.txt", "b/c/3.txt", "d.txt", "e/4.txt"]:
        main.upload(path.encode(), path)
    main.upload("line one\nline two\nline three\n", "lines.txt")
    main.upload(BIG, "big.bin")
    main.commit_changes("populate")
    return repo


def test_download_from_every_reference_kind(populated: sapwood.Repository) -> None:
    commit = populated.branch("main").get_commit()
    populated.tag("v1").create("main")
    refs: list[sapwood.Reference] = [
        populated.branch("main"),
        populated.tag("v1"),
        populated.commit(commit.id),
        populated.ref("main"),
        populated.ref("v1"),
        populated.ref(commit.id),
    ]
    for ref in refs:
        assert ref.download("b/c/3.txt") == b"b/c/3.txt"


def test_download_large_file(populated: sapwood.Repository) -> None:
    assert populated.branch("main").download("big.bin") == BIG


def test_download_missing_raises(populated: sapwood.Repository) -> None:
    with pytest.raises(sapwood.ObjectNotFoundError):
        populated.branch("main").download("nope.txt")
    with pytest.raises(sapwood.ObjectNotFoundError):
        populated.branch("main").download("b")


def test_open_rb_read_seek_tell(populated: sapwood.Repository) -> None:
    with populated.branch("main").open("big.bin", "rb") as reader:
        assert reader.readable()
        assert reader.seekable()
        assert reader.read(10) == BIG[:10]
        assert reader.tell() == 10
        reader.seek(2 * 1024 * 1024 + 5)
        assert reader.read(100) == BIG[2 * 1024 * 1024 + 5 : 2 * 1024 * 1024 + 105]
        reader.seek(-7, io.SEEK_END)
        assert reader.read() == BIG[-7:]
        assert reader.read() == b""
        reader.seek(3, io.SEEK_SET)
        reader.seek(4, io.SEEK_CUR)
        assert reader.tell() == 7
        assert reader.read(3) == BIG[7:10]
        reader.seek(0)
        assert reader.read() == BIG


def test_open_rb_readline_and_iteration(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    with main.open("lines.txt", "rb") as reader:
        assert reader.readline() == b"line one\n"
        assert list(reader) == [b"line two\n", b"line three\n"]
    with main.open("lines.txt") as default_mode:  # "rb" is the default
        assert default_mode.read(4) == b"line"


def test_open_rb_readinto(populated: sapwood.Repository) -> None:
    buffer = bytearray(5)
    with populated.branch("main").open("big.bin", "rb") as reader:
        assert reader.readinto(buffer) == 5
    assert bytes(buffer) == BIG[:5]


def test_open_r_text(populated: sapwood.Repository) -> None:
    with populated.branch("main").open("lines.txt", "r") as reader:
        assert reader.readline() == "line one\n"
        assert [line.rstrip("\n") for line in reader] == ["line two", "line three"]
    with populated.branch("main").open("lines.txt", "r") as reader:
        assert reader.read() == "line one\nline two\nline three\n"
        reader.seek(0)
        assert reader.readlines() == ["line one\n", "line two\n", "line three\n"]


def test_open_closed_reader_refuses(populated: sapwood.Repository) -> None:
    reader = populated.branch("main").open("a.txt", "rb")
    reader.close()
    assert reader.closed
    with pytest.raises(ValueError):
        reader.read()


def test_open_missing_raises(populated: sapwood.Repository) -> None:
    with pytest.raises(sapwood.ObjectNotFoundError):
        populated.branch("main").open("missing", "rb")


def test_open_bad_mode(populated: sapwood.Repository) -> None:
    with pytest.raises((ValueError, sapwood.SapwoodError)):
        populated.branch("main").open("a.txt", "a")  # type: ignore[call-overload]


def test_open_on_tag_refuses_writing(populated: sapwood.Repository) -> None:
    populated.tag("v1").create("main")
    with pytest.raises((ValueError, sapwood.SapwoodError)):
        populated.tag("v1").open("new", "wb")  # type: ignore[call-overload]


def test_list_objects_all_sorted(populated: sapwood.Repository) -> None:
    items = list(populated.branch("main").list_objects())
    assert [i.path for i in items] == [
        "a.txt",
        "b/1.txt",
        "b/2.txt",
        "b/c/3.txt",
        "big.bin",
        "d.txt",
        "e/4.txt",
        "lines.txt",
    ]
    assert all(isinstance(i, sapwood.ObjectInfo) for i in items)
    sizes = {i.path: i.size_bytes for i in items if isinstance(i, sapwood.ObjectInfo)}
    assert sizes["big.bin"] == len(BIG)
    assert sizes["b/c/3.txt"] == len(b"b/c/3.txt")


def test_list_objects_prefix(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    assert [i.path for i in main.list_objects(prefix="b/")] == ["b/1.txt", "b/2.txt", "b/c/3.txt"]
    assert [i.path for i in main.list_objects(prefix="b")] == [
        "b/1.txt",
        "b/2.txt",
        "b/c/3.txt",
        "big.bin",
    ]
    assert list(main.list_objects(prefix="zzz")) == []


def test_list_objects_delimiter(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    top = list(main.list_objects(delimiter="/"))
    assert [i.path for i in top] == [
        "a.txt",
        "b/",
        "big.bin",
        "d.txt",
        "e/",
        "lines.txt",
    ]
    prefixes = [i for i in top if isinstance(i, sapwood.CommonPrefix)]
    assert [p.path for p in prefixes] == ["b/", "e/"]
    assert not any(isinstance(i, sapwood.ObjectInfo) for i in prefixes)
    inside = list(main.list_objects(prefix="b/", delimiter="/"))
    assert [i.path for i in inside] == ["b/1.txt", "b/2.txt", "b/c/"]
    assert isinstance(inside[-1], sapwood.CommonPrefix)


def test_list_objects_after_and_max_amount(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    assert [i.path for i in main.list_objects(after="b/2.txt")] == [
        "b/c/3.txt",
        "big.bin",
        "d.txt",
        "e/4.txt",
        "lines.txt",
    ]
    assert [i.path for i in main.list_objects(max_amount=2)] == ["a.txt", "b/1.txt"]
    assert [i.path for i in main.list_objects(prefix="b/", after="b/1.txt", max_amount=1)] == [
        "b/2.txt"
    ]
    assert [i.path for i in main.list_objects(delimiter="/", after="b/")] == [
        "big.bin",
        "d.txt",
        "e/",
        "lines.txt",
    ]


def test_list_objects_pages_through(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    seen: list[str] = []
    after = ""
    while True:
        page = [i.path for i in main.list_objects(max_amount=3, after=after)]
        if not page:
            break
        seen.extend(page)
        after = page[-1]
    assert seen == [i.path for i in main.list_objects()]


def test_stat_object(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"{}", "conf.json", content_type="application/json", metadata={"owner": "me"})
    main.commit_changes("conf")
    info = main.stat_object("conf.json")
    assert isinstance(info, sapwood.ObjectInfo)
    assert info.path == "conf.json"
    assert info.size_bytes == 2
    assert info.content_type == "application/json"
    assert info.metadata == {"owner": "me"}
    assert isinstance(info.checksum, str)
    assert info.checksum
    assert isinstance(info.modified_time, datetime)
    assert info.physical_address is None or isinstance(info.physical_address, str)


def test_stat_checksum_is_content_based(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"same", "one")
    main.upload(b"same", "two")
    main.upload(b"different", "three")
    main.commit_changes("c")
    assert main.stat_object("one").checksum == main.stat_object("two").checksum
    assert main.stat_object("one").checksum != main.stat_object("three").checksum


def test_stat_missing_raises(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.ObjectNotFoundError):
        repo.branch("main").stat_object("missing")


def test_exists(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    assert main.exists("a.txt") is True
    assert main.exists("b/c/3.txt") is True
    assert main.exists("b") is False
    assert main.exists("missing") is False


def test_reads_of_an_old_commit_are_stable(populated: sapwood.Repository) -> None:
    main = populated.branch("main")
    old = main.get_commit()
    main.upload(b"changed", "a.txt")
    main.delete_objects(["d.txt"])
    main.commit_changes("change")
    then = populated.commit(old.id)
    assert then.download("a.txt") == b"a.txt"
    assert then.exists("d.txt")
    assert populated.ref("main~1").download("d.txt") == b"d.txt"
    assert not main.exists("d.txt")


def test_empty_file_round_trips(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"", "empty")
    main.commit_changes("empty")
    assert main.download("empty") == b""
    assert main.stat_object("empty").size_bytes == 0
    with main.open("empty", "rb") as reader:
        assert reader.read() == b""


def test_open_r_tell(populated: sapwood.Repository) -> None:
    with populated.branch("main").open("lines.txt", "r") as reader:
        reader.readline()
        position = reader.tell()
        rest = reader.read()
        reader.seek(position)
        assert reader.read() == rest == "line two\nline three\n"


def test_readers_work_with_standard_library_consumers(repo: sapwood.Repository) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("inner.txt", "inside the zip")
    main = repo.branch("main")
    main.upload(archive.getvalue(), "a.zip")
    main.upload("a,b\n1,2\n", "t.csv")
    main.commit_changes("files")
    with zipfile.ZipFile(main.open("a.zip", "rb")) as reader:
        assert reader.read("inner.txt") == b"inside the zip"
    with main.open("t.csv", "r") as rows:
        assert list(csv.reader(rows)) == [["a", "b"], ["1", "2"]]
    copy = io.BytesIO()
    with main.open("a.zip", "rb") as source:
        shutil.copyfileobj(source, copy)
    assert copy.getvalue() == archive.getvalue()
    # ObjectWriter.close() returns the staged ObjectInfo, so typeshed's _ZipWritable (whose
    # close() returns None) does not match it statically; at run time ZipFile is happy.
    with main.open("b.zip", "wb") as target:
        zipped = zipfile.ZipFile(target, "w")  # type: ignore[call-overload]
        zipped.writestr("x", "y")
        zipped.close()
    with zipfile.ZipFile(main.open("b.zip", "rb")) as reader:
        assert reader.read("x") == b"y"
