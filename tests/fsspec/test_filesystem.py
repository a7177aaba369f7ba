"""SapwoodFileSystem's own behaviour: how paths name refs, which refs take writes, how many
commits each call makes, transactions, create-only writes, ranged reads and listings."""

from __future__ import annotations

import contextlib
import errno
import pickle
from pathlib import Path

import fsspec
import pytest

import sapwood
from sapwood.errors import ObjectExistsError
from sapwood.fsspec import FolderNotEmptyError, ReadOnlyReferenceError, SapwoodFileSystem

from .conftest import messages

# -- finding the filesystem and the repository -------------------------------------------


def test_fsspec_finds_the_protocol_through_the_entry_point(memory_url: str) -> None:
    sapwood.Repository.create(memory_url).close()

    assert fsspec.get_filesystem_class("sapwood") is SapwoodFileSystem
    fs, path = fsspec.url_to_fs("sapwood://main/data/a.csv", repo=memory_url)

    assert isinstance(fs, SapwoodFileSystem)
    assert path == "main/data/a.csv"
    fs.close()


def test_the_repository_comes_from_sapwood_repo_when_not_given(
    memory_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sapwood.Repository.create(memory_url) as repo:
        repo.branch("main").upload(b"x", "a.txt")
        repo.branch("main").commit_changes("add a")
    monkeypatch.setenv("SAPWOOD_REPO", memory_url)

    with fsspec.open("sapwood://main/a.txt", "rb") as f:
        assert f.read() == b"x"
    SapwoodFileSystem.clear_instance_cache()


def test_no_repository_at_all_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAPWOOD_REPO", raising=False)

    with pytest.raises(sapwood.ConfigError, match="SAPWOOD_REPO") as caught:
        SapwoodFileSystem(skip_instance_cache=True)
    assert caught.value.field == "repo"


def test_an_unknown_storage_option_is_refused_not_ignored(memory_url: str) -> None:
    with pytest.raises(sapwood.ConfigError, match="'version_aware'") as caught:
        SapwoodFileSystem(repo=memory_url, version_aware=True, skip_instance_cache=True)
    assert caught.value.field == "version_aware"


def test_credentials_with_an_open_repository_are_refused(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.ConfigError, match="already open"):
        SapwoodFileSystem(
            repo=repo, credentials=sapwood.AnonymousCredentials(), skip_instance_cache=True
        )


def test_anon_opens_the_repository_without_credentials(memory_url: str) -> None:
    sapwood.Repository.create(memory_url).close()

    fs = SapwoodFileSystem(repo=memory_url, anon=True, skip_instance_cache=True)

    assert fs.ls("", detail=False) == ["main"]
    fs.close()
    with pytest.raises(sapwood.ConfigError, match="not both"):
        SapwoodFileSystem(
            repo=memory_url,
            anon=True,
            credentials=sapwood.AnonymousCredentials(),
            skip_instance_cache=True,
        )


def test_a_missing_repository_is_created_only_when_asked(memory_url: str) -> None:
    with pytest.raises(sapwood.RepositoryNotFoundError):
        SapwoodFileSystem(repo=memory_url, skip_instance_cache=True)

    fs = SapwoodFileSystem(repo=memory_url, create=True, skip_instance_cache=True)
    fs.pipe("main/a.txt", b"a")

    assert sapwood.Repository.exists(memory_url)
    fs.close()


def test_two_repository_objects_that_print_alike_get_their_own_filesystem(
    memory_url: str,
) -> None:
    first = sapwood.Repository.create(memory_url)
    second = sapwood.Repository.open(memory_url)
    assert repr(first) == repr(second)

    fs_first = fsspec.filesystem("sapwood", repo=first)
    fs_second = fsspec.filesystem("sapwood", repo=second)

    assert fs_first is not fs_second
    assert fs_second.repository is second
    assert fsspec.filesystem("sapwood", repo=first) is fs_first
    assert SapwoodFileSystem(second).repository is second  # positional too
    for fs, repo in ((fs_first, first), (fs_second, second)):
        fs.close()
        repo.close()


def test_a_filesystem_on_a_url_and_its_open_files_pickle(memory_url: str) -> None:
    sapwood.Repository.create(memory_url).close()
    fs = SapwoodFileSystem(repo=memory_url, skip_instance_cache=True)
    fs.pipe("main/a.txt", b"hello world")
    reading = fs.open("main/a.txt", "rb")
    reading.seek(6)

    copy = pickle.loads(pickle.dumps(fs))
    reopened = pickle.loads(pickle.dumps(reading))

    assert copy.cat("main/a.txt") == b"hello world"
    assert reopened.read() == b"world"
    reading.close()
    reopened.close()
    fs.close()
    copy.close()


# -- listing ------------------------------------------------------------------------------


def test_the_root_lists_branches_and_tags_as_folders(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    repo.branch("dev").create("main")
    repo.tag("v1").create("main")

    entries = fs.ls("sapwood://")

    assert [(e["name"], e["type"], e["ref_type"]) for e in entries] == [
        ("dev", "directory", "branch"),
        ("main", "directory", "branch"),
        ("v1", "directory", "tag"),
    ]


def test_listing_folds_deeper_paths_into_folders(fs: SapwoodFileSystem) -> None:
    fs.pipe({"main/a.txt": b"a", "main/d/b.txt": b"bb", "main/d/e/c.txt": b"ccc"})

    assert fs.ls("main", detail=False) == ["main/a.txt", "main/d"]
    assert fs.ls("sapwood://main/d/", detail=False) == ["main/d/b.txt", "main/d/e"]
    assert fs.find("main") == ["main/a.txt", "main/d/b.txt", "main/d/e/c.txt"]
    assert fs.ls("main/d/b.txt", detail=False) == ["main/d/b.txt"]
    assert fs.du("main") == 6


def test_find_reads_one_listing_at_one_commit(fs: SapwoodFileSystem) -> None:
    fs.pipe({"main/a.txt": b"a", "main/d/b.txt": b"b", "main/d/e/c.txt": b"c", "main/dx": b"x"})

    assert fs.find("main/d") == ["main/d/b.txt", "main/d/e/c.txt"]
    assert fs.find("main/d", withdirs=True) == [
        "main/d",
        "main/d/b.txt",
        "main/d/e",
        "main/d/e/c.txt",
    ]
    assert fs.find("main/d", maxdepth=1) == ["main/d/b.txt"]
    assert fs.find("main/a.txt") == ["main/a.txt"]
    assert fs.find("main/nothing") == []
    assert fs.find("main/d", detail=True)["main/d/e/c.txt"]["size"] == 1
    assert fs.glob("main/d/**/*.txt") == ["main/d/b.txt", "main/d/e/c.txt"]


def test_info_describes_objects_and_folders(fs: SapwoodFileSystem) -> None:
    fs.pipe_file("main/d/b.csv", b"x,y\n", metadata={"owner": "ana"})

    info = fs.info("main/d/b.csv")
    folder = fs.info("main/d")

    assert info["type"] == "file"
    assert info["size"] == 4
    assert info["content_type"] == "text/csv"
    assert info["metadata"] == {"owner": "ana"}
    assert info["checksum"] == fs.ukey("main/d/b.csv")
    assert info["modified"] == fs.modified("main/d/b.csv") == fs.created("main/d/b.csv")
    assert folder == {"name": "main/d", "size": 0, "type": "directory"}
    assert fs.isdir("main")
    assert fs.isdir("main/d")
    assert fs.isfile("main/d/b.csv")


def test_missing_paths_and_refs_are_file_not_found(fs: SapwoodFileSystem) -> None:
    with pytest.raises(FileNotFoundError):
        fs.info("main/nothing")
    with pytest.raises(FileNotFoundError):
        fs.ls("main/nothing")
    with pytest.raises(FileNotFoundError, match="no ref 'nobranch'"):
        fs.ls("nobranch")
    assert not fs.exists("nobranch/a.txt")
    assert not fs.isdir("nobranch")
    assert not fs.exists("main/a//b")


def test_checksum_is_the_content_hash(fs: SapwoodFileSystem) -> None:
    fs.pipe({"main/a": b"same", "main/b": b"same", "main/c": b"other"})

    assert fs.checksum("main/a") == fs.checksum("main/b") != fs.checksum("main/c")


# -- refs ---------------------------------------------------------------------------------


def test_any_ref_reads(fs: SapwoodFileSystem, repo: sapwood.Repository) -> None:
    fs.pipe_file("main/a.txt", b"one")
    first = repo.ref("main").get_commit()
    repo.tag("v1").create("main")
    fs.pipe_file("main/a.txt", b"two")

    assert fs.cat("main/a.txt") == b"two"
    assert fs.cat("v1/a.txt") == b"one"
    assert fs.cat(f"{first.id}/a.txt") == b"one"
    assert fs.cat("main~1/a.txt") == b"one"
    assert fs.cat("main^/a.txt") == b"one"


def test_a_branch_with_a_slash_is_written_with_percent_2f(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    repo.branch("feature/x").create("main")

    fs.pipe_file("sapwood://feature%2Fx/a.txt", b"a")

    assert repo.branch("feature/x").download("a.txt") == b"a"
    assert "feature%2Fx" in fs.ls("", detail=False)
    assert fs.ls("feature%2Fx", detail=False) == ["feature%2Fx/a.txt"]
    # Written with a plain /, the read fails saying how to write it.
    with pytest.raises(FileNotFoundError, match=r"sapwood://feature%2Fx/\.\.\."):
        fs.cat("sapwood://feature/x/a.txt")


@pytest.mark.parametrize("ref", ["v1", "main~1", "commit"])
def test_only_a_branch_takes_writes(
    fs: SapwoodFileSystem, repo: sapwood.Repository, ref: str
) -> None:
    fs.pipe_file("main/a.txt", b"one")
    repo.tag("v1").create("main")
    if ref == "commit":
        ref = repo.ref("main").get_commit().id
    before = messages(repo)

    with pytest.raises(ReadOnlyReferenceError, match="not a branch") as caught:
        fs.pipe_file(f"{ref}/a.txt", b"two")
    with pytest.raises(OSError, match="not a branch"), fs.open(f"{ref}/b.txt", "wb") as f:
        f.write(b"b")

    assert isinstance(caught.value, sapwood.SapwoodError)
    assert caught.value.errno == errno.EROFS  # as a read-only file system says
    assert not isinstance(caught.value, PermissionError)  # pandas would retry anonymously
    assert messages(repo) == before
    assert fs.cat("main/a.txt") == b"one"


def test_a_write_to_a_missing_branch_says_the_branch_is_missing(fs: SapwoodFileSystem) -> None:
    with pytest.raises(sapwood.RefNotFoundError, match="nobranch"):
        fs.pipe_file("nobranch/a.txt", b"a")


def test_a_path_that_names_only_a_ref_is_not_an_object(fs: SapwoodFileSystem) -> None:
    with pytest.raises(sapwood.InvalidPathError, match="names a ref"):
        fs.pipe_file("main", b"a")
    with pytest.raises(sapwood.InvalidPathError, match="names a ref"):
        fs.open("main", "rb")


# -- one commit per call ------------------------------------------------------------------


def test_each_closed_file_is_one_commit(fs: SapwoodFileSystem, repo: sapwood.Repository) -> None:
    with fs.open("main/a.bin", "wb", block_size=5 * 2**20) as f:
        for _ in range(3):
            f.write(b"x" * 3_000_000)  # flushed in several blocks, one object
    with fs.open("main/b.txt", "w") as text:
        text.write("hello")

    assert messages(repo) == ["Write b.txt", "Write a.bin"]
    assert fs.size("main/a.bin") == 9_000_000
    assert fs.read_text("main/b.txt") == "hello"


def test_a_file_opened_without_autocommit_commits_when_told(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    kept = fs.open("main/kept.txt", "wb", autocommit=False)
    kept.write(b"kept")
    kept.close()
    dropped = fs.open("main/dropped.txt", "wb", autocommit=False)
    dropped.write(b"dropped")
    dropped.close()
    assert messages(repo) == []

    kept.commit()
    dropped.discard()
    never_closed = fs.open("main/never.txt", "wb", autocommit=False)
    never_closed.write(b"never")
    never_closed.discard()

    assert messages(repo) == ["Write kept.txt"]
    assert fs.find("main") == ["main/kept.txt"]


def test_a_file_whose_block_raises_is_not_committed(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    def write_then_fail() -> None:
        with fs.open("main/a.txt", "wb") as f:
            f.write(b"partial")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert messages(repo) == []
    assert not fs.exists("main/a.txt")


def test_bulk_calls_make_one_commit_each(
    fs: SapwoodFileSystem, repo: sapwood.Repository, tmp_path: Path
) -> None:
    local = tmp_path / "local"
    (local / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        (local / name).write_bytes(name.encode())

    fs.put(str(local) + "/", "main/up", recursive=True)
    fs.cp("main/up", "main/copy", recursive=True)
    fs.mv("main/copy", "main/moved", recursive=True)
    fs.rm("main/up", recursive=True)

    assert messages(repo) == [
        "Delete up",
        "Move copy to moved",
        "Copy up to copy",
        "Upload up",
    ]
    assert fs.find("main") == ["main/moved/a.txt", "main/moved/b.txt", "main/moved/sub/c.txt"]


def test_a_copy_moves_no_bytes(fs: SapwoodFileSystem, repo: sapwood.Repository) -> None:
    fs.pipe_file("main/big.bin", b"y" * 100_000)
    repo.tag("v1").create("main")

    fs.cp_file("v1/big.bin", "main/copy.bin")

    source = repo.ref("main").stat_object("big.bin")
    copy = repo.ref("main").stat_object("copy.bin")
    assert copy.checksum == source.checksum
    assert copy.physical_address == source.physical_address is not None


def test_removing_a_folder_needs_recursive(fs: SapwoodFileSystem) -> None:
    fs.pipe({"main/d/a": b"a", "main/d/b": b"b"})

    with pytest.raises(FolderNotEmptyError, match="recursive=True"):
        fs.rm("main/d")
    with pytest.raises(FolderNotEmptyError):
        fs.rmdir("main/d")
    with pytest.raises(FileNotFoundError):
        fs.rm_file("main/d/nothing")

    fs.rm("main/d", recursive=True)
    assert not fs.exists("main/d")
    fs.rmdir("main/d")  # an empty folder: nothing to remove


def test_folders_need_no_creating(fs: SapwoodFileSystem, repo: sapwood.Repository) -> None:
    fs.pipe_file("main/a.txt", b"a")

    fs.mkdir("main/new/deeper")
    fs.makedirs("main/new/deeper", exist_ok=False)

    assert messages(repo) == ["Write a.txt"]
    with pytest.raises(FileExistsError):
        fs.mkdir("main/a.txt")
    with pytest.raises(FileNotFoundError):
        fs.mkdir("nobranch/x")


def test_append_adds_to_the_existing_object(fs: SapwoodFileSystem) -> None:
    fs.pipe_file("main/log.txt", b"one\n")

    with fs.open("main/log.txt", "ab") as f:
        f.write(b"two\n")
    with fs.open("main/new.txt", "ab") as f:
        f.write(b"first\n")

    assert fs.cat("main/log.txt") == b"one\ntwo\n"
    assert fs.cat("main/new.txt") == b"first\n"


def test_touch_without_truncate_keeps_an_existing_object(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    fs.pipe_file("main/a.txt", b"keep")

    fs.touch("main/a.txt", truncate=False)
    fs.touch("main/b.txt", truncate=False)

    assert fs.cat("main/a.txt") == b"keep"
    assert fs.cat("main/b.txt") == b""
    assert messages(repo) == ["Write b.txt", "Write a.txt"]


# -- transactions -------------------------------------------------------------------------


def test_a_transaction_is_one_commit(fs: SapwoodFileSystem, repo: sapwood.Repository) -> None:
    fs.pipe_file("main/old.txt", b"old")

    with fs.transaction as tx:
        tx.message = "Load the day"
        tx.metadata = {"run": "42"}
        with fs.open("main/a.txt", "wb") as f:
            f.write(b"a")
        fs.pipe_file("main/b.txt", b"b")
        fs.cp_file("main/a.txt", "main/c.txt")  # reads what the transaction wrote
        fs.rm("main/old.txt")
        assert fs.cat("main/c.txt") == b"a"
        assert not repo.ref("main").exists("a.txt")  # nothing committed yet

    assert messages(repo) == ["Load the day", "Write old.txt"]
    assert repo.ref("main").get_commit().metadata == {"run": "42"}
    assert fs.find("main") == ["main/a.txt", "main/b.txt", "main/c.txt"]
    assert [commit.message for commit in tx.commits] == ["Load the day"]


def test_a_file_left_open_in_a_transaction_is_part_of_its_commit(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    with fs.transaction:
        left_open = fs.open("main/a.txt", "wb")
        left_open.write(b"a")

    assert left_open.closed
    assert messages(repo) == ["Write through fsspec"]
    assert fs.cat("main/a.txt") == b"a"


def test_a_transaction_that_raises_commits_nothing(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    def write_then_fail() -> None:
        with fs.transaction:
            fs.pipe_file("main/a.txt", b"a")
            with fs.open("main/b.txt", "wb") as f:
                f.write(b"b")
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert messages(repo) == []
    assert not fs.exists("main/a.txt")
    fs.pipe_file("main/c.txt", b"c")  # the filesystem is out of the transaction
    assert messages(repo) == ["Write c.txt"]


def test_a_nested_transaction_joins_the_outer_one(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    with fs.transaction:
        fs.pipe_file("main/a.txt", b"a")
        with fs.transaction:
            fs.pipe_file("main/b.txt", b"b")
        assert messages(repo) == []  # the inner end commits nothing by itself
    assert messages(repo) == ["Write through fsspec"]
    assert fs.cat("main/b.txt") == b"b"

    def fail_inside() -> None:
        with fs.transaction, fs.transaction:
            fs.pipe_file("main/c.txt", b"c")
            raise ValueError("inner")

    with pytest.raises(ValueError, match="inner"):
        fail_inside()
    assert len(messages(repo)) == 1
    assert not fs._intrans


def test_an_outer_transaction_that_swallowed_an_inner_failure_commits_nothing(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    def swallow_inner_failure() -> None:
        with fs.transaction:
            fs.pipe_file("main/a.txt", b"a")
            with contextlib.suppress(KeyError), fs.transaction:
                fs.pipe_file("main/b.txt", b"b")
                raise KeyError("half done")

    with pytest.raises(sapwood.SapwoodError, match=r"nested .* block failed \(KeyError"):
        swallow_inner_failure()
    assert messages(repo) == []
    assert not fs.exists("main/a.txt")
    fs.pipe_file("main/c.txt", b"c")  # out of the transaction again
    assert messages(repo) == ["Write c.txt"]


def test_start_and_end_transaction(fs: SapwoodFileSystem, repo: sapwood.Repository) -> None:
    fs.start_transaction()
    fs.pipe_file("main/a.txt", b"a")
    fs.pipe_file("main/b.txt", b"b")
    fs.end_transaction()

    assert messages(repo) == ["Write through fsspec"]


def test_a_transaction_that_wrote_nothing_makes_no_commit(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    with fs.transaction:
        assert fs.ls("main") == []

    assert messages(repo) == []


def test_a_transaction_rebases_onto_other_writers(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    with fs.transaction:
        fs.pipe_file("main/mine.txt", b"mine")
        with repo.branch("main").transaction("theirs") as theirs:
            theirs.upload(b"theirs", "theirs.txt")

    assert messages(repo) == ["Write through fsspec", "theirs"]
    assert fs.find("main") == ["main/mine.txt", "main/theirs.txt"]


def test_pandas_style_writers_join_the_transaction_through_the_instance_cache(
    memory_url: str,
) -> None:
    repo = sapwood.Repository.create(memory_url)
    fs = fsspec.filesystem("sapwood", repo=memory_url)

    with fs.transaction:
        with fsspec.open("sapwood://main/a.txt", "wb", repo=memory_url) as f:
            f.write(b"a")
        fsspec.filesystem("sapwood", repo=memory_url).pipe_file("main/b.txt", b"b")

    assert messages(repo) == ["Write through fsspec"]
    fs.close()
    repo.close()


# -- create-only writes -------------------------------------------------------------------


def test_create_only_writes_refuse_an_existing_path(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    fs.pipe_file("main/a.txt", b"a")

    with pytest.raises(ObjectExistsError, match="already exists") as caught:
        fs.pipe_file("main/a.txt", b"b", mode="create")
    with pytest.raises(FileExistsError):
        fs.open("main/a.txt", "xb")

    assert isinstance(caught.value, sapwood.SapwoodError)
    with fs.open("main/new.txt", "xb") as f:
        f.write(b"new")
    assert fs.cat("main/a.txt") == b"a"
    assert messages(repo) == ["Write new.txt", "Write a.txt"]


def test_put_file_can_create_only(
    fs: SapwoodFileSystem, repo: sapwood.Repository, tmp_path: Path
) -> None:
    local = tmp_path / "a.txt"
    local.write_bytes(b"local")
    fs.pipe_file("main/a.txt", b"remote")

    with pytest.raises(FileExistsError):
        fs.put_file(str(local), "main/a.txt", mode="create")
    fs.put_file(str(local), "main/b.txt", mode="create", content_type="text/x-note")

    assert fs.cat("main/a.txt") == b"remote"
    assert fs.info("main/b.txt")["content_type"] == "text/x-note"
    assert messages(repo) == ["Upload b.txt", "Write a.txt"]


def test_create_only_sees_what_the_transaction_staged(fs: SapwoodFileSystem) -> None:
    def create_twice() -> None:
        with fs.transaction:
            fs.pipe_file("main/a.txt", b"a", mode="create")
            fs.pipe_file("main/a.txt", b"again", mode="create")

    with pytest.raises(FileExistsError):
        create_twice()

    assert not fs.exists("main/a.txt")


@pytest.mark.parametrize("content", [b"other", b"same"])
def test_create_only_is_checked_again_at_commit(
    fs: SapwoodFileSystem, repo: sapwood.Repository, content: bytes
) -> None:
    def race() -> None:
        with fs.transaction:
            with fs.open("main/a.txt", "xb") as f:
                f.write(b"same")
            other = repo.writable_session("main")  # another writer wins the race
            other.upload(content, "a.txt")
            other.commit("the other writer")

    with pytest.raises(FileExistsError, match="meanwhile"):
        race()

    assert messages(repo) == ["the other writer"]
    assert fs.cat("main/a.txt") == content


def test_the_other_writer_of_a_created_path_gets_a_conflict(
    fs: SapwoodFileSystem, repo: sapwood.Repository
) -> None:
    other = repo.writable_session("main")
    other.upload(b"theirs", "a.txt")
    fs.pipe_file("main/a.txt", b"mine", mode="create")

    with pytest.raises(sapwood.ConflictError, match=r"a\.txt"):
        other.commit("the other writer")  # the other side of the race sees a conflict


# -- reading ------------------------------------------------------------------------------


def test_ranged_reads(fs: SapwoodFileSystem) -> None:
    fs.pipe_file("main/digits", b"0123456789")

    assert fs.cat_file("main/digits", start=2, end=5) == b"234"
    assert fs.cat_file("main/digits", start=-3) == b"789"
    assert fs.cat_file("main/digits", end=-8) == b"01"
    assert fs.cat_file("main/digits", start=8, end=100) == b"89"
    assert fs.cat_file("main/digits", start=6, end=2) == b""
    assert fs.read_block("main/digits", 4, 3) == b"456"
    with fs.open("main/digits", "rb", block_size=4) as f:
        f.seek(7)
        assert f.read(2) == b"78"
        assert f.info()["size"] == 10


def test_an_open_file_keeps_reading_the_commit_it_opened_at(fs: SapwoodFileSystem) -> None:
    fs.pipe_file("main/a.bin", b"a" * 1000)

    with fs.open("main/a.bin", "rb", block_size=10, cache_type="none") as f:
        assert f.read(10) == b"a" * 10
        fs.pipe_file("main/a.bin", b"b" * 1000)
        assert f.read() == b"a" * 990


def test_unsupported_options_are_refused(fs: SapwoodFileSystem) -> None:
    fs.pipe_file("main/a.txt", b"a")

    with pytest.raises(TypeError, match="version_id"):
        fs.cat_file("main/a.txt", version_id="x")
    with pytest.raises(ValueError, match="mode"):
        fs.pipe_file("main/a.txt", b"b", mode="append")
    with pytest.raises(ValueError, match="written files"):
        fs.open("main/a.txt", "rb", content_type="text/plain")
    with pytest.raises(TypeError, match="acl"):
        fs.open("main/b.txt", "wb", acl="public-read")
