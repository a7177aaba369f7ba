"""Keeping an SDK client in step with a credential provider.

A store asks its :class:`~sapwood.credentials.CredentialProvider` before each request (cheap:
providers cache, and a refreshing provider renews credentials within its margin of expiry).
:class:`ClientRenewal` compares the answer with what the current client was built with;
when they differ it first lets the store apply them in place (some SDKs can swap a token),
and otherwise builds a new client. Replaced clients are kept for requests still using
them, and closed later.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sapwood.credentials import CredentialProvider, ResolvedCredentials

__all__ = ["ClientRenewal"]

C = TypeVar("C")
Credentials = ResolvedCredentials | None


class ClientRenewal(Generic[C]):
    """One SDK client, rebuilt when the provider's credentials change.

    ``build(credentials)`` makes a client (it may block: pass ``run`` to :meth:`client`).
    ``apply_in_place(client, credentials)``, if given, may update a live client and return
    True, sparing a rebuild. Up to ``keep_retired`` replaced clients are kept (in-flight
    requests may still use them); older ones go to ``close_client``. ``provider=None``
    means the SDK's own default chain: the client is built once with ``None``.
    """

    def __init__(
        self,
        provider: CredentialProvider | None,
        build: Callable[[Credentials], C],
        *,
        apply_in_place: Callable[[C, Credentials], bool] | None = None,
        keep_retired: int | None = 4,
        close_client: Callable[[C], None] | None = None,
    ) -> None:
        self.provider = provider
        self._build = build
        self._apply_in_place = apply_in_place
        self._keep_retired = keep_retired
        self._close_client = close_client
        self._guard = threading.Lock()
        # One tuple, replaced whole, so a reader never pairs a client with another's
        # credentials.
        self._held: tuple[C, Credentials] | None = None
        self.retired: list[C] = []
        """Clients replaced after a change of credentials, oldest first."""
        self.builds = 0
        """How many clients have been built (the first one included)."""

    @property
    def current(self) -> C | None:
        """The client built most recently, if any."""
        held = self._held
        return held[0] if held is not None else None

    async def credentials(self) -> Credentials:
        """The provider's current answer (None without a provider)."""
        return await self.provider.credentials() if self.provider is not None else None

    def serving(self, credentials: Credentials) -> C | None:
        """The current client if it was built for (or updated to) ``credentials``."""
        held = self._held
        if held is not None and held[1] == credentials:
            return held[0]
        return None

    def install(self, credentials: Credentials) -> C:
        """The client for ``credentials``: the current one, updated in place, or a new one.

        Thread-safe; may block in ``build``.
        """
        with self._guard:
            held = self._held
            client = held[0] if held is not None else None
            if held is not None:
                if held[1] == credentials:
                    return held[0]
                if self._apply_in_place is not None and self._apply_in_place(held[0], credentials):
                    self._held = (held[0], credentials)
                    return held[0]
            built = self._build(credentials)
            self.builds += 1
            if client is not None:
                self.retired.append(client)
                while self._keep_retired is not None and len(self.retired) > self._keep_retired:
                    oldest = self.retired.pop(0)
                    if self._close_client is not None:
                        self._close_client(oldest)
            self._held = (built, credentials)
            return built

    async def client(self, run: Callable[[Callable[[], C]], Awaitable[C]] | None = None) -> C:
        """The client to send the next request with, renewed if the credentials changed.

        ``run`` executes the (possibly blocking) build off the event loop, for instance
        :meth:`~sapwood.kit.threads.ThreadPoolStorage.run_blocking`; without it the build
        runs inline.
        """
        credentials = await self.credentials()
        ready = self.serving(credentials)
        if ready is not None:
            return ready
        if run is None:
            return self.install(credentials)
        return await run(lambda: self.install(credentials))

    def take_all(self) -> list[C]:
        """Every client held (retired ones first), forgetting them: for ``close()``."""
        with self._guard:
            clients = [*self.retired, *([self._held[0]] if self._held is not None else [])]
            self.retired = []
            self._held = None
        return clients
