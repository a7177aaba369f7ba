"""The sync API is its async twin, by construction.

Each sync method is derived from the async method of the same name (``awaited``,
``iterated``, ``called``, ``awaited_on_class``, ``forwarded`` in
:mod:`sapwood._sync._bind`): its docstring and signature are the async method's, so
neither side can grow a method, parameter or default the other lacks. The few written out
(overloads by mode, arguments only a sync twin can be, dunders) take their docstring from
the async method too, and their signature is compared here. ``mypy --strict`` checks what
users of the sync API see.
"""

from __future__ import annotations

import inspect
import os
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mypy import api as mypy_api

import sapwood
import sapwood.aio
from sapwood._sync._bind import sync_annotation, sync_docstring

# The repository API's classes; the object client (sapwood.objectstore) pairs its own twins.
ASYNC_CLASSES = [
    getattr(sapwood.aio, name)
    for name in sapwood.aio.__all__
    if inspect.isclass(getattr(sapwood.aio, name))
    and getattr(sapwood.aio, name).__module__.startswith("sapwood.aio.")
]
# File objects are written out: their sync twins batch lines and buffer reads themselves.
FILE_CLASSES = {"AsyncObjectReader", "AsyncTextReader", "AsyncObjectWriter"}
SYNC_DUNDERS = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}
PLAIN_DUNDERS = ("__eq__", "__hash__")
# Methods a sync class writes out, and why; every other public method is derived.
WRITTEN_OUT = {
    "open": "overloads pick the file type by mode; the sync file is its own context manager",
    "merge": "takes sync sessions",
    "copy_object": "a session's copy takes a sync session as its source",
    "prefix": "returns the sync manager itself, for chaining",
    "object": "returns the sync manager itself, for chaining",
    "store": "a sync session's Zarr store wraps the sync session, whose loop is sapwood's own",
}
TYPING = Path(__file__).parent / "typing"


def sync_class_of(async_class: type) -> type:
    name = async_class.__name__.removeprefix("Async")
    assert name in sapwood.__all__, f"sapwood exports no sync twin {name} of {async_class}"
    twin = getattr(sapwood, name)
    assert inspect.isclass(twin)
    return twin


def public_members(cls: type) -> Iterator[tuple[str, object]]:
    for name in dir(cls):
        if name.startswith("_") and name not in SYNC_DUNDERS and name not in PLAIN_DUNDERS:
            continue
        defined_in = next(klass for klass in cls.__mro__ if name in vars(klass))
        if defined_in is object:
            continue
        yield name, inspect.getattr_static(cls, name)


def members_to_check() -> list[tuple[type, str, object]]:
    return [
        (cls, name, member)
        for cls in ASYNC_CLASSES
        for name, member in public_members(cls)
        if not (name in PLAIN_DUNDERS and member is None)
    ]


def function_of(member: object) -> Callable[..., Any]:
    target = member.__func__ if isinstance(member, classmethod | staticmethod) else member
    assert callable(target)
    return target


def signature_text(function: Callable[..., Any], *, asynchronous: bool) -> list[tuple[Any, ...]]:
    signature = inspect.signature(function)
    convert = sync_annotation if asynchronous else (lambda a: a)
    parameters = [
        (p.name, p.kind, repr(p.default), convert(p.annotation))
        for p in signature.parameters.values()
    ]
    return [*parameters, ("return", convert(signature.return_annotation))]


def test_the_twin_table_covers_every_async_class() -> None:
    names = {cls.__name__ for cls in ASYNC_CLASSES}
    assert {"AsyncRepository", "AsyncBranch", "AsyncTag", "AsyncReference", "AsyncSession"} <= names
    assert len(members_to_check()) > 100


