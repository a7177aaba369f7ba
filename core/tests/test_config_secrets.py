"""Secrets never appear in a repr, a pretty-print, or a config error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest
from rich.pretty import pretty_repr

from sapwood.config import ConfigStruct, ObjectStoreConfig, convert_config, mask_secrets
from sapwood.credentials import ExpiringCredentials, RefreshableCredentials, StaticCredentials
from sapwood.errors import ConfigError

SECRET = "hunter2-very-secret-value"


def renderings(value: object) -> list[str]:
    return [repr(value), str(value), pretty_repr(value), repr([value]), f"{value}"]


def test_secret_looking_extra_keys_are_masked_at_any_depth() -> None:
    config = ObjectStoreConfig(
        object_store="gcs",
        bucket="b",
        extra={
            "sas_token": SECRET,
            "service_account": {"private_key": SECRET, "client_email": "me@example.com"},
            "connection_string": SECRET,
            "clients": [{"password": SECRET}],
            "addressing_style": "path",
        },
    )
    for text in renderings(config):
        assert SECRET not in text
        assert "addressing_style" in text
        assert "me@example.com" in text


def test_mask_secrets_keeps_the_shape() -> None:
    data = {"token": "t", "nested": {"secret_key": 1, "ok": [1, {"api_key": "k"}]}}
    assert mask_secrets(data) == {
        "token": "***",
        "nested": {"secret_key": "***", "ok": [1, {"api_key": "***"}]},
    }


@pytest.mark.parametrize(
    "credentials",
    [
        StaticCredentials(
            access_key_id="AKIDEXAMPLE",
            secret_access_key=SECRET,
            session_token=SECRET + "-session",
        ),
        StaticCredentials(bearer_token=SECRET),
        ExpiringCredentials(
            access_key_id="AKIDEXAMPLE",
            secret_access_key=SECRET,
            expiration=datetime(2030, 1, 1, tzinfo=UTC),
        ),
    ],
    ids=["key-pair", "bearer", "expiring"],
)
def test_credential_types_mask_their_secrets(credentials: StaticCredentials) -> None:
    for text in renderings(credentials):
        assert SECRET not in text
        assert "***" in text
    if credentials.access_key_id:
        assert "AKIDEXAMPLE" in repr(credentials), "the key id is an identifier, shown"


def test_refreshable_credentials_show_no_fetched_secret() -> None:
    def fetch() -> StaticCredentials:
        return StaticCredentials(access_key_id="a", secret_access_key=SECRET)

    spec = RefreshableCredentials(fetch_with=fetch)
    assert "fetch" in repr(spec)
    assert SECRET not in repr(spec)


class PluginExtra(ConfigStruct, frozen=True):
    """A backend's ``extra`` settings, as a plugin would declare them."""

    account_key: int | None = None
    sas_mode: Literal["read", "write"] | None = None
    region_hint: int | None = None


@pytest.mark.parametrize(
    "data",
    [{"account_key": SECRET}, {"sas_mode": SECRET}, {"secret_thing": SECRET}],
    ids=["wrong-type", "enum-echo", "unknown-field"],
)
def test_a_config_error_on_a_secret_field_hides_the_value(data: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        convert_config(data, PluginExtra, what="ObjectStoreConfig.extra")
    message = str(caught.value)
    assert SECRET not in message
    assert "(hidden)" in message
    assert "type str" in message


def test_a_config_error_on_an_ordinary_field_shows_the_value() -> None:
    with pytest.raises(ConfigError) as caught:
        convert_config({"region_hint": "eu"}, PluginExtra, what="ObjectStoreConfig.extra")
    assert "found 'eu' (type str)" in str(caught.value)
    assert caught.value.field == "extra.region_hint"


def test_a_long_value_is_shortened_in_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        convert_config({"region_hint": "x" * 500}, PluginExtra)
    assert "x" * 100 not in str(caught.value)
    assert "..." in str(caught.value)


def test_a_sas_signature_in_a_url_query_is_masked() -> None:
    config = ObjectStoreConfig.from_url(f"az://container/p?sv=2024-01-01&sig={SECRET}&se=2030")
    for text in renderings(config):
        assert SECRET not in text
        assert "2024-01-01" in text


def test_secrets_inside_nested_values_are_masked() -> None:
    config = ObjectStoreConfig(
        object_store="s3",
        bucket="b",
        extra={
            "headers": {"X-Custom": f"Bearer {SECRET}"},
            "sources": [f"https://acct.blob.core.windows.net/c?sv=1&sig={SECRET}"],
            "conn": f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={SECRET}",
            "mirror": f"https://user:{SECRET}@mirror.example.com/data",
            "page_size": "1000",
        },
    )
    for text in renderings(config):
        assert SECRET not in text
        assert "AccountName=acct" in text
        assert "mirror.example.com" in text
        assert "1000" in text


@pytest.mark.parametrize(
    "url",
    [f"s3://AKIAUSER:{SECRET}@bucket/p", f"gs://user:{SECRET}@bucket", f"az://user:{SECRET}@c"],
)
def test_user_info_in_a_url_is_refused_without_showing_it(url: str) -> None:
    with pytest.raises(ConfigError, match="user info") as caught:
        ObjectStoreConfig.from_url(url)
    assert SECRET not in str(caught.value)


def test_user_info_in_an_endpoint_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigError, match="user info") as caught:
        ObjectStoreConfig(object_store="s3", endpoint_url=f"http://u:{SECRET}@127.0.0.1:9000")
    assert SECRET not in str(caught.value)
    with pytest.raises(ConfigError) as again:
        ObjectStoreConfig.from_url("s3://b", endpoint_url=f"http://u:{SECRET}@127.0.0.1:9000")
    assert SECRET not in str(again.value)


def test_a_config_error_never_echoes_a_nested_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        ObjectStoreConfig.from_url("s3://bucket/p", region={"password": SECRET})
    with pytest.raises(ConfigError) as other:
        ObjectStoreConfig.from_url("s3://bucket/p", region=[f"Bearer {SECRET}"])
    for error in (caught.value, other.value):
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
