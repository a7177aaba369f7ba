"""A bad config value raises ConfigError naming the field path, the value's type and what
was expected, whether it comes from a file, a dict or code."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from sapwood.config import (
    CompressionConfig,
    LimitsConfig,
    ObjectStoreConfig,
    RepositoryConfig,
    RetriesConfig,
)
from sapwood.errors import ConfigError, SapwoodError


def error_for(data: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        RepositoryConfig.from_dict(data)
    return caught.value


def test_an_unknown_nested_field_is_named_in_full() -> None:
    error = error_for({"limits": {"bogus": 1}})

    assert error.field == "limits.bogus"
    message = str(error)
    assert message.startswith("invalid config at RepositoryConfig.limits.bogus:")
    assert "unknown field 'bogus'" in message
    assert "expected one of: limiter, max_concurrent_requests" in message
    assert "found 1 (type int)" in message


def test_an_unknown_top_level_field_is_named() -> None:
    error = error_for({"limts": {}})
    assert error.field == "limts"
    assert "expected one of: inline_chunk_threshold_bytes" in str(error)
    assert "found {} (type dict)" in str(error)


def test_a_wrong_type_names_the_field_the_type_and_the_expectation() -> None:
    error = error_for({"limits": {"max_concurrent_requests": "many"}})

    assert error.field == "limits.max_concurrent_requests"
    message = str(error)
    assert "RepositoryConfig.limits.max_concurrent_requests" in message
    assert "Expected `int | null`, got `str`" in message
    assert "found 'many' (type str)" in message


def test_a_value_out_of_range_says_the_bound() -> None:
    error = error_for({"retries": {"max_attempts": 0}})
    assert error.field == "retries.max_attempts"
    assert "Expected `int` >= 1" in str(error)
    assert "found 0 (type int)" in str(error)


def test_a_section_of_the_wrong_shape_is_named() -> None:
    error = error_for({"caching": 5})
    assert error.field == "caching"
    assert "Expected `object | null`, got `int`" in str(error)


def test_an_enum_value_outside_the_choices() -> None:
    error = error_for({"compression": {"algorithm": "gzip"}})
    assert error.field == "compression.algorithm"
    assert "Invalid enum value 'gzip'" in str(error)


def test_a_dict_entry_is_named_by_its_key() -> None:
    store = {"object_store": "s3", "bucket": "b"}
    error = error_for(
        {
            "virtual_chunk_containers": {
                "fine": {"name": "fine", "prefix": "s3://b/", "store": store},
                "broken": {"name": "broken", "prefix": "s3://c/", "store": {"object_store": 7}},
            }
        }
    )
    assert error.field == "virtual_chunk_containers.broken.store.object_store"
    assert "found 7 (type int)" in str(error)


def test_a_missing_required_field_is_named() -> None:
    error = error_for({"virtual_chunk_containers": {"x": {"name": "x", "prefix": "p"}}})
    assert error.field == "virtual_chunk_containers.x.store"
    assert "this required field is missing" in str(error)


def test_decoding_a_file_reports_the_same_path() -> None:
    with pytest.raises(ConfigError) as caught:
        RepositoryConfig.decode("[limits]\nbogus = 1\n", "toml")
    assert caught.value.field == "limits.bogus"


def test_numbers_written_as_strings_in_a_file_are_accepted() -> None:
    config = RepositoryConfig.decode("limits:\n  max_concurrent_requests: '8'\n", "yaml")
    assert config.limits == LimitsConfig(max_concurrent_requests=8)


@pytest.mark.parametrize(
    ("build", "field", "expected"),
    [
        (lambda: LimitsConfig(max_concurrent_requests=-1), "max_concurrent_requests", ">= 0"),
        (lambda: LimitsConfig(max_concurrent_requests="8"), "max_concurrent_requests", "`str`"),  # type: ignore[arg-type]
        (lambda: LimitsConfig(requests_per_second=math.inf), "requests_per_second", "<="),
        (lambda: LimitsConfig(requests_per_second=math.nan), "requests_per_second", ">= 0"),
        (lambda: RetriesConfig(backoff_multiplier=0.5), "backoff_multiplier", ">= 1"),
        (lambda: CompressionConfig(level=99), "level", "<= 22"),
        (lambda: LimitsConfig(read_bytes_per_second=2**64), "read_bytes_per_second", "<="),
        (lambda: ObjectStoreConfig(object_store=5), "object_store", "`int`"),  # type: ignore[arg-type]
    ],
    ids=[
        "negative",
        "string-for-int",
        "infinity",
        "nan",
        "below-minimum",
        "above-maximum",
        "beyond-64-bits",
        "int-for-str",
    ],
)
def test_building_a_config_in_code_validates_it(
    build: Callable[[], object], field: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build()
    assert caught.value.field == field
    assert expected in str(caught.value)


def test_an_unstorable_value_in_extra_is_refused() -> None:
    with pytest.raises(ConfigError, match="a value cannot be stored in a config"):
        ObjectStoreConfig(object_store="s3", extra={"client": object()})


def test_merge_validates_the_result() -> None:
    merged = RepositoryConfig.default().merge(RepositoryConfig(limits=LimitsConfig(limiter="x")))
    assert merged.limits is not None
    assert merged.limits.limiter == "x"


def test_config_error_is_a_value_error_and_a_sapwood_error() -> None:
    error = error_for({"limits": {"bogus": 1}})
    assert isinstance(error, ValueError)
    assert isinstance(error, SapwoodError)