@pytest.mark.parametrize(
    ("async_class", "name", "member"),
    members_to_check(),
    ids=[f"{cls.__name__}.{name}" for cls, name, _ in members_to_check()],
)
def test_every_async_member_has_a_sync_twin(async_class: type, name: str, member: object) -> None:
    sync_class = sync_class_of(async_class)
    sync_name = SYNC_DUNDERS.get(name, name)
    assert hasattr(sync_class, sync_name), f"{sync_class.__name__} lacks {sync_name}"
    twin = inspect.getattr_static(sync_class, sync_name)
    if isinstance(member, property):
        assert isinstance(twin, property), f"{sync_class.__name__}.{name} is not a property"
        assert member.fget is not None
        assert twin.fget is not None
        assert sync_annotation(inspect.signature(member.fget).return_annotation) == (
            inspect.signature(twin.fget).return_annotation
        )
        if is_derived(twin.fget):
            assert twin.__doc__ == sync_docstring(member.__doc__)
        return
    assert type(member) is type(twin), f"{name}: {type(member)} against {type(twin)}"
    async_function = function_of(member)
    sync_function = function_of(twin)
    if name in SYNC_DUNDERS or name in PLAIN_DUNDERS:
        expected = signature_text(async_function, asynchronous=True)[:-1]
        assert signature_text(sync_function, asynchronous=False)[:-1] == expected
        return
    assert inspect.iscoroutinefunction(sync_function) is False
    if async_class.__name__ in FILE_CLASSES:
        assert signature_text(sync_function, asynchronous=False) == signature_text(
            async_function, asynchronous=True
        )
        return
    source = getattr(sync_function, "derived_from", None)
    assert source is not None, (
        f"{sync_class.__name__}.{name} is neither derived from nor documented by its twin"
    )
    assert function_of(getattr(source, "__func__", source)) is function_of(
        inspect.getattr_static(async_class, name)
    ), f"{sync_class.__name__}.{name} is bound to {source.__qualname__}"
    assert sync_function.__doc__ == sync_docstring(async_function.__doc__)
    assert signature_text(sync_function, asynchronous=False) == signature_text(
        async_function, asynchronous=True
    )
    async_overloads = typing.get_overloads(async_function)
    sync_overloads = typing.get_overloads(sync_function)
    assert [signature_text(o, asynchronous=False) for o in sync_overloads] == [
        signature_text(o, asynchronous=True) for o in async_overloads
    ]


def is_derived(function: Callable[..., Any]) -> bool:
    """Made by the binding (its code lives in the binding module), not written out."""
    return function.__code__.co_filename.endswith(f"_sync{os.sep}_bind.py")


def test_only_the_listed_methods_are_written_out() -> None:
    written_out = {
        f"{sync_class.__name__}.{name}"
        for cls in ASYNC_CLASSES
        if cls.__name__ not in FILE_CLASSES
        for sync_class in [sync_class_of(cls)]
        for name, member in public_members(sync_class)
        if not name.startswith("_")
        and hasattr(cls, name)  # sync-only helpers (``wrap``) have no twin to follow
        and not isinstance(member, property)
        and not is_derived(function_of(member))
    }
    assert {name.split(".")[1] for name in written_out} <= set(WRITTEN_OUT)
    derived = {
        name
        for cls in ASYNC_CLASSES
        for name, member in public_members(sync_class_of(cls))
        if not isinstance(member, property) and is_derived(function_of(member))
    }
    assert len(derived) > 40


@pytest.mark.parametrize("async_class", ASYNC_CLASSES, ids=lambda cls: cls.__name__)
def test_each_sync_class_documents_itself(async_class: type) -> None:
    sync_class = sync_class_of(async_class)
    assert sync_class.__doc__
    assert sync_class.__doc__.strip()
    for name, member in public_members(sync_class):
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        target = target.__func__ if isinstance(target, classmethod | staticmethod) else target
        if callable(target) or isinstance(member, property):
            assert getattr(target, "__doc__", None), (
                f"{sync_class.__name__}.{name} has no docstring"
            )


def test_a_derived_method_reads_as_sync_in_help() -> None:
    upload = sapwood.Branch.upload
    assert upload.__qualname__ == "Branch.upload"
    assert str(inspect.signature(sapwood.Branch.create)).endswith("-> 'Branch'")
    assert str(inspect.signature(sapwood.Branch.log)).endswith("-> 'Iterator[Commit]'")
    assert "``with branch.transaction" in (sapwood.Branch.transaction.__doc__ or "")
    assert "async" not in (sapwood.Branch.transaction.__doc__ or "")


def mypy_errors(path: Path) -> list[str]:
    stdout, _, _ = mypy_api.run(["--strict", "--no-error-summary", str(path)])
    return [line for line in stdout.splitlines() if ": error:" in line]


def test_sync_users_see_the_sync_types_under_mypy_strict() -> None:
    assert mypy_errors(TYPING / "sync_api_usage.py") == []


def test_mypy_refuses_wrong_calls_to_derived_methods() -> None:
    source = (TYPING / "mistakes.py").read_text().splitlines()
    expected = {number for number, line in enumerate(source, 1) if line.endswith("# error")}
    found = {int(line.split(":")[1]) for line in mypy_errors(TYPING / "mistakes.py")}
    assert found == expected
