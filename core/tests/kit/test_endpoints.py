"""checked_endpoint: http(s) only, plain http only with allow_http (or on loopback)."""

from __future__ import annotations

import pytest

from sapwood.errors import ConfigError
from sapwood.kit.endpoints import checked_endpoint, is_loopback_host


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.9.9.9", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_a_good_endpoint_loses_its_trailing_slash() -> None:
    assert checked_endpoint("https://h:9/", allow_http=False, service="S", example="x") == (
        "https://h:9"
    )


@pytest.mark.parametrize("endpoint", ["ftp://h", "h:9000", "https://", "not a url"])
def test_what_is_not_an_http_url_is_refused(endpoint: str) -> None:
    with pytest.raises(ConfigError, match="write for example https://HOST") as caught:
        checked_endpoint(endpoint, allow_http=True, service="S", example="https://HOST")
    assert caught.value.field == "endpoint_url"


def test_plain_http_needs_allow_http_except_on_loopback() -> None:
    with pytest.raises(ConfigError, match="sends Svc data unencrypted") as caught:
        checked_endpoint("http://remote.example", allow_http=False, service="Svc", example="x")
    assert caught.value.field == "allow_http"
    assert checked_endpoint("http://remote.example", allow_http=True, service="S", example="x")
    assert checked_endpoint("http://127.0.0.1:9", allow_http=False, service="S", example="x")


def test_a_backend_may_require_allow_http_on_loopback_too() -> None:
    with pytest.raises(ConfigError, match="allow_http=true") as caught:
        checked_endpoint(
            "http://127.0.0.1:9",
            allow_http=False,
            service="S",
            example="x",
            loopback_without_allow_http=False,
        )
    assert "loopback hosts need no" not in str(caught.value)
