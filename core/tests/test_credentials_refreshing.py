"""RefreshableCredentials: one caller refreshes inside the margin of expiry, the others wait.

Time is an injected clock moved by the test, never a sleep.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from sapwood.credentials import (
    ExpiringCredentials,
    RefreshableCredentials,
    RefreshingProvider,
    StaticCredentials,
)
from sapwood.errors import CredentialsError

START = datetime(2030, 1, 1, tzinfo=UTC)
LIFETIME = timedelta(hours=1)
MARGIN = timedelta(minutes=5)


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


@dataclass
class Issuer:
    """Issues numbered credentials valid for an hour from the clock's now."""

    clock: FakeClock
    issued: int = 0
    threads: list[int] = field(default_factory=list)

    def issue(self) -> ExpiringCredentials:
        self.issued += 1
        self.threads.append(threading.get_ident())
        return ExpiringCredentials(
            access_key_id=f"key-{self.issued}",
            secret_access_key=f"secret-number-{self.issued}",
            expiration=self.clock.now + LIFETIME,
        )


def provider_for(
    fetch: Callable[[], object], clock: FakeClock, **options: object
) -> RefreshingProvider:
    spec = RefreshableCredentials(
        fetch_with=fetch,  # type: ignore[arg-type]
        refresh_margin=MARGIN,
        name="test-issuer",
        **options,  # type: ignore[arg-type]
    )
    return RefreshingProvider(spec, clock=clock, name=spec.name)


async def key_of(provider: RefreshingProvider) -> str | None:
    credentials = await provider.credentials()
    assert isinstance(credentials, StaticCredentials)
    return credentials.access_key_id


async def test_first_call_fetches_and_later_calls_reuse() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    provider = provider_for(issuer.issue, clock)

    assert await key_of(provider) == "key-1"
    assert await key_of(provider) == "key-1"
    assert issuer.issued == 1
    assert provider.refresh_count == 1


async def test_refreshes_once_inside_the_margin_not_before() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    provider = provider_for(issuer.issue, clock)
    await provider.credentials()

    clock.advance(LIFETIME - MARGIN - timedelta(seconds=1))
    assert await key_of(provider) == "key-1", "outside the margin: no refresh yet"

    clock.advance(timedelta(seconds=2))
    assert await key_of(provider) == "key-2", "inside the margin: refreshed"
    assert await key_of(provider) == "key-2"
    assert issuer.issued == 2


async def test_refresh_with_receives_the_old_credentials() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    seen: list[str | None] = []

    async def refresh(old: ExpiringCredentials) -> ExpiringCredentials:
        seen.append(old.access_key_id)
        return issuer.issue()

    provider = provider_for(issuer.issue, clock, refresh_with=refresh)
    await provider.credentials()
    clock.advance(LIFETIME)

    assert await key_of(provider) == "key-2"
    assert seen == ["key-1"]


async def test_credentials_without_expiry_are_never_refreshed() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def fetch() -> StaticCredentials:
        calls.append(1)
        return StaticCredentials(bearer_token="forever-token")

    provider = provider_for(fetch, clock)
    await provider.credentials()
    clock.advance(timedelta(days=3650))
    await provider.credentials()
    assert len(calls) == 1


@dataclass
class GatedIssuer:
    """An async issuer that holds every fetch until the test opens the gate."""

    issuer: Issuer
    started: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def issue(self) -> ExpiringCredentials:
        self.started.set()
        await self.gate.wait()
        return self.issuer.issue()


async def run_concurrently(
    provider: RefreshingProvider, gated: GatedIssuer, callers: int
) -> list[asyncio.Task[object]]:
    """Start ``callers`` tasks, let every one reach its wait, then open the gate."""
    tasks = [asyncio.create_task(provider.credentials()) for _ in range(callers)]
    await gated.started.wait()
    for _ in range(3):
        await asyncio.sleep(0)  # every task runs up to its first await
    gated.gate.set()
    await asyncio.wait(tasks)
    return tasks  # type: ignore[return-value]


