"""Credential types (what a user passes) and providers (what a backend asks at run time).

The same types serve a repository's store and each virtual chunk container. How each
backend maps them: S3 and Tigris use the key pair and session token; Azure uses
``access_key_id`` as the account name and ``secret_access_key`` as the account key, or
``bearer_token`` for a SAS or OAuth token; GCS uses ``bearer_token``, or a service account
named in the store's ``extra``.

Secrets never appear in ``repr``, ``str``, logs or errors: every type here masks them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeAlias, runtime_checkable

import msgspec

from sapwood.errors import CredentialsError

__all__ = [
    "AnonymousCredentials",
    "AnonymousProvider",
    "CredentialProvider",
    "Credentials",
    "CredentialsSpec",
    "ExpiringCredentials",
    "FromEnvCredentials",
    "FromEnvProvider",
    "RefreshableCredentials",
    "RefreshingProvider",
    "ResolvedCredentials",
    "StaticCredentials",
    "StaticProvider",
    "mask",
]

_MASK = "***"


def mask(value: str | None) -> str | None:
    """``"***"`` for any set secret, so a repr shows presence without the value."""
    return None if value is None else _MASK


class StaticCredentials(msgspec.Struct, frozen=True, omit_defaults=True):
    """Fixed credentials: a key pair (and session token), or a bearer token.

    Fields may be given by position in the order shown
    (``StaticCredentials("AKIA...", "secret")``) or by name."""

    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None
    bearer_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(access_key_id={self.access_key_id!r}, "
            f"secret_access_key={mask(self.secret_access_key)!r}, "
            f"session_token={mask(self.session_token)!r}, "
            f"bearer_token={mask(self.bearer_token)!r})"
        )

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What rich's pretty printer shows: the same masking as ``repr``."""
        return [
            ("access_key_id", self.access_key_id),
            ("secret_access_key", mask(self.secret_access_key)),
            ("session_token", mask(self.session_token)),
            ("bearer_token", mask(self.bearer_token)),
        ]


class ExpiringCredentials(StaticCredentials, frozen=True, kw_only=True):
    """Credentials that stop working at ``expiration`` (an aware datetime), which is given
    by name after the fields of :class:`StaticCredentials`."""

    expiration: datetime

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, expiration={self.expiration.isoformat()!r})"

    __str__ = __repr__

    def __rich_repr__(self) -> list[tuple[str, Any]]:
        """What rich's pretty printer shows: the same masking as ``repr``."""
        return [*super().__rich_repr__(), ("expiration", self.expiration)]

    def expires_within(self, margin: timedelta, now: datetime | None = None) -> bool:
        """True once ``now`` is within ``margin`` of the expiration (naive times are UTC)."""
        return _as_utc(now or datetime.now(UTC)) + margin >= _as_utc(self.expiration)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class AnonymousCredentials(msgspec.Struct, frozen=True):
    """No credentials: unsigned requests, for public buckets and emulators."""


class FromEnvCredentials(msgspec.Struct, frozen=True):
    """Read ``SAPWOOD_ACCESS_KEY_ID``, ``SAPWOOD_SECRET_ACCESS_KEY``, ``SAPWOOD_SESSION_TOKEN``
    and ``SAPWOOD_BEARER_TOKEN``; when none is set, the backend's own environment variables
    and default chain apply."""


CredentialsFetcher: TypeAlias = Callable[
    [],
    "ExpiringCredentials | StaticCredentials | Awaitable[ExpiringCredentials | StaticCredentials]",
]
CredentialsRefresher: TypeAlias = Callable[
    [ExpiringCredentials],
    "ExpiringCredentials | StaticCredentials | Awaitable[ExpiringCredentials | StaticCredentials]",
]


