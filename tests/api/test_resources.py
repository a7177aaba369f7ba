"""Resource classes (lakeFS high-level SDK style): repository, branches, tags, commits and
references, with the read API on every reference and the staged write API on branches."""

from __future__ import annotations

import io

import pytest

import sapwood


@pytest.fixture
def story(repo: sapwood.Repository) -> sapwood.Repository:
    """main: c1 adds a.txt and data/x.csv; c2 changes a.txt; c3 adds data/y.csv."""
    main = repo.branch("main")
    main.upload(b"one", "a.txt")
    main.upload(b"x,1\n", "data/x.csv")
    main.commit_changes("c1")
    main.upload(b"two", "a.txt")
    main.commit_changes("c2", metadata={"step": "2"})
    main.upload(b"y,2\n", "data/y.csv")
    main.commit_changes("c3")
    return repo


def test_main_exists_after_create(repo: sapwood.Repository) -> None:
    assert [b.id for b in repo.list_branches()] == ["main"]
    assert repo.branch("main").get_commit().message == "Repository created"
    assert repo.metadata()["default_branch"] == "main"


def test_branches_are_created_listed_and_deleted(story: sapwood.Repository) -> None:
    dev = story.branch("dev").create("main")
    assert isinstance(dev, sapwood.Branch)
    assert dev is story.branch("dev")
    story.branch("dev-2").create(dev)
    story.branch("feature").create(story.ref("main~1"))
    assert [b.id for b in story.list_branches()] == ["dev", "dev-2", "feature", "main"]
    assert [b.id for b in story.list_branches(prefix="dev")] == ["dev", "dev-2"]
    assert [b.id for b in story.list_branches(after="dev-2")] == ["feature", "main"]
    assert [b.id for b in story.list_branches(max_amount=1)] == ["dev"]
    assert story.branch("feature").download("a.txt") == b"two"
    assert story.branch("feature").exists("data/y.csv") is False
    with pytest.raises(sapwood.RefExistsError):
        story.branch("dev").create("main")
    assert story.branch("dev").create("main", exist_ok=True) is story.branch("dev")
    story.branch("dev-2").delete()
    assert [b.id for b in story.list_branches(prefix="dev")] == ["dev"]


def test_tags_never_move(story: sapwood.Repository) -> None:
    v1 = story.tag("v1").create("main")
    assert isinstance(v1, sapwood.Tag)
    story.tag("v0").create(story.ref("main~2"))
    main = story.branch("main")
    main.upload(b"three", "a.txt")
    main.commit_changes("c4")
    assert v1.download("a.txt") == b"two"
    assert story.tag("v0").download("a.txt") == b"one"
    assert [t.id for t in story.list_tags()] == ["v0", "v1"]
    assert [t.id for t in story.list_tags(after="v0")] == ["v1"]
    with pytest.raises(sapwood.RefExistsError):
        story.tag("v1").create("main")
    v1.delete()
    assert [t.id for t in story.list_tags()] == ["v0"]
    with pytest.raises(sapwood.RefExistsError):
        story.tag("v1").create("main")


def test_ref_expressions_commit_ids_and_commits_name_commits(story: sapwood.Repository) -> None:
    log = list(story.branch("main").log())
    assert [c.message for c in log] == ["c3", "c2", "c1", "Repository created"]
    assert story.ref("main~1").get_commit() == log[1]
    assert story.ref("main^").get_commit() == log[1]
    assert story.ref("main~2").download("a.txt") == b"one"
    assert story.commit(log[2].id).download("a.txt") == b"one"
    assert story.commit(log[2].id[:8]).get_commit() == log[2]
    story.tag("v1").create(log[1])
    assert story.ref("v1^").get_commit() == log[2]
    assert story.ref(log[0].id).get_commit() == log[0]


def test_head_is_a_reference_that_stays_put(story: sapwood.Repository) -> None:
    main = story.branch("main")
    head = main.head()
    assert type(head) is sapwood.Reference
    main.upload(b"later", "later.txt")
    main.commit_changes("c4")
    assert head.exists("later.txt") is False
    assert main.exists("later.txt") is True


def test_log_filters_by_path_and_amount(story: sapwood.Repository) -> None:
    main = story.branch("main")
    assert [c.message for c in main.log(paths=["a.txt"])] == ["c2", "c1"]
    assert [c.message for c in main.log(paths="data/")] == ["c3", "c1"]
    assert [c.message for c in main.log(max_amount=2)] == ["c3", "c2"]
    commit = story.ref("main~1").get_commit()
    assert commit.metadata == {"step": "2"}
    assert len(commit.parents) == 1


