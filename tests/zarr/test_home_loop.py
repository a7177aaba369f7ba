"""How SapwoodStore carries calls to the session's own loop: results, errors and
cancellation cross between loops intact."""

from __future__ import annotations

import asyncio
import threading

import pytest

from sapwood import _loop
from sapwood.zarr._home import HomeLoop


async def test_results_and_errors_come_back_from_the_home_loop() -> None:
    home = HomeLoop(resolve=_loop.loop)

    async def where() -> str:
        return threading.current_thread().name

    async def fail() -> None:
        raise KeyError("missing")

    names = await asyncio.gather(*(home.run(where()) for _ in range(50)))
    assert set(names) == {"sapwood-loop"}
    with pytest.raises(KeyError, match="missing"):
        await home.run(fail())


async def test_cancelling_a_call_cancels_its_work_on_the_home_loop() -> None:
    home = HomeLoop(resolve=_loop.loop)
    started = threading.Event()
    cancelled = threading.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    call = asyncio.create_task(home.run(slow()))
    assert await asyncio.to_thread(started.wait, 10)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await asyncio.to_thread(cancelled.wait, 10)


def test_an_idle_home_loop_is_driven_for_a_blocking_call() -> None:
    idle = asyncio.new_event_loop()
    try:
        home = HomeLoop(idle)

        async def answer() -> int:
            assert asyncio.get_running_loop() is idle
            return 42

        assert home.run_blocking(answer()) == 42
        assert not idle.is_running()
    finally:
        idle.close()


async def test_calls_made_together_cross_in_one_hand_off_each_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sapwood.zarr import _home

    crossings = {"to home": 0, "back": 0}
    real_start, real_deliver = _home._Bridge._start, _home._Bridge._deliver

    def start(bridge: _home._Bridge) -> None:
        crossings["to home"] += 1
        real_start(bridge)

    def deliver(bridge: _home._Bridge) -> None:
        crossings["back"] += 1
        real_deliver(bridge)

    monkeypatch.setattr(_home._Bridge, "_start", start)
    monkeypatch.setattr(_home._Bridge, "_deliver", deliver)
    home = HomeLoop(resolve=_loop.loop)

    async def square(value: int) -> int:
        return value * value

    assert await asyncio.gather(*(home.run(square(i)) for i in range(10))) == [
        i * i for i in range(10)
    ]
    assert crossings == {"to home": 1, "back": 1}
