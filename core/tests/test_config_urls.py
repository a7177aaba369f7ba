"""ObjectStoreConfig.from_url / to_url for every built-in scheme, with overrides."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError

CASES: list[tuple[str, ObjectStoreConfig]] = [
    ("memory://scratch", ObjectStoreConfig(object_store="memory", bucket="scratch")),
    (
        "memory://scratch/sub/dir",
        ObjectStoreConfig(object_store="memory", bucket="scratch", prefix="sub/dir"),
    ),
    ("file:///srv/data", ObjectStoreConfig(object_store="local", prefix="/srv/data")),
    ("file:///srv/with%20space", ObjectStoreConfig(object_store="local", prefix="/srv/with space")),
    ("s3://bucket/a/b", ObjectStoreConfig(object_store="s3", bucket="bucket", prefix="a/b")),
    (
        "s3://bucket?region=eu-west-1&endpoint_url=http%3A%2F%2F127.0.0.1%3A9000&allow_http=true",
        ObjectStoreConfig(
            object_store="s3",
            bucket="bucket",
            region="eu-west-1",
            endpoint_url="http://127.0.0.1:9000",
            allow_http=True,
        ),
    ),
    ("gs://bkt/p", ObjectStoreConfig(object_store="gcs", bucket="bkt", prefix="p")),
    ("gcs://bkt/p", ObjectStoreConfig(object_store="gcs", bucket="bkt", prefix="p")),
    (
        "az://container/p/q",
        ObjectStoreConfig(object_store="azure", bucket="container", prefix="p/q"),
    ),
    ("azure://container", ObjectStoreConfig(object_store="azure", bucket="container")),
    ("abfs://container/x", ObjectStoreConfig(object_store="azure", bucket="container", prefix="x")),
    (
        "tigris://b/p?region=auto&anonymous=yes",
        ObjectStoreConfig(
            object_store="tigris", bucket="b", prefix="p", region="auto", anonymous=True
        ),
    ),
    (
        "S3://bucket/p?addressing_style=path",
        ObjectStoreConfig(
            object_store="s3", bucket="bucket", prefix="p", extra={"addressing_style": "path"}
        ),
    ),
]


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[url for url, _ in CASES])
def test_from_url_parses_each_scheme(url: str, expected: ObjectStoreConfig) -> None:
    assert ObjectStoreConfig.from_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[url for url, _ in CASES])
def test_to_url_round_trips(url: str, expected: ObjectStoreConfig) -> None:
    assert ObjectStoreConfig.from_url(expected.to_url()) == expected


@pytest.mark.parametrize(
    ("config", "url"),
    [
        (ObjectStoreConfig(object_store="gcs", bucket="b", prefix="p"), "gs://b/p"),
        (ObjectStoreConfig(object_store="azure", bucket="c"), "az://c"),
        (ObjectStoreConfig(object_store="local", prefix="/a b"), "file:///a%20b"),
        (ObjectStoreConfig(object_store="memory", bucket="m"), "memory://m"),
        (
            ObjectStoreConfig(object_store="s3", bucket="b", anonymous=True, region="r"),
            "s3://b?region=r&anonymous=true",
        ),
        (ObjectStoreConfig(object_store="minio", bucket="b", prefix="x"), "minio://b/x"),
    ],
)
def test_to_url_writes_the_canonical_form(config: ObjectStoreConfig, url: str) -> None:
    assert config.to_url() == url


def test_keyword_overrides_beat_query_parameters() -> None:
    config = ObjectStoreConfig.from_url(
        "s3://b/p?region=from-query&style=query",
        region="from-keyword",
        anonymous=True,
        style="keyword",
        extra={"more": "settings"},
    )
    assert config.region == "from-keyword"
    assert config.anonymous is True
    assert config.extra == {"style": "keyword", "more": "settings"}


def test_overrides_can_replace_the_location() -> None:
    config = ObjectStoreConfig.from_url("s3://b/p", prefix="other/prefix", bucket="c")
    assert (config.bucket, config.prefix) == ("c", "other/prefix")


@pytest.mark.parametrize(
    ("word", "value"),
    [("true", True), ("1", True), ("YES", True), ("false", False), ("0", False), ("no", False)],
)
def test_boolean_words_in_queries(word: str, value: bool) -> None:
    config = ObjectStoreConfig.from_url(f"s3://b?allow_http={word}&anonymous={word}")
    assert config.allow_http is value
    assert config.anonymous is value


def test_a_bad_boolean_names_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        ObjectStoreConfig.from_url("s3://b?allow_http=maybe")
    assert caught.value.field == "allow_http"
    assert "expected true or false, got 'maybe'" in str(caught.value)


def test_a_bad_override_type_names_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        ObjectStoreConfig.from_url("s3://b", region=5)
    assert caught.value.field == "region"
    assert "Expected `str | null`, got `int`" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("bucket/path", "is not a storage URL: it needs a scheme"),
        ("s3:///only/a/path", "names no bucket; write s3://BUCKET/optional/prefix"),
        ("file://", "names no folder; write file:///absolute/path"),
    ],
)
def test_malformed_urls_say_how_to_write_them(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        ObjectStoreConfig.from_url(url)
    assert caught.value.field == "url"


def test_url_errors_hide_secret_query_values() -> None:
    with pytest.raises(ConfigError) as caught:
        ObjectStoreConfig.from_url("s3://?secret_access_key=HUNTER2-SECRET&region=eu")
    message = str(caught.value)
    assert "HUNTER2-SECRET" not in message
    assert "secret_access_key=***" in message
    assert "region=eu" in message


SEGMENT = st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=8)
BUCKET = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True)
PREFIX = st.lists(SEGMENT, max_size=3).map("/".join)
EXTRA = st.dictionaries(
    st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(
        lambda key: key not in ObjectStoreConfig.__struct_fields__
    ),
    st.text(st.characters(codec="utf-8"), max_size=10),
    max_size=3,
)


@st.composite
def url_configs(draw: st.DrawFn) -> ObjectStoreConfig:
    store = draw(st.sampled_from(["memory", "local", "s3", "gcs", "azure", "tigris"]))
    options: dict[str, Any] = {
        "region": draw(st.none() | SEGMENT),
        "endpoint_url": draw(st.none() | st.text(max_size=20)),
        "anonymous": draw(st.booleans()),
        "allow_http": draw(st.booleans()),
        "extra": draw(EXTRA),
    }
    if store == "local":
        return ObjectStoreConfig(object_store=store, prefix="/" + draw(PREFIX), **options)
    return ObjectStoreConfig(
        object_store=store, bucket=draw(BUCKET), prefix=draw(PREFIX), **options
    )


@given(config=url_configs())
@settings(max_examples=100, deadline=None, database=None)
def test_any_url_config_round_trips(config: ObjectStoreConfig) -> None:
    assert ObjectStoreConfig.from_url(config.to_url()) == config
