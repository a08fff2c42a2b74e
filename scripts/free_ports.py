"""Free loopback ports for the servers a script or a test starts.

Usage: free_ports.py [COUNT]  prints COUNT (default 1) distinct free ports on one line.

The ports lie below the kernel's ephemeral range. A port found by binding port 0 lies inside it,
where any outgoing connection (a readiness probe, a client of the stack) can take it between the
moment it is found free and the moment the server binds it.
"""

import random
import socket
import sys

LOWEST = 10_000


def ephemeral_range_start() -> int:
    """Where the kernel starts handing out ports for outgoing connections (Linux's default, 32768,
    where it does not say)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def free_ports(count: int = 1) -> list[int]:
    """`count` distinct ports nobody is bound to, each held until all are found."""
    highest = max(ephemeral_range_start(), LOWEST + 1_000)
    start = random.randrange(LOWEST, highest)
    held: list[socket.socket] = []
    try:
        for offset in range(highest - LOWEST):
            if len(held) == count:
                break
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", LOWEST + (start - LOWEST + offset) % (highest - LOWEST)))
            except OSError:
                s.close()
                continue
            held.append(s)
        if len(held) < count:
            raise SystemExit(f"free_ports: no {count} free ports between {LOWEST} and {highest}")
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


if __name__ == "__main__":
    print(*free_ports(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
