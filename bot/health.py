"""A heartbeat file for container health checks: `python -m bot.health PATH` says if the bot is alive.

A polling bot has no port to probe, and a process that exists can still be stuck (a blocked event
loop, a dead scheduler). The running bot rewrites the file from its job queue every `BEAT_SECONDS`, so
a fresh file proves the loop and the scheduler still turn; the check fails once it is `MAX_AGE` old.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BEAT_SECONDS = 30.0
MAX_AGE = 3 * BEAT_SECONDS


def beat(path: Path) -> None:
    """Record that the bot is alive now; written aside and renamed, so a check never reads half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{time.time():.3f}\n", encoding="ascii")
    os.replace(partial, path)


def age(path: Path, *, now: float | None = None) -> float | None:
    """Seconds since the last beat, or None when there has been none (or the file is unreadable)."""
    try:
        last = float(path.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return (time.time() if now is None else now) - last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.health", description=__doc__)
    parser.add_argument("path", type=Path, help="the heartbeat file (HEARTBEAT_FILE)")
    parser.add_argument("--max-age", type=float, default=MAX_AGE, help="seconds (default: %(default)s)")
    args = parser.parse_args(argv)
    seconds = age(args.path)
    if seconds is None:
        print(f"unhealthy: no heartbeat in {args.path}", file=sys.stderr)
        return 1
    if seconds > args.max_age:
        print(f"unhealthy: last heartbeat {seconds:.0f} s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {seconds:.0f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
