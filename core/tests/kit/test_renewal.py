"""ClientRenewal with a real refreshing provider and a fake clock: the client is rebuilt
before the credentials expire, not after, and only when they changed."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sapwood.credentials import (
    ExpiringCredentials,
    RefreshableCredentials,
    RefreshingProvider,
    ResolvedCredentials,
    StaticCredentials,
    StaticProvider,
)
from sapwood.kit.renewal import ClientRenewal
from sapwood.kit.threads import ThreadPoolStorage

START = datetime(2030, 1, 1, tzinfo=UTC)
LIFETIME = timedelta(hours=1)
MARGIN = timedelta(minutes=5)


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeClient:
    """Stands in for an SDK client: remembers what it signs with and whether it closed."""

    token: str | None
    closed: bool = False

    def close(self) -> None:
        self.closed = True


@dataclass
class Builds:
    clients: list[FakeClient] = field(default_factory=list)

    def __call__(self, credentials: ResolvedCredentials | None) -> FakeClient:
        token = credentials.bearer_token if isinstance(credentials, StaticCredentials) else None
        client = FakeClient(token)
        self.clients.append(client)
        return client


def token_provider(clock: FakeClock) -> tuple[RefreshingProvider, Callable[[], int]]:
    numbers = itertools.count(1)
    issued = 0

    def fetch() -> ExpiringCredentials:
        nonlocal issued
        issued = next(numbers)
        return ExpiringCredentials(bearer_token=f"t{issued}", expiration=clock() + LIFETIME)

    spec = RefreshableCredentials(fetch_with=fetch, refresh_margin=MARGIN)
    return RefreshingProvider(spec, clock=clock), lambda: issued


async def test_the_client_is_rebuilt_before_the_credentials_expire() -> None:
    clock = FakeClock()
    provider, issued = token_provider(clock)
    builds = Builds()
    renewal = ClientRenewal(provider, builds)
    first = await renewal.client()
    assert first.token == "t1"
    clock.now = START + LIFETIME - MARGIN - timedelta(seconds=1)
    assert await renewal.client() is first, "still fresh: no new credentials, no new client"
    clock.now = START + LIFETIME - MARGIN + timedelta(seconds=1)
    second = await renewal.client()
    assert second.token == "t2", "renewed within the margin, before the expiry"
    assert clock.now < START + LIFETIME
    assert issued() == 2
    assert renewal.builds == 2
    assert renewal.retired == [first]
    assert not first.closed, "in-flight requests may still use it"


async def test_old_clients_are_closed_beyond_the_kept_ones() -> None:
    clock = FakeClock()
    provider, _ = token_provider(clock)
    builds = Builds()
    renewal = ClientRenewal(provider, builds, keep_retired=2, close_client=FakeClient.close)
    for hour in range(5):
        clock.now = START + hour * LIFETIME
        await renewal.client()
    assert [c.closed for c in builds.clients] == [True, True, False, False, False]
    assert renewal.retired == builds.clients[2:4]
    held = renewal.take_all()
    assert held == builds.clients[2:], "retired first, then the current one"
    assert renewal.current is None
    assert renewal.retired == []


async def test_renewed_credentials_can_be_applied_in_place() -> None:
    clock = FakeClock()
    provider, _ = token_provider(clock)
    builds = Builds()

    def swap_token(client: FakeClient, credentials: ResolvedCredentials | None) -> bool:
        assert isinstance(credentials, StaticCredentials)
        client.token = credentials.bearer_token
        return True

    renewal = ClientRenewal(provider, builds, apply_in_place=swap_token)
    first = await renewal.client()
    clock.now = START + LIFETIME
    assert await renewal.client() is first
    assert first.token == "t2"
    assert renewal.builds == 1
    assert renewal.retired == []


async def test_static_credentials_build_once_and_no_provider_means_the_default_chain() -> None:
    builds = Builds()
    static = ClientRenewal(StaticProvider(StaticCredentials(bearer_token="s")), builds)
    assert (await static.client()) is (await static.client())
    default = ClientRenewal(None, builds)
    assert (await default.client()).token is None
    assert (await default.client()) is default.current
    assert len(builds.clients) == 2


async def test_a_blocking_build_runs_in_the_stores_pool(
    make_store: Callable[[], ThreadPoolStorage],
) -> None:
    where: list[str] = []

    def build(credentials: ResolvedCredentials | None) -> FakeClient:
        where.append(threading.current_thread().name)
        return FakeClient(None)

    store = make_store()
    renewal = ClientRenewal(None, build)
    await renewal.client(store.run_blocking)
    assert where
    assert where[0].startswith("kit-test")
    await store.close()


async def test_concurrent_callers_share_one_build() -> None:
    clock = FakeClock()
    provider, _ = token_provider(clock)
    builds = Builds()
    renewal = ClientRenewal(provider, builds)
    clients = await asyncio.gather(
        *(renewal.client(lambda install: asyncio.to_thread(install)) for _ in range(8))
    )
    assert len({id(c) for c in clients}) == 1
    assert renewal.builds == 1
