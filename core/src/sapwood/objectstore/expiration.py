"""Expiration policies: :class:`TimeToLive` (from creation) and :class:`TimeToIdle` (from
the last read), and how they are written into an object's metadata."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeAlias

from sapwood.errors import SapwoodError

__all__ = [
    "ExpirationPolicy",
    "TimeToIdle",
    "TimeToLive",
    "expires_at",
    "format_policy",
    "parse_policy",
]


def _check(delta: timedelta, what: str) -> None:
    if not isinstance(delta, timedelta):
        raise TypeError(f"{what} takes a datetime.timedelta, got {type(delta).__name__}")
    if delta <= timedelta(0):
        raise ValueError(f"{what} must be positive, got {delta}")


@dataclass(frozen=True)
class TimeToLive:
    """The object expires ``delta`` after it was written."""

    delta: timedelta

    def __post_init__(self) -> None:
        _check(self.delta, "TimeToLive")


@dataclass(frozen=True)
class TimeToIdle:
    """The object expires ``delta`` after it was last written or read."""

    delta: timedelta

    def __post_init__(self) -> None:
        _check(self.delta, "TimeToIdle")


ExpirationPolicy: TypeAlias = TimeToLive | TimeToIdle


def format_policy(policy: ExpirationPolicy | None) -> str | None:
    """``"ttl:SECONDS"`` or ``"tti:SECONDS"`` (None for manual expiration)."""
    if policy is None:
        return None
    kind = "ttl" if isinstance(policy, TimeToLive) else "tti"
    seconds = policy.delta.total_seconds()
    # every digit: "g" kept six, so 20,241,230 s was written as 2.02412e+07 and came back
    # 30 s shorter
    return f"{kind}:{int(seconds) if seconds.is_integer() else repr(seconds)}"


def parse_policy(text: str | None) -> ExpirationPolicy | None:
    """The policy :func:`format_policy` wrote."""
    if not text:
        return None
    kind, _, seconds = text.partition(":")
    try:
        delta = timedelta(seconds=float(seconds))
    except (ValueError, OverflowError):
        raise SapwoodError(f"malformed expiration policy {text!r} in object metadata") from None
    if kind == "ttl":
        return TimeToLive(delta)
    if kind == "tti":
        return TimeToIdle(delta)
    raise SapwoodError(f"unknown expiration policy {text!r} in object metadata")


def expires_at(
    policy: ExpirationPolicy | None, created: datetime, last_access: datetime
) -> datetime | None:
    """When an object with ``policy`` expires (None: never)."""
    if policy is None:
        return None
    if isinstance(policy, TimeToLive):
        return created + policy.delta
    return last_access + policy.delta
