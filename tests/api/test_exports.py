"""``sapwood`` and ``sapwood.aio`` export every name DESIGN.md's Public API lists, in a
sorted ``__all__``, each with a docstring (and so do their public methods)."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import sapwood
import sapwood.aio

# The names DESIGN.md's "Public API" section lists, by where a user imports them.
DESIGN_SYNC_NAMES = {
    "AnonymousCredentials",
    "Branch",
    "Change",
    "Commit",
    "CommonPrefix",
    "ConfigError",
    "ConflictError",
    "CredentialsError",
    "ExpiringCredentials",
    "FromEnvCredentials",
    "ImportManager",
    "IntegrityError",
    "InvalidPathError",
    "InvalidRefError",
    "NotFoundError",
    "NothingToCommitError",
    "ObjectClient",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStoreConfig",
    "PermissionDeniedError",
    "PluginError",
    "Reference",
    "RefExistsError",
    "RefNotFoundError",
    "RefreshableCredentials",
    "Repository",
    "RepositoryConfig",
    "RepositoryExistsError",
    "RepositoryNotFoundError",
    "SapwoodError",
    "Session",
    "StaticCredentials",
    "StorageError",
    "Tag",
    "TimeToIdle",
    "TimeToLive",
    "Usecase",
    "VirtualChunkContainer",
    "init",
    "repository",
}
# The error types DESIGN.md's "Storage contract" names, importable from sapwood as well.
DESIGN_SYNC_NAMES |= {
    "AlreadyExistsError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "StorageError",
}
DESIGN_ASYNC_NAMES = {
    "AsyncBranch",
    "AsyncImportManager",
    "AsyncObjectClient",
    "AsyncReference",
    "AsyncRepository",
    "AsyncSession",
    "AsyncTag",
}


@pytest.mark.parametrize(
    ("module", "required"),
    [(sapwood, DESIGN_SYNC_NAMES), (sapwood.aio, DESIGN_ASYNC_NAMES)],
    ids=["sapwood", "sapwood.aio"],
)
def test_all_is_sorted_complete_and_importable(module: ModuleType, required: set[str]) -> None:
    exported = list(module.__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    assert required - set(exported) == set()
    for name in exported:
        assert getattr(module, name) is not None
    star: dict[str, object] = {}
    exec(f"from {module.__name__} import *", star)
    assert set(exported) <= set(star)


def documented_members(obj: type) -> list[tuple[str, object]]:
    members: list[tuple[str, object]] = []
    for name, member in vars(obj).items():
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        target = target.__func__ if isinstance(target, classmethod | staticmethod) else target
        if inspect.isfunction(target):
            members.append((name, target))
    return members


@pytest.mark.parametrize(
    "qualified",
    [f"sapwood.{n}" for n in sapwood.__all__] + [f"sapwood.aio.{n}" for n in sapwood.aio.__all__],
)
def test_every_public_name_and_its_methods_have_docstrings(qualified: str) -> None:
    module_name, _, name = qualified.rpartition(".")
    obj = getattr(sapwood.aio if module_name == "sapwood.aio" else sapwood, name)
    if isinstance(obj, str):
        return  # __version__-like constants
    assert inspect.getdoc(obj), f"{qualified} has no docstring"
    if inspect.isclass(obj) and obj.__module__.startswith("sapwood"):
        for member_name, member in documented_members(obj):
            assert inspect.getdoc(member), f"{qualified}.{member_name} has no docstring"
