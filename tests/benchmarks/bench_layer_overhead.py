"""Benchmark: the object layer's fixed cost per call, against the raw memory backend.

Times, in one run and on one event loop, N calls of each kind straight on the memory
store and through an :class:`~sapwood.layer.ObjectLayer` over a second memory store:

- a cached 4 KiB immutable ``get`` (the layer answers from its cache),
- an uncached 4 KiB ``get`` (a mutable key, so every call reaches the store),
- a 4 KiB immutable ``put`` (random bytes: zstd is tried and gives up), the same with
  ``compress=False``, and a mutable ``put``.

It prints microseconds per call, the layer's added cost per call and the ratio to raw.
Times are CPU time of this process (everything here runs on one thread, without I/O), so
other work on the machine does not inflate them; each figure is the best of ``--repeat``
runs.

    .venv/bin/python tests/benchmarks/bench_layer_overhead.py [--calls 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable

from sapwood.layer import ObjectLayer
from sapwood.stores import open_storage

SIZE = 4096


async def _time(calls: int, call: Callable[[int], Awaitable[object]]) -> float:
    start = time.process_time()
    for i in range(calls):
        await call(i)
    return (time.process_time() - start) / calls * 1e6


async def _run(calls: int, repeat: int) -> list[tuple[str, float, float]]:
    raw = open_storage("memory://overhead-raw")
    layer = ObjectLayer(open_storage("memory://overhead-layer"))
    data = os.urandom(SIZE)
    await raw.put("blob", data)
    await layer.put("blob", data, immutable=True)
    await raw.put("ref", data)
    await layer.put("ref", data)
    cases: list[tuple[str, Callable[[int], Awaitable[object]], Callable[[int], Awaitable[object]]]]
    cases = [
        (
            "get, cached immutable",
            lambda i: raw.get("blob"),
            lambda i: layer.get("blob", immutable=True),
        ),
        ("get, uncached", lambda i: raw.get("ref"), lambda i: layer.get("ref")),
        (
            "put, immutable, zstd",
            lambda i: raw.put(f"w/{i}", data),
            lambda i: layer.put(f"w/{i}", data, immutable=True),
        ),
        (
            "put, immutable, raw",
            lambda i: raw.put(f"w/{i}", data),
            lambda i: layer.put(f"w/{i}", data, immutable=True, compress=False),
        ),
        ("put, mutable", lambda i: raw.put("ref", data), lambda i: layer.put("ref", data)),
    ]
    results = []
    for name, raw_call, layer_call in cases:
        raw_best = min([await _time(calls, raw_call) for _ in range(repeat)])
        layer_best = min([await _time(calls, layer_call) for _ in range(repeat)])
        results.append((name, raw_best, layer_best))
    await layer.close()
    await raw.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(_run(args.calls, args.repeat))
    print(f"{args.calls} calls of 4 KiB each, best of {args.repeat}")
    print(f"{'call':<24}{'raw us':>9}{'layer us':>10}{'added us':>10}{'ratio':>8}")
    for name, raw_us, layer_us in results:
        print(
            f"{name:<24}{raw_us:>9.2f}{layer_us:>10.2f}{layer_us - raw_us:>10.2f}"
            f"{layer_us / raw_us:>8.1f}x"
        )


if __name__ == "__main__":
    main()
