"""Single-flight: one request for many identical callers, and nobody stranded."""

from __future__ import annotations

import asyncio

import pytest

from sapwood.layer.single_flight import SingleFlight


async def test_concurrent_callers_share_one_request() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    calls = 0
    gate = asyncio.Event()

    async def request() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(flights.run("k", request)) for _ in range(64)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert [value for value, _ in results] == [42] * 64
    assert sum(shared for _, shared in results) == 63
    assert len(flights) == 0


async def test_different_keys_do_not_share() -> None:
    flights: SingleFlight[str, str] = SingleFlight()

    async def echo(value: str) -> str:
        await asyncio.sleep(0)
        return value

    a, b = await asyncio.gather(
        flights.run("a", lambda: echo("a")), flights.run("b", lambda: echo("b"))
    )
    assert (a[0], b[0]) == ("a", "b")
    assert not a[1]
    assert not b[1]


async def test_a_failure_reaches_every_caller_and_is_not_remembered() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    gate = asyncio.Event()
    attempts = 0

    async def failing() -> int:
        nonlocal attempts
        attempts += 1
        await gate.wait()
        raise ValueError("backend down")

    tasks = [asyncio.create_task(flights.run("k", failing)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)
    assert attempts == 1

    async def working() -> int:
        return 7

    assert await flights.run("k", working) == (7, False)


async def test_a_cancelled_leader_does_not_strand_its_followers() -> None:
    # The leader runs the request inline (no task on the uncontended path), so cancelling
    # it stops the request; its followers then repeat the request once, together (they
    # share it because it is in flight: it waits at least once).
    flights: SingleFlight[str, int] = SingleFlight()
    gate = asyncio.Event()
    calls = 0

    async def request() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        await asyncio.sleep(0)
        return 1

    leader = asyncio.create_task(flights.run("k", request))
    await asyncio.sleep(0)
    followers = [asyncio.create_task(flights.run("k", request)) for _ in range(3)]
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    gate.set()
    async with asyncio.timeout(5):
        results = await asyncio.gather(*followers)
    assert [value for value, _ in results] == [1, 1, 1]
    assert calls == 2
    with pytest.raises(asyncio.CancelledError):
        await leader


async def test_the_request_is_cancelled_when_nobody_waits_any_more() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def request() -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    only = asyncio.create_task(flights.run("k", request))
    await started.wait()
    only.cancel()
    async with asyncio.timeout(5):
        await cancelled.wait()
    assert len(flights) == 0


async def test_followers_retry_when_the_shared_request_is_cancelled_from_outside() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    calls = 0
    first_started = asyncio.Event()
    inner_tasks: list[asyncio.Task[object]] = []

    async def request() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            current = asyncio.current_task()
            assert current is not None
            inner_tasks.append(current)
            first_started.set()
            await asyncio.Event().wait()
        await asyncio.sleep(0)  # in flight, so the remaining follower joins it
        return 5

    callers = [asyncio.create_task(flights.run("k", request)) for _ in range(3)]
    await first_started.wait()
    await asyncio.sleep(0)  # let the followers join
    inner_tasks[0].cancel()  # the task running the request: the leader, run inline
    async with asyncio.timeout(5):
        results = await asyncio.gather(*callers, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert [value for value, _ in results[1:]] == [5, 5]  # type: ignore[misc]
    assert calls == 2


async def test_forget_makes_the_next_caller_start_afresh() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    gate = asyncio.Event()
    calls = 0

    async def request() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return calls

    early = asyncio.create_task(flights.run("k", request))
    await asyncio.sleep(0)
    flights.forget("k")
    late = asyncio.create_task(flights.run("k", request))
    await asyncio.sleep(0)
    gate.set()
    (_, early_shared), (_, late_shared) = await asyncio.gather(early, late)
    assert calls == 2
    assert not early_shared
    assert not late_shared
