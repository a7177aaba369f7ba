"""Bad arguments are refused where they are passed, saying what is wrong, instead of
quietly listing nothing or failing deep inside: ``max_amount``, metadata that is not a
mapping, ``reset(path)`` and ``as_of`` of the wrong type; ``as_of`` takes what
``older_than`` takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import sapwood

LISTINGS: dict[str, Callable[[sapwood.Repository, Any], object]] = {
    "list_branches": lambda repo, n: repo.list_branches(max_amount=n),
    "list_tags": lambda repo, n: repo.list_tags(max_amount=n),
    "log": lambda repo, n: repo.branch("main").log(max_amount=n),
    "diff": lambda repo, n: repo.ref("main").diff("main", max_amount=n),
    "list_objects": lambda repo, n: repo.ref("main").list_objects(max_amount=n),
    "branch.list_uncommitted": lambda repo, n: repo.branch("main").list_uncommitted(n),
    "session.list_uncommitted": lambda repo, n: repo.writable_session("main").list_uncommitted(n),
}


@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_max_amount_must_be_a_count(repo: sapwood.Repository, listing: str) -> None:
    call = LISTINGS[listing]
    with pytest.raises(ValueError, match="must not be negative"):
        call(repo, -1)
    for wrong in ("2", 1.5, True):
        with pytest.raises(TypeError, match="max_amount is an int or None"):
            call(repo, wrong)
    assert list(call(repo, 0)) == []  # type: ignore[call-overload]


def test_metadata_that_is_not_a_mapping_is_a_type_error(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    with pytest.raises(TypeError, match="object metadata is a mapping"):
        main.upload(b"x", "x.txt", metadata="owner=me")  # type: ignore[arg-type]
    main.upload(b"x", "x.txt")
    with pytest.raises(TypeError, match="commit metadata is a mapping"):
        main.commit_changes("x", metadata=[("k", "v")])  # type: ignore[arg-type]
    assert main.commit_changes("x").message == "x"


def test_reset_takes_a_path_or_none(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"x", "x.txt")
    with pytest.raises(sapwood.InvalidPathError, match="reset"):
        main.reset(5)  # type: ignore[arg-type]
    assert [c.path for c in main.list_uncommitted()] == ["x.txt"]


def test_as_of_takes_what_older_than_takes(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"1", "a.txt")
    first = main.commit_changes("one")
    soon = datetime.now(UTC) + timedelta(hours=1)
    tomorrow = (soon + timedelta(days=1)).date()
    for moment in (soon, soon.replace(tzinfo=None), soon.isoformat(), tomorrow):
        assert repo.readonly_session("main", as_of=moment).snapshot_id == first.id
    assert repo.readonly_session(as_of=timedelta(0)).snapshot_id == first.id
    with pytest.raises(sapwood.ConfigError, match="as_of") as caught:
        repo.readonly_session(as_of=2020)  # type: ignore[arg-type]
    assert caught.value.field == "as_of"
    with pytest.raises(sapwood.ConfigError, match="not an ISO 8601"):
        repo.readonly_session(as_of="last week")


def test_a_branch_tag_or_import_source_of_the_wrong_type_is_a_type_error(
    repo: sapwood.Repository,
) -> None:
    main = repo.branch("main")
    with pytest.raises(TypeError, match="a branch is given by name"):
        repo.writable_session(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a tag is given by name"):
        repo.readonly_session(tag=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a branch is given by name"):
        repo.branch("dev").create("main").merge_into(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="an import source is a URI"):
        main.import_from(5, "raw/", "import")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="an import source is a URI"):
        main.import_from("file:///tmp", "raw/", "import").object(None, "x")  # type: ignore[arg-type]
    assert repo.writable_session(main).branch == "main"
