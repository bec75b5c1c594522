"""The per-user throttle: memory per user and calls per second, against the dict it replaced.

Figure: `bot.handlers.guards.Throttle` (buckets with __slots__ in last-use order, refilled ones dropped
a few per call). Baseline: the previous throttle, a plain dict of dataclass buckets, kept below as it
was. Both see the same users: memory is the tracemalloc growth for 100,000 distinct users in one
burst; speed is `allow()` calls per second over those users, interleaved, several rounds.

Run from the project root: `python -m bench.throttle` (`--quick` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bench._common import DEFAULT_ROUNDS, Outcome, interleaved, median, print_table, spread
from bot.handlers.guards import Throttle

SPREAD = 0.05  # seconds between two users' updates: 20 a second, about 100 active at a time


class _Allows(Protocol):
    def allow(self, user_id: int) -> tuple[bool, bool]: ...


@dataclass
class _OldBucket:
    tokens: float
    updated: float
    warned: bool = False


class DictThrottle:
    """The throttle as it was before issue 9: one dict entry per user ever seen."""

    def __init__(self, *, rate: float = 2.0, burst: int = 10, clock: Callable[[], float] = time.monotonic):
        self._rate, self._burst, self._clock = rate, burst, clock
        self._buckets: dict[int, _OldBucket] = {}

    def allow(self, user_id: int) -> tuple[bool, bool]:
        now = self._clock()
        bucket = self._buckets.setdefault(user_id, _OldBucket(float(self._burst), now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def retained_bytes(make: Callable[[Callable[[], float]], _Allows], users: int, *, every: float) -> float:
    """Memory held once `users` distinct users each sent one update, `every` seconds apart."""
    clock = _Clock()
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        throttle = make(clock)
        for user in range(users):
            clock.now = user * every
            throttle.allow(user)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before


async def measure(users: int, rounds: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    makers: dict[str, Callable[[Callable[[], float]], _Allows]] = {
        "Throttle": lambda clock: Throttle(clock=clock),
        "dict (before)": lambda clock: DictThrottle(clock=clock),
    }
    memory = {f"{name}, burst": retained_bytes(make, users, every=0) for name, make in makers.items()}
    memory |= {f"{name}, spread": retained_bytes(make, users, every=SPREAD) for name, make in makers.items()}
    throttles: dict[str, _Allows] = {"Throttle": Throttle(), "dict (before)": DictThrottle()}

    def loop(throttle: _Allows) -> tuple[int, Callable[[], asyncio.Future[None]]]:
        async def run() -> None:
            for user in range(users):
                throttle.allow(user)

        return users, run  # type: ignore[return-value]

    samples = await interleaved({name: loop(t) for name, t in throttles.items()}, rounds)
    return memory, {name: [s.per_second for s in runs] for name, runs in samples.items()}


def verdict(memory: dict[str, float], rates: dict[str, list[float]], users: int) -> list[Outcome]:
    ratio = median(rates["Throttle"]) / median(rates["dict (before)"])
    burst, old_burst = memory["Throttle, burst"], memory["dict (before), burst"]
    spread_, old_spread = memory["Throttle, spread"], memory["dict (before), spread"]
    return [
        Outcome(
            figure=f"bytes per user, {users:,} users all active at once",
            measured=f"{burst / users:.0f} B",
            baseline=f"{old_burst / users:.0f} B (dict of dataclass buckets)",
            ratio=burst / old_burst,
            goal="-",
            passed=None,
        ),
        Outcome(
            figure=f"memory kept, {users:,} users one every {SPREAD} s",
            measured=f"{spread_ / 1000:,.0f} kB",
            baseline=f"{old_spread / 1000:,.0f} kB",
            ratio=spread_ / old_spread,
            goal="follows the active users",
            passed=spread_ < old_spread / 10,
        ),
        Outcome(
            figure="allow() calls/s",
            measured=spread(rates["Throttle"]),
            baseline=spread(rates["dict (before)"]),
            ratio=ratio,
            goal="-",
            passed=None,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point for `python -m bench.throttle`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    users, rounds = (1_000, 2) if args.quick else (100_000, DEFAULT_ROUNDS)
    memory, rates = asyncio.run(measure(users, rounds))
    print_table(
        f"Per-user throttle: {users:,} users, {rounds} rounds, median (min–max)",
        verdict(memory, rates, users),
    )


if __name__ == "__main__":
    main()
