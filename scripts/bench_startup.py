"""Start-up of the local gateway: from spawning `local-api-gateway serve` on a template to every
API's port accepting connections, as a median of several starts (part of `make bench`).

Usage: bench_startup.py GATEWAY TEMPLATE [STARTS]. Prints a Markdown line. Each start gets free
ports; the process is stopped (SIGTERM) and waited for before the next.
"""

import socket
import statistics
import subprocess
import sys
import time

from free_ports import free_ports


def accepting(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.05)
        return s.connect_ex(("127.0.0.1", port)) == 0


def api_ids(gateway: str, template: str) -> list[str]:
    urls = subprocess.run([gateway, "urls", "--template", template], check=True, capture_output=True, text=True).stdout
    return [line.split("=", 1)[0][4:] for line in urls.splitlines() if line.startswith("URL_")]


def start_once(gateway: str, template: str, ids: list[str]) -> float:
    ports = dict(zip(ids, free_ports(len(ids)), strict=True))
    pinned = [arg for api, port in ports.items() for arg in ("--api-port", f"{api}={port}")]
    began = time.perf_counter()
    process = subprocess.Popen(
        [gateway, "serve", "--template", template, *pinned],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = began + 30
        waiting = set(ports.values())
        while waiting:
            if process.poll() is not None:
                raise SystemExit(f"{gateway} serve exited with {process.returncode}")
            if time.perf_counter() > deadline:
                raise SystemExit("the gateway did not listen within 30 s")
            waiting = {port for port in waiting if not accepting(port)}
        return (time.perf_counter() - began) * 1000
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    gateway, template = sys.argv[1], sys.argv[2]
    starts = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    ids = api_ids(gateway, template)
    start_once(gateway, template, ids)  # warm the page cache
    times = [start_once(gateway, template, ids) for _ in range(starts)]
    routes = subprocess.run(
        [gateway, "routes", "--template", template], check=True, capture_output=True, text=True
    ).stdout.count(" -> ")
    verdict = "met" if statistics.median(times) < 50 else "MISSED"
    print(
        f"- start-up, `{template}` ({len(ids)} APIs, {routes} routes): spawn to every port "
        f"accepting, median of {starts} starts {statistics.median(times):.1f} ms "
        f"(min {min(times):.1f}, max {max(times):.1f}; target < 50 ms: {verdict})"
    )


if __name__ == "__main__":
    main()
