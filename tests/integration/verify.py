"""Whole-repository consistency checks, through the public API only: every branch and tag
resolves, every commit in the branches' histories has a readable tree, and every object at a
ref's head downloads with the size and checksum its entry records. Meant for a repository
nobody is writing to at the time."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import sapwood
from sapwood.models import ObjectInfo
from sapwood.storage import CommonPrefix

__all__ = ["Consistency", "check_consistency"]

ContentCheck = Callable[[ObjectInfo, bytes], str | None]
"""Says what is wrong with an object's content (None: nothing)."""


@dataclass
class Consistency:
    """What a consistency check found: refs and where they point, history, problems."""

    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    histories: dict[str, list[str]] = field(default_factory=dict)
    """Each branch's commits, newest first (its first entry is the head)."""
    objects_checked: int = 0
    problems: list[str] = field(default_factory=list)


def _check_tree(
    reference: sapwood.Reference,
    label: str,
    found: Consistency,
    content_check: ContentCheck | None,
) -> None:
    for item in reference.list_objects():
        if isinstance(item, CommonPrefix):
            found.problems.append(f"{label}: a listing without delimiter gave {item!r}")
            continue
        try:
            data = reference.download(item.path)
        except sapwood.SapwoodError as exc:
            found.problems.append(f"{label}: {item.path} does not download: {exc!r}")
            continue
        found.objects_checked += 1
        if len(data) != item.size_bytes:
            found.problems.append(
                f"{label}: {item.path} has {len(data)} bytes, its entry says {item.size_bytes}"
            )
        if hashlib.sha256(data).hexdigest() != item.checksum:
            found.problems.append(f"{label}: {item.path} does not match its checksum")
        problem = content_check(item, data) if content_check is not None else None
        if problem is not None:
            found.problems.append(f"{label}: {item.path}: {problem}")


def check_consistency(
    repo: sapwood.Repository, content_check: ContentCheck | None = None
) -> Consistency:
    """Check every ref of ``repo`` (see the module docstring); ``content_check`` also
    judges each downloaded object. Problems are collected, not raised, so one run reports
    them all."""
    found = Consistency()
    heads: list[tuple[str, str, sapwood.Reference]] = []
    for branch in repo.list_branches():
        try:
            found.branches[branch.id] = branch.resolve().hex()
        except sapwood.SapwoodError as exc:
            found.problems.append(f"branch {branch.id!r} is listed but does not resolve: {exc!r}")
            continue
        heads.append(("branch", branch.id, branch))
    for tag in repo.list_tags():
        try:
            found.tags[tag.id] = tag.resolve().hex()
        except sapwood.SapwoodError as exc:
            found.problems.append(f"tag {tag.id!r} is listed but does not resolve: {exc!r}")
            continue
        heads.append(("tag", tag.id, tag))
    seen: set[str] = set()
    for kind, name, reference in heads:
        label = f"{kind} {name!r}"
        try:
            history = [commit.id for commit in reference.log()]
        except sapwood.SapwoodError as exc:
            found.problems.append(f"{label}: its history cannot be read: {exc!r}")
            continue
        if kind == "branch":
            found.histories[name] = history
        head = history[0]
        resolved = (found.branches if kind == "branch" else found.tags)[name]
        if head != resolved:
            found.problems.append(
                f"{label}: resolves to {resolved[:12]}, its log starts at {head[:12]}"
            )
        if head in seen:
            continue
        seen.add(head)
        _check_tree(repo.commit(head), f"{label} at {head[:12]}", found, content_check)
    for history in found.histories.values():
        for commit_id in history[1:]:
            if commit_id in seen:
                continue
            seen.add(commit_id)
            try:
                sum(1 for _ in repo.commit(commit_id).list_objects())
            except sapwood.SapwoodError as exc:
                found.problems.append(f"commit {commit_id[:12]}: its tree cannot be read: {exc!r}")
    return found
