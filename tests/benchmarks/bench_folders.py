"""Folders: ``Branch.upload_folder`` / ``Reference.download_folder`` next to plain tools.

One folder of mixed files (mostly a few KiB, some up to 2 MiB, a few of tens of MiB;
pseudo-random, so nothing compresses or deduplicates) is moved by:

* local: ``cp -r`` + ``sync`` (the yardstick) against sapwood on the local backend
  (``upload_folder`` + ``commit_changes``, durable defaults: every blob fsynced); a re-sync
  of the unchanged folder; and ``download_folder`` + ``sync`` against ``cp -r`` + ``sync``;
* S3 (moto's server in its own process on 127.0.0.1): what ``aws s3 sync`` does (boto3's
  managed transfer, ``upload_file`` for every file through one TransferManager with 10 and
  with 32 requests in flight) against sapwood's ``upload_folder`` + ``commit_changes``.

Every case runs ``--repeat`` times on fresh destinations; the median is reported. Run::

    .venv/bin/python tests/benchmarks/bench_folders.py                 # 3,000 files locally
    .venv/bin/python tests/benchmarks/bench_folders.py --files 500 --moto-files 200 --repeat 1
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sapwood

KIB = 1024
MIB = 1024 * KIB


def make_folder(root: Path, files: int, large: int, large_mib: int, seed: int = 7) -> int:
    """Write the mixed folder; its total size in bytes."""
    generator = random.Random(seed)
    total = 0
    for index in range(files):
        roll = generator.random()
        if roll < 0.70:
            size = generator.randint(1 * KIB, 16 * KIB)
        elif roll < 0.95:
            size = generator.randint(16 * KIB, 256 * KIB)
        else:
            size = generator.randint(256 * KIB, 2 * MIB)
        path = root / f"part-{index % 20:02d}" / f"sub-{index % 7}" / f"file-{index:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generator.randbytes(size))
        total += size
    for index in range(large):
        path = root / "large" / f"large-{index}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generator.randbytes(large_mib * MIB))
        total += large_mib * MIB
    return total


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def sync_disks() -> None:
    subprocess.run(["sync"], check=True)


def median_of(repeat: int, run: Callable[[int], float]) -> float:
    return statistics.median(run(round_number) for round_number in range(repeat))


def local_cases(source: Path, work: Path, repeat: int) -> dict[str, float]:
    def copy(round_number: int) -> float:
        target = work / f"cp-{round_number}"
        sync_disks()
        seconds = timed(
            lambda: (
                subprocess.run(["cp", "-r", str(source), str(target)], check=True),
                sync_disks(),
            )
        )
        shutil.rmtree(target)
        return seconds

    results: dict[str, list[float]] = {"upload": [], "resync": [], "download": []}
    for round_number in range(repeat):
        repo_path = work / f"repo-{round_number}"
        with sapwood.Repository.create(repo_path) as repo:
            main = repo.branch("main")
            sync_disks()

            def upload(main: sapwood.Branch = main) -> None:
                main.upload_folder(source, "data")
                main.commit_changes("upload the folder")

            results["upload"].append(timed(upload))
            results["resync"].append(timed(lambda main=main: main.upload_folder(source, "data")))
            out = work / f"out-{round_number}"
            ref = repo.ref("main")
            results["download"].append(
                timed(lambda ref=ref, out=out: (ref.download_folder(out, "data"), sync_disks()))
            )
        shutil.rmtree(repo_path)
        shutil.rmtree(work / f"out-{round_number}")
    return {
        "cp -r + sync": median_of(repeat, copy),
        "upload_folder + commit": statistics.median(results["upload"]),
        "re-sync, nothing changed": statistics.median(results["resync"]),
        "download_folder + sync": statistics.median(results["download"]),
    }


def moto_cases(source: Path, repeat: int) -> dict[str, float]:
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    from sapwood_s3.testing import TEST_CREDENTIALS, start_moto_server

    server = start_moto_server(subprocess=True)
    try:
        client = server.client()
        files = [p for p in sorted(source.rglob("*")) if p.is_file()]

        def boto3_sync(in_flight: int) -> Callable[[int], float]:
            def run(round_number: int) -> float:
                bucket = server.create_bucket("bench-boto3")
                config = TransferConfig(max_concurrency=in_flight, use_threads=True)

                def transfer() -> None:
                    with create_transfer_manager(client, config) as manager:
                        futures = [
                            manager.upload(
                                str(path), bucket, "data/" + path.relative_to(source).as_posix()
                            )
                            for path in files
                        ]
                        for future in futures:
                            future.result()

                seconds = timed(transfer)
                server.remove_bucket(bucket)
                return seconds

            return run

        def sapwood_upload(round_number: int) -> float:
            bucket = server.create_bucket("bench-sapwood")
            store = server.store_config(bucket, "repo")
            with sapwood.Repository.create(store, TEST_CREDENTIALS) as repo:
                main = repo.branch("main")

                def upload() -> None:
                    main.upload_folder(source, "data")
                    main.commit_changes("upload the folder")

                seconds = timed(upload)
            server.remove_bucket(bucket)
            return seconds

        return {
            "boto3 TransferManager, 10 in flight (aws s3 sync's default)": median_of(
                repeat, boto3_sync(10)
            ),
            "boto3 TransferManager, 32 in flight": median_of(repeat, boto3_sync(32)),
            "sapwood upload_folder + commit": median_of(repeat, sapwood_upload),
        }
    finally:
        server.stop()


def report(title: str, figures: dict[str, float], baseline: str, megabytes: float) -> None:
    print(f"\n{title}")
    print("| case | median s | MB/s | / baseline |")
    print("|---|---|---|---|")
    for name, seconds in figures.items():
        ratio = seconds / figures[baseline]
        print(f"| {name} | {seconds:.2f} | {megabytes / seconds:.0f} | {ratio:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000, help="small and medium files")
    parser.add_argument("--large", type=int, default=3, help="files of --large-mib each")
    parser.add_argument("--large-mib", type=int, default=20)
    parser.add_argument("--moto-files", type=int, default=500, help="0 skips the S3 cases")
    parser.add_argument("--moto-large", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--scratch", default=".", help="where to write (default: here; /tmp may be tmpfs)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-folders-", dir=args.scratch) as scratch:
        work = Path(scratch)
        source = work / "source"
        total = make_folder(source, args.files, args.large, args.large_mib)
        print(f"local folder: {args.files + args.large} files, {total / MIB:.1f} MiB")
        figures = local_cases(source, work, args.repeat)
        report("local backend", figures, "cp -r + sync", total / 1e6)
        if args.moto_files:
            small = work / "moto-source"
            moto_total = make_folder(small, args.moto_files, args.moto_large, args.large_mib)
            count = args.moto_files + args.moto_large
            print(f"\nS3 folder: {count} files, {moto_total / MIB:.1f} MiB")
            report(
                "S3 on moto",
                moto_cases(small, args.repeat),
                "boto3 TransferManager, 10 in flight (aws s3 sync's default)",
                moto_total / 1e6,
            )


if __name__ == "__main__":
    main()
