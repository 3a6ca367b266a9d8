"""
Start and stop a throw-away ``redis-server`` for tests (importable by any test module).

Use it from a fixture::

    @pytest.fixture(scope="module")
    def redis_server() -> Iterator[RedisServer]:
        with running_redis_server() as server:
            yield server

The server binds 127.0.0.1 on a free port, keeps nothing on disk, and runs in a temporary
directory. A machine without ``redis-server`` fails the test (it does not skip it).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["RedisServer", "find_redis_server", "free_port", "running_redis_server"]

_INSTALL_HINT = (
    "redis-server not found on PATH; these tests need a real Redis: install it with "
    "`sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)"
)


def find_redis_server() -> str:
    """
    The path of ``redis-server``, failing the calling test when there is none.
    """
    path = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if path is None:
        pytest.fail(_INSTALL_HINT, pytrace=False)
    return path


def free_port() -> int:
    """
    A TCP port on 127.0.0.1 that nothing listens on right now.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """
    One ``redis-server`` process on a fixed port, which can be stopped and started again.
    """

    def __init__(self, executable: str, port: int, directory: Path) -> None:
        self.executable = executable
        self.port = port
        self.directory = directory
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``redis://`` URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """
        Start the server and wait until it accepts connections.
        """
        command = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        self._process = subprocess.Popen(
            command,
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read().decode() if self._process.stderr else ""
                pytest.fail(f"redis-server exited at start-up: {stderr}", pytrace=False)
            if _answers_ping(self.port):
                return
            time.sleep(0.02)
        self.stop()
        pytest.fail(f"redis-server did not answer on port {self.port}", pytrace=False)

    def stop(self) -> None:
        """
        Stop the server (terminate, then kill if it lingers) and wait for it to exit.
        """
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    def restart(self) -> None:
        """
        Stop the server and start a fresh one (empty, no scripts) on the same port.
        """
        self.stop()
        self.start()


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def running_redis_server() -> Iterator[RedisServer]:
    """
    A started `RedisServer` in a temporary directory, stopped on exit.
    """
    executable = find_redis_server()
    with tempfile.TemporaryDirectory(prefix="onlyonce-redis-") as directory:
        server = RedisServer(executable, free_port(), Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()
