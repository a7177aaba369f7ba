"""Branch.import_from: every object under a URI lands under a destination in one commit."""

from __future__ import annotations

from pathlib import Path

import pytest

import sapwood


@pytest.fixture
def source_folder(tmp_path: Path) -> Path:
    """A plain folder with a few files to import."""
    folder = tmp_path / "source"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.csv").write_bytes(b"a,b\n1,2\n")
    (folder / "sub" / "b.txt").write_bytes(b"bee")
    return folder


def test_import_from_a_folder_in_one_commit(repo: sapwood.Repository, source_folder: Path) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    manager = main.import_from(source_folder.as_uri(), "imported/", "Import raw data")
    assert isinstance(manager, sapwood.ImportManager)
    manager.run()
    head = main.get_commit()
    assert head.message == "Import raw data"
    assert list(head.parents) == [before.id]
    assert sorted(i.path for i in main.list_objects(prefix="imported/")) == [
        "imported/a.csv",
        "imported/sub/b.txt",
    ]
    assert main.download("imported/sub/b.txt") == b"bee"


def test_import_with_extra_prefixes(
    repo: sapwood.Repository, source_folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.bin").write_bytes(b"sea")
    main = repo.branch("main")
    manager = main.import_from(source_folder.as_uri(), "one/", "two sources")
    manager.prefix(other.as_uri(), "two/").run()
    assert main.download("one/a.csv") == b"a,b\n1,2\n"
    assert main.download("two/c.bin") == b"sea"
    assert main.get_commit().message == "two sources"


def test_failed_import_commits_nothing(repo: sapwood.Repository, tmp_path: Path) -> None:
    main = repo.branch("main")
    before = main.get_commit()
    with pytest.raises(sapwood.SapwoodError):
        main.import_from("nosuchscheme://bucket/raw", "x/", "never").run()
    assert main.get_commit().id == before.id
