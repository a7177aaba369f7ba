"""One walk through the public API on every backend: create, upload, commit, branch, diff,
merge, log, time travel, tags, and a garbage-collection dry run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import sapwood

from .targets import ALL_BACKENDS, Target
from .verify import check_consistency

BIG = bytes(range(256)) * 400  # above the inline threshold: stored as a blob


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_public_api_walkthrough(target: Target) -> None:
    with target.create() as repo:
        assert sapwood.Repository.exists(target.store, target.credentials)
        main = repo.branch("main")
        created = main.get_commit()

        main.upload(b"id,species\n1,oak\n", "census/trees.csv")
        main.upload(BIG, "census/raw.bin", metadata={"source": "sensor"})
        first = main.commit_changes("Add the census", metadata={"ticket": "42"})
        assert first.parents == (created.id,)
        assert first.metadata == {"ticket": "42"}

        dev = repo.branch("dev").create("main")
        dev.upload(b"id,species\n1,oak\n2,ash\n", "census/trees.csv")
        dev.delete_objects("census/raw.bin")
        dev.upload("notes", "notes.txt")
        on_dev = dev.commit_changes("Second survey")

        changes = {(c.type, c.path) for c in repo.ref("main").diff("dev")}
        assert changes == {
            ("changed", "census/trees.csv"),
            ("removed", "census/raw.bin"),
            ("added", "notes.txt"),
        }
        assert main.download("census/raw.bin") == BIG  # dev's work has not reached main

        merged = dev.merge_into("main", message="Merge the second survey")
        assert set(merged.parents) == {first.id, on_dev.id}
        assert [c.message for c in main.log()] == [
            "Merge the second survey",
            "Second survey",
            "Add the census",
            "Repository created",
        ]
        assert not main.exists("census/raw.bin")
        assert list(repo.ref("main").diff("dev")) == []

        older = repo.ref(first.id)  # time travel: the tree as it was at the first commit
        assert older.download("census/raw.bin") == BIG
        assert older.stat_object("census/raw.bin").metadata == {"source": "sensor"}
        assert repo.ref("main~1").download("census/trees.csv") == b"id,species\n1,oak\n"

        repo.tag("v1").create(first.id)
        repo.tag("v2").create("main")
        assert [t.id for t in repo.list_tags()] == ["v1", "v2"]
        assert repo.tag("v1").get_commit() == first
        with pytest.raises(sapwood.RefExistsError):
            repo.tag("v1").create("main")
        assert sorted(b.id for b in repo.list_branches()) == ["dev", "main"]

        summary = repo.garbage_collect(datetime.now(UTC) + timedelta(days=1), dry_run=True)
        assert summary.dry_run
        assert summary.objects_deleted == 0  # every commit is still reachable from a ref
        assert main.download("census/trees.csv") == b"id,species\n1,oak\n2,ash\n"

    with target.open() as reopened:  # everything above is in the store, not in a cache
        found = check_consistency(reopened)
        assert found.problems == []
        assert found.tags["v1"] == first.id
        assert found.histories["main"][0] == merged.id
