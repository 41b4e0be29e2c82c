"""HTTP load at N keep-alive connections over a list of paths, by wrk or by Python threads.

Both servers of a comparison get the same client, paths and connections. ``wrk`` (Debian's
``wrk``) is the default where installed: a C client leaves more of a two-core machine to
the servers than Python threads do. Each connection starts at its own place in the list
and walks it round. A result counts every answer that was not 2xx as an error.

    result = run_load(port, paths, connections=8, seconds=20)
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CLIENTS = ("wrk", "python")

# Each wrk thread has its own Lua state: it reads the paths and starts at its own place.
_WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local at = 0
function init(args)
  at = ((id or 1) * 7919) % #paths
end
function request()
  at = at % #paths + 1
  return wrk.format("GET", paths[at])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class LoadResult:
    client: str
    connections: int
    seconds: float
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def default_client() -> str:
    return "wrk" if wrk_available() else "python"


def run_load(
    port: int, paths: list[str], connections: int, seconds: float, client: str = "wrk"
) -> LoadResult:
    """``connections`` keep-alive clients GETting ``paths`` round for ``seconds``."""
    if not paths:
        raise ValueError("no paths to load")
    if client == "wrk":
        return _wrk(port, paths, connections, seconds)
    if client == "python":
        return _threads(port, paths, connections, seconds)
    raise ValueError(f"unknown client {client!r}: one of {', '.join(CLIENTS)}")


def parse_wrk(output: str, connections: int) -> LoadResult:
    """The figures of the ``BENCH {…}`` line the script's ``done`` writes."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            figures = json.loads(line.removeprefix("BENCH "))
            seconds = figures["duration_us"] / 1e6
            return LoadResult(
                client="wrk",
                connections=connections,
                seconds=round(seconds, 3),
                requests=figures["requests"],
                requests_per_s=round(figures["requests"] / seconds, 1),
                p50_ms=round(figures["p50_us"] / 1000, 1),
                p99_ms=round(figures["p99_us"] / 1000, 1),
                errors=figures["errors"],
            )
    raise RuntimeError(f"wrk wrote no figures:\n{output[-2000:]}")


def _wrk(port: int, paths: list[str], connections: int, seconds: float) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        listed = Path(folder) / "paths.txt"
        listed.write_text("\n".join(paths) + "\n", encoding="utf-8")
        script = Path(folder) / "paths.lua"
        script.write_text(_WRK_SCRIPT, encoding="utf-8")
        command = [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",  # wrk takes whole seconds
            "--timeout",
            "120s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ]
        done = subprocess.run(
            command,
            env={"BENCH_PATHS": str(listed), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    return parse_wrk(done.stdout, connections)


def _threads(port: int, paths: list[str], connections: int, seconds: float) -> LoadResult:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        at = index * 7919
        try:
            while time.monotonic() < stop:
                path = paths[at % len(paths)]
                at += 1
                started = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    errors[0] += not 200 <= response.status < 300
        except OSError:
            with lock:
                errors[0] += 1
        finally:
            connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    return LoadResult(
        client="python",
        connections=connections,
        seconds=round(elapsed, 3),
        requests=len(latencies),
        requests_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 1),
        p99_ms=round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1),
        errors=errors[0],
    )


def keep_alive_latencies(port: int, path: str, requests: int) -> list[float]:
    """Seconds of each of ``requests`` GETs of ``path`` one after the other on ONE
    keep-alive connection (a lost TCP_NODELAY shows from the second on, as ~40 ms)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    took = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            took.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status}")
    finally:
        connection.close()
    return took