def test_reads_see_objects_at_a_reference(story: sapwood.Repository) -> None:
    main = story.branch("main")
    info = main.stat_object("data/x.csv")
    assert info.path == "data/x.csv"
    assert info.size_bytes == 4
    assert info.content_type == "text/csv"
    assert main.exists("data/x.csv")
    assert not main.exists("data/z.csv")
    with main.open("a.txt") as reader:
        assert reader.read() == b"two"
    with main.open("data/x.csv", "r") as text:
        assert text.read() == "x,1\n"


def test_list_objects_pages_and_folds_folders(story: sapwood.Repository) -> None:
    main = story.branch("main")
    main.upload(b"", "data/deep/z.bin")
    main.commit_changes("deep")
    everything = [o.path for o in main.list_objects()]
    assert everything == ["a.txt", "data/deep/z.bin", "data/x.csv", "data/y.csv"]
    top = list(main.list_objects(delimiter="/"))
    assert top == [
        main.stat_object("a.txt"),
        sapwood.CommonPrefix("data/"),
    ]
    inside = list(main.list_objects(prefix="data/", delimiter="/"))
    assert [getattr(o, "path", None) for o in inside] == ["data/deep/", "data/x.csv", "data/y.csv"]
    assert isinstance(inside[0], sapwood.CommonPrefix)
    assert [o.path for o in main.list_objects(after="data/x.csv")] == ["data/y.csv"]
    assert [o.path for o in main.list_objects(max_amount=2)] == ["a.txt", "data/deep/z.bin"]


def test_uploads_take_bytes_str_and_file_objects(repo: sapwood.Repository) -> None:
    main = repo.branch("main")
    main.upload(b"bytes", "b.bin")
    main.upload("text é", "s.txt")
    main.upload(io.BytesIO(b"binary file"), "f.bin")
    main.upload(io.StringIO("text file é"), "t.txt")
    info = main.upload(b"{}", "meta.json", content_type="application/x-custom", metadata={"k": "v"})
    assert info.content_type == "application/x-custom"
    assert info.metadata == {"k": "v"}
    main.commit_changes("all kinds")
    assert main.download("b.bin") == b"bytes"
    assert main.download("s.txt") == "text é".encode()
    assert main.download("f.bin") == b"binary file"
    assert main.download("t.txt") == "text file é".encode()
    assert main.stat_object("meta.json").metadata == {"k": "v"}


def test_changes_are_staged_until_committed(story: sapwood.Repository) -> None:
    main = story.branch("main")
    before = main.get_commit()
    main.upload(b"new", "new.txt")
    main.delete_objects(["data/x.csv"])
    main.copy_object("main", "a.txt", "copy-of-a.txt")
    assert main.get_commit() == before
    assert main.download("new.txt") == b"new"  # reads through the branch see staged work
    assert not main.exists("data/x.csv")
    assert main.head().exists("data/x.csv")  # the commit itself is untouched
    staged = [(c.type, c.path) for c in main.list_uncommitted()]
    assert staged == [("added", "copy-of-a.txt"), ("removed", "data/x.csv"), ("added", "new.txt")]
    commit = main.commit_changes("staged work")
    assert commit.parents == (before.id,)
    assert list(main.list_uncommitted()) == []
    assert main.download("copy-of-a.txt") == b"two"


def test_copy_reads_other_references_and_staged_state(story: sapwood.Repository) -> None:
    main = story.branch("main")
    main.copy_object(story.ref("main~2"), "a.txt", "old-a.txt")
    main.upload(b"staged", "s.txt")
    main.copy_object(main, "s.txt", "s-copy.txt")
    main.copy_object(story.ref("main~1").get_commit(), "a.txt")
    main.commit_changes("copies")
    assert main.download("old-a.txt") == b"one"
    assert main.download("s-copy.txt") == b"staged"
    assert main.download("a.txt") == b"two"


def test_reset_drops_staged_changes(story: sapwood.Repository) -> None:
    main = story.branch("main")
    main.upload(b"1", "tmp/1")
    main.upload(b"2", "tmp/2")
    main.upload(b"3", "keep")
    main.reset("tmp")
    assert [c.path for c in main.list_uncommitted()] == ["keep"]
    main.reset()
    assert list(main.list_uncommitted()) == []
    assert not main.exists("keep")