@dataclass(frozen=True)
class RefreshableCredentials:
    """Credentials fetched by ``fetch_with`` and renewed before they expire.

    ``fetch_with()`` returns the first credentials; ``refresh_with(old)`` renews them (when
    not given, ``fetch_with`` is called again). Either may be sync or async. A refresh starts
    once the current credentials are within ``refresh_margin`` of expiry; one caller performs
    it while concurrent callers wait for its result.
    """

    fetch_with: CredentialsFetcher
    refresh_with: CredentialsRefresher | None = None
    refresh_margin: timedelta = timedelta(minutes=5)
    name: str = "refreshable"

    def __repr__(self) -> str:
        fetch = getattr(self.fetch_with, "__qualname__", type(self.fetch_with).__name__)
        return f"RefreshableCredentials(fetch_with={fetch}, refresh_margin={self.refresh_margin})"


CredentialsSpec: TypeAlias = (
    StaticCredentials
    | ExpiringCredentials
    | AnonymousCredentials
    | FromEnvCredentials
    | RefreshableCredentials
)
"""Anything a user may pass as ``store_credentials``."""

ResolvedCredentials: TypeAlias = StaticCredentials | ExpiringCredentials | AnonymousCredentials
Credentials = ResolvedCredentials


@runtime_checkable
class CredentialProvider(Protocol):
    """What a backend asks for credentials, as often as it needs them.

    ``credentials()`` returns what to sign with, ``AnonymousCredentials()`` for unsigned
    requests, or ``None`` to let the backend use its own environment and default chain.
    Providers are cheap to call repeatedly: they cache and refresh internally.
    """

    @property
    def name(self) -> str:
        """Shown in errors and logs (never with a secret)."""
        ...

    async def credentials(self) -> ResolvedCredentials | None:
        """The credentials to use now."""
        ...


@dataclass(frozen=True)
class StaticProvider:
    """Serves one fixed set of credentials."""

    spec: StaticCredentials
    name: str = "static"

    async def credentials(self) -> ResolvedCredentials | None:
        if isinstance(self.spec, ExpiringCredentials) and self.spec.expires_within(timedelta(0)):
            raise CredentialsError(
                f"the {self.name} credentials expired at {self.spec.expiration.isoformat()}; "
                "pass fresh credentials or use RefreshableCredentials"
            )
        return self.spec


@dataclass(frozen=True)
class AnonymousProvider:
    """Serves anonymous (unsigned) access."""

    name: str = "anonymous"

    async def credentials(self) -> ResolvedCredentials | None:
        return AnonymousCredentials()


ENV_VARIABLES = {
    "access_key_id": "SAPWOOD_ACCESS_KEY_ID",
    "secret_access_key": "SAPWOOD_SECRET_ACCESS_KEY",
    "session_token": "SAPWOOD_SESSION_TOKEN",
    "bearer_token": "SAPWOOD_BEARER_TOKEN",
}


@dataclass(frozen=True)
class FromEnvProvider:
    """Reads ``SAPWOOD_*`` variables each call, so a changed environment takes effect."""

    name: str = "env"

    async def credentials(self) -> ResolvedCredentials | None:
        values = {field_: os.environ.get(var) or None for field_, var in ENV_VARIABLES.items()}
        if not any(values.values()):
            return None
        key_id, secret = values["access_key_id"], values["secret_access_key"]
        if bool(key_id) != bool(secret):
            present, missing = (
                ("SAPWOOD_ACCESS_KEY_ID", "SAPWOOD_SECRET_ACCESS_KEY")
                if key_id
                else ("SAPWOOD_SECRET_ACCESS_KEY", "SAPWOOD_ACCESS_KEY_ID")
            )
            raise CredentialsError(f"{present} is set but {missing} is not; set both or neither")
        if values["session_token"] and not key_id:
            raise CredentialsError(
                "SAPWOOD_SESSION_TOKEN is set without SAPWOOD_ACCESS_KEY_ID and "
                "SAPWOOD_SECRET_ACCESS_KEY; a session token only works with its key pair"
            )
        return StaticCredentials(
            access_key_id=key_id,
            secret_access_key=secret,
            session_token=values["session_token"],
            bearer_token=values["bearer_token"],
        )


Clock: TypeAlias = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _LeaderCancelledError(Exception):
    """The caller performing a refresh was cancelled; a waiting caller takes over."""


