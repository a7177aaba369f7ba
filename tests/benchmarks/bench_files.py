"""File objects: streaming a large file through ``branch.open(path, "wb")`` and back.

Each case runs in a fresh process so its peak resident memory (``ru_maxrss``) is its own:

* ``plain``: the same bytes written to (and read from) an ordinary local file, as the
  baseline for time;
* ``sapwood``: written through ``branch.open(path, "wb")`` into a repository on the local
  backend, committed, then read back through ``branch.open(path, "rb")``.

The data is pseudo-random, so nothing compresses or deduplicates. Run::

    .venv/bin/python tests/benchmarks/bench_files.py            # 2 GiB
    .venv/bin/python tests/benchmarks/bench_files.py --gib 0.25 # a quick look
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIECE = 1024 * 1024


def pieces(total: int) -> list[int]:
    """Sizes of the pieces to write (all PIECE but maybe the last)."""
    sizes = [PIECE] * (total // PIECE)
    if total % PIECE:
        sizes.append(total % PIECE)
    return sizes


def rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_plain(folder: Path, total: int) -> dict[str, float]:
    generator = random.Random(7)
    baseline = rss_mib()
    started = time.perf_counter()
    with (folder / "plain.bin").open("wb") as out:
        for size in pieces(total):
            out.write(generator.randbytes(size))
    written = time.perf_counter()
    read = 0
    with (folder / "plain.bin").open("rb") as source:
        while block := source.read(PIECE):
            read += len(block)
    finished = time.perf_counter()
    assert read == total
    return {
        "write_s": written - started,
        "read_s": finished - written,
        "baseline_rss_mib": baseline,
        "peak_rss_mib": rss_mib(),
    }


def run_sapwood(folder: Path, total: int) -> dict[str, float]:
    import sapwood

    generator = random.Random(7)
    with sapwood.repository(folder / "repo") as repository:
        main = repository.branch("main")
        baseline = rss_mib()
        started = time.perf_counter()
        with main.open("big.bin", "wb") as writer:
            for size in pieces(total):
                writer.write(generator.randbytes(size))
        main.commit_changes("a big file")
        written = time.perf_counter()
        write_peak = rss_mib()
        read = 0
        with main.open("big.bin") as reader:
            while block := reader.read(PIECE):
                read += len(block)
        finished = time.perf_counter()
    assert read == total
    return {
        "write_s": written - started,
        "read_s": finished - written,
        "baseline_rss_mib": baseline,
        "write_peak_rss_mib": write_peak,
        "peak_rss_mib": rss_mib(),
    }


def run_case(case: str, total: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix=f"bench-files-{case}-"))
    try:
        return run_plain(folder, total) if case == "plain" else run_sapwood(folder, total)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def in_fresh_process(case: str, total: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--case", case, "--bytes", str(total)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.0, help="how much to write (GiB)")
    parser.add_argument("--case", choices=["plain", "sapwood"], help=argparse.SUPPRESS)
    parser.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.bytes)))
        return
    total = int(args.gib * 1024**3)
    plain = in_fresh_process("plain", total)
    stored = in_fresh_process("sapwood", total)
    mib = total / 1024**2
    print(f"{args.gib:g} GiB in {PIECE // 1024} KiB writes, pseudo-random bytes\n")
    print('| | plain file | sapwood `open(path, "wb")` | sapwood / plain |')
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| write MiB/s | {mib / plain['write_s']:,.0f} | {mib / stored['write_s']:,.0f} | "
        f"{plain['write_s'] / stored['write_s']:.2f} |"
    )
    print(
        f"| read MiB/s | {mib / plain['read_s']:,.0f} | {mib / stored['read_s']:,.0f} | "
        f"{plain['read_s'] / stored['read_s']:.2f} |"
    )
    print(
        f"| peak RSS MiB (after imports) | {plain['peak_rss_mib']:,.0f} "
        f"({plain['baseline_rss_mib']:,.0f}) | {stored['peak_rss_mib']:,.0f} "
        f"({stored['baseline_rss_mib']:,.0f}) | |"
    )
    print(f"\nsapwood peak RSS while writing: {stored['write_peak_rss_mib']:,.0f} MiB")


if __name__ == "__main__":
    main()