async def test_fifty_concurrent_callers_share_one_refresh() -> None:
    clock = FakeClock()
    gated = GatedIssuer(Issuer(clock))
    gated.gate.set()
    provider = provider_for(gated.issue, clock)
    await provider.credentials()
    gated.gate.clear()
    gated.started.clear()
    clock.advance(LIFETIME - MARGIN)

    tasks = await run_concurrently(provider, gated, 50)

    results = [task.result() for task in tasks]
    assert gated.issuer.issued == 2, "exactly one refresh for fifty callers"
    assert all(isinstance(r, ExpiringCredentials) for r in results)
    assert {r.access_key_id for r in results} == {"key-2"}  # type: ignore[attr-defined]


async def test_fifty_concurrent_first_callers_share_one_fetch() -> None:
    clock = FakeClock()
    gated = GatedIssuer(Issuer(clock))
    provider = provider_for(gated.issue, clock)

    tasks = await run_concurrently(provider, gated, 50)

    assert gated.issuer.issued == 1
    assert {task.result() for task in tasks} == {tasks[0].result()}


async def test_a_failed_refresh_is_a_credentials_error_for_every_waiter() -> None:
    clock = FakeClock()
    attempts: list[int] = []
    started = asyncio.Event()
    gate = asyncio.Event()

    async def fail() -> ExpiringCredentials:
        attempts.append(1)
        started.set()
        await gate.wait()
        raise RuntimeError("the token service is down")

    provider = provider_for(fail, clock)
    tasks = [asyncio.create_task(provider.credentials()) for _ in range(10)]
    await started.wait()
    await asyncio.sleep(0)
    gate.set()
    await asyncio.wait(tasks)

    assert len(attempts) == 1
    for task in tasks:
        error = task.exception()
        assert isinstance(error, CredentialsError)
        assert "provider 'test-issuer' failed" in str(error)
        assert "RuntimeError: the token service is down" in str(error)


async def test_after_a_failure_the_next_call_tries_again() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    outcomes: list[Callable[[], ExpiringCredentials]] = [issuer.issue]

    def flaky() -> ExpiringCredentials:
        if not outcomes:
            raise ConnectionError("no route to the token service")
        return outcomes.pop()()

    provider = provider_for(flaky, clock)
    assert await key_of(provider) == "key-1"
    clock.advance(LIFETIME)

    with pytest.raises(CredentialsError, match="refreshing credentials with provider") as caught:
        await provider.credentials()
    assert isinstance(caught.value.__cause__, ConnectionError)

    outcomes.append(issuer.issue)
    assert await key_of(provider) == "key-2"


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("a string", "returned str; it must return StaticCredentials or ExpiringCredentials"),
        (
            ExpiringCredentials(bearer_token="t", expiration=START - timedelta(seconds=1)),
            "returned credentials that already expired",
        ),
    ],
    ids=["wrong-type", "already-expired"],
)
async def test_a_bad_fetch_result_is_refused(returned: object, message: str) -> None:
    provider = provider_for(lambda: returned, FakeClock())
    with pytest.raises(CredentialsError, match=message) as caught:
        await provider.credentials()
    assert "'test-issuer'" in str(caught.value)


async def test_a_sync_fetcher_runs_off_the_event_loop_thread() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    provider = provider_for(issuer.issue, clock)

    assert await key_of(provider) == "key-1"
    assert issuer.threads != [threading.get_ident()], "a blocking fetch must not stall the loop"


