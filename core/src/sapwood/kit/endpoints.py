"""Checking a store's ``endpoint_url``: an http(s) URL, and plain http only where allowed.

Plain http sends data (and, for some services, bearer tokens) unencrypted, so it needs
``allow_http=true``; backends may exempt loopback hosts, where an emulator listens.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sapwood.errors import ConfigError

__all__ = ["checked_endpoint", "is_loopback_host"]

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses (where plain http stays on the machine)."""
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_endpoint(
    endpoint: str,
    *,
    allow_http: bool,
    service: str,
    example: str,
    loopback_without_allow_http: bool = True,
) -> str:
    """``endpoint`` without its trailing slash, once it is known to be usable.

    ConfigError (``field="endpoint_url"``) if it is not an http(s) URL with a host, naming
    ``example`` as the form to write; ConfigError (``field="allow_http"``) for plain http
    without ``allow_http``, unless the host is loopback and ``loopback_without_allow_http``.
    """
    trimmed = endpoint.rstrip("/")
    parts = urlsplit(trimmed)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"endpoint_url {endpoint!r} is not an http(s) URL; write for example {example}",
            field="endpoint_url",
        )
    loopback_exempt = loopback_without_allow_http and is_loopback_host(parts.hostname)
    if parts.scheme == "http" and not allow_http and not loopback_exempt:
        exemption = " (loopback hosts need no allow_http)" if loopback_without_allow_http else ""
        raise ConfigError(
            f"endpoint_url {endpoint!r} is plain http, which sends {service} data unencrypted; "
            f"use https, or set allow_http=true to accept it{exemption}",
            field="allow_http",
        )
    return trimmed
