"""Validation of paths, prefixes and ref names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sapwood.engine.paths import (
    prefix_successor,
    validate_path,
    validate_prefix,
    validate_ref_name,
)
from sapwood.errors import InvalidPathError, InvalidRefError


@pytest.mark.parametrize("path", ["a", "a/b.txt", "data/2024/x y.parquet", "é/ü", "a.b/..c"])
def test_good_paths_pass(path: str) -> None:
    assert validate_path(path) == path


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "empty"),
        ("/a", "starts with '/'"),
        ("a//b", "empty segment"),
        ("a/", "empty segment"),
        ("a/../b", "'..'"),
        ("./a", "'.'"),
        ("a\x00b", "control character"),
        ("a\nb", "control character"),
        ("x" * 1100, "limit is 1024"),
    ],
)
def test_bad_paths_say_why(path: str, reason: str) -> None:
    with pytest.raises(InvalidPathError, match=reason):
        validate_path(path)


def test_a_leading_slash_error_suggests_the_fix() -> None:
    with pytest.raises(InvalidPathError, match="write 'a/b'"):
        validate_path("/a/b")


def test_prefixes_may_be_empty_or_end_with_a_slash() -> None:
    assert validate_prefix("") == ""
    assert validate_prefix("data/") == "data/"
    assert validate_prefix("data/fi") == "data/fi"
    with pytest.raises(InvalidPathError):
        validate_prefix("data//")
    with pytest.raises(InvalidPathError):
        validate_prefix("../x")


@pytest.mark.parametrize("name", ["main", "feature/x-1", "v1.0", "release_2", "a"])
def test_good_ref_names_pass(name: str) -> None:
    assert validate_ref_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "-x", "a..b", "a//b", "a/", "x.lock", "a~1", "a^", "a b", "a:b", "/a"]
)
def test_bad_ref_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidRefError):
        validate_ref_name(name)


@given(st.text(min_size=1, max_size=8), st.text(max_size=8))
def test_the_successor_bounds_everything_with_the_prefix(prefix: str, rest: str) -> None:
    end = prefix_successor(prefix)
    if end is not None:
        assert prefix + rest < end
        assert prefix < end