@dataclass
class RefreshingProvider:
    """Serves :class:`RefreshableCredentials`, refreshing once per expiry for all callers.

    One caller refreshes; every other caller, from any event loop or thread, waits for that
    result. A sync fetcher runs in a worker thread so it never blocks the event loop.
    ``clock`` is injectable so tests can move time instead of sleeping.
    """

    spec: RefreshableCredentials
    clock: Clock = _utc_now
    name: str = "refreshable"
    refresh_count: int = 0
    _current: ExpiringCredentials | StaticCredentials | None = field(default=None, repr=False)
    _inflight: concurrent.futures.Future[ExpiringCredentials | StaticCredentials] | None = field(
        default=None, repr=False
    )
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:
        return (
            f"RefreshingProvider(name={self.name!r}, spec={self.spec!r}, "
            f"refresh_count={self.refresh_count})"
        )

    def _fresh(self) -> ExpiringCredentials | StaticCredentials | None:
        current = self._current
        if current is None:
            return None
        if isinstance(current, ExpiringCredentials) and current.expires_within(
            self.spec.refresh_margin, self.clock()
        ):
            return None
        return current

    async def credentials(self) -> ResolvedCredentials | None:
        """The current credentials, refreshed first if they are within the margin of expiry."""
        while True:
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            with self._guard:
                # Checked again under the lock: a refresh may have finished meanwhile.
                fresh = self._fresh()
                if fresh is not None:
                    return fresh
                pending = self._inflight
                if pending is None:
                    pending = self._inflight = concurrent.futures.Future()
                    leader = True
                else:
                    leader = False
            if leader:
                return await self._refresh(pending)
            try:
                # shield: a cancelled waiter must not cancel the refresh the others await.
                return await asyncio.shield(asyncio.wrap_future(pending))
            except _LeaderCancelledError:
                continue

    async def _refresh(
        self, pending: concurrent.futures.Future[ExpiringCredentials | StaticCredentials]
    ) -> ExpiringCredentials | StaticCredentials:
        try:
            result = await self._call()
        except Exception as exc:
            names_provider = isinstance(exc, CredentialsError) and repr(self.name) in str(exc)
            error = (
                exc
                if names_provider
                else CredentialsError(
                    f"{'refreshing' if self._current else 'fetching'} credentials with provider "
                    f"{self.name!r} failed: {type(exc).__name__}: {exc}"
                )
            )
            self._finish(pending, error=error)
            if error is exc:
                raise
            raise error from exc
        except BaseException:
            self._finish(pending, error=_LeaderCancelledError())
            raise
        self._finish(pending, result=result)
        return result

    def _finish(
        self,
        pending: concurrent.futures.Future[ExpiringCredentials | StaticCredentials],
        *,
        result: ExpiringCredentials | StaticCredentials | None = None,
        error: BaseException | None = None,
    ) -> None:
        with self._guard:
            if result is not None:
                self._current = result
                self.refresh_count += 1
            self._inflight = None
        if result is not None:
            pending.set_result(result)
        else:
            pending.set_exception(error)

    async def _call(self) -> ExpiringCredentials | StaticCredentials:
        previous = self._current
        if self.spec.refresh_with is not None and isinstance(previous, ExpiringCredentials):
            outcome = await _call_off_loop(self.spec.refresh_with, previous)
        else:
            outcome = await _call_off_loop(self.spec.fetch_with)
        if not isinstance(outcome, StaticCredentials):
            raise CredentialsError(
                f"credentials provider {self.name!r} returned {type(outcome).__name__}; "
                "it must return StaticCredentials or ExpiringCredentials"
            )
        if isinstance(outcome, ExpiringCredentials) and outcome.expires_within(
            timedelta(0), self.clock()
        ):
            raise CredentialsError(
                f"credentials provider {self.name!r} returned credentials that already "
                f"expired at {outcome.expiration.isoformat()}"
            )
        return outcome


async def _call_off_loop(function: Callable[..., object], *args: object) -> object:
    """Await an async callable; run a sync one in a worker thread (it may block on I/O)."""
    if inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        type(function).__call__
    ):
        outcome: object = function(*args)
    else:
        outcome = await asyncio.to_thread(function, *args)
    if inspect.isawaitable(outcome):
        outcome = await outcome
    return outcome
