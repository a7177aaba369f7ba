"""Running Azurite, the Azure Storage emulator, on 127.0.0.1 for tests and benchmarks.

The project installs Azurite from npm into ``tools/azurite`` (``npm ci --prefix
tools/azurite``); :class:`Azurite` starts its blob service on a free loopback port with data
kept in memory, waits until it answers, and stops it. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from sapwood_azure.settings import DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME

__all__ = ["DEV_ACCOUNT_KEY", "DEV_ACCOUNT_NAME", "Azurite", "AzuriteError", "find_azurite"]

INSTALL_HINT = "run `npm ci --prefix tools/azurite` in the sapwood checkout"


class AzuriteError(RuntimeError):
    """Azurite is not installed or did not start."""


def find_azurite(start: Path | None = None) -> Path:
    """The ``azurite-blob`` executable: ``$SAPWOOD_AZURITE_BIN``, else
    ``tools/azurite/node_modules/.bin/azurite-blob`` in the first parent folder that has it."""
    override = os.environ.get("SAPWOOD_AZURITE_BIN")
    if override:
        path = Path(override)
        if not path.exists():
            raise AzuriteError(f"SAPWOOD_AZURITE_BIN names {path}, which does not exist")
        return path
    here = (start or Path(__file__)).resolve()
    for folder in [here, *here.parents]:
        candidate = folder / "tools" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
        if candidate.exists():
            return candidate
    raise AzuriteError(f"Azurite is not installed (no tools/azurite/node_modules); {INSTALL_HINT}")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to kill Azurite when its parent dies, so a killed
    test run leaves no emulator behind (SIGKILL: its data is in memory anyway, and a busy
    Azurite can take long to finish a graceful stop)."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (``cryptography`` comes with
    azure-storage-blob); the certificate is also the CA bundle clients trust."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "azurite-cert.pem", folder / "azurite-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Azurite:
    """An Azurite blob service on 127.0.0.1; ``url`` is the dev account's endpoint.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        executable: Path | None = None,
        startup_timeout: float = 60.0,
        *,
        https: bool = False,
        oauth: bool = False,
    ) -> None:
        if oauth and not https:
            raise ValueError("Azurite accepts OAuth tokens only over https: pass https=True")
        self.executable = executable or find_azurite()
        self.startup_timeout = startup_timeout
        self.https = https
        self.oauth = oauth
        self.certificate: Path | None = None
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: str | None = None
        self._log_path: Path | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/devstoreaccount1`` (``https://`` when started with https)."""
        scheme = "https" if self.https else "http"
        return f"{scheme}://127.0.0.1:{self.port}/{DEV_ACCOUNT_NAME}"

    @property
    def connection_string(self) -> str:
        """A connection string for the dev account at this emulator."""
        protocol = "https" if self.https else "http"
        return (
            f"DefaultEndpointsProtocol={protocol};AccountName={DEV_ACCOUNT_NAME};"
            f"AccountKey={DEV_ACCOUNT_KEY};BlobEndpoint={self.url};"
        )

    def log(self) -> str:
        """What Azurite printed so far."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(errors="replace")

    def start(self) -> Azurite:
        """Start Azurite and wait until it answers; AzuriteError says why it could not."""
        self._workdir = tempfile.mkdtemp(prefix="sapwood-azurite-")
        self._log_path = Path(self._workdir) / "azurite.log"
        self.port = _free_port()
        command = [
            str(self.executable),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(self.port),
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--loose",
            "--disableTelemetry",
            "--silent",
        ]
        if self.https:
            self.certificate, key = _self_signed_certificate(Path(self._workdir))
            command += ["--cert", str(self.certificate), "--key", str(key)]
        if self.oauth:
            command += ["--oauth", "basic"]
        with open(self._log_path, "wb") as log:
            # Azurite refuses --location together with --inMemoryPersistence, so the
            # temporary folder is its working directory instead.
            self._process = subprocess.Popen(
                command,
                cwd=self._workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self.stop()
                raise AzuriteError(
                    f"Azurite exited with status {self._process.returncode} at start "
                    f"({' '.join(command)}):\n{self.log()}"
                )
            if self._answers():
                return self
            time.sleep(0.1)
        log_text = self.log()
        self.stop()
        raise AzuriteError(
            f"Azurite did not answer on 127.0.0.1:{self.port} within {self.startup_timeout:.0f}"
            f" s:\n{log_text}"
        )

    def _answers(self) -> bool:
        context = None
        if self.certificate is not None:
            context = ssl.create_default_context(cafile=str(self.certificate))
        try:
            with urllib.request.urlopen(f"{self.url}?comp=list", timeout=2, context=context):
                return True
        except urllib.error.HTTPError:
            return True  # 403 for an unsigned request: it is up
        except OSError:
            return False

    def stop(self) -> None:
        """Stop Azurite (its data was in memory) and remove its working folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