def test_diff_lists_what_turns_one_ref_into_another(story: sapwood.Repository) -> None:
    changes = list(story.ref("main~2").diff("main"))
    assert [(c.type, c.path) for c in changes] == [("changed", "a.txt"), ("added", "data/y.csv")]
    assert [c.path for c in story.ref("main~2").diff(story.branch("main"), prefix="data/")] == [
        "data/y.csv"
    ]
    back = list(story.branch("main").diff("main~2"))
    assert [(c.type, c.path) for c in back] == [("changed", "a.txt"), ("removed", "data/y.csv")]
    assert back[1].size_bytes == 4


def test_merge_into_makes_a_two_parent_commit(story: sapwood.Repository) -> None:
    dev = story.branch("dev").create("main")
    dev.upload(b"dev", "dev.txt")
    dev.commit_changes("on dev")
    main = story.branch("main")
    main.upload(b"main", "main.txt")
    main_head = main.commit_changes("on main")
    merged = dev.merge_into(main)
    assert merged.parents == (main_head.id, dev.get_commit().id)
    assert main.download("dev.txt") == b"dev"
    assert main.download("main.txt") == b"main"
    assert dev.merge_into("main") == merged  # already merged: nothing new


def test_merge_conflicts_name_paths_and_strategies_settle_them(story: sapwood.Repository) -> None:
    dev = story.branch("dev").create("main")
    dev.upload(b"dev version", "a.txt")
    dev.commit_changes("dev edits a")
    main = story.branch("main")
    main.upload(b"main version", "a.txt")
    main.commit_changes("main edits a")
    with pytest.raises(sapwood.ConflictError) as caught:
        dev.merge_into(main)
    assert caught.value.conflicts == ("a.txt",)
    assert "a.txt" in str(caught.value)
    dev.merge_into(main, strategy="dest-wins")
    assert main.download("a.txt") == b"main version"
    other = story.branch("other").create("dev~1")
    other.upload(b"other version", "a.txt")
    other.commit_changes("other edits a")
    other.merge_into(main, strategy="source-wins", message="take other's a")
    assert main.download("a.txt") == b"other version"
    assert main.get_commit().message == "take other's a"


def test_revert_cherry_pick_and_reset_to(story: sapwood.Repository) -> None:
    main = story.branch("main")
    c3 = main.get_commit()
    reverted = main.revert("main")
    assert not main.exists("data/y.csv")
    assert reverted.parents == (c3.id,)
    dev = story.branch("dev").create(story.ref("main~3"))
    picked = dev.cherry_pick(c3)
    assert dev.download("data/y.csv") == b"y,2\n"
    assert picked.message == "c3"
    main.upload(b"staged", "staged.txt")
    with pytest.raises(sapwood.ConflictError, match="staged"):
        main.reset_to(c3)
    main.reset()
    main.reset_to(c3)
    assert main.get_commit() == c3
    assert main.exists("data/y.csv")


def test_references_compare_by_name_and_repository(story: sapwood.Repository) -> None:
    assert story.ref("main") == story.ref("main")
    assert story.ref("main") != story.ref("main~1")
    assert hash(story.ref("main")) == hash(story.ref("main"))
    assert repr(story.branch("main")) == "Branch('main')"
    assert story.ref("main~1").id == "main~1"
    assert story.ref("main").repository is story


def test_sessions_read_write_fork_and_merge(story: sapwood.Repository) -> None:
    snapshot = story.readonly_session(snapshot_id=story.ref("main~2").get_commit().id)
    assert snapshot.read_only
    assert snapshot.download("a.txt") == b"one"
    tagged = story.tag("v1").create("main~1")
    assert story.readonly_session(tag=tagged.id).download("a.txt") == b"two"
    session = story.writable_session("main")
    assert session.branch == "main"
    assert not session.read_only
    session.upload(b"s", "session.txt")
    first, second = session.fork(), session.fork()
    first.upload(b"1", "fork/1")
    second.upload(b"2", "fork/2")
    session.merge(first, second)
    assert session.has_uncommitted_changes
    commit = session.commit("from a session and its forks")
    assert story.ref(commit.id).download("fork/2") == b"2"
    assert session.snapshot_id == commit.id
    with pytest.raises(sapwood.SapwoodError, match="read-only"):
        snapshot.upload(b"x", "x")