class AsyncCallable:
    """An object whose ``__call__`` is a coroutine function."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer

    async def __call__(self) -> ExpiringCredentials:
        return self.issuer.issue()


@pytest.mark.parametrize("kind", ["coroutine-function", "async-callable-object", "sync-lambda"])
async def test_every_kind_of_fetcher_works(kind: str) -> None:
    clock = FakeClock()
    issuer = Issuer(clock)

    async def coroutine() -> ExpiringCredentials:
        return issuer.issue()

    fetchers: dict[str, Callable[[], object]] = {
        "coroutine-function": coroutine,
        "async-callable-object": AsyncCallable(issuer),
        "sync-lambda": lambda: issuer.issue(),
    }
    provider = provider_for(fetchers[kind], clock)
    assert await key_of(provider) == "key-1"


async def test_a_cancelled_waiter_does_not_cancel_the_refresh() -> None:
    clock = FakeClock()
    gated = GatedIssuer(Issuer(clock))
    provider = provider_for(gated.issue, clock)
    leader = asyncio.create_task(provider.credentials())
    await gated.started.wait()
    quitter = asyncio.create_task(provider.credentials())
    stayer = asyncio.create_task(provider.credentials())
    await asyncio.sleep(0)

    quitter.cancel()
    await asyncio.sleep(0)
    gated.gate.set()
    await asyncio.wait([leader, quitter, stayer])

    assert quitter.cancelled()
    assert leader.result() == stayer.result()
    assert gated.issuer.issued == 1


async def test_a_cancelled_refresher_hands_over_to_a_waiter() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    started = asyncio.Event()
    hold = asyncio.Event()
    calls: list[int] = []

    async def fetch() -> ExpiringCredentials:
        calls.append(1)
        if len(calls) == 1:
            started.set()
            await hold.wait()  # the first fetch never finishes: its caller is cancelled
        return issuer.issue()

    provider = provider_for(fetch, clock)
    leader = asyncio.create_task(provider.credentials())
    await started.wait()
    waiter = asyncio.create_task(provider.credentials())
    await asyncio.sleep(0)

    leader.cancel()
    await asyncio.wait([leader, waiter])

    assert leader.cancelled()
    assert isinstance(waiter.result(), ExpiringCredentials)
    assert len(calls) == 2


def run_in_thread(make: Callable[[], Awaitable[object]]) -> tuple[threading.Thread, list[object]]:
    """Run a coroutine in a new thread with its own event loop."""
    out: list[object] = []

    def target() -> None:
        try:
            out.append(asyncio.run(make()))  # type: ignore[arg-type]
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, out


def test_two_event_loops_in_two_threads_share_one_refresh() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    started = threading.Event()
    release = threading.Event()

    def blocking_fetch() -> ExpiringCredentials:
        started.set()
        assert release.wait(timeout=60), "the test never released the fetch"
        return issuer.issue()

    provider = provider_for(blocking_fetch, clock)
    first, first_out = run_in_thread(provider.credentials)
    assert started.wait(timeout=60)
    second, second_out = run_in_thread(provider.credentials)
    waiting = threading.Event()

    def second_is_waiting() -> bool:
        inflight = provider._inflight
        return inflight is not None and bool(inflight._done_callbacks)  # type: ignore[attr-defined]

    for _ in range(6000):
        if second_is_waiting():
            waiting.set()
            break
        threading.Event().wait(0.01)
    release.set()
    first.join(timeout=60)
    second.join(timeout=60)

    assert waiting.is_set(), "the second loop never waited on the first one's refresh"
    assert issuer.issued == 1
    assert first_out == second_out
    assert isinstance(first_out[0], ExpiringCredentials)


async def test_the_same_provider_works_from_a_second_loop_after_the_first() -> None:
    clock = FakeClock()
    issuer = Issuer(clock)
    provider = provider_for(issuer.issue, clock)
    assert await key_of(provider) == "key-1"
    clock.advance(LIFETIME)

    thread, out = run_in_thread(provider.credentials)
    thread.join(timeout=60)

    assert isinstance(out[0], ExpiringCredentials)
    assert out[0].access_key_id == "key-2"
    assert await key_of(provider) == "key-2"
