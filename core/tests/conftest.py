"""Fixtures for the core's tests: fake installed plugin distributions, a subprocess runner
that sees them, and a way to make a hand-built Registry the process-wide one."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import msgspec
import pytest
from hypothesis import strategies as st

import sapwood.registry
from sapwood.registry import Registry, normalize_dist_name

GOOD_BACKEND_SOURCE = """
from sapwood import hookimpl
from sapwood.extensions import StorageBackend


def _factory(config, credentials):
    raise AssertionError("a fake backend for discovery tests")


@hookimpl
def sapwood_register_storage_backends(register):
    register(StorageBackend(name={name!r}, factory=_factory, url_schemes=({scheme!r},)))
"""


@dataclass
class FakeDists:
    """Fake installed distributions (``*.dist-info`` folders) and their plugin modules, in
    one folder that a subprocess puts on PYTHONPATH or this process on ``sys.path``."""

    root: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    module_names: list[str] = field(default_factory=list)

    @staticmethod
    def backend(name: str, scheme: str | None = None) -> str:
        """Source of a plugin module registering one storage backend called ``name``."""
        return GOOD_BACKEND_SOURCE.format(name=name, scheme=scheme or name)

    def add(
        self,
        dist: str,
        plugins: Mapping[str, str],
        version: str = "1.0.0",
        attrs: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Install ``dist`` declaring one ``sapwood`` entry point per item of ``plugins``
        (entry-point name -> module source). Returns entry-point name -> module name; module
        names are unique per test so this process never reuses an imported one. ``attrs``
        makes an entry point name an attribute of its module (``module:attr``)."""
        info = self.root / f"{normalize_dist_name(dist).replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        modules: dict[str, str] = {}
        lines = ["[sapwood]"]
        for ep_name, source in plugins.items():
            module = f"{normalize_dist_name(dist)}_{ep_name}_{self.tag}".replace("-", "_")
            (self.root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            target = f"{module}:{attrs[ep_name]}" if attrs and ep_name in attrs else module
            lines.append(f"{ep_name} = {target}")
            modules[ep_name] = module
            self.module_names.append(module)
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return modules

    def entry_points(self) -> list[importlib.metadata.EntryPoint]:
        """The ``sapwood`` entry points of every fake distribution, bound to their dist."""
        found: list[importlib.metadata.EntryPoint] = []
        for dist in importlib.metadata.distributions(path=[str(self.root)]):
            found.extend(ep for ep in dist.entry_points if ep.group == "sapwood")
        return sorted(found, key=lambda ep: (ep.dist.name if ep.dist else "", ep.name))


@pytest.fixture
def fake_dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDists]:
    """A folder for fake plugin distributions, importable from this process too."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    dists = FakeDists(root)
    yield dists
    for module in dists.module_names:
        sys.modules.pop(module, None)


@pytest.fixture
def core_builtins() -> importlib.metadata.EntryPoint:
    """The installed core's own ``builtins`` entry point (bound to the ``sapwood`` dist)."""
    for ep in importlib.metadata.entry_points(group="sapwood"):
        if ep.name == "builtins" and ep.dist is not None and ep.dist.name == "sapwood":
            return ep
    raise AssertionError("the sapwood core is not installed: pip install -e core")


