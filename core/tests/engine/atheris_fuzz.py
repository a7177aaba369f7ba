"""Coverage-guided fuzzing of sapwood's decoders with atheris (libFuzzer for Python).

    python core/tests/engine/atheris_fuzz.py FAMILY [libFuzzer options] [CORPUS_DIR ...]
    python core/tests/engine/atheris_fuzz.py --list

FAMILY is one of ``fuzz_targets.FAMILIES`` (refs, config.json, snapshots, manifests,
sidecars, object-metadata, blobs, leases, config-documents, names, urls). The first byte of each
input picks the family's member decoder; the rest is what it decodes. The sapwood modules
that decode (and PyYAML, for config documents) are instrumented, so libFuzzer keeps the
inputs that reach new code; msgspec and zstd are C, which it sees only through results.

The seeds of the family's decoders are written into the first corpus folder (a temporary
one if none is given), where libFuzzer also keeps what it finds. An input fails the run
when its decoder raises anything but a SapwoodError (an AssertionError means it returned
wrong data) or runs longer than ``-timeout`` (10 s unless given); libFuzzer then writes
it to ``-artifact_prefix`` (crash-* or timeout-*) and exits non-zero. Useful options:
``-max_total_time=SECONDS``, ``-runs=N``, ``-artifact_prefix=DIR/``, ``-seed=N``; a crash
file given instead of a corpus folder replays that one input.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import atheris

INSTRUMENTED = [
    "sapwood.config",
    "sapwood.engine.changelog",
    "sapwood.engine.format",
    "sapwood.engine.leases",
    "sapwood.engine.manifests",
    "sapwood.engine.paths",
    "sapwood.engine.refexpr",
    "sapwood.layer.compression",
    "sapwood.objectstore.expiration",
    "sapwood.objectstore.metadata",
    "sapwood.schemes",
    "sapwood_local.sidecar",
]
"""The modules whose code decodes: instrumenting all of sapwood would triple the time a
run takes to start, for code no decoder reaches."""
INSTRUMENTED_FOR: dict[str, list[str]] = {"config-documents": ["yaml"]}
"""Packages only some families parse with (instrumenting PyYAML costs a second)."""
DEFAULT_TIMEOUT = "-timeout=10"


def not_instrumented(packages: list[str], kept: list[str]) -> list[str]:
    """Every module of ``packages`` (found on disk, without importing them) that is
    neither in ``kept`` nor below one of its names."""
    found: list[str] = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        assert spec is not None
        assert spec.submodule_search_locations is not None
        for location in spec.submodule_search_locations:
            root = Path(location)
            for source in root.rglob("*.py"):
                parts = [package, *source.relative_to(root).with_suffix("").parts]
                if parts[-1] == "__init__":
                    parts.pop()
                name = ".".join(parts)
                if not any(name == one or name.startswith(f"{one}.") for one in kept):
                    found.append(name)
    return found


def import_targets(family: str) -> ModuleType:
    """``fuzz_targets``, imported with the modules ``family`` decodes with instrumented
    (sapwood must not have been imported before: modules load once)."""
    kept = [*INSTRUMENTED, *INSTRUMENTED_FOR.get(family, [])]
    packages = sorted({name.split(".")[0] for name in kept})
    with atheris.instrument_imports(include=packages, exclude=not_instrumented(packages, kept)):
        import fuzz_targets
    return fuzz_targets


def one_input(targets: ModuleType, family: str) -> Callable[[bytes], None]:
    """The libFuzzer entry point for ``family``: decode, and let anything but a
    SapwoodError escape (atheris reports it as a crash)."""
    from sapwood.errors import SapwoodError

    members = [targets.TARGETS[name].decode for name in targets.FAMILIES[family]]

    def test_one_input(data: bytes) -> None:
        if not data:
            return
        decode = members[data[0] % len(members)]
        with contextlib.suppress(SapwoodError):
            decode(data[1:])

    return test_one_input


def seed_inputs(targets: ModuleType, family: str) -> list[bytes]:
    """The seeds of every member, each behind the byte that picks its member."""
    return [
        bytes([index]) + seed
        for index, name in enumerate(targets.FAMILIES[family])
        for seed in targets.TARGETS[name].seeds
    ]


def write_seeds(folder: Path, seeds: list[bytes]) -> None:
    """Put ``seeds`` into ``folder`` (named by content, as libFuzzer names its finds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)


def main(argv: list[str]) -> None:
    """Fuzz the family named by ``argv[1]`` with libFuzzer options and corpus folders
    after it; never returns (libFuzzer exits)."""
    family = argv[1] if len(argv) > 1 else ""
    targets = import_targets(family)
    if family == "--list":
        print("\n".join(targets.FAMILIES))
        raise SystemExit(0)
    if family not in targets.FAMILIES:
        raise SystemExit(
            f"usage: {argv[0]} FAMILY [libFuzzer options] [CORPUS_DIR ...]\n"
            f"FAMILY is one of: {', '.join(targets.FAMILIES)}"
        )
    rest = argv[2:]
    options = [arg for arg in rest if arg.startswith("-")]
    paths = [arg for arg in rest if not arg.startswith("-")]
    if not any(option.startswith("-timeout=") for option in options):
        options.append(DEFAULT_TIMEOUT)
    if paths and Path(paths[0]).is_file():  # replaying crash inputs: no corpus
        corpus = paths
    else:
        if paths:
            folder = Path(paths[0])
        else:
            # libFuzzer ends the process itself, so nothing could delete a folder made here
            folder = Path(tempfile.mkdtemp(prefix=f"sapwood-fuzz-{family}-"))
            print(f"corpus folder: {folder} (delete it when done)", file=sys.stderr)
        write_seeds(folder, seed_inputs(targets, family))
        corpus = [str(folder), *paths[1:]]
    atheris.Setup([argv[0], *options, *corpus], one_input(targets, family))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
