"""A geo-service server in its own process, for benchmarks: started with the code of one
checkout (``PYTHONPATH``), its resident memory read from ``/proc``, stopped with its
workers.

    with serving(code, store, workers=2) as server:
        server.get("/api/coverage", {"Accept-Encoding": "gzip"})
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

START_TIMEOUT_S = 300
READ_BYTES = 1 << 20
# The server hands freed heap back once it has been idle for a moment
# (geo_service/api/freed_heap.py): memory "after" a benchmark is read after that.
IDLE_S = 1.5
_SERVE = "from geo_service.cli.main import main; main()"


@dataclass(frozen=True)
class Fetched:
    """One answer, read to its end and hashed (inflated first when it came gzipped): a
    FeatureCollection from its features on, since the members before them (the page's
    links and counts) differ between revisions that send the same features."""

    status: int
    seconds: float
    first_byte_s: float
    wire_bytes: int
    content_bytes: int
    sha256: str
    headers: dict[str, str]


class _FeaturesDigest:
    """SHA-256 of a body from ``"features":[`` on (of the whole body when it has none)."""

    MARK = b'"features":['

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._head: bytes | None = b""

    def update(self, piece: bytes) -> None:
        if self._head is None:
            self._digest.update(piece)
            return
        self._head += piece
        at = self._head.find(self.MARK)
        if at >= 0:
            self._digest.update(self._head[at:])
            self._head = None

    def hexdigest(self) -> str:
        if self._head:  # no features: the whole body counts
            self._digest.update(self._head)
        return self._digest.hexdigest()


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    port: int
    code: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> Fetched:
        """GET ``path``, reading the body in pieces (never holding it) while hashing it."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        start = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        first_byte = time.perf_counter() - start
        gzipped = response.getheader("Content-Encoding") == "gzip"
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        digest, wire, content = _FeaturesDigest(), 0, 0
        while piece := response.read(READ_BYTES):
            wire += len(piece)
            if gzipped:
                piece = inflater.decompress(piece)
            content += len(piece)
            digest.update(piece)
        if gzipped:
            rest = inflater.flush()
            content += len(rest)
            digest.update(rest)
        seconds = time.perf_counter() - start
        connection.close()
        headers_seen = {name.lower(): value for name, value in response.getheaders()}
        return Fetched(
            response.status, seconds, first_byte, wire, content, digest.hexdigest(), headers_seen
        )

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, in MB."""
        return sum(_status_kb(pid, "VmRSS") for pid in self.pids()) / 1024

    def idle_rss_mb(self) -> float:
        """``rss_mb`` once the server has been idle for ``IDLE_S``."""
        time.sleep(IDLE_S)
        return self.rss_mb()

    def cpu_s(self) -> float:
        """CPU time (user and system) the server and its workers have used, in seconds."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / ticks

    def peak_rss_mb(self) -> float:
        """The highest resident memory any one of its processes reached, in MB."""
        return max(_status_kb(pid, "VmHWM") for pid in self.pids()) / 1024

    def pids(self) -> list[int]:
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                queue.extend(int(child) for child in task.read_text().split())
        return found


@contextmanager
def serving(code: Path, store: Path, *, workers: int = 1) -> Iterator[Server]:
    """``geo-service serve`` of the checkout at ``code`` on ``store``, until the block ends;
    ``--workers`` is passed only when more than one is asked (older revisions lack it)."""
    _check_code(code)
    port = _free_port()
    command = [sys.executable, "-c", _SERVE, "serve", "--store", str(store), "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=code,
            env=os.environ | {"PYTHONPATH": str(code)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the supervisor and its workers stop together
        )
        server = Server(process, port, code)
        try:
            _wait_until_answering(server, log)
            yield server
        finally:
            stop_group(process)


def stop_group(process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Stop a process started with ``start_new_session=True`` and every process of its
    group (a server and its workers): SIGTERM, then SIGKILL after ``timeout_s``."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _check_code(code: Path) -> None:
    """Stop unless Python started as the server will be imports ``geo_service`` from
    ``code`` (an editable install could shadow it)."""
    where = subprocess.run(
        [sys.executable, "-c", "import geo_service; print(geo_service.__file__)"],
        cwd=code,
        env=os.environ | {"PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(where).resolve().is_relative_to(code.resolve()):
        raise RuntimeError(f"a server of {code} would run {where}")


def _wait_until_answering(server: Server, log: IO[bytes]) -> None:
    wait_until_ready(
        lambda: server.get("/api/units?level=1").status == 200,
        server.process,
        log,
        f"the server of {server.code}",
    )


def wait_until_ready(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: IO[bytes],
    name: str,
    timeout_s: float = START_TIMEOUT_S,
) -> None:
    """Ask ``ready()`` every half second (a refused connection counts as not yet) until it
    holds; stop with ``name`` and the process's ``log`` if it exits or ``timeout_s``
    passes first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise RuntimeError(f"{name} did not start:\n{log.read().decode()[-3000:]}")
        time.sleep(0.5)


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
