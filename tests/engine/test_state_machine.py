"""The engine against a plain-Python model, driven by hypothesis.

Branches, tags, commits of random file sets, merges (all strategies), reverts,
cherry-picks, resets, expiry and garbage collection run in random order on the memory and
the local backend; after every step each branch and tag must hold exactly the model's
files and history.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sapwood.aio import AsyncRepository
from sapwood.errors import ConflictError, RefExistsError
from sapwood.models import Commit
from sapwood_memory.storage import drop_bucket

T = TypeVar("T")
Files = dict[str, bytes]

PATHS = ["a.txt", "b.bin", "d/x", "d/y", "e/z/w"]
CONTENTS = [b"", b"1", b"22", b"3" * 700, b"4" * 900]
BRANCHES = ["main", "dev", "feature/a", "hotfix"]
TAGS = ["v1", "v2", "release/1"]
STRATEGIES: list[Literal["source-wins", "dest-wins"] | None] = [None, "source-wins", "dest-wins"]
CHANGES = st.dictionaries(
    st.sampled_from(PATHS), st.none() | st.sampled_from(CONTENTS), min_size=1, max_size=4
)


@dataclass(frozen=True)
class ModelCommit:
    """A commit as the model knows it."""

    files: Files
    parents: tuple[str, ...]
    time: datetime


class Clock:
    """A clock that moves one second per reading, so commit times never tie."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def three_way(base: Files, source: Files, dest: Files) -> tuple[Files, list[str]]:
    """The model's merge: the result taking the source side where only it changed, and
    the paths changed differently on both sides."""
    result = dict(dest)
    conflicts = []
    for path in sorted(set(source) | set(dest)):
        in_base, in_source, in_dest = base.get(path), source.get(path), dest.get(path)
        if in_source == in_dest:
            continue
        if in_base == in_dest:
            if in_source is None:
                result.pop(path, None)
            else:
                result[path] = in_source
        elif in_base != in_source:
            conflicts.append(path)
    return result, conflicts


def resolve(result: Files, conflicts: list[str], source: Files, strategy: str | None) -> Files:
    """Apply a strategy to the conflicting paths."""
    if strategy == "source-wins":
        for path in conflicts:
            if path in source:
                result[path] = source[path]
            else:
                result.pop(path, None)
    return result


