"""The credential-provider suite fails faulty providers (it is only useful if it can)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FAULTY_PROVIDERS = """
import itertools
from dataclasses import dataclass

import pytest

from sapwood.credentials import StaticCredentials
from sapwood.testing import CredentialProviderConformance

SECRET = "leaky-secret-value-123"


@dataclass
class LeakyRepr:
    secret: str = SECRET
    name: str = "leaky"

    async def credentials(self):
        return StaticCredentials(access_key_id="id", secret_access_key=self.secret)


class PlainStaticCredentials:
    def __init__(self):
        self.secret_access_key = SECRET


class WrongType:
    name = "wrong-type"

    async def credentials(self):
        return {"secret_access_key": SECRET}


class Nameless:
    name = "  "

    async def credentials(self):
        return None


class Fickle:
    name = "fickle"

    def __init__(self):
        self.counter = itertools.count()

    async def credentials(self):
        return StaticCredentials(bearer_token=f"token-number-{next(self.counter)}")


class TestLeakyRepr(CredentialProviderConformance):
    @pytest.fixture
    def provider(self):
        return LeakyRepr()


class TestWrongType(CredentialProviderConformance):
    @pytest.fixture
    def provider(self):
        return WrongType()


class TestNameless(CredentialProviderConformance):
    @pytest.fixture
    def provider(self):
        return Nameless()


class TestFickle(CredentialProviderConformance):
    @pytest.fixture
    def provider(self):
        return Fickle()


class TestNoFixture(CredentialProviderConformance):
    pass
"""


def test_the_suite_fails_each_faulty_provider(tmp_path: Path) -> None:
    module = tmp_path / "test_faulty_providers.py"
    module.write_text(FAULTY_PROVIDERS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAPWOOD_", "PYTEST_"))}

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(module),
            "-q",
            "-rfE",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )

    failed = {
        line.split("::", 1)[1].split(" ")[0]
        for line in done.stdout.splitlines()
        if line.startswith(("FAILED", "ERROR")) and "::" in line
    }
    assert done.returncode == 1, done.stdout + done.stderr
    assert "TestLeakyRepr::test_reprs_never_show_secrets" in failed
    assert "TestWrongType::test_credentials_are_resolved_or_none" in failed
    assert "TestNameless::test_name_is_a_non_empty_string" in failed
    assert "TestFickle::test_repeated_calls_agree" in failed
    assert "TestFickle::test_concurrent_calls_are_safe" in failed
    assert "TestNoFixture::test_name_is_a_non_empty_string" in failed
    assert not any(name.startswith("TestLeakyRepr::test_name") for name in failed)
