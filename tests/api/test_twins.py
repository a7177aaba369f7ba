"""Every public async method and property has a sync twin with the same name and signature.

The sync classes hold no logic of their own: each method hands its arguments to the async
twin. This module checks the surfaces match (parameters, kinds, defaults, overloads and
annotations, with ``Async*`` types mapped to their sync twins), so neither side can grow a
method, parameter or default the other lacks.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import sapwood
import sapwood.aio

# The repository API's classes; the object client (sapwood.objectstore) pairs its own twins.
ASYNC_CLASSES = [
    getattr(sapwood.aio, name)
    for name in sapwood.aio.__all__
    if inspect.isclass(getattr(sapwood.aio, name))
    and getattr(sapwood.aio, name).__module__.startswith("sapwood.aio.")
]
SYNC_DUNDERS = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}
PLAIN_DUNDERS = ("__eq__", "__hash__")


def sync_class_of(async_class: type) -> type:
    name = async_class.__name__.removeprefix("Async")
    assert name in sapwood.__all__, f"sapwood exports no sync twin {name} of {async_class}"
    twin = getattr(sapwood, name)
    assert inspect.isclass(twin)
    return twin


def to_sync_text(annotation: object) -> object:
    """An async-side annotation as the sync side writes it: AsyncX -> X, and
    AsyncOpening[X] -> X (async ``open()`` returns an opening to await or to use in
    ``async with``; a sync file object is its own context manager, so the sync ``open()``
    returns the file itself)."""
    if isinstance(annotation, str):
        unwrapped = re.sub(r"^AsyncOpening\[(.*)\]$", r"\1", annotation)
        return re.sub(r"\bAsync(?=[A-Z])", "", unwrapped)
    return annotation


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


def signature_text(function: Callable[..., Any], *, asynchronous: bool) -> list[tuple[Any, ...]]:
    signature = inspect.signature(function)
    convert = to_sync_text if asynchronous else (lambda a: a)
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
        assert to_sync_text(inspect.signature(member.fget).return_annotation) == (
            inspect.signature(twin.fget).return_annotation
        )
        return
    assert type(member) is type(twin), f"{name}: {type(member)} against {type(twin)}"
    async_function = member.__func__ if isinstance(member, classmethod | staticmethod) else member
    sync_function = twin.__func__ if isinstance(twin, classmethod | staticmethod) else twin
    assert callable(async_function)
    assert callable(sync_function)
    if name in SYNC_DUNDERS or name in PLAIN_DUNDERS:
        expected = signature_text(async_function, asynchronous=True)[:-1]
        assert signature_text(sync_function, asynchronous=False)[:-1] == expected
        return
    assert inspect.iscoroutinefunction(sync_function) is False
    assert signature_text(sync_function, asynchronous=False) == signature_text(
        async_function, asynchronous=True
    )
    async_overloads = typing.get_overloads(async_function)
    sync_overloads = typing.get_overloads(sync_function)
    assert [signature_text(o, asynchronous=False) for o in sync_overloads] == [
        signature_text(o, asynchronous=True) for o in async_overloads
    ]


@pytest.mark.parametrize("async_class", ASYNC_CLASSES, ids=lambda cls: cls.__name__)
def test_each_sync_class_documents_itself_and_wraps_its_twin(async_class: type) -> None:
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
