"""Coverage-guided fuzzing of sapwood's decoders with atheris (libFuzzer for Python).

    python core/tests/engine/atheris_fuzz.py FAMILY [libFuzzer options] [CORPUS_DIR ...]
    python core/tests/engine/atheris_fuzz.py --list

FAMILY is one of ``fuzz_targets.FAMILIES`` (refs, config.json, snapshots, manifests,
sidecars, object-metadata, blobs, config-documents, names, urls). The first byte of each
input picks the family's member decoder; the rest is what it decodes. sapwood (and the
parts of its dependencies written in Python that it parses with) are instrumented, so
libFuzzer keeps the inputs that reach new code.

The seeds of the family's decoders are written into the first corpus folder (a temporary
one if none is given), where libFuzzer also keeps what it finds. An input fails the run
when its decoder raises anything but a SapwoodError (an AssertionError means it returned
wrong data) or runs longer than ``-timeout`` (10 s unless given); libFuzzer then writes
it to ``-artifact_prefix`` (crash-* or timeout-*) and exits non-zero. Useful options:
``-max_total_time=SECONDS``, ``-runs=N``, ``-jobs=N``, ``-artifact_prefix=DIR/``; a crash
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

import atheris

INSTRUMENTED = [
    "sapwood.config",
    "sapwood.engine.changelog",
    "sapwood.engine.format",
    "sapwood.engine.manifests",
    "sapwood.engine.paths",
    "sapwood.engine.refexpr",
    "sapwood.layer.compression",
    "sapwood.objectstore.expiration",
    "sapwood.objectstore.metadata",
    "sapwood.schemes",
    "sapwood_local.sidecar",
    "yaml",
]
"""The modules whose code decodes (with their submodules): instrumenting all of sapwood
would triple the time a run takes to start, for code no decoder reaches."""


def not_instrumented(packages: list[str]) -> list[str]:
    """Every module of ``packages`` (found on disk, without importing them) that is not
    in :data:`INSTRUMENTED` nor below one of its names."""
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
                if not any(name == kept or name.startswith(f"{kept}.") for kept in INSTRUMENTED):
                    found.append(name)
    return found


PACKAGES = ["sapwood", "sapwood_local", "yaml"]
with atheris.instrument_imports(include=PACKAGES, exclude=not_instrumented(PACKAGES)):
    import fuzz_targets

    from sapwood.errors import SapwoodError

DEFAULT_TIMEOUT = "-timeout=10"


def one_input(family: str) -> Callable[[bytes], None]:
    """The libFuzzer entry point for ``family``: decode, and let anything but a
    SapwoodError escape (atheris reports it as a crash)."""
    members = [fuzz_targets.TARGETS[name].decode for name in fuzz_targets.FAMILIES[family]]

    def test_one_input(data: bytes) -> None:
        if not data:
            return
        decode = members[data[0] % len(members)]
        with contextlib.suppress(SapwoodError):
            decode(data[1:])

    return test_one_input


def seed_inputs(family: str) -> list[bytes]:
    """The seeds of every member, each behind the byte that picks its member."""
    return [
        bytes([index]) + seed
        for index, name in enumerate(fuzz_targets.FAMILIES[family])
        for seed in fuzz_targets.TARGETS[name].seeds
    ]


def write_seeds(folder: Path, family: str) -> None:
    """Put the seeds into ``folder`` (named by content, as libFuzzer names its finds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seed_inputs(family):
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)


def main(argv: list[str]) -> None:
    """Fuzz the family named by ``argv[1]`` with libFuzzer options and corpus folders
    after it; never returns (libFuzzer exits)."""
    if argv[1:2] == ["--list"]:
        print("\n".join(fuzz_targets.FAMILIES))
        raise SystemExit(0)
    if len(argv) < 2 or argv[1] not in fuzz_targets.FAMILIES:
        raise SystemExit(
            f"usage: {argv[0]} FAMILY [libFuzzer options] [CORPUS_DIR ...]\n"
            f"FAMILY is one of: {', '.join(fuzz_targets.FAMILIES)}"
        )
    family, rest = argv[1], argv[2:]
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
        write_seeds(folder, family)
        corpus = [str(folder), *paths[1:]]
    atheris.Setup([argv[0], *options, *corpus], one_input(family))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