class EngineMachine(RuleBasedStateMachine):
    """One repository and its model."""

    backend = "memory"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.commits: dict[str, ModelCommit] = {}
        self.branches: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.deleted_tags: set[str] = set()
        self.expired: set[str] = set()
        self.gone: set[str] = set()
        self.location = ""

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def create(self) -> None:
        if self.backend == "memory":
            self.location = f"sm-{uuid.uuid4().hex[:12]}"
            url = f"memory://{self.location}"
        else:
            self.location = tempfile.mkdtemp(prefix="sapwood-sm-")
            url = f"file://{self.location}/repo"
        self.repo: AsyncRepository = self.run(AsyncRepository.create(url))
        self.repo.engine.clock = Clock()
        root = self.run(self.repo.branch("main").get_commit())
        self.remember(root, {})
        self.branches["main"] = root.id
        self.run(self.repo.branch("dev").create("main"))
        self.branches["dev"] = root.id

    def teardown(self) -> None:
        if hasattr(self, "repo"):
            self.run(self.repo.close())
        self.loop.close()
        if self.backend == "memory":
            drop_bucket(self.location)
        else:
            shutil.rmtree(self.location, ignore_errors=True)

    # -- model helpers ----------------------------------------------------------------------

    def remember(self, commit: Commit, files: Files) -> None:
        self.commits.setdefault(
            commit.id, ModelCommit(dict(files), commit.parents, commit.committed_at)
        )

    def ancestors(self, head: str) -> set[str]:
        seen = {head}
        stack = [head]
        while stack:
            for parent in self.commits[stack.pop()].parents:
                if parent not in seen and parent not in self.expired and parent not in self.gone:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def log(self, head: str) -> list[str]:
        return sorted(self.ancestors(head), key=lambda c: self.commits[c].time, reverse=True)

    def live(self) -> list[str]:
        """Commits some ref reaches, in the order they were made (ids differ from run to
        run, so ordering by them would make hypothesis's draws inconsistent)."""
        reachable: set[str] = set()
        for head in [*self.branches.values(), *self.tags.values()]:
            reachable |= self.ancestors(head)
        return [c for c in self.commits if c in reachable]

    def reach(self, head: str) -> tuple[set[str], bool]:
        """What a merge-base search sees from ``head``: its kept history plus the expired
        commits at its edge that GC has not removed (the walk stops at them), and whether
        expiry cut the history at all."""
        seen = {head}
        stack = [head]
        cut = False
        while stack:
            for parent in self.commits[stack.pop()].parents:
                if parent in seen:
                    continue
                if parent in self.expired or parent in self.gone:
                    cut = True
                    if parent in self.gone:
                        continue
                    seen.add(parent)
                    continue
                seen.add(parent)
                stack.append(parent)
        return seen, cut

    def merge_base(self, left: str, right: str) -> tuple[str | None, bool]:
        """The newest common commit, and whether the search met a cut in history."""
        (mine, left_cut), (theirs, right_cut) = self.reach(left), self.reach(right)
        common = mine & theirs
        base = max(common, key=lambda c: self.commits[c].time) if common else None
        return base, left_cut or right_cut

    def files(self, commit: str | None) -> Files:
        return {} if commit is None else self.commits[commit].files

    # -- rules ------------------------------------------------------------------------------

    def existing_branch(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(sorted(self.branches)))

    @rule(data=st.data(), changes=CHANGES)
    def commit(self, data: st.DataObject, changes: dict[str, bytes | None]) -> None:
        self.commit_to(self.existing_branch(data), changes)

    def commit_to(self, branch: str, changes: dict[str, bytes | None]) -> None:
        head = self.branches[branch]

        async def act() -> Commit:
            session = await self.repo.writable_session(branch)
            for path, data in changes.items():
                if data is None:
                    await session.delete_objects(path)
                else:
                    await session.upload(data, path)
            return await session.commit(f"change {sorted(changes)}")

        made = self.run(act())
        assert made.parents == (head,)
        files = dict(self.files(head))
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data
        self.remember(made, files)
        self.branches[branch] = made.id

    @precondition(lambda self: len(self.branches) > 1)
    @rule(
        data=st.data(),
        path=st.sampled_from(PATHS),
        left=st.none() | st.sampled_from(CONTENTS),
        right=st.none() | st.sampled_from(CONTENTS),
    )
    def edit_two_branches(
        self, data: st.DataObject, path: str, left: bytes | None, right: bytes | None
    ) -> None:
        """The same path changed on two branches, so merges, picks and reverts meet
        conflicts."""
        first, second = data.draw(st.permutations(sorted(self.branches)))[:2]
        self.commit_to(first, {path: left})
        self.commit_to(second, {path: right})

    @rule(name=st.sampled_from(BRANCHES), data=st.data())
    def create_branch(self, name: str, data: st.DataObject) -> None:
        source = data.draw(st.sampled_from(self.live()))
        if name in self.branches:
            with pytest.raises(RefExistsError):
                self.run(self.repo.branch(name).create(source))
            return
        self.run(self.repo.branch(name).create(source))
        self.branches[name] = source

    @precondition(lambda self: len(self.branches) > 1)
    @rule(data=st.data())
    def delete_branch(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(set(self.branches) - {"main"})))
        self.run(self.repo.branch(name).delete())
        del self.branches[name]

    @rule(name=st.sampled_from(TAGS), data=st.data())
    def create_tag(self, name: str, data: st.DataObject) -> None:
        source = data.draw(st.sampled_from(self.live()))
        if name in self.tags or name in self.deleted_tags:
            with pytest.raises(RefExistsError):
                self.run(self.repo.tag(name).create(source))
            return
        self.run(self.repo.tag(name).create(source))
        self.tags[name] = source

    @precondition(lambda self: bool(self.tags))
    @rule(data=st.data())
    def delete_tag(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.tags)))
        self.run(self.repo.tag(name).delete())
        del self.tags[name]
        self.deleted_tags.add(name)

    @rule(data=st.data(), strategy=st.sampled_from(STRATEGIES))
    def merge(
        self, data: st.DataObject, strategy: Literal["source-wins", "dest-wins"] | None
    ) -> None:
        source = self.existing_branch(data)
        others = sorted(set(self.branches) - {source}) or [source]
        dest = data.draw(st.sampled_from(others))
        source_head, dest_head = self.branches[source], self.branches[dest]
        if source_head in self.ancestors(dest_head):
            result = self.run(self.repo.branch(source).merge_into(dest, strategy=strategy))
            assert result.id == dest_head
            event("merge: already merged")
            return
        base, cut = self.merge_base(source_head, dest_head)
        if base is None and cut:
            with pytest.raises(ConflictError, match="expire_snapshots cut it"):
                self.run(self.repo.branch(source).merge_into(dest, strategy=strategy))
            event("merge: base expired and collected, refused")
            return
        merged, conflicts = three_way(
            self.files(base), self.files(source_head), self.files(dest_head)
        )
        if conflicts and strategy is None:
            with pytest.raises(ConflictError) as caught:
                self.run(self.repo.branch(source).merge_into(dest))
            assert list(caught.value.conflicts) == conflicts
            event("merge: conflict refused")
            return
        event(f"merge: {'conflicts settled' if conflicts else 'clean'}")
        made = self.run(self.repo.branch(source).merge_into(dest, strategy=strategy))
        assert made.parents == (dest_head, source_head)
        self.remember(made, resolve(merged, conflicts, self.files(source_head), strategy))
        self.branches[dest] = made.id

    def _pick(self, branch: str, target: str, undo: bool) -> None:
        head = self.branches[branch]
        parent = self.commits[target].parents[0] if self.commits[target].parents else None
        if undo:
            result, conflicts = three_way(self.files(target), self.files(parent), self.files(head))
        else:
            result, conflicts = three_way(self.files(parent), self.files(target), self.files(head))
        handle = self.repo.branch(branch)
        action = handle.revert if undo else handle.cherry_pick
        if conflicts:
            with pytest.raises(ConflictError) as caught:
                self.run(action(target))
            assert list(caught.value.conflicts) == conflicts
            event(f"{'revert' if undo else 'cherry-pick'}: conflict")
            return
        event(f"{'revert' if undo else 'cherry-pick'}: applied")
        made = self.run(action(target))
        assert made.parents == (head,)
        self.remember(made, result)
        self.branches[branch] = made.id

    def _pickable(self, commit: str) -> bool:
        parents = self.commits[commit].parents
        return not parents or parents[0] not in self.gone

    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        branch = self.existing_branch(data)
        candidates = [c for c in self.log(self.branches[branch]) if self._pickable(c)]
        if candidates:
            self._pick(branch, data.draw(st.sampled_from(candidates)), undo=True)

    @rule(data=st.data())
    def cherry_pick(self, data: st.DataObject) -> None:
        branch = self.existing_branch(data)
        candidates = [c for c in self.live() if self._pickable(c)]
        if candidates:
            self._pick(branch, data.draw(st.sampled_from(candidates)), undo=False)

    @rule(data=st.data())
    def reset_to(self, data: st.DataObject) -> None:
        branch = self.existing_branch(data)
        target = data.draw(st.sampled_from(self.live()))
        self.run(self.repo.branch(branch).reset_to(target))
        self.branches[branch] = target

    @precondition(lambda self: len(self.commits) > 2)
    @rule(data=st.data())
    def expire(self, data: st.DataObject) -> None:
        times = sorted(self.commits[c].time for c in self.live())
        cutoff = data.draw(st.sampled_from(times)) + timedelta(microseconds=1)
        heads = set(self.branches.values()) | set(self.tags.values())
        newly: set[str] = set()
        seen: set[str] = set()
        stack = [h for h in heads if h not in self.expired]
        while stack:
            commit = stack.pop()
            if commit in seen:
                continue
            seen.add(commit)
            if commit not in heads and self.commits[commit].time < cutoff:
                newly.add(commit)
            stack.extend(
                p
                for p in self.commits[commit].parents
                if p not in self.expired and p not in self.gone and p not in seen
            )
        expired = self.run(self.repo.expire_snapshots(cutoff))
        assert expired == newly
        event(f"expire: {'some' if newly else 'none'}")
        self.expired |= newly

    @rule()
    def collect_garbage(self) -> None:
        live = set(self.live())
        doomed = set(self.commits) - live - self.gone
        summary = self.run(self.repo.garbage_collect(datetime.now(UTC) + timedelta(seconds=1)))
        assert summary.snapshots_deleted == len(doomed)
        event(f"gc: {'deleted' if doomed else 'nothing'}")
        self.gone |= doomed

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def refs_hold_the_model(self) -> None:
        if not hasattr(self, "repo"):
            return

        async def check() -> None:
            repo = self.repo
            assert [b.id async for b in repo.list_branches()] == sorted(self.branches)
            assert [t.id async for t in repo.list_tags()] == sorted(self.tags)
            refs = [repo.branch(b) for b in self.branches] + [repo.tag(t) for t in self.tags]
            heads = [*self.branches.values(), *self.tags.values()]
            for reference, head in zip(refs, heads, strict=True):
                assert (await reference.get_commit()).id == head
                session = await reference.reader()
                found = {
                    info.path: await session.download(info.path)
                    async for info in session.list_objects()
                }
                assert found == self.files(head), reference
                assert [c.id async for c in reference.log()] == self.log(head), reference

        self.run(check())


MachineSettings = settings(
    max_examples=80,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class LocalEngineMachine(EngineMachine):
    """The same machine over the local-folder backend."""

    backend = "local"


TestEngineOnMemory = EngineMachine.TestCase
TestEngineOnMemory.settings = MachineSettings
TestEngineOnLocal = LocalEngineMachine.TestCase
TestEngineOnLocal.settings = settings(MachineSettings, max_examples=15)
