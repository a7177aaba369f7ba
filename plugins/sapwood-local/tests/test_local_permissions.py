"""Folders the process may not write to give PermissionDeniedError naming the path.

Root ignores file permissions, so when the tests run as root the checks run in a forked
child that has become the unprivileged user ``nobody``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Awaitable, Iterator
from pathlib import Path

import pytest

from sapwood.storage import ObjectMeta
from sapwood_local import LocalStorage

NOBODY = 65534


async def _attempt(call: Awaitable[object]) -> list[object]:
    try:
        result = await call
    except Exception as exc:
        return [type(exc).__name__, str(exc), isinstance(exc, PermissionError)]
    return ["ok", repr(result), False]


async def _keys(store: LocalStorage) -> list[str]:
    return [entry.key async for entry in store.list() if isinstance(entry, ObjectMeta)]


async def _checks(base: str) -> dict[str, list[object]]:
    ro = LocalStorage(base + "/read-only-root")
    rw = LocalStorage(base + "/writable-root")
    missing = LocalStorage(base + "/read-only-parent/root")
    return {
        "put_into_read_only_root": await _attempt(ro.put("k", b"v")),
        "put_into_read_only_subfolder": await _attempt(rw.put("locked/k", b"v")),
        "create_root_in_read_only_parent": await _attempt(missing.put("k", b"v")),
        "delete_in_read_only_subfolder": await _attempt(rw.delete("locked/existing")),
        "read_from_read_only_root": await _attempt(ro.get("existing")),
        "head_in_read_only_root": await _attempt(ro.head("existing")),
        "list_read_only_root": await _attempt(_keys(ro)),
        "put_elsewhere_in_writable_root": await _attempt(rw.put("free/k", b"v")),
    }


@pytest.fixture
def shared_base() -> Iterator[Path]:
    """A folder another user can reach (pytest's own temp folder is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="sapwood-local-perm-"))
    base.chmod(0o755)
    yield base
    for folder, _dirs, _files in os.walk(base):
        os.chmod(folder, 0o755)
    shutil.rmtree(base)


def _prepare(base: Path) -> None:
    ro_root = base / "read-only-root"
    asyncio.run(LocalStorage(str(ro_root)).put("existing", b"readable", metadata={"m": "1"}))
    rw_root = base / "writable-root"
    asyncio.run(LocalStorage(str(rw_root)).put("locked/existing", b"stays"))
    for folder, _dirs, _files in os.walk(rw_root):
        os.chmod(folder, 0o777)
    (base / "read-only-parent").mkdir()
    for locked in (ro_root, rw_root / "locked", base / "read-only-parent"):
        locked.chmod(0o555)
    for folder, _dirs, _files in os.walk(ro_root):
        os.chmod(folder, 0o555)


def _run_checks(base: Path) -> dict[str, list[object]]:
    """Run :func:`_checks` in a forked child that, under root, becomes ``nobody`` (fork,
    not exec: the interpreter lives where ``nobody`` may not read)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        status = 1
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            outcome: object = asyncio.run(_checks(str(base)))
            status = 0
        except BaseException as exc:
            outcome = {"child failed": repr(exc)}
        finally:
            os.write(write_end, json.dumps(outcome).encode())
            os._exit(status)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    report = json.loads(b"".join(chunks))
    assert os.waitstatus_to_exitcode(status) == 0, report
    assert isinstance(report, dict)
    return report


def test_unwritable_folders_give_permission_errors_naming_the_path(shared_base: Path) -> None:
    _prepare(shared_base)
    report = _run_checks(shared_base)

    kind, message, is_permission_error = report["put_into_read_only_root"]
    assert kind == "PermissionDeniedError", report
    assert is_permission_error, "PermissionDeniedError is also a PermissionError"
    assert str(shared_base / "read-only-root") in str(message)

    kind, message, _ = report["put_into_read_only_subfolder"]
    assert kind == "PermissionDeniedError", report
    assert str(shared_base / "writable-root" / "locked") in str(message)

    kind, message, _ = report["create_root_in_read_only_parent"]
    assert kind == "PermissionDeniedError", report
    assert str(shared_base / "read-only-parent" / "root") in str(message)

    kind, message, _ = report["delete_in_read_only_subfolder"]
    assert kind == "PermissionDeniedError", report
    assert "locked/existing" in str(message)

    assert report["read_from_read_only_root"][:2] == ["ok", repr(b"readable")]
    assert report["head_in_read_only_root"][0] == "ok"
    assert "metadata={'m': '1'}" in str(report["head_in_read_only_root"][1])
    assert report["list_read_only_root"][:2] == ["ok", repr(["existing"])]
    assert report["put_elsewhere_in_writable_root"][0] == "ok"
    assert (shared_base / "writable-root" / "locked" / "existing").read_bytes() == b"stays"
