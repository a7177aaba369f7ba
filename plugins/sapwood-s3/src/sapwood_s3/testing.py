"""A real S3 API for tests: moto's server on 127.0.0.1, and pytest fixtures around it.

Needs the ``testing`` extra (``pip install sapwood-s3[testing]``: moto's server). Use it
from a conftest.py::

    from sapwood_s3.testing import moto_server, s3_bucket  # noqa: F401

and subclass :class:`MotoStorageConformance` (the conformance suite less what moto cannot
do) with a ``store`` fixture.

``moto_server`` (session scope) starts one server, in this process by default; ``s3_bucket``
gives each test a fresh, empty bucket and removes it afterwards. A server that cannot start
raises at once: tests fail, they are never skipped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import StaticCredentials
from sapwood.storage import Storage
from sapwood.testing import StorageConformance

__all__ = [
    "TEST_CREDENTIALS",
    "CheckingMotoServer",
    "MotoServer",
    "MotoStorageConformance",
    "moto_server",
    "s3_bucket",
    "start_checking_moto_server",
    "start_moto_server",
]

TEST_CREDENTIALS = StaticCredentials(access_key_id="testing", secret_access_key="testing")
"""Moto accepts any key pair unless it is told to check them."""

_START_TIMEOUT_SECONDS = 30.0
_HOST = "127.0.0.1"


@dataclass
class MotoServer:
    """A running moto server: its endpoint, a raw boto3 client, and how to stop it."""

    endpoint_url: str
    stop: Callable[[], None]
    region: str = "us-east-1"
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, access_key_id: str = "testing", secret_access_key: str = "testing") -> Any:
        """A plain boto3 S3 client for this server (path-style, no retries), made once per
        key pair."""
        cached = self._clients.get((access_key_id, secret_access_key))
        if cached is not None:
            return cached
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"total_max_attempts": 1, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                max_pool_connections=32,
            ),
        )
        self._clients[(access_key_id, secret_access_key)] = client
        return client

    def store_config(
        self, bucket: str, prefix: str = "", *, object_store: str = "s3", **extra: Any
    ) -> ObjectStoreConfig:
        """The config of a store (``s3``, ``tigris`` or another S3-API backend) on this
        server, with ``extra`` settings."""
        return ObjectStoreConfig(
            object_store=object_store,
            bucket=bucket,
            prefix=prefix,
            region=self.region,
            endpoint_url=self.endpoint_url,
            extra=extra,
        )

    def create_bucket(self, prefix: str = "sapwood-test") -> str:
        """A new, empty bucket with a unique name."""
        name = f"{prefix}-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def remove_bucket(self, name: str) -> None:
        """Delete every object (and unfinished upload) in ``name``, then the bucket."""
        client = self.client()
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents") or []]
            if keys:
                client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads") or []:
            client.abort_multipart_upload(
                Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        client.delete_bucket(Bucket=name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return int(sock.getsockname()[1])


def _wait_until_listening(
    port: int, alive: Callable[[], bool], describe: Callable[[], str]
) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the moto server exited while starting: {describe()}")
        with contextlib.suppress(OSError), socket.create_connection((_HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(
        f"the moto server did not listen on {_HOST}:{port} within "
        f"{_START_TIMEOUT_SECONDS:g} s: {describe()}"
    )


def _start_in_process() -> MotoServer:
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request at INFO; thousands of lines drown real failures
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=_HOST, port=0, verbose=False)
    # ThreadedMotoServer.start() waits forever if the socket cannot be bound: bound the wait.
    starter = threading.Thread(target=server.start, daemon=True, name="moto-start")
    starter.start()
    starter.join(_START_TIMEOUT_SECONDS)
    if starter.is_alive():
        raise RuntimeError(
            f"moto's ThreadedMotoServer did not start on {_HOST} within "
            f"{_START_TIMEOUT_SECONDS:g} s (see the thread's traceback above)"
        )
    host, port = server.get_host_and_port()
    _wait_until_listening(port, lambda: True, lambda: "in-process server")
    return MotoServer(endpoint_url=f"http://{host}:{port}", stop=server.stop)


def _running(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None


def _start_subprocess(env: Mapping[str, str] | None) -> MotoServer:
    log = Path(tempfile.mkstemp(prefix="moto-server-", suffix=".log")[1])
    last_error = "no attempt made"
    for _ in range(3):  # the free port may be taken between choosing and binding it
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", _HOST, "-p", str(port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )

        def describe() -> str:
            return log.read_text(errors="replace")[-2000:] or "(no output)"

        try:
            _wait_until_listening(port, partial(_running, process), describe)
        except RuntimeError as exc:
            last_error = str(exc)
            process.kill()
            process.wait()
            continue

        def stop(process: subprocess.Popen[bytes] = process) -> None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.unlink(missing_ok=True)

        return MotoServer(endpoint_url=f"http://{_HOST}:{port}", stop=stop)
    raise RuntimeError(f"could not start a moto server subprocess: {last_error}")


def start_moto_server(
    *, subprocess: bool = False, env: Mapping[str, str] | None = None
) -> MotoServer:
    """Start moto's S3 server on 127.0.0.1 on a free port; raise if it cannot start.

    ``subprocess=True`` runs it as a separate process (no GIL shared with the client, and
    ``env`` can set moto's own switches, e.g. ``INITIAL_NO_AUTH_ACTION_COUNT``).
    """
    if subprocess:
        return _start_subprocess(env)
    if env:
        raise ValueError("env needs subprocess=True: moto reads its settings per process")
    return _start_in_process()


_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass
class CheckingMotoServer:
    """A moto server that checks every request's credentials and permissions (IAM).

    ``admin`` may do anything; :meth:`new_user` makes users allowed only some actions.
    """

    server: MotoServer
    admin: StaticCredentials

    def iam(self) -> Any:
        """A boto3 IAM client signing as the admin."""
        import boto3

        return boto3.client(
            "iam",
            endpoint_url=self.server.endpoint_url,
            region_name=self.server.region,
            aws_access_key_id=self.admin.access_key_id,
            aws_secret_access_key=self.admin.secret_access_key,
        )

    def new_key(self, user: str) -> StaticCredentials:
        """A new access key of ``user``."""
        key = self.iam().create_access_key(UserName=user)["AccessKey"]
        return StaticCredentials(
            access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]
        )

    def delete_key(self, user: str, credentials: StaticCredentials) -> None:
        """Revoke one access key of ``user``: requests signed with it fail from now on."""
        self.iam().delete_access_key(UserName=user, AccessKeyId=credentials.access_key_id)

    def new_user(self, actions: list[str] | None = None) -> tuple[str, StaticCredentials]:
        """A new user allowed ``actions`` (all when None) and one access key of it."""
        name = f"user-{uuid.uuid4().hex[:12]}"
        iam = self.iam()
        iam.create_user(UserName=name)
        policy = (
            _ALLOW_ALL
            if actions is None
            else {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
            }
        )
        iam.put_user_policy(UserName=name, PolicyName="sapwood", PolicyDocument=json.dumps(policy))
        return name, self.new_key(name)

    def admin_client(self) -> Any:
        """A raw S3 client signing as the admin."""
        return self.server.client(str(self.admin.access_key_id), str(self.admin.secret_access_key))


def start_checking_moto_server() -> CheckingMotoServer:
    """A separate moto process that checks credentials (moto's switch is per process)."""
    import boto3

    # moto lets the first INITIAL_NO_AUTH_ACTION_COUNT requests through unchecked: just
    # enough to create an admin user, its key and its allow-all policy
    server = start_moto_server(subprocess=True, env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=server.endpoint_url,
            region_name=server.region,
            aws_access_key_id="bootstrap",
            aws_secret_access_key="bootstrap",
        )
        iam.create_user(UserName="admin")
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        iam.put_user_policy(
            UserName="admin", PolicyName="all", PolicyDocument=json.dumps(_ALLOW_ALL)
        )
    except BaseException:
        server.stop()
        raise
    admin = StaticCredentials(
        access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"]
    )
    return CheckingMotoServer(server=server, admin=admin)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the whole test session."""
    server = start_moto_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> Iterator[str]:
    """A fresh, empty bucket on the session's moto server, removed after the test."""
    name = moto_server.create_bucket()
    yield name
    with contextlib.suppress(Exception):  # a test may have removed it on purpose
        moto_server.remove_bucket(name)


class MotoStorageConformance(StorageConformance):
    """The storage conformance suite, less what moto's S3 cannot do (each case xfail, strict).

    Subclass it instead of :class:`~sapwood.testing.StorageConformance` for any store
    tested against moto (the S3 and Tigris plugins, or a third party's S3 look-alike).
    """

    @pytest.mark.xfail(
        reason="moto applies StartAfter to common prefixes after grouping them, so 'data/' "
        "is dropped when start_after='data/b/c'; S3 compares StartAfter with keys first",
        strict=True,
    )
    async def test_start_after_with_delimiter(self, store: Storage) -> None:
        await super().test_start_after_with_delimiter(store)