@dataclass(frozen=True)
class PythonRun:
    """What a subprocess printed and how it ended."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """The last stdout line, parsed as JSON (the script's report)."""
        assert self.returncode == 0, f"subprocess failed:\n{self.stderr}"
        return json.loads(self.stdout.strip().splitlines()[-1])


RunPython = Callable[..., PythonRun]


@pytest.fixture
def run_python(tmp_path: Path) -> RunPython:
    """Run Python code (or ``-m module args``) in a fresh interpreter that sees the fake
    distributions under ``path``; stevedore's on-disk cache is pointed at an empty folder
    and every inherited ``SAPWOOD_*`` variable is dropped."""

    def run(
        code: str | None = None,
        *,
        path: Path | None = None,
        env: Mapping[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> PythonRun:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SAPWOOD_")}
        cache = tmp_path / "xdg-cache"
        cache.mkdir(exist_ok=True)
        environment["XDG_CACHE_HOME"] = str(cache)
        environment["PYTHONPATH"] = str(path) if path is not None else ""
        environment["COLUMNS"] = "200"
        environment.update(env or {})
        command = [sys.executable, "-c", textwrap.dedent(code)] if code else [sys.executable]
        done = subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )
        return PythonRun(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def use_registry(monkeypatch: pytest.MonkeyPatch) -> Callable[[Registry], None]:
    """Make a hand-built Registry the process-wide one for this test."""

    def install(built: Registry) -> None:
        monkeypatch.setattr(sapwood.registry, "_current", built)

    return install


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The monkeypatch, after removing every inherited ``SAPWOOD_*`` variable."""
    for name in list(os.environ):
        if name.startswith("SAPWOOD_"):
            monkeypatch.delenv(name)
    return monkeypatch


INT64 = (-(2**63), 2**63 - 1)
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


def plain_values(*, nulls: bool) -> st.SearchStrategy[Any]:
    """Values a config's free-form ``extra`` may hold (TOML has no null)."""
    scalars: st.SearchStrategy[Any] = st.booleans() | TEXT
    scalars |= st.integers(*INT64) | st.floats(allow_nan=False, allow_infinity=False)
    if nulls:
        scalars |= st.none()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=8,
    )


def strategy_for(info: msgspec.inspect.Type, *, nulls: bool) -> st.SearchStrategy[Any]:
    """A strategy producing valid values of one msgspec type (constraints respected)."""
    if isinstance(info, msgspec.inspect.IntType):
        low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else None)
        high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else None)
        return st.integers(
            low if low is not None else INT64[0], high if high is not None else INT64[1]
        )
    if isinstance(info, msgspec.inspect.FloatType):
        return st.floats(
            min_value=info.ge if info.ge is not None else info.gt,
            max_value=info.le,
            exclude_min=info.gt is not None,
            allow_nan=False,
            allow_infinity=False,
        )
    if isinstance(info, msgspec.inspect.BoolType):
        return st.booleans()
    if isinstance(info, msgspec.inspect.StrType):
        return TEXT
    if isinstance(info, msgspec.inspect.NoneType):
        return st.none()
    if isinstance(info, msgspec.inspect.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, msgspec.inspect.UnionType):
        return st.one_of(*(strategy_for(member, nulls=nulls) for member in info.types))
    if isinstance(info, msgspec.inspect.DictType):
        return st.dictionaries(TEXT, strategy_for(info.value_type, nulls=nulls), max_size=3)
    if isinstance(info, msgspec.inspect.AnyType):
        return plain_values(nulls=nulls)
    if isinstance(info, msgspec.inspect.StructType):
        return struct_strategy(info.cls, nulls=nulls)
    raise AssertionError(f"no strategy for {info!r}: extend strategy_for")


def struct_strategy(cls: type[Any], *, nulls: bool) -> st.SearchStrategy[Any]:
    """Instances of a config Struct with any subset of its optional fields set."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    required = {f.name: strategy_for(f.type, nulls=nulls) for f in info.fields if f.required}
    optional = {f.name: strategy_for(f.type, nulls=nulls) for f in info.fields if not f.required}
    return st.fixed_dictionaries(required, optional=optional).map(lambda fields: cls(**fields))


class ConfigStrategy(Protocol):
    """Builds a strategy of valid instances of a config Struct."""

    def __call__(self, cls: type[Any], *, nulls: bool) -> st.SearchStrategy[Any]: ...


@pytest.fixture(scope="session")
def config_strategy() -> ConfigStrategy:
    """Hypothesis strategies derived from a config Struct's own type information, so a
    field added later is covered without touching the tests."""
    return struct_strategy
