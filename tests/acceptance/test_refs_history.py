"""Refs and history: branches, tags, ref expressions, log, diff, merge, revert, cherry-pick
and reset_to, with a str, a Reference or a Commit wherever a reference is taken."""

from __future__ import annotations

from typing import Literal

import pytest

import sapwood


def commit_file(branch: sapwood.Branch, path: str, data: bytes, message: str) -> sapwood.Commit:
    """Upload one file to ``branch`` and commit it."""
    branch.upload(data, path)
    return branch.commit_changes(message)


def conflict_paths(error: sapwood.ConflictError) -> list[str]:
    """The paths named by a ConflictError's ``conflicts``."""
    return [getattr(c, "path", c) for c in error.conflicts]


# --- branches ---------------------------------------------------------------------------


def test_branch_create_from_str_points_at_source(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    dev = repo.branch("dev").create("main")
    assert isinstance(dev, sapwood.Branch)
    assert isinstance(dev, sapwood.Reference)
    assert dev.id == "dev"
    assert dev.get_commit().id == c1.id


def test_branch_create_default_source_is_main(repo: sapwood.Repository) -> None:
    c1 = commit_file(repo.branch("main"), "a", b"1", "one")
    assert repo.branch("dev").create().get_commit().id == c1.id


@pytest.mark.parametrize("kind", ["commit", "reference", "branch", "tag", "commit-id"])
def test_branch_create_from_any_reference_kind(repo: sapwood.Repository, kind: str) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    commit_file(main, "b", b"2", "two")
    repo.tag("t1").create(c1)
    sources: dict[str, str | sapwood.Reference | sapwood.Commit] = {
        "commit": c1,
        "reference": repo.ref("main~1"),
        "branch": repo.branch("old").create(c1),
        "tag": repo.tag("t1"),
        "commit-id": c1.id,
    }
    source = sources[kind]
    assert repo.branch("dev").create(source).get_commit().id == c1.id


def test_branch_create_exist_ok(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    dev = repo.branch("dev").create("main")
    commit_file(main, "b", b"2", "two")
    again = repo.branch("dev").create("main", exist_ok=True)
    assert again.get_commit().id == c1.id
    assert dev.get_commit().id == c1.id


def test_invalid_branch_names(repo: sapwood.Repository) -> None:
    for bad in ["bad name", "", "a..b", "-x"]:
        with pytest.raises(sapwood.InvalidRefError):
            repo.branch(bad).create("main")


def test_branch_create_from_missing_source(repo: sapwood.Repository) -> None:
    with pytest.raises(sapwood.RefNotFoundError):
        repo.branch("dev").create("no-such-ref")
    assert [b.id for b in repo.list_branches()] == ["main"]


def test_branch_delete(repo: sapwood.Repository) -> None:
    repo.branch("dev").create("main")
    repo.branch("dev").delete()
    assert [b.id for b in repo.list_branches()] == ["main"]
    with pytest.raises(sapwood.RefNotFoundError):
        repo.branch("dev").get_commit()


def test_branch_head_is_a_reference_to_the_head_commit(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    head = main.head()
    assert isinstance(head, sapwood.Reference)
    assert head.get_commit().id == c1.id
    commit_file(main, "a", b"2", "two")
    assert head.get_commit().id == c1.id
    assert head.download("a") == b"1"


def test_list_branches_paging_and_prefix(repo: sapwood.Repository) -> None:
    for name in ["feat-b", "feat-a", "fix-1", "zeta"]:
        repo.branch(name).create("main")
    assert [b.id for b in repo.list_branches()] == ["feat-a", "feat-b", "fix-1", "main", "zeta"]
    assert [b.id for b in repo.list_branches(prefix="feat-")] == ["feat-a", "feat-b"]
    assert [b.id for b in repo.list_branches(after="fix-1")] == ["main", "zeta"]
    assert [b.id for b in repo.list_branches(max_amount=2)] == ["feat-a", "feat-b"]
    assert all(isinstance(b, sapwood.Branch) for b in repo.list_branches())


# --- tags -------------------------------------------------------------------------------


def test_tags_never_move(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    tag = repo.tag("v1").create("main")
    assert isinstance(tag, sapwood.Tag)
    assert isinstance(tag, sapwood.Reference)
    commit_file(main, "a", b"2", "two")
    assert repo.tag("v1").get_commit().id == c1.id
    assert repo.tag("v1").download("a") == b"1"
    with pytest.raises(sapwood.RefExistsError):
        repo.tag("v1").create("main")
    assert repo.tag("v1").get_commit().id == c1.id


def test_tag_delete_and_list(repo: sapwood.Repository) -> None:
    c1 = commit_file(repo.branch("main"), "a", b"1", "one")
    for name in ["v2", "v1", "w1"]:
        repo.tag(name).create(c1)
    assert [t.id for t in repo.list_tags()] == ["v1", "v2", "w1"]
    assert [t.id for t in repo.list_tags(prefix="v")] == ["v1", "v2"]
    assert [t.id for t in repo.list_tags(after="v1")] == ["v2", "w1"]
    assert [t.id for t in repo.list_tags(max_amount=1)] == ["v1"]
    repo.tag("v2").delete()
    assert [t.id for t in repo.list_tags()] == ["v1", "w1"]
    with pytest.raises(sapwood.RefNotFoundError):
        repo.tag("v2").get_commit()


def test_tag_is_read_only(repo: sapwood.Repository) -> None:
    repo.tag("v1").create("main")
    assert not hasattr(repo.tag("v1"), "upload")


# --- ref expressions --------------------------------------------------------------------


def test_ref_expressions(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    root = main.get_commit()
    c1 = commit_file(main, "a", b"1", "one")
    c2 = commit_file(main, "a", b"2", "two")
    c3 = commit_file(main, "a", b"3", "three")
    repo.tag("v1").create(c2)
    assert repo.ref("main").get_commit().id == c3.id
    assert repo.ref("main~1").get_commit().id == c2.id
    assert repo.ref("main~2").get_commit().id == c1.id
    assert repo.ref("main~3").get_commit().id == root.id
    assert repo.ref("main^").get_commit().id == c2.id
    assert repo.ref("main^^").get_commit().id == c1.id
    assert repo.ref("v1").get_commit().id == c2.id
    assert repo.ref("v1^").get_commit().id == c1.id
    assert repo.ref("v1~1").get_commit().id == c1.id
    assert repo.ref(c1.id).get_commit().id == c1.id
    assert repo.ref(f"{c2.id}~1").get_commit().id == c1.id
    assert repo.ref("main~2").download("a") == b"1"


def test_ref_accepts_reference_and_commit_objects(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    assert repo.ref(c1).get_commit().id == c1.id
    assert repo.ref(main).get_commit().id == c1.id
    assert repo.commit(c1).get_commit().id == c1.id


def test_ref_commit_id_prefix(repo: sapwood.Repository) -> None:
    c1 = commit_file(repo.branch("main"), "a", b"1", "one")
    assert repo.ref(c1.id[:12]).get_commit().id == c1.id


def test_names_with_slashes_and_prefix_expressions(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    c2 = commit_file(main, "a", b"2", "two")
    repo.branch("feature/x").create("main")
    repo.tag("release/1.0").create(c1)
    assert repo.ref("feature/x~1").get_commit().id == c1.id
    assert repo.ref("release/1.0").download("a") == b"1"
    assert repo.ref(f"{c2.id[:10]}^").get_commit().id == c1.id
    assert repo.commit(c1.id[:10]).get_commit().id == c1.id
    assert [b.id for b in repo.list_branches(prefix="feature/")] == ["feature/x"]


def test_ref_past_the_root_is_not_found(repo: sapwood.Repository) -> None:
    with pytest.raises((sapwood.RefNotFoundError, sapwood.InvalidRefError)):
        repo.ref("main~5").get_commit()


def test_second_parent_of_a_merge(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "base", b"b", "base")
    dev = repo.branch("dev").create(main)
    dev_commit = commit_file(dev, "d", b"d", "dev")
    main_commit = commit_file(main, "m", b"m", "main")
    merge = dev.merge_into(main)
    assert list(merge.parents) == [main_commit.id, dev_commit.id]
    assert repo.ref("main^1").get_commit().id == main_commit.id
    assert repo.ref("main^2").get_commit().id == dev_commit.id


def test_repo_commit_by_id(repo: sapwood.Repository) -> None:
    c1 = commit_file(repo.branch("main"), "a", b"1", "one")
    ref = repo.commit(c1.id)
    assert isinstance(ref, sapwood.Reference)
    assert ref.id == c1.id
    assert ref.get_commit() == c1
    assert ref.download("a") == b"1"


# --- log --------------------------------------------------------------------------------


def test_log_is_newest_first_and_ends_at_root(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    root = main.get_commit()
    c1 = commit_file(main, "a", b"1", "one")
    c2 = commit_file(main, "b", b"2", "two")
    log = list(main.log())
    assert [c.id for c in log] == [c2.id, c1.id, root.id]
    assert all(isinstance(c, sapwood.Commit) for c in log)
    assert [c.id for c in main.log(max_amount=2)] == [c2.id, c1.id]
    assert [c.message for c in repo.ref("main~1").log()] == ["one", root.message]


def test_log_with_paths(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    ca = commit_file(main, "a.txt", b"1", "a1")
    commit_file(main, "b.txt", b"1", "b1")
    ca2 = commit_file(main, "a.txt", b"2", "a2")
    commit_file(main, "dir/c.txt", b"1", "c1")
    assert [c.id for c in main.log(paths=["a.txt"])] == [ca2.id, ca.id]
    assert [c.message for c in main.log(paths=["a.txt", "dir/c.txt"])] == ["c1", "a2", "a1"]
    assert [c.message for c in main.log(paths=["a.txt"], max_amount=1)] == ["a2"]


def test_log_through_merge_includes_both_sides(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "base", b"b", "base")
    dev = repo.branch("dev").create(main)
    commit_file(dev, "d", b"d", "dev-work")
    commit_file(main, "m", b"m", "main-work")
    dev.merge_into(main, message="merge dev")
    messages = [c.message for c in main.log()]
    assert messages[0] == "merge dev"
    assert "dev-work" in messages
    assert "main-work" in messages
    assert len(messages) == len(set(c.id for c in main.log()))


# --- diff -------------------------------------------------------------------------------


def test_diff_turns_this_ref_into_other(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"keep", "keep.txt")
    main.upload(b"old", "change.txt")
    main.upload(b"gone", "remove.txt")
    main.commit_changes("base")
    dev = repo.branch("dev").create(main)
    dev.upload(b"new content", "change.txt")
    dev.upload(b"added!", "add.txt")
    dev.delete_objects(["remove.txt"])
    dev.commit_changes("edit")
    changes = {c.path: c for c in main.diff(dev)}
    assert {p: c.type for p, c in changes.items()} == {
        "add.txt": "added",
        "change.txt": "changed",
        "remove.txt": "removed",
    }
    assert all(isinstance(c, sapwood.Change) for c in changes.values())
    assert changes["add.txt"].size_bytes == len(b"added!")
    assert changes["remove.txt"].size_bytes == len(b"gone")
    assert changes["change.txt"].size_bytes == len(b"new content")
    assert changes["add.txt"].path_type == "object"
    backwards = {c.path: c.type for c in dev.diff(main)}
    assert backwards == {"add.txt": "removed", "change.txt": "changed", "remove.txt": "added"}
    assert list(main.diff(main)) == []


def test_diff_accepts_str_commit_and_prefix(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "x/a", b"1", "one")
    main.upload(b"2", "x/b")
    main.upload(b"3", "y/c")
    c2 = main.commit_changes("two")
    assert sorted(c.path for c in repo.ref(c1.id).diff("main")) == ["x/b", "y/c"]
    assert sorted(c.path for c in repo.commit(c1.id).diff(c2)) == ["x/b", "y/c"]
    assert [c.path for c in repo.ref("main~1").diff(main, prefix="x/")] == ["x/b"]
    assert [c.path for c in repo.ref("main~1").diff(main, prefix="y/")] == ["y/c"]


# --- merge ------------------------------------------------------------------------------


def test_merge_makes_a_merge_commit_with_message(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    before = commit_file(main, "a", b"1", "one")
    dev = repo.branch("dev").create("main")
    dev_head = commit_file(dev, "b", b"2", "two")
    merge = dev.merge_into(main, message="Merge dev")
    assert isinstance(merge, sapwood.Commit)
    assert merge.message == "Merge dev"
    assert list(merge.parents) == [before.id, dev_head.id]
    assert main.get_commit().id == merge.id
    assert main.download("b") == b"2"
    assert dev.get_commit().id == dev_head.id


def test_merge_into_accepts_a_branch_name(repo: sapwood.Repository) -> None:
    dev = repo.branch("dev").create("main")
    commit_file(dev, "b", b"2", "two")
    dev.merge_into("main")
    assert repo.branch("main").download("b") == b"2"


def test_merge_conflict_raises_and_leaves_destination(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "c", b"base", "base")
    dev = repo.branch("dev").create("main")
    commit_file(dev, "c", b"dev", "dev")
    main_head = commit_file(main, "c", b"main", "main")
    with pytest.raises(sapwood.ConflictError) as info:
        dev.merge_into(main)
    assert conflict_paths(info.value) == ["c"]
    assert main.get_commit().id == main_head.id


@pytest.mark.parametrize(
    ("strategy", "expected"), [("source-wins", b"dev"), ("dest-wins", b"main")]
)
def test_merge_strategies(
    repo: sapwood.Repository, strategy: Literal["source-wins", "dest-wins"], expected: bytes
) -> None:
    main = repo.branch("main")
    commit_file(main, "c", b"base", "base")
    dev = repo.branch("dev").create("main")
    dev.upload(b"dev", "c")
    dev.upload(b"extra", "only-dev")
    dev.commit_changes("dev")
    commit_file(main, "c", b"main", "main")
    merge = dev.merge_into(main, strategy=strategy)
    assert len(merge.parents) == 2
    assert main.download("c") == expected
    assert main.download("only-dev") == b"extra"


def test_merge_same_change_on_both_sides_is_not_a_conflict(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "c", b"base", "base")
    dev = repo.branch("dev").create("main")
    commit_file(dev, "c", b"same", "dev")
    commit_file(main, "c", b"same", "main")
    dev.merge_into(main)
    assert main.download("c") == b"same"


def test_merge_deletion_on_source_applies(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "c", b"base", "base")
    dev = repo.branch("dev").create("main")
    dev.delete_objects(["c"])
    dev.commit_changes("delete c")
    commit_file(main, "other", b"o", "other")
    dev.merge_into(main)
    assert not main.exists("c")
    assert main.exists("other")


# --- revert, cherry-pick, reset_to ------------------------------------------------------


def test_revert_undoes_one_commit(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "a", b"1", "one")
    c2 = commit_file(main, "b", b"b", "add b")
    c3 = commit_file(main, "a", b"2", "change a")
    reverted = main.revert(c2)
    assert isinstance(reverted, sapwood.Commit)
    assert list(reverted.parents) == [c3.id]
    assert not main.exists("b")
    assert main.download("a") == b"2"


def test_revert_accepts_a_ref_expression(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    commit_file(main, "a", b"1", "one")
    commit_file(main, "a", b"2", "two")
    main.revert("main")
    assert main.download("a") == b"1"
    assert len(list(main.log())) == 4


def test_cherry_pick_applies_one_commit(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    base = commit_file(main, "a", b"1", "one")
    dev = repo.branch("dev").create("main")
    commit_file(dev, "skip", b"s", "not picked")
    picked = commit_file(dev, "pick", b"p", "picked")
    result = main.cherry_pick(picked)
    assert isinstance(result, sapwood.Commit)
    assert list(result.parents) == [base.id]
    assert main.download("pick") == b"p"
    assert not main.exists("skip")


def test_cherry_pick_accepts_a_str(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    dev = repo.branch("dev").create("main")
    commit_file(dev, "pick", b"p", "picked")
    main.cherry_pick("dev")
    assert main.download("pick") == b"p"


def test_reset_to_moves_the_branch(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    commit_file(main, "a", b"2", "two")
    main.reset_to(c1)
    assert main.get_commit().id == c1.id
    assert main.download("a") == b"1"
    main.reset_to("main~1")
    assert main.get_commit().parents == ()
    assert not main.exists("a")


def test_reset_to_refuses_while_changes_are_staged(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    c1 = commit_file(main, "a", b"1", "one")
    c2 = commit_file(main, "a", b"2", "two")
    main.upload(b"staged", "s")
    with pytest.raises(sapwood.SapwoodError):
        main.reset_to(c1)
    assert main.get_commit().id == c2.id
    assert [c.path for c in main.list_uncommitted()] == ["s"]
