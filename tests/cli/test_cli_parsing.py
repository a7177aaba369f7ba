"""The command line's own notations: ``REF:PATH`` and ``--older-than`` durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sapwood.cli.context import UsageError
from sapwood.cli.parsing import RefPath, parse_older_than, parse_ref_path

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("main:data/a.csv", RefPath("main", "data/a.csv")),
        ("v1:", RefPath("v1", "")),
        ("main~2:x", RefPath("main~2", "x")),
        ("feature/x:dir/", RefPath("feature/x", "dir/")),
        ("main:odd:name", RefPath("main", "odd:name")),
    ],
)
def test_ref_paths_split_at_the_first_colon(text: str, expected: RefPath) -> None:
    assert parse_ref_path(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["main", ":data/a.csv", ""])
def test_a_ref_path_needs_a_ref_and_a_colon(text: str) -> None:
    with pytest.raises(UsageError, match="REF:PATH"):
        parse_ref_path(text)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("45s", timedelta(seconds=45)),
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1.5h", timedelta(minutes=90)),
        ("0s", timedelta(0)),
    ],
)
def test_durations_count_back_from_now(text: str, ago: timedelta) -> None:
    assert parse_older_than(text, NOW) == NOW - ago


def test_iso_dates_and_times() -> None:
    assert parse_older_than("2026-01-31", NOW) == datetime(2026, 1, 31, tzinfo=UTC)
    zoned = parse_older_than("2026-01-31T12:00:00+01:00", NOW)
    assert zoned == datetime(2026, 1, 31, 11, 0, tzinfo=UTC)
    assert parse_older_than("2026-01-31T12:00:00Z", NOW).tzinfo is not None


@pytest.mark.parametrize("text", ["0", "0.0", "now", "NOW"])
def test_a_bare_zero_or_now_is_this_moment(text: str) -> None:
    assert parse_older_than(text, NOW) == NOW


@pytest.mark.parametrize("text", ["soon", "7 days", "-1d", "7y", "", "3600", "7"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="duration or a date"):
        parse_older_than(text, NOW)
