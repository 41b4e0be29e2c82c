"""`geo-service serve --workers 2`: a real server of two processes on the demo store.

The keep-alive test is a correctness check, not a speed benchmark. With several workers,
uvicorn's supervisor binds the listening socket itself and hands it to the workers; before
uvicorn 0.55 it bound it without ``IPPROTO_TCP``, asyncio then left Nagle's algorithm on
for every accepted connection (no ``TCP_NODELAY``), and on a keep-alive connection each
response after the first (headers and body written separately) waited for the client's
delayed ACK: about 40 ms on Linux, whatever the server's own speed (uvicorn issue #3149).
A small answer of the demo takes a few milliseconds, so any request reaching 40 ms on a
warm connection is that stall, not slowness.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.live import free_port

START_TIMEOUT_S = 60
KEEP_ALIVE_REQUESTS = 20
DELAYED_ACK_S = 0.040  # Linux's shortest delayed ACK: a Nagle stall lasts at least this
SMALL_ANSWER = "/api/units?level=1"  # the demo's provinces, without geometry: ~1.5 kB


@pytest.fixture(scope="module")
def two_workers(
    demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Path]]:
    """``geo-service serve --workers 2`` on a copy of the demo; its port and its log."""
    folder = tmp_path_factory.mktemp("workers")
    store = folder / "served.gpkg"
    shutil.copy(demo_gpkg, store)
    log = folder / "serve.log"
    port = free_port()
    script = Path(sys.executable).with_name("geo-service")
    command = [str(script), "serve", "--store", str(store), "--port", str(port), "--workers", "2"]
    with log.open("w") as output:
        # Its own process group: the supervisor and both workers are stopped together.
        server = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_answering(port, server, log)
        yield port, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def wait_until_answering(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", SMALL_ANSWER)
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"geo-service serve --workers 2 did not start:\n{log.read_text()}")
        time.sleep(0.2)


def test_two_workers_start_and_serve_the_demo(two_workers: tuple[int, Path]) -> None:
    port, log = two_workers
    deadline = time.monotonic() + START_TIMEOUT_S
    while log.read_text().count("Application startup complete") < 2:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    started = {
        line.split("[")[-1]
        for line in log.read_text().splitlines()
        if "Started server process" in line
    }
    assert len(started) == 2, log.read_text()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/api/gaps?as_of=2025-06-30")
    response = connection.getresponse()
    assert response.status == 200
    assert orjson.loads(response.read())["type"] == "FeatureCollection"


def test_keep_alive_requests_are_not_held_by_nagle(two_workers: tuple[int, Path]) -> None:
    """20 requests one after another on one connection: none waits for a delayed ACK."""
    port, _ = two_workers
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    for _ in range(3):  # the worker's first answers are cold; Nagle bites only later ones
        connection.request("GET", SMALL_ANSWER)
        connection.getresponse().read()
    socket_before = connection.sock
    took = []
    for _ in range(KEEP_ALIVE_REQUESTS):
        start = time.perf_counter()
        connection.request("GET", SMALL_ANSWER)
        response = connection.getresponse()
        body = response.read()
        took.append(time.perf_counter() - start)
        assert response.status == 200 and body
        assert not response.will_close
    assert connection.sock is socket_before, "the connection was not kept alive"
    connection.close()
    # Nagle holds every answer after the first on the connection, so most requests would
    # wait; a busy machine stalls a few at random, which the median does not see.
    slow = [f"{seconds * 1000:.1f} ms" for seconds in took if seconds >= DELAYED_ACK_S]
    assert statistics.median(took) < DELAYED_ACK_S, (
        f"requests held by Nagle's algorithm on a keep-alive connection: {slow}"
    )
