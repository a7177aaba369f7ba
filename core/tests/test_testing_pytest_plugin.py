"""sapwood's pytest plugin runs the conformance suites under a plain pytest configuration,
and leaves every other test as pytest-asyncio's configuration would have it."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from sapwood.testing.pytest_plugin import is_suite_class

SUITES = """
import uuid

import pytest
import pytest_asyncio

from sapwood.credentials import StaticCredentials
from sapwood.registry import registry
from sapwood.stores import credential_provider, open_storage
from sapwood.testing import (
    CacheConformance,
    CredentialProviderConformance,
    LimiterConformance,
    StorageConformance,
)
from sapwood_memory import drop_bucket


class TestMemoryStorage(StorageConformance):
    LARGE_OBJECT_SIZE = 1024 * 1024  # the configuration is under test here, not big objects

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self):
        name = f"plain-{uuid.uuid4().hex}"
        storage = open_storage(f"memory://{name}")
        yield storage
        await storage.close()
        drop_bucket(name)

    @pytest.mark.xfail(reason="an override calling super() stays async", strict=True)
    async def test_put_then_get_returns_the_same_bytes(self, store):
        await super().test_put_then_get_returns_the_same_bytes(store)
        raise AssertionError("the override ran on the event loop")


class TestLruCache(CacheConformance):
    @pytest.fixture
    def make_cache(self):
        return registry().cache("lru").factory


class TestTokenBucketLimiter(LimiterConformance):
    @pytest.fixture
    def make_limiter(self):
        return registry().limiter("token-bucket").factory


class TestStaticCredentials(CredentialProviderConformance):
    @pytest.fixture
    def provider(self):
        return credential_provider(
            StaticCredentials(access_key_id="AKIDPLAIN", secret_access_key="plain-secret-value")
        )
"""

OTHER_TESTS = """
from pathlib import Path

import pytest


class TestUnrelated:
    async def test_unmarked_async(self):
        Path("unmarked-async-test-ran").write_text("it ran")

    @pytest.mark.asyncio
    async def test_marked_async(self):
        pass

    def test_sync(self):
        pass
"""


@dataclass(frozen=True)
class Run:
    """What a pytest run in a subprocess reported."""

    returncode: int
    output: str
    outcomes: dict[str, str]

    def count(self, outcome: str, prefix: str = "") -> int:
        return sum(
            1 for test, got in self.outcomes.items() if got == outcome and test.startswith(prefix)
        )


def run_pytest(project: Path, *args: str) -> Run:
    """Run pytest on ``project`` with no configuration file at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAPWOOD_", "PYTEST_"))}
    report = project / "report.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(project),
            f"--junitxml={report}",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=600,
        check=False,
    )
    outcomes: dict[str, str] = {}
    if report.exists():
        for case in ElementTree.parse(report).iter("testcase"):
            test = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
            results = [child.tag for child in case if child.tag != "system-out"]
            outcomes[test] = results[0] if results else "passed"
    return Run(done.returncode, done.stdout + done.stderr, outcomes)


def test_the_plugin_is_installed_as_a_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert found.get("sapwood") == "sapwood.testing.pytest_plugin", (
        "the installed sapwood metadata lacks the pytest11 entry point: pip install -e core"
    )


def test_the_suites_pass_under_a_plain_configuration(tmp_path: Path) -> None:
    (tmp_path / "test_suites.py").write_text(SUITES, encoding="utf-8")
    (tmp_path / "test_other.py").write_text(OTHER_TESTS, encoding="utf-8")

    run = run_pytest(tmp_path)

    from sapwood import testing

    for project_class, suite in (
        ("TestMemoryStorage", testing.StorageConformance),
        ("TestLruCache", testing.CacheConformance),
        ("TestTokenBucketLimiter", testing.LimiterConformance),
        ("TestStaticCredentials", testing.CredentialProviderConformance),
    ):
        expected = {name for name in dir(suite) if name.startswith("test_")}
        outcomes = {
            test.split("::", 1)[1]: outcome
            for test, outcome in run.outcomes.items()
            if test.startswith(f"{project_class}::")
        }
        assert {test.split("[")[0] for test in outcomes} == expected, run.output
        failed = {test: outcome for test, outcome in outcomes.items() if outcome != "passed"}
        if project_class == "TestMemoryStorage":
            # The override is an expected failure, which JUnit reports as skipped.
            assert failed == {"test_put_then_get_returns_the_same_bytes": "skipped"}, run.output
        else:
            assert failed == {}, run.output
    # The user's own tests are untouched: an unmarked async test is still not run (strict
    # mode), while marked and sync tests run as before.
    assert run.outcomes["TestUnrelated::test_marked_async"] == "passed"
    assert run.outcomes["TestUnrelated::test_sync"] == "passed"
    assert run.outcomes["TestUnrelated::test_unmarked_async"] == "failure"
    assert not (tmp_path / "unmarked-async-test-ran").exists()


def test_without_pytest_asyncio_a_suite_says_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "test_suites.py").write_text(SUITES, encoding="utf-8")

    run = run_pytest(tmp_path, "-p", "no:asyncio", "-k", "TestLruCache")

    assert run.returncode != 0
    assert "needs pytest-asyncio" in run.output
    assert 'pip install "sapwood[testing]"' in run.output


def test_only_suite_subclasses_are_recognised() -> None:
    from sapwood.testing import CacheConformance, StorageConformance
    from sapwood.testing.storage_listing import ListingTests

    class MyStorageTests(StorageConformance):
        pass

    class Unrelated:
        pass

    assert is_suite_class(MyStorageTests)
    assert is_suite_class(CacheConformance)
    assert is_suite_class(ListingTests)
    assert not is_suite_class(Unrelated)
    assert not is_suite_class(None)
    assert not is_suite_class(MyStorageTests())


LOSSY_CACHE = """
import pytest

from sapwood.config import CachingConfig
from sapwood.registry import registry
from sapwood.testing import CacheConformance


class LossyCache:
    def __init__(self, config: CachingConfig) -> None:
        self.inner = registry().cache("lru").factory(config)

    async def get(self, key):
        value = await self.inner.get(key)
        return value[:-1] if value else value

    def __getattr__(self, name):
        return getattr(self.inner, name)


class TestLossyCache(CacheConformance):
    @pytest.fixture
    def make_cache(self):
        return LossyCache
"""


def test_a_failing_suite_check_shows_the_values_it_compared(tmp_path: Path) -> None:
    (tmp_path / "test_lossy.py").write_text(LOSSY_CACHE, encoding="utf-8")

    run = run_pytest(tmp_path, "-k", "test_set_then_get_returns_equal_bytes")

    assert run.outcomes == {"TestLossyCache::test_set_then_get_returns_equal_bytes": "failure"}
    assert "assert b'valu' == b'value'" in run.output
