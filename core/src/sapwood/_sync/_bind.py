"""Sync methods derived from async ones, so each method and its docstring is written once.

A sync class declares ``upload = awaited(AsyncBranch.upload)``: the declaration is typed
(``SyncMethod[P, R]`` over the async method's parameters), so mypy and IDEs see the sync
method's real parameters and return type, and at class creation it turns into a plain
function carrying the async method's docstring and signature (with ``Async*`` types shown
as their sync twins), so ``help()`` and :mod:`inspect` see an ordinary method.

The function runs the async method of the same name on the instance's twin (``self.aio``),
so a subclass's override on the async side is the one called. Sync twins among the
arguments are passed on as their async objects; the result goes through ``into``.

``awaited`` binds a coroutine method, ``iterated`` one returning an async iterator,
``called`` a plain method, ``awaited_on_class`` a class or static method and ``forwarded``
a read-only property. ``documented_by`` gives the few methods written out by hand (typed
overloads by mode, arguments only a sync twin can be) their async twin's docstring.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from sapwood import _loop
from sapwood._sync._twin import Twin, iterate
from sapwood._sync.files import FileTwin

__all__ = [
    "SyncClassMethod",
    "SyncMethod",
    "SyncProperty",
    "awaited",
    "awaited_on_class",
    "called",
    "documented_by",
    "forwarded",
    "iterated",
    "sync_annotation",
    "sync_docstring",
    "unwrap",
]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


def unwrap(value: object) -> object:
    """What the async side takes for ``value``: a sync twin of a repository, reference or
    session becomes its async object. A sync file object stays itself: it is data to read
    (``upload(reader, path)``), read from a worker thread through its sync methods."""
    if isinstance(value, Twin) and not isinstance(value, FileTwin):
        return value.aio
    return value


def sync_annotation(annotation: object) -> object:
    """An async-side annotation as the sync side reads: ``AsyncX`` is ``X``, an async
    iterator a sync one, an ``AsyncOpening[F]`` (awaited, or used in ``async with``)
    the file itself, which is its own context manager, and a file position (an
    :class:`~sapwood.aio.files.Offset`, which may be awaited) a plain ``int``."""
    if not isinstance(annotation, str):
        return annotation
    if annotation == "Offset":
        return "int"
    text = re.sub(r"^AsyncOpening\[(.*)\]$", r"\1", annotation)
    text = re.sub(r"^AsyncIterator\[(.*)\]$", r"Iterator[\1]", text)
    return re.sub(r"\bAsync(?=[A-Z])", "", text)


_ASYNC_ONLY = "Await it for the file"
"""How the paragraph of an async ``open()`` docstring about awaiting the opening starts: a
sync file object is returned as it is, and is its own context manager."""
_SYNC_OPEN = "Use it in a ``with`` block, which closes the file at the end."
_ASYNC_WORDS = re.compile(r"\b(?:async (?=with\b|for\b)|await (?=\w))")


def sync_docstring(doc: str | None) -> str | None:
    """An async method's docstring as its sync twin reads: ``async with`` is ``with``,
    ``await x`` is ``x``, ``AsyncX`` is ``X``, and the paragraph on awaiting an opening
    says to use the file in a ``with`` block."""
    if doc is None:
        return None
    paragraphs = doc.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        if paragraph.lstrip().startswith(_ASYNC_ONLY):
            indent = paragraph[: len(paragraph) - len(paragraph.lstrip())]
            paragraphs[index] = indent + _SYNC_OPEN
    text = "\n\n".join(paragraphs)
    return re.sub(r"\bAsync(?=[A-Z])", "", _ASYNC_WORDS.sub("", text))


def _sync_signature(source: Callable[..., Any]) -> inspect.Signature:
    signature = inspect.signature(source)
    return signature.replace(
        parameters=[
            parameter.replace(annotation=sync_annotation(parameter.annotation))
            for parameter in signature.parameters.values()
        ],
        return_annotation=sync_annotation(signature.return_annotation),
    )


class SyncMethod(Generic[P, R]):
    """A sync method derived from the async method ``source``; see the module docstring.

    Only its type is seen after class creation: :meth:`__set_name__` puts a plain
    function in its place."""

    def __init__(
        self, source: Callable[..., Any], run: Callable[[Any], Any], into: Callable[[Any], Any]
    ) -> None:
        self.source = source
        self._run = run
        self._into = into

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Callable[Concatenate[Any, P], R]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(self, instance: object, owner: type[Any]) -> Callable[..., R]:
        raise TypeError(f"{self.source.__qualname__} was bound outside a class body")

    def __set_name__(self, owner: type[Any], name: str) -> None:
        if name != self.source.__name__:
            raise TypeError(
                f"{owner.__name__}.{name} is bound to {self.source.__qualname__}: a sync "
                "method keeps its async twin's name"
            )
        run, into = self._run, self._into

        def method(self: Twin[Any], *args: Any, **kwargs: Any) -> Any:
            async_method = getattr(self.aio, name)
            outcome = async_method(
                *(unwrap(arg) for arg in args),
                **{key: unwrap(value) for key, value in kwargs.items()},
            )
            return into(run(outcome))

        _dress(method, self.source, owner, name)
        setattr(owner, name, method)


def _dress(method: Callable[..., Any], source: Callable[..., Any], owner: type, name: str) -> None:
    """Give a derived ``method`` its async ``source``'s docstring and signature (read as
    sync), and its place in ``owner``."""
    method.__doc__ = sync_docstring(source.__doc__)
    method.__name__ = name
    method.__qualname__ = f"{owner.__qualname__}.{name}"
    method.__module__ = owner.__module__
    method.__signature__ = _sync_signature(source)  # type: ignore[attr-defined]
    method.__annotations__ = {
        key: sync_annotation(value) for key, value in source.__annotations__.items()
    }
    method.derived_from = source  # type: ignore[attr-defined]


class SyncClassMethod(Generic[P, R]):
    """A sync class or static method derived from the async one ``source`` (a class
    method as read from its class, or a static method); like :class:`SyncMethod`, it turns
    into a plain ``classmethod`` or ``staticmethod`` at class creation."""

    def __init__(self, source: Callable[..., Any], into: Callable[[Any], Any]) -> None:
        self.source = source
        self._into = into

    def __get__(self, instance: object, owner: type[Any]) -> Callable[P, R]:
        raise TypeError(f"{self.source.__qualname__} was bound outside a class body")

    def __set_name__(self, owner: type[Any], name: str) -> None:
        source, into = self.source, self._into
        if name != source.__name__:
            raise TypeError(
                f"{owner.__name__}.{name} is bound to {source.__qualname__}: a sync "
                "method keeps its async twin's name"
            )

        def call(*args: Any, **kwargs: Any) -> Any:
            outcome = source(
                *(unwrap(arg) for arg in args),
                **{key: unwrap(value) for key, value in kwargs.items()},
            )
            return into(_loop.run(outcome))

        if inspect.ismethod(source):

            def on_class(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
                return call(*args, **kwargs)

            _dress(on_class, source.__func__, owner, name)
            setattr(owner, name, classmethod(on_class))
        else:
            _dress(call, source, owner, name)
            setattr(owner, name, staticmethod(call))


def _same(value: Any) -> Any:
    return value


def _run_coroutine(outcome: Coroutine[Any, Any, Any]) -> Any:
    return _loop.run(outcome)


def _iterate(outcome: AsyncIterator[Any], into: Callable[[Any], Any]) -> Iterator[Any]:
    return iterate(outcome, into)


@overload
def awaited(
    source: Callable[Concatenate[Any, P], Awaitable[R]],
) -> SyncMethod[P, R]: ...


@overload
def awaited(
    source: Callable[Concatenate[Any, P], Awaitable[R]], into: Callable[[R], S]
) -> SyncMethod[P, S]: ...


def awaited(
    source: Callable[Concatenate[Any, P], Awaitable[Any]],
    into: Callable[[Any], Any] = _same,
) -> SyncMethod[P, Any]:
    """The sync twin of coroutine method ``source``: runs it on the background loop and
    passes its result through ``into`` (a sync-twin maker for an async object)."""
    return SyncMethod(source, _run_coroutine, into)


@overload
def iterated(
    source: Callable[Concatenate[Any, P], AsyncIterator[R]],
) -> SyncMethod[P, Iterator[R]]: ...


@overload
def iterated(
    source: Callable[Concatenate[Any, P], AsyncIterator[R]], into: Callable[[R], S]
) -> SyncMethod[P, Iterator[S]]: ...


def iterated(
    source: Callable[Concatenate[Any, P], AsyncIterator[Any]],
    into: Callable[[Any], Any] = _same,
) -> SyncMethod[P, Iterator[Any]]:
    """The sync twin of a method returning an async iterator: a lazy sync iterator over
    it (items fetched across the loop in the async side's batches), each through ``into``."""
    return SyncMethod(source, lambda outcome: _iterate(outcome, into), _same)


@overload
def awaited_on_class(source: Callable[P, Awaitable[R]]) -> SyncClassMethod[P, R]: ...


@overload
def awaited_on_class(
    source: Callable[P, Awaitable[R]], into: Callable[[R], S]
) -> SyncClassMethod[P, S]: ...


def awaited_on_class(
    source: Callable[P, Awaitable[Any]], into: Callable[[Any], Any] = _same
) -> SyncClassMethod[P, Any]:
    """The sync twin of an async class or static method (``AsyncRepository.open``): runs
    it on the background loop and passes its result through ``into``."""
    return SyncClassMethod(source, into)


@overload
def called(source: Callable[Concatenate[Any, P], R]) -> SyncMethod[P, R]: ...


@overload
def called(
    source: Callable[Concatenate[Any, P], R], into: Callable[[R], S]
) -> SyncMethod[P, S]: ...


def called(
    source: Callable[Concatenate[Any, P], Any], into: Callable[[Any], Any] = _same
) -> SyncMethod[P, Any]:
    """The sync twin of a plain method (one that hands out an async object, say a
    transaction or a fork): its result through ``into``."""
    return SyncMethod(source, _same, into)


class SyncProperty(Generic[R]):
    """A read-only property derived from the async twin's property ``source``: it reads
    the property of the same name on ``self.aio`` and passes the value through ``into``.
    Like :class:`SyncMethod`, it turns into a plain ``property`` at class creation."""

    def __init__(self, source: property, into: Callable[[Any], Any]) -> None:
        self.source = source
        self._into = into

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> SyncProperty[R]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> R: ...

    def __get__(self, instance: object, owner: type[Any]) -> R | SyncProperty[R]:
        raise TypeError("a derived property was bound outside a class body")

    def __set_name__(self, owner: type[Any], name: str) -> None:
        getter = self.source.fget
        if getter is None or getter.__name__ != name:
            raise TypeError(
                f"{owner.__name__}.{name} is bound to another property: a sync property "
                "keeps its async twin's name"
            )
        into = self._into

        def read(self: Twin[Any]) -> Any:
            return into(getattr(self.aio, name))

        _dress(read, getter, owner, name)
        setattr(owner, name, property(read, doc=read.__doc__))


@overload
def forwarded(source: Callable[[Any], R]) -> SyncProperty[R]: ...


@overload
def forwarded(source: Callable[[Any], R], into: Callable[[R], S]) -> SyncProperty[S]: ...


def forwarded(source: Any, into: Callable[[Any], Any] = _same) -> SyncProperty[Any]:
    """The sync twin of a read-only property (type checkers read ``AsyncX.prop`` as its
    getter): its value, through ``into``."""
    if not isinstance(source, property):
        raise TypeError(f"forwarded() takes a property, not {type(source).__name__}")
    return SyncProperty(source, into)


F = TypeVar("F", bound=Callable[..., Any])


def documented_by(source: Callable[..., Any]) -> Callable[[F], F]:
    """For the few sync methods written out (overloads by mode, arguments only a sync twin
    can be): the docstring stays ``source``'s, written once."""

    def document(method: F) -> F:
        method.__doc__ = sync_docstring(source.__doc__)
        method.derived_from = source  # type: ignore[attr-defined]
        return method

    return document
